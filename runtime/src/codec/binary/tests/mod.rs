//! Tests of the bytes-aware JSON writer and binder, against serde_json.

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

mod binding;
mod writer;

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

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Inner {
    data: ByteBuf,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Nested {
    inner: Inner,
}

/// Every shape of the serde data model, for both directions.
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
