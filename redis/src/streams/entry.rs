//! One stream entry: node's `ClusterMessage` as the fields `uid`, `nsp`,
//! `type` (decimal text) and `data` (JSON text, or base64 of msgpack when
//! the type may carry binary and does).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use fred::prelude::Value;
use rmpv::Value as Mp;

use crate::cluster::messages::{self, Incoming};
use crate::message::{self, Malformed};

/// The fields of an entry of `kind` from server `uid` about namespace
/// `nsp` (node's name), in node's order.
pub(crate) fn fields(kind: u8, uid: &str, nsp: &str, data: Option<&Mp>) -> Vec<(String, String)> {
    let mut fields = vec![
        ("uid".to_owned(), uid.to_owned()),
        ("nsp".to_owned(), nsp.to_owned()),
        ("type".to_owned(), kind.to_string()),
    ];
    if let Some(data) = data {
        let text = if messages::binary_form(kind, data) {
            BASE64.encode(message::encode(data))
        } else {
            // Without binary every value has a JSON form.
            message::to_plain_json(data).unwrap_or_default()
        };
        fields.push(("data".to_owned(), text));
    }
    fields
}

/// An entry as Redis returns it: `[id, [field, value, ...]]` (or a map of
/// the fields, RESP3).
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) id: String,
    pub(crate) fields: Vec<(String, String)>,
}

impl Entry {
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Reads `[id, fields]`; fields that are not text are left out.
    pub(crate) fn from_value(value: Value) -> Result<Entry, Malformed> {
        let Value::Array(mut parts) = value else {
            return Err("an entry is not an array".to_owned());
        };
        if parts.len() != 2 {
            return Err("an entry is not [id, fields]".to_owned());
        }
        let fields = parts.pop().unwrap_or(Value::Null);
        let id = parts
            .pop()
            .and_then(|id| id.into_string())
            .ok_or("the entry id is not text")?;
        let text = |v: Value| v.into_string();
        let fields = match fields {
            Value::Array(flat) => {
                let mut pairs = Vec::with_capacity(flat.len() / 2);
                let mut items = flat.into_iter();
                while let (Some(k), Some(v)) = (items.next(), items.next()) {
                    if let (Some(k), Some(v)) = (text(k), text(v)) {
                        pairs.push((k, v));
                    }
                }
                pairs
            }
            Value::Map(map) => map
                .inner()
                .into_iter()
                .filter_map(|(k, v)| Some((k.into_string()?, text(v)?)))
                .collect(),
            Value::Null => Vec::new(),
            _ => return Err("the entry fields are not a list".to_owned()),
        };
        Ok(Entry { id, fields })
    }

    /// The message the entry carries; node skips entries without `nsp`.
    pub(crate) fn message(&self) -> Result<Incoming, Malformed> {
        let kind: u8 = self
            .field("type")
            .and_then(|t| t.trim().parse().ok())
            .ok_or("no message type")?;
        let mut entries = vec![(Mp::from("type"), Mp::from(kind))];
        for name in ["uid", "nsp"] {
            if let Some(value) = self.field(name) {
                entries.push((Mp::from(name), Mp::from(value)));
            }
        }
        if let Some(data) = self.field("data").filter(|d| !d.is_empty()) {
            let data: Mp = if data.starts_with('{') {
                serde_json::from_str(data).map_err(|e| e.to_string())?
            } else {
                let bytes = BASE64.decode(data).map_err(|e| e.to_string())?;
                message::decode(&bytes)?
            };
            entries.push((Mp::from("data"), data));
        }
        messages::read(&Mp::Map(entries))
    }
}

/// A stream id `ms-seq`, as node checks a client's offset.
pub(crate) fn is_offset(text: &str) -> bool {
    text.split_once('-').is_some_and(|(ms, seq)| {
        !ms.is_empty() && !seq.is_empty() && (ms.bytes().chain(seq.bytes())).all(|b| b.is_ascii_digit())
    })
}

/// The id right after `offset` (exclusive ranges need Redis 6.2; node
/// counts up instead, and so does this).
pub(crate) fn next_offset(offset: &str) -> Option<String> {
    let (ms, seq) = offset.split_once('-')?;
    let seq: u64 = seq.parse().ok()?;
    Some(format!("{ms}-{}", seq.checked_add(1)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::messages::{Message, kind, map};

    fn entry(fields: Vec<(String, String)>) -> Entry {
        Entry {
            id: "1-0".to_owned(),
            fields,
        }
    }

    #[test]
    fn json_unless_binary_and_both_read_back() {
        let opts = message::opts_value(&["r".to_owned()], &[], Vec::new());
        let packet = message::packet_value("/", vec![Mp::from("ev"), Mp::from(1)]);
        let data = map(vec![("packet", packet), ("opts", opts.clone())]);
        let fields = fields(kind::BROADCAST, "u1", "/", Some(&data));
        assert_eq!(
            fields,
            [
                ("uid".to_owned(), "u1".to_owned()),
                ("nsp".to_owned(), "/".to_owned()),
                ("type".to_owned(), "3".to_owned()),
                (
                    "data".to_owned(),
                    r#"{"packet":{"type":2,"data":["ev",1],"nsp":"/"},"opts":{"rooms":["r"],"except":[],"flags":{}}}"#
                        .to_owned()
                ),
            ]
        );
        let back = entry(fields).message().expect("reads");
        assert_eq!((back.uid.as_deref(), back.nsp.as_deref()), (Some("u1"), Some("/")));
        assert!(matches!(back.message, Message::Broadcast { request_id: None, ref opts, .. } if opts.rooms == ["r"]));

        let packet = message::packet_value("/", vec![Mp::from("ev"), Mp::Binary(vec![1, 2])]);
        let data = map(vec![("packet", packet), ("opts", opts)]);
        let fields = super::fields(kind::BROADCAST, "u1", "/", Some(&data));
        let text = &fields[3].1;
        assert!(!text.starts_with('{'));
        assert_eq!(
            message::decode(&BASE64.decode(text).expect("base64")).expect("msgpack"),
            data
        );
        let back = entry(fields).message().expect("reads");
        let Message::Broadcast { packet, .. } = back.message else {
            panic!("a broadcast")
        };
        let socketio::BroadcastPacket::Event { args, .. } = packet.event else {
            panic!("an event")
        };
        assert_eq!(args.attachments().len(), 1);

        // Join requests never take the binary form.
        let join = map(vec![
            ("opts", message::opts_value(&[], &[], Vec::new())),
            ("rooms", Mp::Array(vec![])),
        ]);
        assert!(
            super::fields(kind::SOCKETS_JOIN, "u", "/", Some(&join))[3]
                .1
                .starts_with('{')
        );
    }

    #[test]
    fn garbage_is_refused() {
        let f = |pairs: &[(&str, &str)]| entry(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect());
        for bad in [
            f(&[]),
            f(&[("type", "x")]),
            f(&[("uid", "u"), ("nsp", "/"), ("type", "3"), ("data", "{")]),
            f(&[("uid", "u"), ("nsp", "/"), ("type", "3"), ("data", "!!notbase64")]),
            f(&[("uid", "u"), ("nsp", "/"), ("type", "3"), ("data", "{}")]),
            f(&[("uid", "u"), ("nsp", "/"), ("type", "77")]),
        ] {
            assert!(bad.message().is_err(), "{bad:?}");
        }
        assert!(Entry::from_value(Value::from("x")).is_err());
        let ok = Entry::from_value(Value::Array(vec![
            Value::from("5-1"),
            Value::Array(vec![Value::from("uid"), Value::from("u")]),
        ]))
        .expect("an entry");
        assert_eq!((ok.id.as_str(), ok.field("uid")), ("5-1", Some("u")));
    }

    #[test]
    fn offsets_are_checked_and_counted_as_node_does() {
        assert!(is_offset("1700000000000-0"));
        for bad in ["", "1-", "-1", "1", "a-1", "1-2-3", "$", "+"] {
            assert!(!is_offset(bad), "{bad}");
        }
        assert_eq!(next_offset("17-4").as_deref(), Some("17-5"));
    }
}
