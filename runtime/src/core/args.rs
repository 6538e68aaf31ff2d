use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::binary::{BytesMode, JsonWriter, from_str_with_shared_attachments};
use crate::codec::legacy::RawJson;

/// Arguments of an emitted event or an ack: a tuple of `Serialize` values
/// (`("a", 1)`, `(x,)`, `()`), a slice, `Vec` or array of them. Each element
/// becomes one positional argument on the client. Bytes (`bytes::Bytes`,
/// `serde_bytes`, anywhere in a value) travel as binary attachments to modern
/// clients and as base64 strings to legacy ones.
///
/// ```
/// use socketio::Reply;
///
/// let two = Reply::with_args(("a", 1)).unwrap();
/// assert_eq!(two.args_json(), Some(r#"["a",1]"#));
/// let many = Reply::with_args(vec![1, 2, 3]).unwrap();
/// assert_eq!(many.args_json(), Some("[1,2,3]"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the arguments of an emit",
    label = "emit arguments are a tuple, slice, `Vec` or array of `Serialize` values",
    note = "one argument is a one-element tuple: write `(value,)`; no arguments is `()`"
)]
pub trait EmitArgs {
    /// Writes each argument with [`ArgsWriter::arg`], in order.
    fn write_args(&self, out: &mut ArgsWriter) -> Result<(), serde_json::Error>;
}

/// Receives the positional arguments of an emit, for [`EmitArgs`].
#[derive(Debug)]
pub struct ArgsWriter {
    writer: JsonWriter,
    count: usize,
}

impl ArgsWriter {
    /// Appends one argument.
    pub fn arg<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), serde_json::Error> {
        if self.count > 0 {
            self.writer.push_raw(b",");
        }
        self.writer.write(value)?;
        self.count += 1;
        Ok(())
    }
}

/// One shared empty list: an `Arc<[Bytes]>` of its own would cost an
/// allocation per event, and almost no event has attachments.
pub(crate) fn no_attachments() -> Arc<[Bytes]> {
    static EMPTY: std::sync::OnceLock<Arc<[Bytes]>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Arc::from([])).clone()
}

/// Arguments serialized once for every protocol: a JSON array in which
/// bytes are placeholders (`{"_placeholder":true,"num":N}`), and the
/// attachments they stand for. What an [`crate::Adapter`] carries to
/// other servers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncodedArgs {
    pub(crate) json: String,
    pub(crate) attachments: Arc<[Bytes]>,
}

impl EncodedArgs {
    /// Serializes `args` (see [`EmitArgs`]).
    pub fn new<A: EmitArgs + ?Sized>(args: &A) -> Result<Self, serde_json::Error> {
        let mut out = ArgsWriter {
            writer: JsonWriter::new(BytesMode::Attachments),
            count: 0,
        };
        out.writer.push_raw(b"[");
        args.write_args(&mut out)?;
        out.writer.push_raw(b"]");
        let (json, attachments) = out.writer.finish();
        let attachments = if attachments.is_empty() {
            no_attachments()
        } else {
            attachments.into()
        };
        Ok(Self { json, attachments })
    }

    /// Arguments already serialized: `json` must be a JSON array whose
    /// placeholders index `attachments`.
    pub fn from_parts(json: RawJson, attachments: Vec<Bytes>) -> Result<Self, serde_json::Error> {
        if !json.get().starts_with('[') {
            return Err(serde::de::Error::custom("arguments must be a JSON array"));
        }
        let attachments = if attachments.is_empty() {
            no_attachments()
        } else {
            attachments.into()
        };
        Ok(Self {
            json: json.get().to_owned(),
            attachments,
        })
    }

    /// The JSON array.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The binary attachments its placeholders index.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// `[]`.
    pub(crate) fn empty() -> Self {
        Self {
            json: "[]".to_owned(),
            attachments: no_attachments(),
        }
    }

    /// The array for a legacy client, which has no binary frames: bytes
    /// become base64 strings.
    pub(crate) fn legacy_json(&self) -> Cow<'_, str> {
        if self.attachments.is_empty() {
            return Cow::Borrowed(&self.json);
        }
        let base64 = RawJson::from_string(self.json.clone()).and_then(|raw| {
            let raw = raw.with_attachments(self.attachments.clone());
            let mut writer = JsonWriter::new(BytesMode::Base64);
            writer.write(&raw)?;
            Ok(writer.finish().0)
        });
        // The text came from our own writer, so it always parses.
        Cow::Owned(base64.unwrap_or_else(|_| self.json.clone()))
    }
}

pub(crate) fn write_args_json<A: EmitArgs + ?Sized>(args: &A) -> Result<EncodedArgs, crate::AckError> {
    EncodedArgs::new(args).map_err(|e| crate::AckError::Serialize(e.to_string()))
}

fn write_seq<'a, T: Serialize + 'a>(
    items: impl Iterator<Item = &'a T>,
    out: &mut ArgsWriter,
) -> Result<(), serde_json::Error> {
    items.into_iter().try_for_each(|item| out.arg(item))
}

impl<T: Serialize> EmitArgs for [T] {
    fn write_args(&self, out: &mut ArgsWriter) -> Result<(), serde_json::Error> {
        write_seq(self.iter(), out)
    }
}

impl<T: Serialize> EmitArgs for Vec<T> {
    fn write_args(&self, out: &mut ArgsWriter) -> Result<(), serde_json::Error> {
        write_seq(self.iter(), out)
    }
}

impl<T: Serialize, const N: usize> EmitArgs for [T; N] {
    fn write_args(&self, out: &mut ArgsWriter) -> Result<(), serde_json::Error> {
        write_seq(self.iter(), out)
    }
}

impl<A: EmitArgs + ?Sized> EmitArgs for &A {
    fn write_args(&self, out: &mut ArgsWriter) -> Result<(), serde_json::Error> {
        (**self).write_args(out)
    }
}

impl EmitArgs for () {
    fn write_args(&self, _out: &mut ArgsWriter) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

macro_rules! tuple_args {
    ($($name:ident)+) => {
        impl<$($name: Serialize),+> EmitArgs for ($($name,)+) {
            #[allow(non_snake_case)]
            fn write_args(&self, out: &mut ArgsWriter) -> Result<(), serde_json::Error> {
                let ($($name,)+) = self;
                $(out.arg($name)?;)+
                Ok(())
            }
        }
    };
}

tuple_args!(A);
tuple_args!(A B);
tuple_args!(A B C);
tuple_args!(A B C D);
tuple_args!(A B C D E);
tuple_args!(A B C D E F);
tuple_args!(A B C D E F G);
tuple_args!(A B C D E F G H);
tuple_args!(A B C D E F G H I);
tuple_args!(A B C D E F G H I J);
tuple_args!(A B C D E F G H I J K);
tuple_args!(A B C D E F G H I J K L);

/// The client's answer to an acked emit: its arguments, each as exact JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AckResponse {
    /// The arguments the client's callback was called with.
    pub args: Vec<RawJson>,
}

impl AckResponse {
    /// Binds the arguments to a type that deserializes from a JSON array,
    /// typically a tuple: `let (a, b): (String, i64) = resp.parse()?`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        let mut text = String::from("[");
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(arg.get());
        }
        text.push(']');
        // The arguments of one binary ack share its attachment list.
        match self.args.iter().find_map(RawJson::shared_attachments) {
            Some(attachments) => from_str_with_shared_attachments(&text, attachments),
            None => serde_json::from_str(&text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<A: EmitArgs + ?Sized>(a: &A) -> String {
        EncodedArgs::new(a).expect("serializable").json
    }

    #[test]
    fn tuples_write_positional_arrays() {
        assert_eq!(text(&()), "[]");
        assert_eq!(text(&(1,)), "[1]");
        assert_eq!(text(&("a", 2, true)), r#"["a",2,true]"#);
        assert_eq!(text(&vec![1, 2]), "[1,2]");
        assert_eq!(
            text(&[RawJson::from_string("{\"b\":1,\"a\":2}".into()).expect("json")][..]),
            r#"[{"b":1,"a":2}]"#
        );
    }

    #[test]
    fn ack_response_parses_into_a_tuple() {
        let resp = AckResponse {
            args: vec![
                RawJson::from_string("\"x\"".into()).expect("json"),
                RawJson::from_string("3".into()).expect("json"),
            ],
        };
        let (a, b): (String, i64) = resp.parse().expect("binds");
        assert_eq!((a.as_str(), b), ("x", 3));
    }
}
