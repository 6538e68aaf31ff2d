//! Support for the code `#[socketio::handler]` and `#[socketio::emits]`
//! generate. Not a public API: it may change in any release.

#![allow(missing_docs)]

use std::collections::HashMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::handler::{DispatchError, EmitArgs, Event, Reply};

/// Binds one event's arguments to a method's parameters: positionally, or
/// by keyword when the client sent exactly one non-empty object whose keys
/// all name parameters (TornadIO2's `**kwargs` unpacking).
#[derive(Debug)]
pub struct Binder<'a> {
    event: &'a Event,
    keywords: Option<HashMap<String, &'a RawValue>>,
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

    fn keywords(event: &'a Event, params: &[&str]) -> Option<HashMap<String, &'a RawValue>> {
        let [only] = event.args.as_slice() else { return None };
        if !only.get().starts_with('{') {
            return None;
        }
        let object: HashMap<String, &'a RawValue> = serde_json::from_str(only.get()).ok()?;
        let all_named = !object.is_empty() && object.keys().all(|key| params.contains(&key.as_str()));
        all_named.then_some(object)
    }

    /// Whether the arguments are bound by keyword.
    pub fn is_keyword(&self) -> bool {
        self.keywords.is_some()
    }

    fn raw(&self, index: usize, name: &str) -> Option<&'a str> {
        match &self.keywords {
            Some(keywords) => keywords.get(name).map(|raw| raw.get()),
            None => self.event.args.get(index).map(|raw| raw.get()),
        }
    }

    fn parse<T: EventArgument>(&self, text: &str, name: &str) -> Result<T, DispatchError> {
        let bound = if self.event.attachments.is_empty() {
            T::from_json(text)
        } else {
            T::from_json_with_attachments(text, &self.event.attachments)
        };
        bound.map_err(|error| bad(self.event, format!("argument `{name}`: {error}")))
    }

    /// A parameter that must be present.
    pub fn required<T: EventArgument>(&self, index: usize, name: &str) -> Result<T, DispatchError> {
        match self.raw(index, name) {
            Some(text) => self.parse(text, name),
            None => Err(bad(self.event, format!("missing argument `{name}`"))),
        }
    }

    /// An `Option<T>` parameter: missing (or `null`) is `None`.
    pub fn optional<T: EventArgument>(&self, index: usize, name: &str) -> Result<Option<T>, DispatchError> {
        match self.raw(index, name) {
            Some("null") | None => Ok(None),
            Some(text) => self.parse(text, name).map(Some),
        }
    }

    /// A `#[rest]` parameter: every positional argument from `index` on.
    pub fn rest<T: EventArgument>(&self, index: usize, name: &str) -> Result<Vec<T>, DispatchError> {
        if self.keywords.is_some() {
            return Ok(Vec::new());
        }
        let args = self.event.args.get(index..).unwrap_or_default();
        args.iter().map(|raw| self.parse(raw.get(), name)).collect()
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

/// Bounds checked at each parameter's span, so a type that cannot be
/// bound is reported where it is written.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an event argument",
    label = "event arguments are deserialized from JSON",
    note = "derive or implement `serde::Deserialize` for it, and use an owned type (`String`, not `&str`)"
)]
pub trait EventArgument: Sized {
    fn from_json(text: &str) -> Result<Self, serde_json::Error>;
    /// Placeholders in `text` bind to byte types.
    fn from_json_with_attachments(
        text: &str,
        attachments: &std::sync::Arc<[bytes::Bytes]>,
    ) -> Result<Self, serde_json::Error>;
}
impl<T: DeserializeOwned> EventArgument for T {
    fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    fn from_json_with_attachments(
        text: &str,
        attachments: &std::sync::Arc<[bytes::Bytes]>,
    ) -> Result<Self, serde_json::Error> {
        crate::binary::from_str_with_shared_attachments(text, attachments)
    }
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
    let args = crate::handler::write_args_json(&args);
    async move { cx.emit_json_with_ack(&name, args?).await }
}
