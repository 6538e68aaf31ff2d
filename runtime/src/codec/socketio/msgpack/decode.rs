//! MessagePack packets in, JSON texts with placeholders and attachments out.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use crate::codec::legacy::RawJson;
use crate::codec::socketio::packet::{DecodeError, Packet};

use super::{ACK, CONNECT, CONNECT_ERROR, DISCONNECT, EVENT, MAX_DEPTH, PLACEHOLDER_KEY};

fn bad(why: impl Into<String>) -> DecodeError {
    DecodeError::InvalidMsgpack(why.into())
}

// ---------------------------------------------------------------- decoding

/// Decodes one packet (the whole binary Engine.IO message) into the same
/// [`Packet`] the JSON parser gives, and the bytes its arguments'
/// placeholders index. Refuses what `socket.io-msgpack-parser` refuses
/// (a packet that is not a map, a type other than 0 to 4, a namespace that
/// is not a string, data of the wrong kind, a non-integer id) and
/// everything the JSON decoder refuses (an event without a name, an ack
/// without an id, a namespace not starting with `/`, ...), as well as
/// malformed, truncated or too deeply nested MessagePack. Never panics.
pub fn decode(data: &Bytes) -> Result<(Packet, Vec<Bytes>), DecodeError> {
    let mut reader = Reader {
        data,
        pos: 0,
        attachments: Vec::new(),
    };
    let packet = reader.packet()?;
    if reader.pos != data.len() {
        return Err(bad("trailing bytes after the packet"));
    }
    Ok((packet, reader.attachments))
}

/// One MessagePack value's head: what it is and, for containers and
/// strings, how long.
enum Head {
    Nil,
    Bool(bool),
    Uint(u64),
    Int(i64),
    Float(f64),
    Str(usize),
    Bin(usize),
    Array(usize),
    Map(usize),
    /// An extension: its type, length, and whether it was a `fixext` form.
    Ext(i8, usize, bool),
}

struct Reader<'a> {
    data: &'a Bytes,
    pos: usize,
    /// The `bin` values met so far, in walk order.
    attachments: Vec<Bytes>,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let data: &'a [u8] = self.data;
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= data.len())
            .ok_or_else(|| bad("truncated"))?;
        let bytes = &data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn len8(&mut self) -> Result<usize, DecodeError> {
        Ok(usize::from(self.byte()?))
    }

    fn len16(&mut self) -> Result<usize, DecodeError> {
        Ok(usize::from(u16::from_be_bytes(self.be()?)))
    }

    fn len32(&mut self) -> Result<usize, DecodeError> {
        usize::try_from(u32::from_be_bytes(self.be()?)).map_err(|_| bad("length out of range"))
    }

    fn ext(&mut self, len: usize, fixed: bool) -> Result<Head, DecodeError> {
        let kind = i8::from_be_bytes(self.be()?);
        Ok(Head::Ext(kind, len, fixed))
    }

    fn head(&mut self) -> Result<Head, DecodeError> {
        let marker = self.byte()?;
        Ok(match marker {
            0x00..=0x7f => Head::Uint(u64::from(marker)),
            0x80..=0x8f => Head::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Head::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Head::Str(usize::from(marker & 0x1f)),
            0xc0 => Head::Nil,
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xc4 => Head::Bin(self.len8()?),
            0xc5 => Head::Bin(self.len16()?),
            0xc6 => Head::Bin(self.len32()?),
            0xc7 => {
                let len = self.len8()?;
                self.ext(len, false)?
            }
            0xc8 => {
                let len = self.len16()?;
                self.ext(len, false)?
            }
            0xc9 => {
                let len = self.len32()?;
                self.ext(len, false)?
            }
            0xca => Head::Float(f64::from(f32::from_be_bytes(self.be()?))),
            0xcb => Head::Float(f64::from_be_bytes(self.be()?)),
            0xcc => Head::Uint(u64::from(self.byte()?)),
            0xcd => Head::Uint(u64::from(u16::from_be_bytes(self.be()?))),
            0xce => Head::Uint(u64::from(u32::from_be_bytes(self.be()?))),
            0xcf => Head::Uint(u64::from_be_bytes(self.be()?)),
            0xd0 => Head::Int(i64::from(i8::from_be_bytes(self.be()?))),
            0xd1 => Head::Int(i64::from(i16::from_be_bytes(self.be()?))),
            0xd2 => Head::Int(i64::from(i32::from_be_bytes(self.be()?))),
            0xd3 => Head::Int(i64::from_be_bytes(self.be()?)),
            0xd4 => self.ext(1, true)?,
            0xd5 => self.ext(2, true)?,
            0xd6 => self.ext(4, true)?,
            0xd7 => self.ext(8, true)?,
            0xd8 => self.ext(16, true)?,
            0xd9 => Head::Str(self.len8()?),
            0xda => Head::Str(self.len16()?),
            0xdb => Head::Str(self.len32()?),
            0xdc => Head::Array(self.len16()?),
            0xdd => Head::Array(self.len32()?),
            0xde => Head::Map(self.len16()?),
            0xdf => Head::Map(self.len32()?),
            0xe0..=0xff => Head::Int(i64::from(marker as i8)),
            0xc1 => return Err(bad("reserved byte 0xc1")),
        })
    }

    fn str(&mut self, len: usize) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.take(len)?).map_err(|_| bad("a string is not UTF-8"))
    }

    fn bin(&mut self, len: usize) -> Result<Bytes, DecodeError> {
        let start = self.pos;
        self.take(len)?;
        Ok(self.data.slice(start..self.pos))
    }

    /// Each element takes at least one byte: a longer count is a lie, refused
    /// before anything is reserved for it.
    fn check_count(&self, count: usize, per_item: usize) -> Result<(), DecodeError> {
        match count.checked_mul(per_item) {
            Some(need) if need <= self.data.len() - self.pos => Ok(()),
            _ => Err(bad("a count past the end of the packet")),
        }
    }

    /// Whether the next value is `undefined` (extension 0 of one byte, as
    /// notepack.io writes it); consumed if so.
    fn undefined_next(&mut self) -> bool {
        let undefined = matches!(self.data.get(self.pos..), Some([0xd4, 0x00, _, ..]));
        if undefined {
            self.pos += 3;
        }
        undefined
    }

    /// The packet map: only its known keys matter, others (socket.io-client
    /// sends `options`) are checked as MessagePack and skipped.
    fn packet(&mut self) -> Result<Packet, DecodeError> {
        let Head::Map(len) = self.head()? else {
            return Err(bad("the packet is not a map"));
        };
        self.check_count(len, 2)?;
        let (mut kind, mut namespace, mut id) = (None, None, None);
        // `undefined` is no data, as in the JS parser.
        let mut data: Option<Data> = None;
        for _ in 0..len {
            let start = self.pos;
            let key = match self.head()? {
                Head::Str(len) => match self.str(len)? {
                    "type" => Key::Type,
                    "nsp" => Key::Nsp,
                    "id" => Key::Id,
                    "data" => Key::Data,
                    _ => Key::Other,
                },
                _ => {
                    self.pos = start;
                    self.skip(1)?;
                    Key::Other
                }
            };
            if self.undefined_next() {
                match key {
                    Key::Type => kind = None,
                    Key::Nsp => namespace = None,
                    Key::Id => id = None,
                    Key::Data => data = None,
                    Key::Other => {}
                }
                continue;
            }
            match key {
                Key::Type => kind = Some(self.head()?),
                Key::Nsp => match self.head()? {
                    Head::Str(len) => namespace = Some(self.str(len)?.to_owned()),
                    _ => return Err(DecodeError::BadNamespace),
                },
                Key::Id => id = Some(self.head()?),
                Key::Data => data = Some(self.data_value()?),
                Key::Other => self.skip(1)?,
            }
        }
        let kind = match kind {
            Some(Head::Uint(kind)) if kind <= CONNECT_ERROR => kind,
            Some(Head::Int(kind)) if (0..=4).contains(&kind) => kind as u64,
            // The JS check takes any integral number.
            Some(Head::Float(kind)) if (0.0..=4.0).contains(&kind) && kind.fract() == 0.0 => kind as u64,
            _ => return Err(DecodeError::BadPacketType),
        };
        let namespace = namespace.ok_or(DecodeError::BadNamespace)?;
        if !namespace.starts_with('/') {
            return Err(DecodeError::BadNamespace);
        }
        let id = match id {
            None => None,
            Some(Head::Uint(id)) => Some(id),
            Some(Head::Int(id)) if id >= 0 => Some(id as u64),
            Some(Head::Float(id)) if id >= 0.0 && id.fract() == 0.0 && id < 9_007_199_254_740_992.0 => Some(id as u64),
            Some(_) => return Err(DecodeError::BadId),
        };
        if id.is_some() && matches!(kind, CONNECT | DISCONNECT | CONNECT_ERROR) {
            return Err(DecodeError::UnexpectedId);
        }
        Ok(match kind {
            CONNECT => Packet::Connect {
                namespace,
                auth: match data {
                    None => None,
                    Some(Data::Object(auth)) => Some(auth.with_attachments(self.attachments.clone().into())),
                    Some(_) => return Err(DecodeError::AuthNotAnObject),
                },
            },
            DISCONNECT => match data {
                None => Packet::Disconnect { namespace },
                Some(_) => return Err(DecodeError::UnexpectedData),
            },
            EVENT => {
                let mut args = match data {
                    Some(Data::Array(args)) => args.into_iter(),
                    Some(_) => return Err(DecodeError::NotAnArray),
                    None => return Err(DecodeError::MissingData),
                };
                let name = args.next().ok_or(DecodeError::EventWithoutName)?;
                if !name.get().starts_with('"') {
                    return Err(DecodeError::EventWithoutName);
                }
                let name = name
                    .deserialize::<String>()
                    .map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
                if crate::codec::socketio::RESERVED_EVENTS.contains(&name.as_str()) {
                    return Err(DecodeError::ReservedEvent(name));
                }
                Packet::Event {
                    namespace,
                    id,
                    name,
                    args: args.collect(),
                    attachments: self.attachments.len(),
                }
            }
            ACK => Packet::Ack {
                namespace,
                id: id.ok_or(DecodeError::MissingId)?,
                args: match data {
                    Some(Data::Array(args)) => args,
                    Some(_) => return Err(DecodeError::NotAnArray),
                    None => return Err(DecodeError::MissingData),
                },
                attachments: self.attachments.len(),
            },
            _ => match data {
                Some(Data::Object(data) | Data::Other(data)) if data.get().starts_with(['{', '"']) => {
                    Packet::ConnectError { namespace, data }
                }
                Some(_) => return Err(DecodeError::BadErrorData),
                None => return Err(DecodeError::MissingData),
            },
        })
    }

    /// The packet's `data`: an array keeps its elements apart (they become
    /// the event's arguments).
    fn data_value(&mut self) -> Result<Data, DecodeError> {
        let start = self.pos;
        if let Head::Array(len) = self.head()? {
            self.check_count(len, 1)?;
            let mut items = Vec::with_capacity(len);
            for _ in 0..len {
                // Most arguments are small: one allocation, no regrowth.
                let mut text = String::with_capacity((self.data.len() - self.pos).min(256));
                if self.undefined_next() {
                    text.push_str("null");
                } else {
                    self.json(&mut text, 1)?;
                }
                items.push(self.raw(text)?);
            }
            return Ok(Data::Array(items));
        }
        self.pos = start;
        let is_map = matches!(self.data.get(start), Some(0x80..=0x8f | 0xde | 0xdf));
        let mut text = String::new();
        self.json(&mut text, 0)?;
        let raw = self.raw(text)?;
        Ok(if is_map { Data::Object(raw) } else { Data::Other(raw) })
    }

    /// JSON text the translation wrote. Its placeholders number the
    /// packet's bytes across all arguments; whoever receives the packet
    /// gives every argument the whole list, as for JSON attachments.
    fn raw(&self, text: String) -> Result<RawJson, DecodeError> {
        RawJson::from_string(text).map_err(|e| DecodeError::InvalidJson(e.to_string()))
    }

    /// Translates one value into JSON text.
    fn json(&mut self, out: &mut String, depth: usize) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(bad("nested too deeply"));
        }
        match self.head()? {
            Head::Nil => out.push_str("null"),
            Head::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            Head::Uint(n) => push_int(out, n),
            Head::Int(n) => push_int(out, n),
            Head::Float(f) => push_float(out, f),
            Head::Str(len) => {
                let text = self.str(len)?;
                push_json_str(out, text);
            }
            Head::Bin(len) => {
                let bytes = self.bin(len)?;
                self.placeholder(out, bytes);
            }
            Head::Array(len) => {
                self.check_count(len, 1)?;
                out.push('[');
                for i in 0..len {
                    if i > 0 {
                        out.push(',');
                    }
                    if self.undefined_next() {
                        out.push_str("null");
                    } else {
                        self.json(out, depth + 1)?;
                    }
                }
                out.push(']');
            }
            Head::Map(len) => {
                self.check_count(len, 2)?;
                out.push('{');
                let mut first = true;
                for _ in 0..len {
                    let key = self.key()?;
                    if self.undefined_next() {
                        continue;
                    }
                    if key == PLACEHOLDER_KEY && self.data.get(self.pos) == Some(&0xc3) {
                        // Would read back as one of the packet's bytes.
                        return Err(bad("a map that looks like an attachment placeholder"));
                    }
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    push_json_str(out, &key);
                    out.push(':');
                    self.json(out, depth + 1)?;
                }
                out.push('}');
            }
            Head::Ext(kind, len, fixed) => {
                let bytes = self.bin(len)?;
                match (kind, len, fixed) {
                    // notepack.io's undefined, where JSON has no such value.
                    (0, 1, true) => out.push_str("null"),
                    // notepack.io's Date: milliseconds since the epoch.
                    (0, 8, true) => {
                        let ms = i64::from_be_bytes(bytes[..].try_into().map_err(|_| bad("truncated"))?);
                        let iso = iso_date(ms).ok_or_else(|| bad("a date out of range"))?;
                        push_json_str(out, &iso);
                    }
                    // ext 8/16/32 of type 0: an ArrayBuffer.
                    (0, _, false) => self.placeholder(out, bytes),
                    _ => {
                        out.push('[');
                        out.push_str(&kind.to_string());
                        out.push(',');
                        self.placeholder(out, bytes);
                        out.push(']');
                    }
                }
            }
        }
        Ok(())
    }

    fn placeholder(&mut self, out: &mut String, bytes: Bytes) {
        out.push_str(&crate::codec::socketio::placeholder(self.attachments.len()));
        self.attachments.push(bytes);
    }

    /// A map key as JS sees it: a string, or an integer's decimal text.
    fn key(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        match self.head()? {
            Head::Str(len) => Ok(Cow::Borrowed(self.str(len)?)),
            Head::Uint(n) => Ok(Cow::Owned(n.to_string())),
            Head::Int(n) => Ok(Cow::Owned(n.to_string())),
            _ => Err(bad("a map key is neither a string nor an integer")),
        }
    }

    /// Checks and skips one value.
    fn skip(&mut self, depth: usize) -> Result<(), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(bad("nested too deeply"));
        }
        match self.head()? {
            Head::Str(len) => {
                self.str(len)?;
            }
            Head::Bin(len) | Head::Ext(_, len, _) => {
                self.take(len)?;
            }
            Head::Array(len) => {
                self.check_count(len, 1)?;
                for _ in 0..len {
                    self.skip(depth + 1)?;
                }
            }
            Head::Map(len) => {
                self.check_count(len, 2)?;
                for _ in 0..len * 2 {
                    self.skip(depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The keys of the packet map.
enum Key {
    Type,
    Nsp,
    Id,
    Data,
    Other,
}

/// A packet's `data`, translated.
enum Data {
    Array(Vec<RawJson>),
    Object(RawJson),
    Other(RawJson),
}

fn push_json_str(out: &mut String, text: &str) {
    // Most strings need no escape: copied as they are.
    if !text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.reserve(text.len() + 2);
        out.push('"');
        out.push_str(text);
        out.push('"');
        return;
    }
    // Escaping a str into a String cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned()));
}

fn push_int(out: &mut String, n: impl fmt::Display) {
    use fmt::Write as _;
    // Writing into a String cannot fail.
    let _ = write!(out, "{n}");
}

/// As `JSON.stringify` writes a JS number: integral values as integers,
/// non-finite ones as `null`.
fn push_float(out: &mut String, f: f64) {
    const SAFE: f64 = 9_007_199_254_740_992.0;
    if !f.is_finite() {
        out.push_str("null");
    } else if f.fract() == 0.0 && f.abs() < SAFE {
        push_int(out, f as i64);
    } else {
        out.push_str(&serde_json::Number::from_f64(f).map_or_else(|| "null".to_owned(), |n| n.to_string()));
    }
}

/// `Date.prototype.toJSON` for years 0 to 9999: `2024-01-31T12:00:00.000Z`.
fn iso_date(ms: i64) -> Option<String> {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let (h, m, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z"
    ))
}
