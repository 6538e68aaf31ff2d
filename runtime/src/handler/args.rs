use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::codec::legacy::RawJson;

/// Arguments of an emitted event or an ack: a tuple of `Serialize` values
/// (`("a", 1)`, `(x,)`, `()`), a slice, `Vec` or array of them. Each element
/// becomes one positional argument on the client.
///
/// ```
/// use socketio::Reply;
///
/// let two = Reply::with_args(("a", 1)).unwrap();
/// assert_eq!(two.args_json(), Some(r#"["a",1]"#));
/// let many = Reply::with_args(vec![1, 2, 3]).unwrap();
/// assert_eq!(many.args_json(), Some("[1,2,3]"));
/// ```
pub trait EmitArgs {
    /// Writes the arguments as one JSON array.
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error>;
}

pub(crate) fn write_args<A: EmitArgs + ?Sized>(args: &A) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(64);
    args.write_json(&mut out)?;
    // serde_json only ever writes UTF-8.
    String::from_utf8(out).map_err(|e| serde::ser::Error::custom(e.to_string()))
}

pub(crate) fn write_args_json<A: EmitArgs + ?Sized>(args: &A) -> Result<String, crate::AckError> {
    write_args(args).map_err(|e| crate::AckError::Serialize(e.to_string()))
}

fn write_seq<'a, T: Serialize + 'a>(
    items: impl Iterator<Item = &'a T>,
    out: &mut Vec<u8>,
) -> Result<(), serde_json::Error> {
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, item)?;
    }
    out.push(b']');
    Ok(())
}

impl<T: Serialize> EmitArgs for [T] {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        write_seq(self.iter(), out)
    }
}

impl<T: Serialize> EmitArgs for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        write_seq(self.iter(), out)
    }
}

impl<T: Serialize, const N: usize> EmitArgs for [T; N] {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        write_seq(self.iter(), out)
    }
}

impl<A: EmitArgs + ?Sized> EmitArgs for &A {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        (**self).write_json(out)
    }
}

impl EmitArgs for () {
    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        out.extend_from_slice(b"[]");
        Ok(())
    }
}

macro_rules! tuple_args {
    ($first:ident $($name:ident)*) => {
        impl<$first: Serialize, $($name: Serialize),*> EmitArgs for ($first, $($name,)*) {
            #[allow(non_snake_case)]
            fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
                let ($first, $($name,)*) = self;
                out.push(b'[');
                serde_json::to_writer(&mut *out, $first)?;
                $(
                    out.push(b',');
                    serde_json::to_writer(&mut *out, $name)?;
                )*
                out.push(b']');
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
        serde_json::from_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<A: EmitArgs + ?Sized>(a: &A) -> String {
        write_args(a).expect("serializable")
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
