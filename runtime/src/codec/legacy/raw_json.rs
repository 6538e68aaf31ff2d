use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// One JSON value kept as its exact source text: key order, big numbers and
/// escapes survive a round trip through the server untouched.
#[derive(Clone)]
pub struct RawJson(Box<RawValue>);

impl RawJson {
    /// Validates `json` and keeps it as is.
    pub fn from_string(json: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(json).map(Self)
    }

    /// Serializes `value` to JSON text.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(Self)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The inner `RawValue`.
    pub fn into_raw(self) -> Box<RawValue> {
        self.0
    }

    /// Binds the value to a type.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl From<Box<RawValue>> for RawJson {
    fn from(raw: Box<RawValue>) -> Self {
        Self(raw)
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

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Self)
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
}
