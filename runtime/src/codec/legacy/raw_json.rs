use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::codec::binary;

/// One JSON value kept as its exact source text: key order, big numbers and
/// escapes survive a round trip through the server untouched.
///
/// A value received with binary attachments keeps them too: its text holds
/// the `{"_placeholder":true,"num":N}` objects and [`attachments`](Self::attachments)
/// the bytes they stand for, so echoing it sends the same bytes back.
#[derive(Clone)]
pub struct RawJson {
    raw: Box<RawValue>,
    /// Shared with the packet it came from: cloning stays cheap.
    attachments: Option<Arc<[Bytes]>>,
}

impl RawJson {
    /// Validates `json` and keeps it as is.
    pub fn from_string(json: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(json).map(Self::from)
    }

    /// Serializes `value` to JSON text.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(Self::from)
    }

    /// Gives the placeholders in the text the attachments they index: each
    /// `{"_placeholder":true,"num":N}` in this JSON stands for
    /// `attachments[N]`. This is how a value with binary is built outside
    /// the wire codec, e.g. a client's answer that arrived from another
    /// server (an adapter decoding binary into placeholders).
    ///
    /// The text is not checked against the list here: a placeholder whose
    /// `num` is past the end fails when the value is serialized or
    /// [deserialized](Self::deserialize). An empty list leaves plain JSON.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use std::sync::Arc;
    /// use socketio::{RawJson, bytes::Bytes};
    ///
    /// let raw = RawJson::from_string(r#"{"file":{"_placeholder":true,"num":0}}"#.into())
    ///     .unwrap()
    ///     .with_attachments(Arc::from([Bytes::from_static(b"\x01\x02")]));
    /// assert_eq!(raw.attachments(), [Bytes::from_static(b"\x01\x02")]);
    /// let value: HashMap<String, Bytes> = raw.deserialize().unwrap();
    /// assert_eq!(value["file"], Bytes::from_static(b"\x01\x02"));
    /// ```
    pub fn with_attachments(mut self, attachments: Arc<[Bytes]>) -> Self {
        self.attachments = if attachments.is_empty() {
            None
        } else {
            Some(attachments)
        };
        self
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.raw.get()
    }

    pub(crate) fn as_raw(&self) -> &RawValue {
        &self.raw
    }

    /// The binary attachments that placeholders in the text index; empty for
    /// plain JSON.
    pub fn attachments(&self) -> &[Bytes] {
        self.attachments.as_deref().unwrap_or(&[])
    }

    pub(crate) fn shared_attachments(&self) -> Option<&Arc<[Bytes]>> {
        self.attachments.as_ref()
    }

    /// The inner `RawValue` (without the attachments).
    pub fn into_raw(self) -> Box<RawValue> {
        self.raw
    }

    /// Binds the value to a type; placeholders bind to byte types.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match &self.attachments {
            Some(attachments) => binary::from_str_with_shared_attachments(self.get(), attachments),
            None => serde_json::from_str(self.get()),
        }
    }
}

impl From<Box<RawValue>> for RawJson {
    fn from(raw: Box<RawValue>) -> Self {
        Self { raw, attachments: None }
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for RawJson {}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

/// Without attachments: the text verbatim. With them: placeholders become
/// `serialize_bytes` of their attachment (so a modern-protocol writer numbers
/// them afresh in walk order), the rest the original text, except that keys
/// on the way to a placeholder are re-escaped by the serializer.
impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(attachments) = &self.attachments else {
            return self.raw.serialize(serializer);
        };
        let node = binary::tree::parse(self.get(), attachments.len()).map_err(serde::ser::Error::custom)?;
        binary::tree::NodeSer {
            node: &node,
            attachments,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        // Set by `binary::from_str_with_attachments` when this text holds
        // placeholders; serde has no other way to pass it here.
        let attachments = binary::take_pending_attachments();
        Ok(Self { raw, attachments })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_exact_text() {
        let text = "{\"b\":1,\"a\":123456789012345678901234567890,\"s\":\"\\u00e9\"}";
        let raw = RawJson::from_string(text.to_owned()).expect("valid");
        assert_eq!(raw.get(), text);
        assert_eq!(raw.to_string(), text);
        assert_eq!(format!("{raw:?}"), text);
        assert_eq!(raw.clone().into_raw().get(), text);
        assert!(RawJson::from_string("{".to_owned()).is_err());
        assert!(RawJson::from_string(String::new()).is_err());
    }

    #[test]
    fn compares_serializes_and_binds() {
        let a = RawJson::from_serialize(&vec![1, 2]).expect("serializes");
        assert_eq!(a.get(), "[1,2]");
        assert_eq!(
            a,
            RawJson::from(serde_json::value::to_raw_value(&[1, 2]).expect("serializes"))
        );
        assert_ne!(a, RawJson::from_string("[1, 2]".to_owned()).expect("valid"));
        assert_eq!(a.deserialize::<Vec<u8>>().expect("binds"), vec![1, 2]);
        assert!(a.deserialize::<String>().is_err());

        let nested: Vec<RawJson> = serde_json::from_str("[ {\"z\":1,\"a\":2} , 1.0 ]").expect("valid");
        assert_eq!(
            nested.iter().map(RawJson::get).collect::<Vec<_>>(),
            ["{\"z\":1,\"a\":2}", "1.0"]
        );
        assert_eq!(
            serde_json::to_string(&nested).expect("serializes"),
            "[{\"z\":1,\"a\":2},1.0]"
        );
    }

    #[test]
    fn carries_attachments_cheaply() {
        let text = r#"{"file":{"_placeholder":true,"num":0}}"#;
        let plain = RawJson::from_string(text.to_owned()).expect("valid");
        assert!(plain.attachments().is_empty());
        assert_eq!(serde_json::to_string(&plain).expect("serializes"), text);
        assert!(
            plain
                .clone()
                .with_attachments(Arc::from(Vec::new()))
                .attachments()
                .is_empty()
        );

        let bytes = Bytes::from_static(&[1, 2]);
        let with = plain.clone().with_attachments(Arc::from(vec![bytes.clone()]));
        assert_eq!(with.attachments(), std::slice::from_ref(&bytes));
        assert_eq!(with.get(), text);
        assert_eq!(with, plain);
        assert_eq!(with.clone().attachments(), with.attachments());
        assert_eq!(serde_json::to_string(&with).expect("serializes"), r#"{"file":[1,2]}"#);
        #[derive(Deserialize)]
        struct Upload {
            file: Bytes,
        }
        assert_eq!(with.deserialize::<Upload>().expect("binds").file, bytes);
        assert!(plain.deserialize::<Upload>().is_err());
    }
}
