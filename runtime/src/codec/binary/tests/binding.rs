//! The binder: placeholders bind to byte types, everything else as
//! serde_json binds it; attachments survive an echo.

use super::*;

proptest! {
    #[test]
    fn plain_json_binds_as_with_serde_json(value in arb_value(), pad in "[ \n\t]{0,2}") {
        // Pretty text has whitespace everywhere a raw value could keep it.
        let text = format!("{pad}{}{pad}", serde_json::to_string_pretty(&value).expect("serializable"));
        let attachments = [Bytes::from_static(b"unused")];
        let ours: Value = from_str_with_attachments(&text, &attachments).expect("valid");
        prop_assert_eq!(ours, serde_json::from_str::<Value>(&text).expect("valid"));
        let ours: RawJson = from_str_with_attachments(&text, &attachments).expect("valid");
        let theirs: RawJson = serde_json::from_str(&text).expect("valid");
        prop_assert_eq!(ours.get(), theirs.get());
        prop_assert!(ours.attachments().is_empty());
    }

    #[test]
    fn attachments_survive_any_echo(tree in arb_tree()) {
        let mut expected = Vec::new();
        collect_bytes(&tree, &mut expected);
        let (text, attachments) = attachments_text(&tree);
        prop_assert_eq!(&attachments, &expected);

        // An echo handler: bind to RawJson, write it back.
        let raw: RawJson = from_str_with_attachments(&text, &attachments).expect("valid");
        let (echo, echoed) = attachments_text(&raw);
        prop_assert_eq!(&echo, &text);
        prop_assert_eq!(&echoed, &expected);
        prop_assert_eq!(base64_text(&raw), base64_text(&tree));
        prop_assert_eq!(serde_json::to_string(&raw).expect("serializable"), serde_json::to_string(&tree).expect("serializable"));

        // A `Value` target sees bytes as arrays of numbers, like serde_json
        // (parsed, not `to_value`: float parsing is not exact without
        // serde_json's `float_roundtrip`).
        let value: Value = from_str_with_attachments(&text, &attachments).expect("valid");
        let numbers = serde_json::to_string(&tree).expect("serializable");
        prop_assert_eq!(value, serde_json::from_str::<Value>(&numbers).expect("valid"));
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Wide {
    id: u64,
    blob: Bytes,
    #[serde(with = "serde_bytes")]
    raw: Vec<u8>,
    plain: Vec<u8>,
    maybe: Option<Bytes>,
    none: Option<Bytes>,
    many: Vec<Bytes>,
    nested: Nested,
    map: BTreeMap<u32, ByteBuf>,
    shape: Carrier,
    name: String,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Carrier {
    Empty,
    One(ByteBuf),
    Pair(ByteBuf, i8),
    Named { inner: Inner },
}

#[track_caller]
fn round_trip<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let (text, attachments) = attachments_text(value);
    let back: T = from_str_with_attachments(&text, &attachments).expect("binds");
    assert_eq!(&back, value, "{text}");
    // And through a RawJson that carries them.
    let raw: RawJson = from_str_with_attachments(&text, &attachments).expect("binds");
    assert_eq!(&raw.deserialize::<T>().expect("binds"), value);
}

#[test]
fn typed_values_round_trip_through_attachments() {
    let wide = Wide {
        id: u64::MAX,
        blob: Bytes::from_static(b"blob"),
        raw: vec![0, 255],
        plain: vec![],
        maybe: Some(Bytes::from_static(&[9; 3])),
        none: None,
        many: vec![Bytes::new(), Bytes::from_static(b"m")],
        nested: Nested {
            inner: Inner {
                data: ByteBuf::from(vec![7; 10]),
            },
        },
        map: BTreeMap::from([(1, ByteBuf::from(vec![1])), (20, ByteBuf::from(vec![2]))]),
        shape: Carrier::Named {
            inner: Inner {
                data: ByteBuf::from(vec![3]),
            },
        },
        name: "\u{1F600}".into(),
    };
    round_trip(&wide);
    round_trip(&(
        String::from("hello"),
        Bytes::from_static(&[1, 2, 3]),
        wide.nested.clone(),
    ));
    round_trip(&vec![
        Carrier::Empty,
        Carrier::One(ByteBuf::from(vec![1])),
        Carrier::Pair(ByteBuf::new(), -1),
    ]);
    round_trip(&Some(Bytes::from_static(b"x")));
    round_trip(&Bytes::from_static(b"top"));
    round_trip(&vec![Bytes::from_static(b"a"); 3]);
    round_trip(&HashMap::from([(true, ByteBuf::from(vec![1]))]));
    round_trip(&(-5i64, 1.5f64, (), Some(ByteBuf::from(vec![0]))));
}

#[test]
fn placeholders_bind_to_each_byte_type() {
    let attachments = [Bytes::from_static(&[1, 2, 3])];
    let p = r#"{"_placeholder":true,"num":0}"#;
    let bind = |text: &str| from_str_with_attachments::<Value>(text, &attachments);
    assert_eq!(
        from_str_with_attachments::<Bytes>(p, &attachments).expect("bytes"),
        attachments[0]
    );
    assert_eq!(
        from_str_with_attachments::<ByteBuf>(p, &attachments)
            .expect("buf")
            .as_ref(),
        [1, 2, 3]
    );
    assert_eq!(
        from_str_with_attachments::<Vec<u8>>(p, &attachments).expect("vec"),
        vec![1, 2, 3]
    );
    assert_eq!(
        from_str_with_attachments::<[u8; 3]>(p, &attachments).expect("array"),
        [1, 2, 3]
    );
    assert!(from_str_with_attachments::<[u8; 2]>(p, &attachments).is_err());
    assert_eq!(bind(p).expect("value"), serde_json::json!([1, 2, 3]));
    // Key order and extra members do not matter, as in the reference client.
    assert_eq!(
        bind(r#"{ "num" : 0 , "_placeholder" : true, "extra": 1 }"#).expect("value"),
        serde_json::json!([1, 2, 3])
    );
    // `_placeholder` other than `true`: an ordinary object.
    let plain = r#"{"_placeholder":false,"num":0}"#;
    assert_eq!(
        bind(plain).expect("value"),
        serde_json::from_str::<Value>(plain).expect("json")
    );
    let plain = r#"{"_placeholder":"true","num":9}"#;
    assert_eq!(
        bind(plain).expect("value"),
        serde_json::from_str::<Value>(plain).expect("json")
    );
}

#[test]
fn ordinary_targets_bind_like_serde_json_next_to_placeholders() {
    #[derive(Deserialize, Debug)]
    struct Mixed {
        name: String,
        big: f64,
        raw: Box<RawValue>,
        keys: BTreeMap<i32, String>,
        wide: BTreeMap<u128, bool>,
        flags: BTreeMap<bool, u8>,
        shape: Shape,
        tagged: Tagged,
        #[serde(default)]
        absent: Option<u8>,
        data: Bytes,
    }
    let text = r#"{"name":"a\"b","big":123456789012345678901234567890,"raw":[ 1,  {"z":0,"a":1} ],
        "keys":{"-1":"m","2":"t"},"wide":{"340282366920938463463374607431768211455":true},
        "flags":{"true":1},"shape":{"Struct":{"x":1e2,"label":"l"}},"tagged":{"type":"A","n":1},
        "unknown":{"deep":[{"_placeholder":true,"num":0}]},"data":{"_placeholder":true,"num":0}}"#;
    let attachments = [Bytes::from_static(b"d")];
    let mixed: Mixed = from_str_with_attachments(text, &attachments).expect("binds");
    assert_eq!(mixed.name, "a\"b");
    assert_eq!(mixed.big, 1.2345678901234568e29);
    assert_eq!(mixed.raw.get(), r#"[ 1,  {"z":0,"a":1} ]"#);
    assert_eq!(mixed.keys, BTreeMap::from([(-1, "m".into()), (2, "t".into())]));
    assert_eq!(mixed.wide, BTreeMap::from([(u128::MAX, true)]));
    assert_eq!(mixed.flags, BTreeMap::from([(true, 1)]));
    assert_eq!(
        mixed.shape,
        Shape::Struct {
            x: 100.0,
            label: "l".into()
        }
    );
    assert_eq!(mixed.tagged, Tagged::A { n: 1 });
    assert_eq!(mixed.absent, None);
    assert_eq!(mixed.data, attachments[0]);
}

#[test]
fn raw_json_echo_renumbers_placeholders_in_walk_order() {
    let text = r#"[{"_placeholder":true,"num":1},{"a":{"_placeholder":true,"num":0}},123456789012345678901234567890]"#;
    let first = Bytes::from_static(b"first");
    let second = Bytes::from_static(b"second");
    let attachments: Arc<[Bytes]> = Arc::from(vec![first.clone(), second.clone()]);
    let expected =
        r#"[{"_placeholder":true,"num":0},{"a":{"_placeholder":true,"num":1}},123456789012345678901234567890]"#;

    let raw = RawJson::from_string(text.into())
        .expect("valid")
        .with_attachments(attachments.clone());
    assert_eq!(raw.get(), text);
    assert_eq!(raw.attachments(), &attachments[..]);
    assert_eq!(
        attachments_text(&raw),
        (expected.to_owned(), vec![second.clone(), first.clone()])
    );
    assert_eq!(
        base64_text(&raw),
        r#"["c2Vjb25k",{"a":"Zmlyc3Q="},123456789012345678901234567890]"#
    );
    assert_eq!(
        serde_json::to_string(&raw).expect("serializable"),
        r#"[[115,101,99,111,110,100],{"a":[102,105,114,115,116]},123456789012345678901234567890]"#
    );
    // Clones share the list; equality is on the text alone.
    assert_eq!(raw.clone().attachments().len(), 2);
    assert_eq!(raw, RawJson::from_string(text.into()).expect("valid"));

    // As handler arguments: each element keeps what its text needs.
    let args: Vec<RawJson> = from_str_with_attachments(text, &attachments).expect("binds");
    assert_eq!(args[0].get(), r#"{"_placeholder":true,"num":1}"#);
    assert_eq!(args[1].attachments().len(), 2);
    assert!(args[2].attachments().is_empty());
    assert_eq!(args[2].get(), "123456789012345678901234567890");
    assert_eq!(
        attachments_text(&args),
        (expected.to_owned(), vec![second.clone(), first.clone()])
    );
    assert_eq!(
        args[1].deserialize::<BTreeMap<String, Bytes>>().expect("binds")["a"],
        first
    );

    // A struct field and a nested RawJson-in-RawJson keep them too.
    #[derive(Deserialize)]
    struct Holder {
        a: RawJson,
    }
    let holder: Holder = args[1].deserialize().expect("binds");
    assert_eq!(holder.a.get(), r#"{"_placeholder":true,"num":0}"#);
    assert_eq!(
        attachments_text(&holder.a),
        (r#"{"_placeholder":true,"num":0}"#.to_owned(), vec![first])
    );

    // Nothing leaks to a RawJson bound afterwards by plain serde_json.
    let later: RawJson = serde_json::from_str(r#"{"_placeholder":true,"num":0}"#).expect("valid");
    assert!(later.attachments().is_empty());
}

#[test]
fn raw_json_keeps_text_off_the_placeholder_path() {
    let text = "{ \"z\" : [1.50, \"\\u00e9\", {\"k\":{\"_placeholder\":true,\"num\":0}}], \"a\" : {\"q\": 1E400} }";
    let raw: RawJson = from_str_with_attachments(text, &[Bytes::from_static(&[0xff])]).expect("binds");
    assert_eq!(raw.get(), text);
    let (echo, attachments) = attachments_text(&raw);
    assert_eq!(
        echo,
        "{\"z\":[1.50,\"\\u00e9\",{\"k\":{\"_placeholder\":true,\"num\":0}}],\"a\":{\"q\": 1E400}}"
    );
    assert_eq!(attachments, vec![Bytes::from_static(&[0xff])]);
}

#[test]
fn bad_inputs_are_errors() {
    let one = [Bytes::from_static(b"x")];
    let bad = [
        r#"{"_placeholder":true,"num":1}"#,
        r#"{"_placeholder":true,"num":-1}"#,
        r#"{"_placeholder":true,"num":0.5}"#,
        r#"{"_placeholder":true,"num":"0"}"#,
        r#"{"_placeholder":true,"num":null}"#,
        r#"{"_placeholder":true}"#,
        r#"{"_placeholder":true,"num":99999999999999999999999}"#,
        r#"[1,{"deep":{"_placeholder":true,"num":3}}]"#,
        r#"{"_placeholder":true,"num":0"#,
        "",
        "[1,]",
        "[1] x",
    ];
    for text in bad {
        assert!(from_str_with_attachments::<Value>(text, &one).is_err(), "{text}");
        assert!(from_str_with_attachments::<RawJson>(text, &one).is_err(), "{text}");
        assert!(
            from_str_with_attachments::<serde::de::IgnoredAny>(text, &one).is_err(),
            "{text}"
        );
    }
    assert!(from_str_with_attachments::<Value>(r#"{"_placeholder":true,"num":0}"#, &[]).is_err());

    let p = r#"{"_placeholder":true,"num":0}"#;
    assert!(from_str_with_attachments::<String>(p, &one).is_err());
    assert!(from_str_with_attachments::<char>(p, &one).is_err());
    assert!(from_str_with_attachments::<u8>(p, &one).is_err());
    assert!(from_str_with_attachments::<bool>(p, &one).is_err());
    assert!(from_str_with_attachments::<()>(p, &one).is_err());
    assert!(from_str_with_attachments::<BTreeMap<String, u8>>(p, &one).is_err());
    assert!(from_str_with_attachments::<Shape>(p, &one).is_err());
    assert!(from_str_with_attachments::<Nested>(p, &one).is_err());
    assert!(from_str_with_attachments::<(String, Bytes)>(&format!("[{p},{p}]"), &one).is_err());
    assert!(from_str_with_attachments::<(Bytes,)>(&format!("[{p},{p}]"), &one).is_err());
    assert!(from_str_with_attachments::<BTreeMap<u8, Bytes>>(&format!("{{\"x\":{p}}}"), &one).is_err());
    assert!(from_str_with_attachments::<Shape>(&format!("{{\"A\":{p},\"B\":1}}"), &one).is_err());

    // A RawJson whose placeholder does not index its attachments cannot be written.
    let raw = RawJson::from_string(r#"[{"_placeholder":true,"num":5}]"#.into())
        .expect("valid")
        .with_attachments(Arc::from(one.to_vec()));
    assert!(write_with(BytesMode::Attachments, &raw).is_err());
    assert!(serde_json::to_string(&raw).is_err());
    assert!(raw.deserialize::<Value>().is_err());
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let depth = 10_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert!(from_str_with_attachments::<Value>(&text, &[Bytes::new()]).is_err());
    let raw = RawJson::from_string(format!("{}1{}", "[".repeat(100), "]".repeat(100)))
        .expect("valid")
        .with_attachments(Arc::from(vec![Bytes::new()]));
    assert_eq!(attachments_text(&raw).0, raw.get());
}
