//! Support for the code `#[socketio::handler]` and `#[socketio::emits]`
//! generate. Not a public API: it may change in any release.

#![allow(missing_docs)]

use std::any::{Any, TypeId};
use std::borrow::Cow;

use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::RawJson;
use crate::{DispatchError, EmitArgs, Event, Reply};

/// Binds one event's arguments to a method's parameters: positionally, or
/// by keyword when the client sent exactly one non-empty object whose keys
/// all name parameters (TornadIO2's `**kwargs` unpacking).
#[derive(Debug)]
pub struct Binder<'a> {
    event: &'a Event,
    keywords: Option<Vec<(Cow<'a, str>, &'a RawValue)>>,
}

fn bad(event: &Event, message: String) -> DispatchError {
    DispatchError::BadArguments {
        event: event.name.clone(),
        message,
    }
}

impl<'a> Binder<'a> {
    /// `params` are the bindable parameter names in order; `positional`
    /// turns keyword unpacking off.
    pub fn new(event: &'a Event, params: &[&str], positional: bool) -> Self {
        let keywords = if positional || params.is_empty() {
            None
        } else {
            Self::keywords(event, params)
        };
        Self { event, keywords }
    }

    fn keywords(event: &'a Event, params: &[&str]) -> Option<Vec<(Cow<'a, str>, &'a RawValue)>> {
        let [only] = event.args.as_slice() else { return None };
        if !only.get().starts_with('{') {
            return None;
        }
        let mut json = serde_json::Deserializer::from_str(only.get());
        let found = KeywordProbe { params }.deserialize(&mut json).ok()?;
        (!found.is_empty()).then_some(found)
    }

    /// Whether the arguments are bound by keyword.
    pub fn is_keyword(&self) -> bool {
        self.keywords.is_some()
    }

    fn raw(&self, index: usize, name: &str) -> Option<&'a RawValue> {
        match &self.keywords {
            // The last of duplicate keys wins, as in a JSON object read into a map.
            Some(keywords) => keywords.iter().rev().find(|(key, _)| key == name).map(|(_, raw)| *raw),
            None => self.event.args.get(index).map(RawJson::as_raw),
        }
    }

    fn parse<T: EventArgument>(&self, raw: &RawValue, name: &str) -> Result<T, DispatchError> {
        let bound = if self.event.attachments.is_empty() {
            T::from_json(raw)
        } else {
            T::from_json_with_attachments(raw.get(), &self.event.attachments)
        };
        bound.map_err(|error| bad(self.event, format!("argument `{name}`: {error}")))
    }

    /// A parameter that must be present.
    pub fn required<T: EventArgument>(&self, index: usize, name: &str) -> Result<T, DispatchError> {
        match self.raw(index, name) {
            Some(raw) => self.parse(raw, name),
            None => Err(bad(self.event, format!("missing argument `{name}`"))),
        }
    }

    /// An `Option<T>` parameter: missing (or `null`) is `None`.
    pub fn optional<T: EventArgument>(&self, index: usize, name: &str) -> Result<Option<T>, DispatchError> {
        match self.raw(index, name) {
            Some(raw) if raw.get() != "null" => self.parse(raw, name).map(Some),
            _ => Ok(None),
        }
    }

    /// Every positional argument from `index` on, each parsed.
    fn positional_from<T: EventArgument>(&self, index: usize, name: &str) -> Result<Vec<T>, DispatchError> {
        let args = self.event.args.get(index..).unwrap_or_default();
        args.iter().map(|raw| self.parse(raw.as_raw(), name)).collect()
    }

    /// Refuses arguments beyond the `count` parameters.
    pub fn finish(&self, count: usize) -> Result<(), DispatchError> {
        if self.keywords.is_none() && self.event.args.len() > count {
            return Err(bad(
                self.event,
                format!("expected at most {count} argument(s), got {}", self.event.args.len()),
            ));
        }
        Ok(())
    }
}

/// A `#[rest]` parameter, bound after every other one: each positional
/// argument from `index` on (none when the arguments were bound by
/// `keyword`). A `Vec<RawJson>` (an echo, a relay) takes them out of the
/// event as they are, without a copy; the event is not read afterwards.
pub fn rest<T: EventArgument + 'static>(
    event: &mut Event,
    keyword: bool,
    index: usize,
    name: &str,
) -> Result<Vec<T>, DispatchError> {
    if keyword {
        return Ok(Vec::new());
    }
    // With attachments the copy path re-reads each argument's placeholders.
    if TypeId::of::<T>() == TypeId::of::<RawJson>() && event.attachments.is_empty() {
        // `split_off(0)` would leave a new buffer of the same size behind.
        let args = match index {
            0 => std::mem::take(&mut event.args),
            _ => event.args.split_off(index.min(event.args.len())),
        };
        let mut slot = Some(args);
        if let Some(args) = (&mut slot as &mut dyn Any)
            .downcast_mut::<Option<Vec<T>>>()
            .and_then(Option::take)
        {
            return Ok(args);
        }
    }
    Binder::new(event, &[], true).positional_from(index, name)
}

/// Reads an object's entries when every key names a parameter, and stops
/// at the first key that does not (most objects are one whole argument):
/// no key is copied unless it has escapes, no value is parsed.
struct KeywordProbe<'p> {
    params: &'p [&'p str],
}

impl<'de> DeserializeSeed<'de> for KeywordProbe<'_> {
    type Value = Vec<(Cow<'de, str>, &'de RawValue)>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeywordProbe<'_> {
    type Value = Vec<(Cow<'de, str>, &'de RawValue)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object whose keys name parameters")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut found = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            if !self.params.contains(&key.as_ref()) {
                return Err(serde::de::Error::custom("not a parameter"));
            }
            found.push((key, map.next_value()?));
        }
        Ok(found)
    }
}

/// An object key, borrowed from the input when it has no escapes.
#[derive(Deserialize)]
#[serde(transparent)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// A handler's return value as one ack argument.
pub fn reply_one<T: AckValue + ?Sized>(event: &str, value: &T) -> Result<Reply, DispatchError> {
    value.to_reply().map_err(|error| DispatchError::Failed {
        event: event.to_owned(),
        message: error.to_string(),
    })
}

/// A handler's tuple return value as several ack arguments.
pub fn reply_args<A: EmitArgs>(event: &str, args: A) -> Result<Reply, DispatchError> {
    Reply::with_args(args).map_err(|error| DispatchError::Failed {
        event: event.to_owned(),
        message: error.to_string(),
    })
}

/// A handler's `Err` as an error reply to the client.
pub fn reply_error<E: EventError>(event: &str, error: E) -> DispatchError {
    DispatchError::Failed {
        event: event.to_owned(),
        message: error.describe(),
    }
}

/// An event method's `Result`, however it is spelled (`io::Result<T>`, a
/// crate's own `Result<T>` alias): the macro sees one generic argument and
/// cannot name the error type, so the split goes through this trait.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is named `Result` but is not a `std::result::Result`",
    label = "an event method's `Result` answers the ack with `Ok` and reports `Err` as an error",
    note = "return `std::result::Result<T, E>` or an alias of it"
)]
pub trait EventResult {
    type Ok;
    type Err;
    fn into_result(self) -> Result<Self::Ok, Self::Err>;
}
impl<T, E> EventResult for Result<T, E> {
    type Ok = T;
    type Err = E;
    fn into_result(self) -> Self {
        self
    }
}

/// Bounds checked at each parameter's span, so a type that cannot be
/// bound is reported where it is written.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an event argument",
    label = "event arguments are deserialized from JSON",
    note = "derive or implement `serde::Deserialize` for it, and use an owned type (`String`, not `&str`)"
)]
pub trait EventArgument: Sized {
    fn from_json(raw: &RawValue) -> Result<Self, serde_json::Error>;
    /// Placeholders in `text` bind to byte types.
    fn from_json_with_attachments(
        text: &str,
        attachments: &std::sync::Arc<[bytes::Bytes]>,
    ) -> Result<Self, serde_json::Error>;
}
impl<T: DeserializeOwned + 'static> EventArgument for T {
    fn from_json(raw: &RawValue) -> Result<Self, serde_json::Error> {
        // A `RawJson` parameter (an echo, a relay) takes the text as it is:
        // the packet decoder already validated it, so no second parse.
        if TypeId::of::<Self>() == TypeId::of::<RawJson>() {
            let mut slot = Some(RawJson::from(raw.to_owned()));
            let copied = (&mut slot as &mut dyn Any).downcast_mut::<Option<Self>>();
            if let Some(value) = copied.and_then(Option::take) {
                return Ok(value);
            }
        }
        serde_json::from_str(raw.get())
    }

    fn from_json_with_attachments(
        text: &str,
        attachments: &std::sync::Arc<[bytes::Bytes]>,
    ) -> Result<Self, serde_json::Error> {
        crate::codec::binary::from_str_with_shared_attachments(text, attachments)
    }
}

/// A bare `Event` or `Message` event argument: a type of the user's own,
/// or socketio's taken where its hook is not.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an event argument",
    label = "a bare `Event` or `Message` here is an event argument, deserialized from JSON",
    note = "only the `#[fallback]` method takes the whole `socketio::Event`, and only `on_message` takes a `socketio::Message`; a type of your own needs `serde::Deserialize`"
)]
pub trait NamedLikeSpecial: EventArgument {}
impl<T: EventArgument> NamedLikeSpecial for T {}

/// [`Binder::required`] for a [`NamedLikeSpecial`] argument.
pub fn required_named_like_special<T: NamedLikeSpecial>(
    binder: &Binder<'_>,
    index: usize,
    name: &str,
) -> Result<T, DispatchError> {
    binder.required(index, name)
}

/// Checked at the return type's span.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot answer an ack",
    label = "an event method's return value is sent to the client as JSON",
    note = "return a type that implements `serde::Serialize`, a tuple of them, `()`, or `Result` of those"
)]
pub trait AckValue {
    fn to_reply(&self) -> Result<Reply, serde_json::Error>;
}
impl<T: Serialize + ?Sized> AckValue for T {
    fn to_reply(&self) -> Result<Reply, serde_json::Error> {
        Reply::with_args((self,))
    }
}

/// Checked at an `Err` type's span.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an event error",
    label = "the error of an event method is reported to the client as text",
    note = "use an error type that implements `std::fmt::Display`"
)]
pub trait EventError {
    fn describe(&self) -> String;
}
impl<T: std::fmt::Display> EventError for T {
    fn describe(&self) -> String {
        self.to_string()
    }
}

/// The answer of a typed acked emit: one value, or a tuple for several.
pub fn ack_one<T: DeserializeOwned>(response: &crate::AckResponse) -> Result<T, crate::AckError> {
    response
        .parse::<(T,)>()
        .map(|(value,)| value)
        .map_err(|e| crate::AckError::BadAnswer(e.to_string()))
}

/// The answer of a typed acked emit whose type is a tuple.
pub fn ack_tuple<T: DeserializeOwned>(response: &crate::AckResponse) -> Result<T, crate::AckError> {
    response
        .parse::<T>()
        .map_err(|e| crate::AckError::BadAnswer(e.to_string()))
}

/// Checked at each typed-emit argument's span.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an emitted argument",
    label = "emitted arguments are serialized to JSON",
    note = "derive or implement `serde::Serialize` for it"
)]
pub trait EmitArgument {}
impl<T: Serialize + ?Sized> EmitArgument for T {}

pub fn assert_emit_argument<T: EmitArgument + ?Sized>() {}

/// What typed acked emits can be sent through: one connection.
#[diagnostic::on_unimplemented(
    message = "an acked emit needs one connection (`Ctx`), not `{Self}`",
    label = "only a single client can answer an ack",
    note = "emit to the group with the `emit_` method, or ask each connection through its `Ctx`"
)]
pub trait AckTarget {
    fn ctx(&self) -> &crate::Ctx;
}

impl AckTarget for crate::Ctx {
    fn ctx(&self) -> &crate::Ctx {
        self
    }
}

/// Starts an acked emit now; the returned future owns everything it needs.
pub fn emit_with_ack<A: EmitArgs>(
    cx: &crate::Ctx,
    name: &str,
    args: A,
) -> impl std::future::Future<Output = Result<crate::AckResponse, crate::AckError>> + Send + 'static {
    let cx = cx.clone();
    let name = name.to_owned();
    let args = crate::core::write_args_json(&args);
    async move { cx.emit_json_with_ack(&name, args?).await }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(args: &[&str]) -> Event {
        let args = args
            .iter()
            .map(|a| RawJson::from_string((*a).to_owned()).expect("valid"))
            .collect();
        Event::new("e", args)
    }

    #[test]
    fn keywords_bind_escaped_and_duplicate_keys_like_a_map() {
        let event = event(&[r#"{"\u0061":1,"b":2,"b":5}"#]);
        let binder = Binder::new(&event, &["a", "b"], false);
        assert!(binder.is_keyword());
        assert_eq!(binder.required::<i64>(0, "a").expect("bound"), 1);
        assert_eq!(
            binder.required::<i64>(1, "b").expect("bound"),
            5,
            "the last duplicate wins"
        );
    }

    #[test]
    fn an_object_with_a_key_that_is_no_parameter_is_one_argument() {
        let whole = event(&[r#"{"a":1,"zzz":[1,2,3],"b":2}"#]);
        let binder = Binder::new(&whole, &["a", "b"], false);
        assert!(!binder.is_keyword());
        let whole: serde_json::Value = binder.required(0, "a").expect("the whole object");
        assert_eq!(whole["zzz"], serde_json::json!([1, 2, 3]));
        let empty = event(&["{}"]);
        assert!(!Binder::new(&empty, &["a"], false).is_keyword(), "empty: positional");
    }

    #[test]
    fn raw_json_parameters_take_the_text_as_it_came() {
        let text = r#"{"b":1,"a":12345678901234567890123,"s":"\u00e9"}"#;
        let mut event = event(&[text, "2"]);
        let binder = Binder::new(&event, &["args"], true);
        assert_eq!(binder.required::<u8>(1, "n").expect("bound"), 2);
        let args = rest::<RawJson>(&mut event, false, 0, "args").expect("bound");
        assert_eq!(args.iter().map(RawJson::get).collect::<Vec<_>>(), [text, "2"]);
    }

    #[test]
    fn a_rest_parameter_takes_what_follows_its_index() {
        let mut raw = event(&["\"first\"", "[1]", "{}"]);
        let moved = rest::<RawJson>(&mut raw, false, 1, "rest").expect("bound");
        assert_eq!(moved.iter().map(RawJson::get).collect::<Vec<_>>(), ["[1]", "{}"]);
        assert_eq!(raw.args.len(), 1, "the leading argument stays");
        let mut past = event(&["1"]);
        assert!(rest::<RawJson>(&mut past, false, 3, "rest").expect("bound").is_empty());
        let mut typed = event(&["1", "2", "3"]);
        assert_eq!(rest::<u8>(&mut typed, false, 1, "rest").expect("bound"), [2, 3]);
        let error = rest::<u8>(&mut event(&["1", "\"x\""]), false, 0, "n").expect_err("a string");
        assert!(error.to_string().contains("argument `n`"), "{error}");
        let mut keyword = event(&[r#"{"a":1}"#]);
        assert!(
            rest::<RawJson>(&mut keyword, true, 0, "rest")
                .expect("bound")
                .is_empty()
        );
        assert_eq!(keyword.args.len(), 1, "nothing taken when bound by keyword");
    }
}
