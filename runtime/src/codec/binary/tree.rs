//! JSON text split around its attachment placeholders.
//!
//! Only the paths leading to placeholders are taken apart; every subtree
//! without one stays a slice of the source, so key order, number text and
//! escapes there survive, and binding it is left to serde_json itself.

use std::borrow::Cow;

use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::ser::{Error as _, SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::Error;

use super::RAW_VALUE_TOKEN;

/// One JSON value of a text whose placeholders have been found.
#[derive(Debug)]
pub(crate) enum Node<'a> {
    /// A value with no placeholder inside: its exact source text.
    Text(&'a str),
    /// `{"_placeholder":true,"num":N}`, N checked against the attachments.
    Placeholder {
        /// The object's source text.
        text: &'a str,
        /// Index into the attachments.
        num: usize,
    },
    /// An array with a placeholder somewhere inside.
    Array {
        /// The array's source text.
        text: &'a str,
        /// Its elements.
        items: Vec<Node<'a>>,
    },
    /// An object with a placeholder somewhere inside.
    Object {
        /// The object's source text.
        text: &'a str,
        /// Its members, keys unescaped, in source order.
        entries: Vec<(Cow<'a, str>, Node<'a>)>,
    },
}

impl<'a> Node<'a> {
    /// The value's exact source text.
    pub(crate) fn text(&self) -> &'a str {
        match self {
            Node::Text(text)
            | Node::Placeholder { text, .. }
            | Node::Array { text, .. }
            | Node::Object { text, .. } => text,
        }
    }

    fn is_text(&self) -> bool {
        matches!(self, Node::Text(_))
    }
}

/// Splits `json` around its placeholders. Follows the reference client: an
/// object whose `_placeholder` member is `true` is a placeholder, and its
/// `num` must then index one of the `attachments` or the whole text is
/// refused.
pub(crate) fn parse(json: &str, attachments: usize) -> Result<Node<'_>, Error> {
    // serde_json checks the syntax, so the scanner below only has to find
    // where values start and end (and bound the nesting it recurses into).
    serde_json::from_str::<IgnoredAny>(json)?;
    let mut scanner = Scanner {
        src: json,
        pos: 0,
        depth: 0,
        attachments,
    };
    scanner.value()
}

fn malformed() -> Error {
    serde::de::Error::custom("malformed JSON")
}

/// serde_json's own nesting limit.
const MAX_DEPTH: usize = 128;

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    attachments: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), Error> {
        self.skip_ws();
        if self.peek() != Some(byte) {
            return Err(malformed());
        }
        self.pos += 1;
        Ok(())
    }

    fn since(&self, start: usize) -> Result<&'a str, Error> {
        self.src.get(start..self.pos).ok_or_else(malformed)
    }

    /// A string literal, quotes included.
    fn string(&mut self) -> Result<&'a str, Error> {
        self.skip_ws();
        let start = self.pos;
        if self.peek() != Some(b'"') {
            return Err(malformed());
        }
        self.pos += 1;
        loop {
            match self.peek() {
                // Escapes are ASCII, so skipping one byte past the backslash
                // stays on a character boundary.
                Some(b'\\') => self.pos += 2,
                Some(b'"') => {
                    self.pos += 1;
                    return self.since(start);
                }
                Some(_) => self.pos += 1,
                None => return Err(malformed()),
            }
        }
    }

    fn value(&mut self) -> Result<Node<'a>, Error> {
        if self.depth >= MAX_DEPTH {
            return Err(serde::de::Error::custom("recursion limit exceeded"));
        }
        self.depth += 1;
        let node = self.value_inner();
        self.depth -= 1;
        node
    }

    fn value_inner(&mut self) -> Result<Node<'a>, Error> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value()?);
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(malformed()),
                        }
                    }
                }
                let text = self.since(start)?;
                Ok(if items.iter().all(Node::is_text) {
                    Node::Text(text)
                } else {
                    Node::Array { text, items }
                })
            }
            Some(b'{') => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        let key = unescape(self.string()?)?;
                        self.expect(b':')?;
                        entries.push((key, self.value()?));
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(malformed()),
                        }
                    }
                }
                let text = self.since(start)?;
                self.object(text, entries)
            }
            Some(b'"') => self.string().map(Node::Text),
            Some(_) => {
                while !matches!(
                    self.peek(),
                    None | Some(b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')
                ) {
                    self.pos += 1;
                }
                let text = self.since(start)?;
                if text.is_empty() {
                    return Err(malformed());
                }
                Ok(Node::Text(text))
            }
            None => Err(malformed()),
        }
    }

    fn object(&self, text: &'a str, entries: Vec<(Cow<'a, str>, Node<'a>)>) -> Result<Node<'a>, Error> {
        // Duplicate keys: the last one wins, as in JSON.parse.
        let member = |name: &str| {
            entries
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value)
        };
        if matches!(member("_placeholder"), Some(Node::Text("true"))) {
            let num = match member("num") {
                Some(Node::Text(num)) => num.parse::<usize>().ok(),
                _ => None,
            };
            return match num {
                Some(num) if num < self.attachments => Ok(Node::Placeholder { text, num }),
                _ => Err(serde::de::Error::custom(format_args!(
                    "invalid attachment placeholder {text} ({} attachments)",
                    self.attachments
                ))),
            };
        }
        Ok(if entries.iter().all(|(_, value)| value.is_text()) {
            Node::Text(text)
        } else {
            Node::Object { text, entries }
        })
    }
}

/// The content of a string literal (quotes included in `literal`).
fn unescape(literal: &str) -> Result<Cow<'_, str>, Error> {
    if literal.contains('\\') {
        serde_json::from_str::<String>(literal).map(Cow::Owned)
    } else {
        literal
            .get(1..literal.len().saturating_sub(1))
            .map(Cow::Borrowed)
            .ok_or_else(malformed)
    }
}

/// Serializes a [`Node`]: placeholders as `serialize_bytes` of their
/// attachment, source slices as raw JSON text, the rest member by member
/// (so keys on the way to a placeholder are re-escaped by the serializer).
pub(crate) struct NodeSer<'n, 'a> {
    /// The value.
    pub(crate) node: &'n Node<'a>,
    /// What its placeholders index.
    pub(crate) attachments: &'n [Bytes],
}

impl Serialize for NodeSer<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let child = |node| NodeSer {
            node,
            attachments: self.attachments,
        };
        match self.node {
            Node::Text(text) => RawText(text).serialize(serializer),
            Node::Placeholder { num, .. } => match self.attachments.get(*num) {
                Some(bytes) => serializer.serialize_bytes(bytes),
                None => Err(S::Error::custom("attachment placeholder out of range")),
            },
            Node::Array { items, .. } => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&child(item))?;
                }
                seq.end()
            }
            Node::Object { entries, .. } => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key.as_ref(), &child(value))?;
                }
                map.end()
            }
        }
    }
}

/// JSON text serialized the way serde_json's `RawValue` is, without copying
/// it into one.
struct RawText<'a>(&'a str);

impl Serialize for RawText<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut raw = serializer.serialize_struct(RAW_VALUE_TOKEN, 1)?;
        raw.serialize_field(RAW_VALUE_TOKEN, self.0)?;
        raw.end()
    }
}
