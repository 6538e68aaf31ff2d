use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::error::DecodeError;
use super::raw_json::RawJson;
use crate::codec::decimal::{digits, push_number};

/// A message id: `5` asks for a plain receipt, `5+` for an answer with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageId {
    /// The number.
    pub id: u64,
    /// Whether the sender wants the receiver's data back (`+`).
    pub wants_data: bool,
}

/// One Socket.IO 0.9 packet: `type:id:endpoint:data`. `endpoint` is the
/// namespace (`""` for the main one); `id` asks the receiver for an ack.
///
/// ```
/// use socketio::codec::legacy::Packet;
///
/// let packet = Packet::decode(r#"5:1+::{"name":"sum","args":[1,2]}"#).unwrap();
/// let Packet::Event { name, args, .. } = &packet else { panic!() };
/// assert_eq!((name.as_str(), args.len()), ("sum", 2));
/// assert_eq!(packet.encode(), r#"5:1+::{"name":"sum","args":[1,2]}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// `0`: close one endpoint, or the whole socket when the endpoint is empty.
    Disconnect {
        /// The endpoint closed (`""`: the whole socket).
        endpoint: String,
    },
    /// `1`: connect an endpoint; `1::/chat?x=1` carries its own query.
    Connect {
        /// The endpoint to connect.
        endpoint: String,
        /// The query after `?`, undecoded.
        query: Option<String>,
    },
    /// `2`: heartbeat.
    Heartbeat,
    /// `3`: a text message.
    Message {
        /// Asks the receiver for an ack.
        id: Option<MessageId>,
        /// The endpoint it is sent on.
        endpoint: String,
        /// The text.
        data: String,
    },
    /// `4`: a JSON message.
    Json {
        /// Asks the receiver for an ack.
        id: Option<MessageId>,
        /// The endpoint it is sent on.
        endpoint: String,
        /// The value, as its exact JSON text.
        data: RawJson,
    },
    /// `5`: an event with positional arguments.
    Event {
        /// Asks the receiver for an ack (`+`: with data).
        id: Option<MessageId>,
        /// The endpoint it is sent on.
        endpoint: String,
        /// The event name.
        name: String,
        /// The arguments, each as its exact JSON text.
        args: Vec<RawJson>,
    },
    /// `6`: an acknowledgement of message `ack_id`, with the answer's
    /// arguments when data was asked for.
    Ack {
        /// The endpoint of the acknowledged packet.
        endpoint: String,
        /// The id the packet carried.
        ack_id: u64,
        /// The answer's arguments, when data was asked for.
        args: Option<Vec<RawJson>>,
    },
    /// `7`: an error, `reason[+advice]` (see [`error_code`]).
    Error {
        /// The endpoint it concerns.
        endpoint: String,
        /// The reason (a code of [`error_code`] or text).
        reason: String,
        /// What the receiver should do, after `+`.
        advice: Option<String>,
    },
    /// `8`: nothing to say (ends an empty long-poll).
    Noop,
}

/// Reason and advice codes of the error packet.
pub mod error_code {
    /// Reason: the transport is not supported.
    pub const TRANSPORT_NOT_SUPPORTED: &str = "0";
    /// Reason: the client has no session (handshake again).
    pub const CLIENT_NOT_HANDSHAKEN: &str = "1";
    /// Reason: refused (an endpoint's open hook said no).
    pub const UNAUTHORIZED: &str = "2";
    /// Advice: reconnect.
    pub const ADVICE_RECONNECT: &str = "0";
}

/// An event's data, `{"name":..,"args":[..]}`, read in one pass: each
/// argument's text is borrowed from the input as the array is met.
struct EventData<'a> {
    name: Option<&'a RawValue>,
    args: Args<'a>,
}

enum Args<'a> {
    /// Absent.
    None,
    List(Vec<&'a RawValue>),
    /// Anything but an array (`null` too): refused, never wrapped into one
    /// argument, so a handler only sees what the client sent.
    NotArray,
}

impl<'de> Deserialize<'de> for EventData<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = EventData<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let (mut name, mut args) = (None, None);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Name if name.is_some() => return Err(de::Error::duplicate_field("name")),
                Field::Name => name = Some(map.next_value::<&'de RawValue>()?),
                Field::Args if args.is_some() => return Err(de::Error::duplicate_field("args")),
                Field::Args => args = Some(map.next_value_seed(ArgsSeed)?),
                Field::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(EventData {
            name,
            args: args.unwrap_or(Args::None),
        })
    }
}

/// A key of the event object, told apart without copying it.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Name,
    Args,
    #[serde(other)]
    Other,
}

struct ArgsSeed;

impl<'de> DeserializeSeed<'de> for ArgsSeed {
    type Value = Args<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(ArgsVisitor)
    }
}

struct ArgsVisitor;

impl<'de> Visitor<'de> for ArgsVisitor {
    type Value = Args<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("event arguments")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(arg) = seq.next_element::<&'de RawValue>()? {
            list.push(arg);
        }
        Ok(Args::List(list))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Args::NotArray)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
        Ok(Args::NotArray)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Args::NotArray)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Args::NotArray)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Args::NotArray)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Args::NotArray)
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Args::NotArray)
    }
}

/// The four characters JSON allows between tokens.
const JSON_WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];

fn invalid(error: serde_json::Error) -> DecodeError {
    DecodeError::InvalidJson(error.to_string())
}

fn raw(text: &str) -> Result<RawJson, DecodeError> {
    RawJson::from_string(text.to_owned()).map_err(invalid)
}

/// The elements of a JSON array, each with its exact text (already
/// validated by this parse: copied, not parsed again).
fn raw_elements(text: &str) -> Result<Vec<RawJson>, DecodeError> {
    let elements: Vec<&RawValue> = serde_json::from_str(text).map_err(invalid)?;
    Ok(elements.into_iter().map(|e| RawJson::from(e.to_owned())).collect())
}

fn parse_id(text: &str) -> Result<Option<MessageId>, DecodeError> {
    if text.is_empty() {
        return Ok(None);
    }
    let (digits, wants_data) = match text.strip_suffix('+') {
        Some(digits) => (digits, true),
        None => (text, false),
    };
    parse_number(digits)
        .map(|id| Some(MessageId { id, wants_data }))
        .ok_or_else(|| DecodeError::BadId(text.to_owned()))
}

fn parse_number(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl Packet {
    /// Decodes one packet. Never panics; malformed input is a typed error.
    pub fn decode(input: &str) -> Result<Packet, DecodeError> {
        let mut parts = input.splitn(4, ':');
        let kind = parts.next().unwrap_or_default();
        let (Some(id), Some(endpoint)) = (parts.next(), parts.next()) else {
            return Err(DecodeError::MissingSeparator);
        };
        if !matches!(kind.as_bytes(), [b'0'..=b'8']) {
            return Err(DecodeError::BadType(kind.to_owned()));
        }
        let data = parts.next();
        let endpoint = endpoint.to_owned();
        // Only messages, JSON messages and events ask for acks; an ack
        // carries its id in the data.
        if !id.is_empty() && !matches!(kind, "3" | "4" | "5") {
            return Err(DecodeError::UnexpectedId(kind.to_owned()));
        }
        let id = parse_id(id)?;
        Ok(match kind {
            "0" => Packet::Disconnect { endpoint },
            "1" => match endpoint.split_once('?') {
                Some((path, query)) => Packet::Connect {
                    endpoint: path.to_owned(),
                    query: Some(query.to_owned()),
                },
                None => Packet::Connect { endpoint, query: None },
            },
            "2" => Packet::Heartbeat,
            "3" => Packet::Message {
                id,
                endpoint,
                data: data.unwrap_or_default().to_owned(),
            },
            "4" => Packet::Json {
                id,
                endpoint,
                data: raw(data.unwrap_or_default())?,
            },
            "5" => {
                let data = data.unwrap_or_default();
                // A derived struct would also accept `["name", [args]]`;
                // the protocol only has objects.
                if !data.trim_start_matches(JSON_WHITESPACE).starts_with('{') {
                    return Err(DecodeError::InvalidJson("event data is not a JSON object".to_owned()));
                }
                let event: EventData<'_> = serde_json::from_str(data).map_err(invalid)?;
                let name = event.name.ok_or(DecodeError::EventWithoutName)?;
                let name: String = serde_json::from_str(name.get()).map_err(|_| DecodeError::EventWithoutName)?;
                let args = match event.args {
                    Args::None => Vec::new(),
                    // Copied, not parsed again: the parse above validated them.
                    Args::List(list) => list.into_iter().map(|arg| RawJson::from(arg.to_owned())).collect(),
                    Args::NotArray => return Err(DecodeError::EventArgsNotArray),
                };
                Packet::Event {
                    id,
                    endpoint,
                    name,
                    args,
                }
            }
            "6" => {
                let data = data.unwrap_or_default();
                let (ack_id, args) = match data.split_once('+') {
                    Some((ack_id, args)) => (ack_id, Some(args)),
                    None => (data, None),
                };
                let ack_id = parse_number(ack_id).ok_or_else(|| DecodeError::BadAckId(ack_id.to_owned()))?;
                let args = args.map(raw_elements).transpose()?;
                Packet::Ack { endpoint, ack_id, args }
            }
            "7" => {
                let data = data.unwrap_or_default();
                match data.split_once('+') {
                    Some((reason, advice)) => Packet::Error {
                        endpoint,
                        reason: reason.to_owned(),
                        advice: Some(advice.to_owned()),
                    },
                    None => Packet::Error {
                        endpoint,
                        reason: data.to_owned(),
                        advice: None,
                    },
                }
            }
            "8" => Packet::Noop,
            other => return Err(DecodeError::BadType(other.to_owned())),
        })
    }

    /// Encodes the packet.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        self.encode_into(&mut out);
        out
    }

    /// Encodes the packet at the end of `out`.
    pub fn encode_into(&self, out: &mut String) {
        match self {
            Packet::Disconnect { endpoint } => head(out, '0', None, endpoint),
            Packet::Connect { endpoint, query } => {
                head(out, '1', None, endpoint);
                if let Some(query) = query {
                    out.push('?');
                    out.push_str(query);
                }
            }
            Packet::Heartbeat => out.push_str("2::"),
            Packet::Message { id, endpoint, data } => {
                head(out, '3', *id, endpoint);
                if !data.is_empty() {
                    out.push(':');
                    out.push_str(data);
                }
            }
            Packet::Json { id, endpoint, data } => {
                head(out, '4', *id, endpoint);
                out.push(':');
                out.push_str(data.get());
            }
            Packet::Event {
                id,
                endpoint,
                name,
                args,
            } => {
                head(out, '5', *id, endpoint);
                out.push(':');
                write_event_name(out, name);
                out.push('[');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(arg.get());
                }
                out.push_str("]}");
            }
            Packet::Ack { endpoint, ack_id, args } => {
                head(out, '6', None, endpoint);
                out.push(':');
                out.push_str(&ack_id.to_string());
                if let Some(args) = args {
                    out.push_str("+[");
                    for (i, arg) in args.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        push_ack_json(out, arg.get());
                    }
                    out.push(']');
                }
            }
            Packet::Error {
                endpoint,
                reason,
                advice,
            } => {
                head(out, '7', None, endpoint);
                out.push(':');
                out.push_str(reason);
                if let Some(advice) = advice {
                    out.push('+');
                    out.push_str(advice);
                }
            }
            Packet::Noop => out.push_str("8::"),
        }
    }

    /// The endpoint the packet belongs to (`""` for heartbeat and noop).
    pub fn endpoint(&self) -> &str {
        match self {
            Packet::Disconnect { endpoint }
            | Packet::Connect { endpoint, .. }
            | Packet::Message { endpoint, .. }
            | Packet::Json { endpoint, .. }
            | Packet::Event { endpoint, .. }
            | Packet::Ack { endpoint, .. }
            | Packet::Error { endpoint, .. } => endpoint,
            Packet::Heartbeat | Packet::Noop => "",
        }
    }
}

fn head(out: &mut String, kind: char, id: Option<MessageId>, endpoint: &str) {
    out.push(kind);
    out.push(':');
    if let Some(id) = id {
        push_number(out, id.id);
        if id.wants_data {
            out.push('+');
        }
    }
    out.push(':');
    out.push_str(endpoint);
}

/// Writes an event's data, `{"name":<name>,"args":<args_array>}`, where
/// `args_array` is JSON array text already serialized (so a broadcast
/// serializes its arguments once).
pub fn write_event_data(out: &mut String, name: &str, args_array: &str) {
    write_event_name(out, name);
    out.push_str(args_array);
    out.push('}');
}

/// `{"name":<name>,"args":` — everything before the arguments.
fn write_event_name(out: &mut String, name: &str) {
    out.push_str("{\"name\":");
    // Serializing a str cannot fail.
    out.push_str(&serde_json::to_string(name).unwrap_or_else(|_| "\"\"".to_owned()));
    out.push_str(",\"args\":");
}

/// A whole event packet from pre-serialized arguments.
pub fn encode_event(id: Option<MessageId>, endpoint: &str, name: &str, args_array: &str) -> String {
    let mut out = String::with_capacity(16 + endpoint.len() + name.len() + args_array.len());
    head(&mut out, '5', id, endpoint);
    out.push(':');
    write_event_data(&mut out, name, args_array);
    out
}

/// An ack packet: `6::<endpoint>:<id>` or, with data, `6::<endpoint>:<id>+<args_array>`.
pub fn encode_ack(endpoint: &str, ack_id: u64, args_array: Option<&str>) -> String {
    // Exact unless U+2028/U+2029 need escapes: a full buffer becomes a frame
    // without another allocation.
    let len = 4 + endpoint.len() + digits(ack_id) + args_array.map_or(0, |args| 1 + args.len());
    let mut out = String::with_capacity(len);
    head(&mut out, '6', None, endpoint);
    out.push(':');
    push_number(&mut out, ack_id);
    if let Some(args) = args_array {
        out.push('+');
        push_ack_json(&mut out, args);
    }
    out
}

/// The 0.9 client reads ack data with a JavaScript `(.*)`, which stops at
/// U+2028/U+2029 (line terminators to a regex): written as JSON escapes
/// they decode to the same value. Raw, they can only sit inside strings.
fn push_ack_json(out: &mut String, json: &str) {
    let mut rest = json;
    while let Some(at) = rest.find(['\u{2028}', '\u{2029}']) {
        out.push_str(&rest[..at]);
        out.push_str(if rest[at..].starts_with('\u{2028}') {
            "\\u2028"
        } else {
            "\\u2029"
        });
        rest = &rest[at + '\u{2028}'.len_utf8()..];
    }
    out.push_str(rest);
}

#[cfg(test)]
#[path = "packet_tests.rs"]
mod tests;
