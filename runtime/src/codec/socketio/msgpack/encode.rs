//! JSON texts with placeholders and attachments in, MessagePack packets out.

use std::fmt;

use bytes::Bytes;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::codec::binary::tree::{self, Node};
use crate::codec::legacy::RawJson;
use crate::codec::socketio::packet::Packet;

use super::{ACK, CONNECT, CONNECT_ERROR, DISCONNECT, EVENT};

/// A MessagePack writer with the compact forms notepack.io picks.
struct Writer(Vec<u8>);

impl Writer {
    fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    fn header(&mut self, len: usize, fix: u8, fix_max: usize, m16: u8, m32: u8) {
        if len <= fix_max {
            self.0.push(fix | len as u8);
        } else if let Ok(len) = u16::try_from(len) {
            self.0.push(m16);
            self.0.extend_from_slice(&len.to_be_bytes());
        } else {
            self.0.push(m32);
            self.0.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }

    fn map(&mut self, len: usize) {
        self.header(len, 0x80, 15, 0xde, 0xdf);
    }

    fn array(&mut self, len: usize) {
        self.header(len, 0x90, 15, 0xdc, 0xdd);
    }

    fn str(&mut self, text: &str) {
        let len = text.len();
        if len < 32 {
            self.0.push(0xa0 | len as u8);
        } else if let Ok(len) = u8::try_from(len) {
            self.0.extend_from_slice(&[0xd9, len]);
        } else if let Ok(len) = u16::try_from(len) {
            self.0.push(0xda);
            self.0.extend_from_slice(&len.to_be_bytes());
        } else {
            self.0.push(0xdb);
            self.0.extend_from_slice(&(len as u32).to_be_bytes());
        }
        self.0.extend_from_slice(text.as_bytes());
    }

    fn bin(&mut self, data: &[u8]) {
        let len = data.len();
        if let Ok(len) = u8::try_from(len) {
            self.0.extend_from_slice(&[0xc4, len]);
        } else if let Ok(len) = u16::try_from(len) {
            self.0.push(0xc5);
            self.0.extend_from_slice(&len.to_be_bytes());
        } else {
            self.0.push(0xc6);
            self.0.extend_from_slice(&(len as u32).to_be_bytes());
        }
        self.0.extend_from_slice(data);
    }

    fn uint(&mut self, n: u64) {
        if n < 0x80 {
            self.0.push(n as u8);
        } else if let Ok(n) = u8::try_from(n) {
            self.0.extend_from_slice(&[0xcc, n]);
        } else if let Ok(n) = u16::try_from(n) {
            self.0.push(0xcd);
            self.0.extend_from_slice(&n.to_be_bytes());
        } else if let Ok(n) = u32::try_from(n) {
            self.0.push(0xce);
            self.0.extend_from_slice(&n.to_be_bytes());
        } else {
            self.0.push(0xcf);
            self.0.extend_from_slice(&n.to_be_bytes());
        }
    }

    fn int(&mut self, n: i64) {
        if n >= 0 {
            self.uint(n as u64);
        } else if n >= -32 {
            self.0.push(n as i8 as u8);
        } else if let Ok(n) = i8::try_from(n) {
            self.0.extend_from_slice(&[0xd0, n as u8]);
        } else if let Ok(n) = i16::try_from(n) {
            self.0.push(0xd1);
            self.0.extend_from_slice(&n.to_be_bytes());
        } else if let Ok(n) = i32::try_from(n) {
            self.0.push(0xd2);
            self.0.extend_from_slice(&n.to_be_bytes());
        } else {
            self.0.push(0xd3);
            self.0.extend_from_slice(&n.to_be_bytes());
        }
    }

    fn float(&mut self, f: f64) {
        self.0.push(0xcb);
        self.0.extend_from_slice(&f.to_be_bytes());
    }

    /// The map's first entries: `type`, then (when `data` follows) its key,
    /// and `nsp` and `id` written by [`Writer::tail`].
    fn head(&mut self, kind: u64, has_data: bool, id: Option<u64>) {
        self.map(2 + usize::from(has_data) + usize::from(id.is_some()));
        self.str("type");
        self.uint(kind);
        if has_data {
            self.str("data");
        }
    }

    fn tail(&mut self, namespace: &str, id: Option<u64>) {
        self.str("nsp");
        self.str(if namespace.is_empty() { "/" } else { namespace });
        if let Some(id) = id {
            self.str("id");
            self.uint(id);
        }
    }

    /// A JSON array (the arguments) as a MessagePack array, `name` first
    /// when given; placeholders become their attachment's bytes.
    fn json_array(&mut self, json: &str, attachments: &[Bytes], name: Option<&str>) -> Result<(), serde_json::Error> {
        if !attachments.is_empty() {
            let node = tree::parse(json, attachments.len())?;
            if let Node::Array { items, .. } = &node {
                self.array(items.len() + usize::from(name.is_some()));
                if let Some(name) = name {
                    self.str(name);
                }
                for item in items {
                    self.node(item, attachments)?;
                }
                return Ok(());
            }
        }
        let mut de = serde_json::Deserializer::from_str(json);
        Transcode { out: self, name }.deserialize(&mut de)?;
        de.end()
    }

    fn node(&mut self, node: &Node<'_>, attachments: &[Bytes]) -> Result<(), serde_json::Error> {
        match node {
            Node::Text(text) => self.json(text),
            Node::Placeholder { num, .. } => {
                // tree::parse checked every `num` against the attachments.
                let data = attachments
                    .get(*num)
                    .ok_or_else(|| serde::de::Error::custom("placeholder"))?;
                self.bin(data);
                Ok(())
            }
            Node::Array { items, .. } => {
                self.array(items.len());
                items.iter().try_for_each(|item| self.node(item, attachments))
            }
            Node::Object { entries, .. } => {
                self.map(entries.len());
                entries.iter().try_for_each(|(key, value)| {
                    self.str(key);
                    self.node(value, attachments)
                })
            }
        }
    }

    fn json(&mut self, json: &str) -> Result<(), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(json);
        Transcode { out: self, name: None }.deserialize(&mut de)?;
        de.end()
    }
}

/// Writes the JSON value serde_json reads as MessagePack. A container's
/// count is only known at its end, so its elements are written after room
/// for the largest header, which then shrinks to fit.
struct Transcode<'w> {
    out: &'w mut Writer,
    /// Written first into the top-level array (the event name).
    name: Option<&'w str>,
}

impl<'de> DeserializeSeed<'de> for Transcode<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Transcode<'_> {
    /// Puts the final header of a container that starts at `start` (with
    /// five bytes reserved there) and holds `count` items.
    fn finish(&mut self, start: usize, count: usize, array: bool) {
        let mut header = Writer(Vec::with_capacity(5));
        if array {
            header.array(count);
        } else {
            header.map(count);
        }
        let bytes = &mut self.out.0;
        let len = header.0.len();
        bytes.copy_within(start + 5.., start + len);
        bytes[start..start + len].copy_from_slice(&header.0);
        bytes.truncate(bytes.len() - (5 - len));
    }
}

impl<'de> Visitor<'de> for Transcode<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.out.0.push(if v { 0xc3 } else { 0xc2 });
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.out.int(v);
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.out.uint(v);
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.out.float(v);
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.out.str(v);
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.out.0.push(0xc0);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let start = self.out.0.len();
        self.out.0.extend_from_slice(&[0; 5]);
        let mut count = 0;
        if let Some(name) = self.name.take() {
            self.out.str(name);
            count += 1;
        }
        while seq
            .next_element_seed(Transcode {
                out: &mut *self.out,
                name: None,
            })?
            .is_some()
        {
            count += 1;
        }
        self.finish(start, count, true);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let start = self.out.0.len();
        self.out.0.extend_from_slice(&[0; 5]);
        let mut count = 0;
        while map
            .next_key_seed(Transcode {
                out: &mut *self.out,
                name: None,
            })?
            .is_some()
        {
            map.next_value_seed(Transcode {
                out: &mut *self.out,
                name: None,
            })?;
            count += 1;
        }
        self.finish(start, count, false);
        Ok(())
    }
}

/// An EVENT, `{type: 2, data: [name, ...args], nsp, id?}`, from arguments
/// serialized as one JSON array whose placeholders index `attachments`
/// (as [`crate::EncodedArgs`] holds them).
pub fn encode_event(
    namespace: &str,
    id: Option<u64>,
    name: &str,
    args_json: &str,
    attachments: &[Bytes],
) -> Result<Vec<u8>, serde_json::Error> {
    let size = 32 + namespace.len() + name.len() + args_json.len();
    let mut out = Writer::with_capacity(size + attachments.iter().map(Bytes::len).sum::<usize>());
    out.head(EVENT, true, id);
    out.json_array(args_json, attachments, Some(name))?;
    out.tail(namespace, id);
    Ok(out.0)
}

/// An ACK of event `id`, `{type: 3, data: [...args], nsp, id}`.
pub fn encode_ack(
    namespace: &str,
    id: u64,
    args_json: &str,
    attachments: &[Bytes],
) -> Result<Vec<u8>, serde_json::Error> {
    let size = 32 + namespace.len() + args_json.len();
    let mut out = Writer::with_capacity(size + attachments.iter().map(Bytes::len).sum::<usize>());
    out.head(ACK, true, Some(id));
    out.json_array(args_json, attachments, None)?;
    out.tail(namespace, Some(id));
    Ok(out.0)
}

/// The server's answer to a CONNECT: `{type: 0, data: {sid}, nsp}`.
pub fn encode_connect(namespace: &str, sid: &str) -> Vec<u8> {
    encode_connect_with_pid(namespace, sid, None)
}

/// A CONNECT reply under connection state recovery: `data: {sid, pid}`.
pub fn encode_connect_with_pid(namespace: &str, sid: &str, pid: Option<&str>) -> Vec<u8> {
    let mut out = Writer::with_capacity(56 + namespace.len() + sid.len() + pid.map_or(0, str::len));
    out.head(CONNECT, true, None);
    out.map(if pid.is_some() { 2 } else { 1 });
    out.str("sid");
    out.str(sid);
    if let Some(pid) = pid {
        out.str("pid");
        out.str(pid);
    }
    out.tail(namespace, None);
    out.0
}

/// A refused CONNECT: `{type: 4, data: {message}, nsp}`.
pub fn encode_connect_error(namespace: &str, message: &str) -> Vec<u8> {
    let mut out = Writer::with_capacity(48 + namespace.len() + message.len());
    out.head(CONNECT_ERROR, true, None);
    out.map(1);
    out.str("message");
    out.str(message);
    out.tail(namespace, None);
    out.0
}

/// Leaving a namespace: `{type: 1, nsp}`.
pub fn encode_disconnect(namespace: &str) -> Vec<u8> {
    let mut out = Writer::with_capacity(24 + namespace.len());
    out.head(DISCONNECT, false, None);
    out.tail(namespace, None);
    out.0
}

/// Any [`Packet`], its arguments' placeholders indexing `attachments`
/// (for tools and tests; the server uses the functions above).
pub fn encode(packet: &Packet, attachments: &[Bytes]) -> Result<Vec<u8>, serde_json::Error> {
    let join = |args: &[RawJson]| format!("[{}]", args.iter().map(RawJson::get).collect::<Vec<_>>().join(","));
    Ok(match packet {
        Packet::Connect { namespace, auth } => {
            let mut out = Writer::with_capacity(32);
            out.head(CONNECT, auth.is_some(), None);
            if let Some(auth) = auth {
                out.json(auth.get())?;
            }
            out.tail(namespace, None);
            out.0
        }
        Packet::Disconnect { namespace } => encode_disconnect(namespace),
        Packet::Event {
            namespace,
            id,
            name,
            args,
            ..
        } => encode_event(namespace, *id, name, &join(args), attachments)?,
        Packet::Ack {
            namespace, id, args, ..
        } => encode_ack(namespace, *id, &join(args), attachments)?,
        Packet::ConnectError { namespace, data } => {
            let mut out = Writer::with_capacity(32);
            out.head(CONNECT_ERROR, true, None);
            out.json(data.get())?;
            out.tail(namespace, None);
            out.0
        }
    })
}
