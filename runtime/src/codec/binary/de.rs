use std::borrow::Cow;
use std::cell::Cell;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::value::{BorrowedStrDeserializer, StrDeserializer, U8Deserializer};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, Error as _, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::Error;

use super::RAW_VALUE_TOKEN;
use super::tree::{self, Node};

/// Binds `json` to `T`, each `{"_placeholder":true,"num":N}` object standing
/// for `attachments[N]`.
///
/// A placeholder binds to any byte type (`Bytes`, `ByteBuf`, `Vec<u8>`,
/// `#[serde(with = "serde_bytes")]`), and to a `serde_json::Value` as an array
/// of numbers, since `Value` has no bytes. A `RawJson` keeps the placeholders
/// in its text and carries the attachments along. Placeholder-free parts bind
/// exactly as with `serde_json::from_str`. A placeholder whose `num` is not an
/// index into `attachments` fails the whole text, as in the reference client.
#[cfg(test)]
pub(crate) fn from_str_with_attachments<T: DeserializeOwned>(json: &str, attachments: &[Bytes]) -> Result<T, Error> {
    from_str_with_shared_attachments(json, &Arc::from(attachments))
}

/// [`from_str_with_attachments`] for a list that is already shared, so a
/// `RawJson` inside can keep it without a copy.
pub(crate) fn from_str_with_shared_attachments<T: DeserializeOwned>(
    json: &str,
    attachments: &Arc<[Bytes]>,
) -> Result<T, Error> {
    let node = tree::parse(json, attachments.len())?;
    let _clear = ClearPending;
    T::deserialize(NodeDe {
        node: &node,
        attachments,
    })
}

thread_local! {
    /// Hands the attachments to the `RawJson` being bound. serde offers no
    /// side channel between a deserializer and the `Deserialize` impl it
    /// drives, and `RawJson` can only ask for its text (as a `RawValue`); so
    /// the deserializer leaves the list here just before giving that text out
    /// and `RawJson` takes it right after. Set only for values that hold a
    /// placeholder and cleared on every other hand-off, so a `RawJson` bound by
    /// anything else finds nothing.
    static PENDING: Cell<Option<Arc<[Bytes]>>> = const { Cell::new(None) };
}

fn set_pending(attachments: Option<Arc<[Bytes]>>) {
    // Fails only while the thread is being torn down: then nobody can read it.
    let _ = PENDING.try_with(|pending| pending.set(attachments));
}

/// The attachments of the `RawJson` text just handed out by
/// [`from_str_with_attachments`], if it holds placeholders.
pub(crate) fn take_pending_attachments() -> Option<Arc<[Bytes]>> {
    PENDING.try_with(Cell::take).ok().flatten()
}

struct ClearPending;

impl Drop for ClearPending {
    fn drop(&mut self) {
        set_pending(None);
    }
}

/// Runs serde_json on a placeholder-free slice, so such values bind exactly
/// as serde_json binds them (big numbers, `RawValue`, borrowed strings).
fn delegate<'de, T>(
    text: &'de str,
    f: impl FnOnce(&mut serde_json::Deserializer<serde_json::de::StrRead<'de>>) -> Result<T, Error>,
) -> Result<T, Error> {
    set_pending(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let value = f(&mut de)?;
    de.end()?;
    Ok(value)
}

fn unexpected<'a>(node: &Node<'_>, attachments: &'a [Bytes]) -> Unexpected<'a> {
    match node {
        Node::Placeholder { num, .. } => attachments
            .get(*num)
            .map_or(Unexpected::Other("attachment"), |bytes| Unexpected::Bytes(bytes)),
        Node::Array { .. } => Unexpected::Seq,
        Node::Object { .. } | Node::Text(_) => Unexpected::Map,
    }
}

#[derive(Clone, Copy)]
struct NodeDe<'de, 's> {
    node: &'s Node<'de>,
    attachments: &'s Arc<[Bytes]>,
}

impl<'de, 's> NodeDe<'de, 's> {
    fn child(self, node: &'s Node<'de>) -> Self {
        Self { node, ..self }
    }

    fn bytes(self, num: usize) -> Result<&'s Bytes, Error> {
        self.attachments
            .get(num)
            .ok_or_else(|| Error::custom("attachment placeholder out of range"))
    }

    fn invalid<V: Visitor<'de>>(self, visitor: &V) -> Error {
        Error::invalid_type(unexpected(self.node, self.attachments), visitor)
    }

    fn visit_bytes_seq<V: Visitor<'de>>(self, num: usize, visitor: V) -> Result<V::Value, Error> {
        let bytes = self.bytes(num)?;
        let mut seq = ByteSeq { bytes: bytes.iter() };
        let value = visitor.visit_seq(&mut seq)?;
        match seq.bytes.len() {
            0 => Ok(value),
            _ => Err(Error::invalid_length(bytes.len(), &"fewer elements in array")),
        }
    }

    fn visit_array<V: Visitor<'de>>(self, items: &'s [Node<'de>], visitor: V) -> Result<V::Value, Error> {
        let mut seq = NodeSeq {
            items: items.iter(),
            de: self,
        };
        let value = visitor.visit_seq(&mut seq)?;
        match seq.items.len() {
            0 => Ok(value),
            _ => Err(Error::invalid_length(items.len(), &"fewer elements in array")),
        }
    }

    fn visit_object<V: Visitor<'de>>(
        self,
        entries: &'s [(Cow<'de, str>, Node<'de>)],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mut map = NodeMap {
            entries: entries.iter(),
            value: None,
            de: self,
        };
        let value = visitor.visit_map(&mut map)?;
        match map.entries.len() {
            0 => Ok(value),
            _ => Err(Error::invalid_length(entries.len(), &"fewer elements in map")),
        }
    }

    /// A `RawValue` target: the source text, placeholders left in it.
    fn raw<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| {
                de::Deserializer::deserialize_newtype_struct(de, RAW_VALUE_TOKEN, visitor)
            }),
            node => {
                set_pending(Some(Arc::clone(self.attachments)));
                // serde_json's RawValue visitor expects a one-entry map: its
                // token as the key, the JSON text as the value.
                visitor.visit_map(RawMap {
                    key_given: false,
                    text: Some(node.text()),
                })
            }
        }
    }
}

macro_rules! scalar {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.node {
                Node::Text(text) => delegate(text, |de| de::Deserializer::$method(de, visitor)),
                _ => self.deserialize_any(visitor),
            }
        }
    )*};
}

macro_rules! textual {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.node {
                Node::Text(text) => delegate(text, |de| de::Deserializer::$method(de, visitor)),
                _ => Err(self.invalid(&visitor)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| de::Deserializer::deserialize_any(de, visitor)),
            // `Value` and other self-describing targets have no bytes; an
            // array of numbers is what serde_json makes of bytes elsewhere.
            Node::Placeholder { num, .. } => self.visit_bytes_seq(*num, visitor),
            Node::Array { items, .. } => self.visit_array(items, visitor),
            Node::Object { entries, .. } => self.visit_object(entries, visitor),
        }
    }

    scalar! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_unit
    }

    textual! {
        deserialize_char deserialize_str deserialize_string deserialize_identifier
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| de::Deserializer::deserialize_bytes(de, visitor)),
            Node::Placeholder { num, .. } => visitor.visit_bytes(self.bytes(*num)?),
            Node::Array { items, .. } => self.visit_array(items, visitor),
            Node::Object { .. } => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| de::Deserializer::deserialize_byte_buf(de, visitor)),
            Node::Placeholder { num, .. } => visitor.visit_byte_buf(self.bytes(*num)?.to_vec()),
            Node::Array { items, .. } => self.visit_array(items, visitor),
            Node::Object { .. } => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| de::Deserializer::deserialize_option(de, visitor)),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| de::Deserializer::deserialize_unit_struct(de, name, visitor)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, Error> {
        if name == RAW_VALUE_TOKEN {
            return self.raw(visitor);
        }
        match self.node {
            Node::Text(text) => delegate(text, |de| {
                de::Deserializer::deserialize_newtype_struct(de, name, visitor)
            }),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| de::Deserializer::deserialize_seq(de, visitor)),
            Node::Placeholder { num, .. } => self.visit_bytes_seq(*num, visitor),
            Node::Array { items, .. } => self.visit_array(items, visitor),
            Node::Object { .. } => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| de::Deserializer::deserialize_tuple(de, len, visitor)),
            _ => self.deserialize_seq(visitor),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| {
                de::Deserializer::deserialize_tuple_struct(de, name, len, visitor)
            }),
            _ => self.deserialize_seq(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| de::Deserializer::deserialize_map(de, visitor)),
            Node::Object { entries, .. } => self.visit_object(entries, visitor),
            _ => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| {
                de::Deserializer::deserialize_struct(de, name, fields, visitor)
            }),
            Node::Array { items, .. } => self.visit_array(items, visitor),
            Node::Object { entries, .. } => self.visit_object(entries, visitor),
            Node::Placeholder { .. } => Err(self.invalid(&visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| {
                de::Deserializer::deserialize_enum(de, name, variants, visitor)
            }),
            Node::Object { entries, .. } => match entries.as_slice() {
                [(variant, value)] => visitor.visit_enum(NodeEnum {
                    variant,
                    value: self.child(value),
                }),
                _ => Err(Error::invalid_value(Unexpected::Map, &"map with a single key")),
            },
            _ => Err(Error::invalid_type(
                unexpected(self.node, self.attachments),
                &"string or map",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node {
            Node::Text(text) => delegate(text, |de| de::Deserializer::deserialize_ignored_any(de, visitor)),
            _ => visitor.visit_unit(),
        }
    }
}

struct NodeSeq<'de, 's> {
    items: std::slice::Iter<'s, Node<'de>>,
    de: NodeDe<'de, 's>,
}

impl<'de> SeqAccess<'de> for NodeSeq<'de, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            Some(node) => seed.deserialize(self.de.child(node)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct NodeMap<'de, 's> {
    entries: std::slice::Iter<'s, (Cow<'de, str>, Node<'de>)>,
    value: Option<&'s Node<'de>>,
    de: NodeDe<'de, 's>,
}

impl<'de> MapAccess<'de> for NodeMap<'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(KeyDe { key }).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        match self.value.take() {
            Some(node) => seed.deserialize(self.de.child(node)),
            None => Err(Error::custom("value is missing")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// Bytes of an attachment bound as a sequence, for `Vec<u8>` and friends.
struct ByteSeq<'s> {
    bytes: std::slice::Iter<'s, u8>,
}

impl<'de> SeqAccess<'de> for ByteSeq<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.bytes.next() {
            Some(&byte) => seed.deserialize(U8Deserializer::<Error>::new(byte)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.bytes.len())
    }
}

/// The one-entry map serde_json's `RawValue` visitor reads its text from.
struct RawMap<'de> {
    key_given: bool,
    text: Option<&'de str>,
}

impl<'de> MapAccess<'de> for RawMap<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        if self.key_given {
            return Ok(None);
        }
        self.key_given = true;
        seed.deserialize(BorrowedStrDeserializer::<Error>::new(RAW_VALUE_TOKEN))
            .map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        match self.text.take() {
            Some(text) => seed.deserialize(BorrowedStrDeserializer::<Error>::new(text)),
            None => Err(Error::custom("value is missing")),
        }
    }
}

/// An object member's key, bound like serde_json binds `Value` map keys:
/// numeric and bool targets parse the string.
struct KeyDe<'s, 'de> {
    key: &'s Cow<'de, str>,
}

impl KeyDe<'_, '_> {
    fn numeric<'v, V: Visitor<'v>>(&self, visitor: V, wide: bool) -> Result<V::Value, Error> {
        let key: &str = self.key;
        let well_formed =
            matches!(key.as_bytes().first(), Some(b'0'..=b'9' | b'-')) && !key.ends_with([' ', '\n', '\r', '\t']);
        if !well_formed {
            return Err(Error::custom("expected key to be a number in quotes"));
        }
        if wide {
            if let Ok(n) = key.parse::<u128>() {
                return visitor.visit_u128(n);
            }
            if let Ok(n) = key.parse::<i128>() {
                return visitor.visit_i128(n);
            }
        }
        let number: serde_json::Number = serde_json::from_str(key)?;
        if let Some(n) = number.as_u64() {
            visitor.visit_u64(n)
        } else if let Some(n) = number.as_i64() {
            visitor.visit_i64(n)
        } else if let Some(n) = number.as_f64() {
            visitor.visit_f64(n)
        } else {
            Err(Error::custom("expected key to be a number in quotes"))
        }
    }
}

macro_rules! numeric_key {
    ($wide:expr => $($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.numeric(visitor, $wide)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDe<'_, 'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.key {
            Cow::Borrowed(key) => visitor.visit_borrowed_str(key),
            Cow::Owned(key) => visitor.visit_str(key),
        }
    }

    numeric_key! { false =>
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32 deserialize_f64
    }
    numeric_key! { true => deserialize_i128 deserialize_u128 }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.key.as_ref() {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            other => Err(Error::invalid_type(Unexpected::Str(other), &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // Map keys cannot be null.
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let key: StrDeserializer<'_, Error> = self.key.as_ref().into_deserializer();
        de::Deserializer::deserialize_enum(key, name, variants, visitor)
    }

    forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct
        map struct identifier ignored_any
    }
}

/// `{"Variant": value}` where the value holds a placeholder.
struct NodeEnum<'de, 's> {
    variant: &'s Cow<'de, str>,
    value: NodeDe<'de, 's>,
}

impl<'de, 's> EnumAccess<'de> for NodeEnum<'de, 's> {
    type Error = Error;
    type Variant = NodeDe<'de, 's>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self::Variant), Error> {
        let variant = seed.deserialize(KeyDe { key: self.variant })?;
        Ok((variant, self.value))
    }
}

impl<'de> VariantAccess<'de> for NodeDe<'de, '_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}
