use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use serde_json::Value;
use serde_json::value::RawValue;

use super::*;
use crate::codec::legacy::RawJson;

fn write_with<T: Serialize + ?Sized>(mode: BytesMode, value: &T) -> Result<(String, Vec<Bytes>), serde_json::Error> {
    let mut writer = JsonWriter::new(mode);
    writer.write(value)?;
    Ok(writer.finish())
}

fn attachments_text<T: Serialize + ?Sized>(value: &T) -> (String, Vec<Bytes>) {
    write_with(BytesMode::Attachments, value).expect("serializable")
}

fn base64_text<T: Serialize + ?Sized>(value: &T) -> String {
    write_with(BytesMode::Base64, value).expect("serializable").0
}

/// Both modes must match serde_json for values without bytes.
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

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Unit;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Newtype(i32);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct TupleStruct(i32, String, Option<bool>);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct EmptyStruct {}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Shape {
    Unit,
    Newtype(u8),
    Tuple(i32, i32),
    EmptyTuple(),
    Struct { x: f64, label: String },
    EmptyStruct {},
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(tag = "type")]
enum Tagged {
    A { n: i32 },
    B,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    A(i32),
    B { s: String },
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
#[serde(untagged)]
enum Untagged {
    Num(i64),
    Text(String),
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Flattened {
    id: u32,
    #[serde(flatten)]
    rest: BTreeMap<String, i32>,
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

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[\"\\\\\u{0}-\u{1f}\u{1F600}a-z]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A value with byte buffers anywhere in it.
#[derive(Debug, Clone)]
enum Tree {
    Json(Value),
    Bytes(Vec<u8>),
    Array(Vec<Tree>),
    Object(BTreeMap<String, Tree>),
}

impl Serialize for Tree {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tree::Json(value) => value.serialize(s),
            Tree::Bytes(bytes) => s.serialize_bytes(bytes),
            Tree::Array(items) => items.serialize(s),
            Tree::Object(map) => map.serialize(s),
        }
    }
}

fn arb_tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        arb_value().prop_map(Tree::Json),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Tree::Bytes),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Tree::Array),
            prop::collection::btree_map("[a-z_\u{e9}\"]{0,4}", inner, 0..5).prop_map(Tree::Object),
        ]
    })
}

fn collect_bytes(tree: &Tree, out: &mut Vec<Bytes>) {
    match tree {
        Tree::Json(_) => {}
        Tree::Bytes(bytes) => out.push(Bytes::copy_from_slice(bytes)),
        Tree::Array(items) => items.iter().for_each(|item| collect_bytes(item, out)),
        Tree::Object(map) => map.values().for_each(|item| collect_bytes(item, out)),
    }
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
struct Inner {
    data: ByteBuf,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Nested {
    inner: Inner,
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
