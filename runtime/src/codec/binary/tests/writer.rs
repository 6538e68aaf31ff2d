//! The writer: serde_json's text for every value without bytes, bytes as
//! placeholders (attachments) or base64.

use super::*;

#[track_caller]
fn assert_like_serde_json<T: Serialize + ?Sized>(value: &T) {
    let expected = serde_json::to_string(value);
    for mode in [BytesMode::Attachments, BytesMode::Base64] {
        let ours = write_with(mode, value);
        match (&expected, ours) {
            (Ok(expected), Ok((text, attachments))) => {
                assert_eq!(&text, expected);
                assert!(attachments.is_empty());
            }
            (Err(_), Err(_)) => {}
            (expected, ours) => panic!("serde_json gave {expected:?}, JsonWriter gave {ours:?}"),
        }
    }
}

#[derive(Serialize, Debug)]
struct Everything {
    unit: (),
    unit_struct: Unit,
    newtype: Newtype,
    tuple: (i8, u16, &'static str),
    tuple_struct: TupleStruct,
    empty: EmptyStruct,
    none: Option<u8>,
    some: Option<Option<u8>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<u8>,
    #[serde(skip)]
    #[allow(dead_code)]
    never: u8,
    shapes: Vec<Shape>,
    tagged: Vec<Tagged>,
    adjacent: Vec<Adjacent>,
    untagged: Vec<Untagged>,
    flattened: Flattened,
    int_keys: BTreeMap<i64, &'static str>,
    u128_keys: BTreeMap<u128, bool>,
    bool_keys: BTreeMap<bool, i32>,
    char_keys: BTreeMap<char, i32>,
    newtype_keys: BTreeMap<Newtype2, i32>,
    unit_variant_keys: BTreeMap<Key, i32>,
    floats: Vec<f64>,
    float32: Vec<f32>,
    wide: (i128, u128),
    strings: Vec<&'static str>,
    empty_vec: Vec<u8>,
    empty_map: BTreeMap<String, u8>,
    raw: RawJson,
    boxed_raw: Box<RawValue>,
    value: Value,
    chars: Vec<char>,
}

#[derive(Serialize, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Newtype2(u8);

#[derive(Serialize, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Left,
    Right,
}

fn everything() -> Everything {
    Everything {
        unit: (),
        unit_struct: Unit,
        newtype: Newtype(-7),
        tuple: (-128, 65535, "t"),
        tuple_struct: TupleStruct(1, "two".into(), None),
        empty: EmptyStruct {},
        none: None,
        some: Some(None),
        skipped: None,
        never: 9,
        shapes: vec![
            Shape::Unit,
            Shape::Newtype(255),
            Shape::Tuple(-1, 1),
            Shape::EmptyTuple(),
            Shape::Struct {
                x: 0.1,
                label: "é\u{1F600}".into(),
            },
            Shape::EmptyStruct {},
        ],
        tagged: vec![Tagged::A { n: 3 }, Tagged::B],
        adjacent: vec![Adjacent::A(4), Adjacent::B { s: "q".into() }],
        untagged: vec![Untagged::Num(-9), Untagged::Text("x".into())],
        flattened: Flattened {
            id: 5,
            rest: [("z".to_owned(), 1), ("a".to_owned(), 2)].into_iter().collect(),
        },
        int_keys: [(-3, "minus"), (10, "ten")].into_iter().collect(),
        u128_keys: [(u128::MAX, true)].into_iter().collect(),
        bool_keys: [(true, 1), (false, 0)].into_iter().collect(),
        char_keys: [('"', 1), ('\u{1F600}', 2)].into_iter().collect(),
        newtype_keys: [(Newtype2(4), 4)].into_iter().collect(),
        unit_variant_keys: [(Key::Left, 1), (Key::Right, 2)].into_iter().collect(),
        floats: vec![
            0.0,
            -0.0,
            1.5,
            1e300,
            -2.5e-300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
            0.1 + 0.2,
        ],
        float32: vec![0.1, f32::NAN, f32::MAX, 3.0],
        wide: (i128::MIN, u128::MAX),
        strings: vec![
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "astral \u{1F600} \u{10FFFF}",
            "</script>\u{2028}\u{2029}",
        ],
        empty_vec: vec![],
        empty_map: BTreeMap::new(),
        raw: RawJson::from_string("{\"b\":1,\"a\":123456789012345678901234567890,\"s\":\"\\u00e9\"}".into())
            .expect("valid"),
        boxed_raw: RawValue::from_string("[1.0e5, {\"k\": null}]".into()).expect("valid"),
        value: serde_json::json!({"z": [1, -2, 3.5, "s", null, true], "a": {}}),
        chars: vec!['a', '\u{0}', '\u{1F600}'],
    }
}

#[test]
fn writer_matches_serde_json_on_every_data_model_shape() {
    let all = everything();
    assert_like_serde_json(&all);
    // Every field on its own too, so a mismatch names its shape.
    assert_like_serde_json(&all.shapes);
    assert_like_serde_json(&all.floats);
    assert_like_serde_json(&all.float32);
    assert_like_serde_json(&all.strings);
    assert_like_serde_json(&all.raw);
    assert_like_serde_json(&all.boxed_raw);
    assert_like_serde_json(&all.char_keys);
    assert_like_serde_json(&all.u128_keys);
    assert_like_serde_json(&());
    assert_like_serde_json(&Unit);
    assert_like_serde_json(&Some(Newtype(1)));
    assert_like_serde_json(&(1u8,));
    assert_like_serde_json(&f64::NAN);
    assert_like_serde_json("top-level \u{1F600}");
    assert_like_serde_json(&'\u{7}');
    let raw: &RawValue = serde_json::from_str("  {\"k\" : [ 1 ] }").expect("valid");
    assert_like_serde_json(&raw);
    assert_like_serde_json(&HashMap::from([(1u64, vec![Shape::Unit])]));
    assert_like_serde_json(&BTreeMap::from([(1.5f64.to_bits(), 1)]));
}

#[test]
fn writer_refuses_what_serde_json_refuses() {
    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    struct Point {
        x: i32,
    }
    // Each of these is an error in serde_json; the writer must agree.
    assert_like_serde_json(&BTreeMap::from([(Point { x: 1 }, 1)]));
    assert_like_serde_json(&BTreeMap::from([((), 1)]));
    assert_like_serde_json(&BTreeMap::from([(vec![1], 1)]));
    assert_like_serde_json(&BTreeMap::from([(Option::<String>::None, 1)]));
    assert!(write_with(BytesMode::Attachments, &BTreeMap::from([(ByteBuf::from(vec![1]), 1)])).is_err());

    /// A map of one entry, whatever its key type.
    struct Entry<K>(K);
    impl<K: Serialize> Serialize for Entry<K> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(&self.0, &1)?;
            map.end()
        }
    }
    assert_like_serde_json(&Entry(RawJson::from_string("\"k\"".into()).expect("json")));
    assert_like_serde_json(&Entry(1.5));
    assert_like_serde_json(&Entry(-0.0f32));
    assert_like_serde_json(&Entry(f64::NAN));
    assert_like_serde_json(&Entry(f32::INFINITY));
    assert_like_serde_json(&Entry(Shape::Unit));
    assert_like_serde_json(&Entry(Shape::Newtype(1)));
    assert_like_serde_json(&Entry(Some('c')));
}

#[test]
fn a_failed_write_leaves_earlier_output_alone() {
    let mut writer = JsonWriter::new(BytesMode::Attachments);
    writer.push_raw(b"[");
    writer.write(&ByteBuf::from(vec![1])).expect("bytes");
    writer.push_raw(b",");
    let bad = (ByteBuf::from(vec![2]), BTreeMap::from([((), 1)]));
    assert!(writer.write(&bad).is_err());
    writer.write(&true).expect("bool");
    writer.push_raw(b"]");
    let (text, attachments) = writer.finish();
    assert_eq!(text, r#"[{"_placeholder":true,"num":0},true]"#);
    assert_eq!(attachments, vec![Bytes::from_static(&[1])]);
}

#[test]
fn push_raw_and_finish_never_panic_on_bad_utf8() {
    let mut writer = JsonWriter::new(BytesMode::Base64);
    writer.push_raw(&[b'[', 0xff, b']']);
    assert_eq!(writer.finish().0, "[\u{FFFD}]");
}

proptest! {
    #[test]
    fn writer_matches_serde_json_on_any_value(value in arb_value()) {
        let expected = serde_json::to_string(&value).expect("serializable");
        for mode in [BytesMode::Attachments, BytesMode::Base64] {
            let (text, attachments) = write_with(mode, &value).expect("serializable");
            prop_assert_eq!(&text, &expected);
            prop_assert!(attachments.is_empty());
        }
        // Written through a RawJson too (verbatim, with or without attachments).
        let raw = RawJson::from_string(expected.clone()).expect("valid");
        prop_assert_eq!(&attachments_text(&raw).0, &expected);
        let shared = raw.with_attachments(Arc::from(vec![Bytes::from_static(b"x")]));
        prop_assert_eq!(&attachments_text(&shared).0, &expected);
    }
}

#[test]
fn attachments_mode_writes_placeholders_in_walk_order() {
    let args = (
        "hello",
        Bytes::from_static(&[1, 2, 3]),
        Nested {
            inner: Inner {
                data: ByteBuf::from(vec![4, 5]),
            },
        },
    );
    let (text, attachments) = attachments_text(&args);
    assert_eq!(
        text,
        r#"["hello",{"_placeholder":true,"num":0},{"inner":{"data":{"_placeholder":true,"num":1}}}]"#
    );
    assert_eq!(
        attachments,
        vec![Bytes::from_static(&[1, 2, 3]), Bytes::from_static(&[4, 5])]
    );

    assert_eq!(base64_text(&args), r#"["hello","AQID",{"inner":{"data":"BAU="}}]"#);
    assert_eq!(base64_text(&ByteBuf::new()), r#""""#);

    // The caller writes the argument array's punctuation itself.
    let mut writer = JsonWriter::new(BytesMode::Attachments);
    writer.push_raw(b"[");
    writer.write("hello").expect("str");
    writer.push_raw(b",");
    writer.write(&Bytes::from_static(&[1, 2, 3])).expect("bytes");
    writer.push_raw(b",");
    writer.write(&args.2).expect("struct");
    writer.push_raw(b"]");
    assert_eq!(writer.finish(), (text, attachments));
}

#[test]
fn attachments_in_every_container_shape() {
    #[derive(Serialize)]
    enum E {
        New(ByteBuf),
        Tup(ByteBuf, u8),
        Str { b: ByteBuf },
    }
    let b = |n: u8| ByteBuf::from(vec![n]);
    let value = (
        vec![E::New(b(0)), E::Tup(b(1), 9), E::Str { b: b(2) }],
        BTreeMap::from([(7, b(3))]),
        Some(b(4)),
        Option::<ByteBuf>::None,
    );
    let (text, attachments) = attachments_text(&value);
    let p = |n: u8| format!("{{\"_placeholder\":true,\"num\":{n}}}");
    assert_eq!(
        text,
        format!(
            "[[{{\"New\":{}}},{{\"Tup\":[{},9]}},{{\"Str\":{{\"b\":{}}}}}],{{\"7\":{}}},{},null]",
            p(0),
            p(1),
            p(2),
            p(3),
            p(4)
        )
    );
    assert_eq!(attachments, (0..5).map(|n| Bytes::from(vec![n])).collect::<Vec<_>>());
}
