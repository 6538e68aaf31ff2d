use serde_json::value::RawValue;

use crate::codec::decimal::{digits, push_number};
use crate::codec::legacy::RawJson;

/// One Socket.IO protocol 5 packet. `namespace` is `/` for the main one.
///
/// ```
/// use socketio::codec::socketio::Packet;
///
/// let packet = Packet::decode(r#"2/chat,7["sum",1,2]"#).unwrap();
/// let Packet::Event { name, id, args, .. } = &packet else { panic!() };
/// assert_eq!((name.as_str(), *id, args.len()), ("sum", Some(7), 2));
/// assert_eq!(packet.encode(), r#"2/chat,7["sum",1,2]"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    /// `0`: join a namespace, with the client's optional auth object (from
    /// the client), or the socket id (from the server, see [`encode_connect`]).
    Connect {
        /// The namespace (`/` is the main one).
        namespace: String,
        /// The auth object, or the reply's `{"sid":..}`.
        auth: Option<RawJson>,
    },
    /// `1`: leave a namespace.
    Disconnect {
        /// The namespace left.
        namespace: String,
    },
    /// `2` EVENT, or `5` BINARY_EVENT when `attachments > 0`: that many
    /// binary attachments follow as separate binary packets, and the
    /// arguments hold [`placeholder`]s where they go. `id` asks for an ack.
    Event {
        /// The namespace it is sent on.
        namespace: String,
        /// The ack id the sender waits on, if any.
        id: Option<u64>,
        /// The event name (the first element of the array).
        name: String,
        /// The arguments after the name, each as its exact JSON text.
        args: Vec<RawJson>,
        /// How many binary attachments follow.
        attachments: usize,
    },
    /// `3` ACK, or `6` BINARY_ACK when `attachments > 0`: the answer to the
    /// event that carried `id`.
    Ack {
        /// The namespace of the acknowledged event.
        namespace: String,
        /// The id the event carried.
        id: u64,
        /// The answer's arguments.
        args: Vec<RawJson>,
        /// How many binary attachments follow.
        attachments: usize,
    },
    /// `4`: the server refused a namespace. `data` is a JSON object
    /// (`{"message":"..."}`) or, from older servers, a string; a bare number
    /// would read back as an ack id.
    ConnectError {
        /// The namespace refused.
        namespace: String,
        /// Why, as the server said it.
        data: RawJson,
    },
}

/// Why a Socket.IO packet could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// An empty packet.
    #[error("empty packet")]
    Empty,
    /// The type is not a digit from 0 to 6.
    #[error("unknown packet type `{0}`")]
    BadType(char),
    /// A binary packet without `<count>-`, or a count that is 0 or overflows.
    #[error("bad attachment count")]
    BadAttachments,
    /// An ack id too large for 64 bits.
    #[error("ack id out of range")]
    BadId,
    /// An ACK without the id it answers.
    #[error("ack without an id")]
    MissingId,
    /// An ack id on a packet type that has none.
    #[error("ack id on a packet type without one")]
    UnexpectedId,
    /// An EVENT, ACK or CONNECT_ERROR without its data.
    #[error("missing data")]
    MissingData,
    /// Data on a DISCONNECT.
    #[error("unexpected data")]
    UnexpectedData,
    /// The data is not JSON (or junk sits before it).
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// CONNECT data that is not a JSON object.
    #[error("auth payload is not a JSON object")]
    AuthNotAnObject,
    /// EVENT or ACK data that is not a JSON array.
    #[error("data is not a JSON array")]
    NotAnArray,
    /// An EVENT whose array is empty or does not start with a string.
    #[error("event without a name")]
    EventWithoutName,
    /// CONNECT_ERROR data that is neither an object nor a string.
    #[error("connect error data is neither an object nor a string")]
    BadErrorData,
    /// An EVENT named like one of the events a socket emits by itself
    /// ([`RESERVED_EVENTS`]), which node's parser refuses too.
    #[error("reserved event name `{0}`")]
    ReservedEvent(String),
    /// MessagePack parser: bytes that are not one well-formed MessagePack
    /// value (truncated, trailing bytes, a reserved byte, a string that is
    /// not UTF-8, nesting past 128) or a value no packet can hold.
    #[error("invalid MessagePack: {0}")]
    InvalidMsgpack(String),
    /// MessagePack parser: a `type` that is not an integer from 0 to 4.
    #[error("invalid packet type")]
    BadPacketType,
    /// MessagePack parser: an `nsp` that is missing, not a string, or does
    /// not start with `/`.
    #[error("invalid namespace")]
    BadNamespace,
}

/// Event names Socket.IO keeps for a socket's own life cycle; no packet may
/// carry them as an EVENT.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// The four characters JSON allows between tokens.
const JSON_WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];

fn invalid(error: serde_json::Error) -> DecodeError {
    DecodeError::InvalidJson(error.to_string())
}

/// Validates one JSON value; the text returned has no surrounding whitespace.
fn json_value(text: &str) -> Result<&RawValue, DecodeError> {
    serde_json::from_str(text).map_err(invalid)
}

/// A JSON array's elements as owned arguments, each with its exact text,
/// validated and copied in one pass; with `named`, the first element is
/// set apart, borrowed (an event's name). `None` for an empty array.
fn json_arguments(text: &str, named: bool) -> Result<(Option<&RawValue>, Vec<RawJson>), DecodeError> {
    // Checked first so that `{}` says "not an array" rather than a serde type error.
    if !text.trim_start_matches(JSON_WHITESPACE).starts_with('[') {
        json_value(text)?;
        return Err(DecodeError::NotAnArray);
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let elements = serde::Deserializer::deserialize_seq(&mut deserializer, Arguments { named }).map_err(invalid)?;
    deserializer.end().map_err(invalid)?;
    Ok(elements)
}

/// Reads an array for [`json_arguments`] without collecting borrowed
/// elements first: one vector, one allocation per argument.
struct Arguments {
    named: bool,
}

impl<'de> serde::de::Visitor<'de> for Arguments {
    type Value = (Option<&'de RawValue>, Vec<RawJson>);

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let head = match self.named {
            true => seq.next_element::<&'de RawValue>()?,
            false => None,
        };
        let mut args = Vec::new();
        while let Some(arg) = seq.next_element::<Box<RawValue>>()? {
            args.push(RawJson::from(arg));
        }
        Ok((head, args))
    }
}

/// A JSON string token's value; without escapes, its text between quotes.
fn string_value(token: &str) -> Result<String, DecodeError> {
    match token.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(plain) if !plain.contains('\\') => Ok(plain.to_owned()),
        _ => serde_json::from_str::<String>(token).map_err(invalid),
    }
}

/// Splits off the leading ASCII digits.
fn split_digits(text: &str) -> (&str, &str) {
    text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()))
}

fn is_root(namespace: &str) -> bool {
    namespace.is_empty() || namespace == "/"
}

impl Packet {
    /// Decodes one packet (the text of an Engine.IO message, without its
    /// `4`). Never panics; malformed input is a typed error.
    pub fn decode(text: &str) -> Result<Packet, DecodeError> {
        let kind = text.chars().next().ok_or(DecodeError::Empty)?;
        if !('0'..='6').contains(&kind) {
            return Err(DecodeError::BadType(kind));
        }
        let mut rest = &text[1..];

        let mut attachments = 0;
        if matches!(kind, '5' | '6') {
            let (digits, after) = split_digits(rest);
            let after = after.strip_prefix('-').ok_or(DecodeError::BadAttachments)?;
            attachments = digits.parse().map_err(|_| DecodeError::BadAttachments)?;
            // As the reference parser: a binary packet without binary is a contradiction.
            if attachments == 0 {
                return Err(DecodeError::BadAttachments);
            }
            rest = after;
        }

        let mut namespace = "/";
        if rest.starts_with('/') {
            (namespace, rest) = rest.split_once(',').unwrap_or((rest, ""));
        }
        let namespace = namespace.to_owned();

        let (digits, data) = split_digits(rest);
        let id = match digits {
            "" => None,
            digits => Some(digits.parse::<u64>().map_err(|_| DecodeError::BadId)?),
        };
        let data = (!data.is_empty()).then_some(data);
        if id.is_some() && matches!(kind, '0' | '1' | '4') {
            return Err(DecodeError::UnexpectedId);
        }

        Ok(match kind {
            '0' => {
                let auth = match data {
                    None => None,
                    Some(data) => {
                        let value = json_value(data)?;
                        if !value.get().starts_with('{') {
                            return Err(DecodeError::AuthNotAnObject);
                        }
                        Some(RawJson::from(value.to_owned()))
                    }
                };
                Packet::Connect { namespace, auth }
            }
            '1' => match data {
                None => Packet::Disconnect { namespace },
                Some(_) => return Err(DecodeError::UnexpectedData),
            },
            '2' | '5' => {
                let (name, args) = json_arguments(data.ok_or(DecodeError::MissingData)?, true)?;
                let name = name.ok_or(DecodeError::EventWithoutName)?;
                if !name.get().starts_with('"') {
                    return Err(DecodeError::EventWithoutName);
                }
                let name = string_value(name.get())?;
                if RESERVED_EVENTS.contains(&name.as_str()) {
                    return Err(DecodeError::ReservedEvent(name));
                }
                Packet::Event {
                    namespace,
                    id,
                    name,
                    args,
                    attachments,
                }
            }
            '3' | '6' => Packet::Ack {
                namespace,
                id: id.ok_or(DecodeError::MissingId)?,
                args: json_arguments(data.ok_or(DecodeError::MissingData)?, false)?.1,
                attachments,
            },
            _ => {
                let value = json_value(data.ok_or(DecodeError::MissingData)?)?;
                if !value.get().starts_with(['{', '"']) {
                    return Err(DecodeError::BadErrorData);
                }
                Packet::ConnectError {
                    namespace,
                    data: RawJson::from(value.to_owned()),
                }
            }
        })
    }

    /// Encodes the packet (without the Engine.IO `4`).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        match self {
            Packet::Connect { namespace, auth } => {
                head(&mut out, '0', 0, namespace, None);
                if let Some(auth) = auth {
                    out.push_str(auth.get());
                }
            }
            Packet::Disconnect { namespace } => head(&mut out, '1', 0, namespace, None),
            Packet::Event {
                namespace,
                id,
                name,
                args,
                attachments,
            } => {
                head(&mut out, '2', *attachments, namespace, *id);
                out.push('[');
                push_json_string(&mut out, name);
                for arg in args {
                    out.push(',');
                    out.push_str(arg.get());
                }
                out.push(']');
            }
            Packet::Ack {
                namespace,
                id,
                args,
                attachments,
            } => {
                head(&mut out, '3', *attachments, namespace, Some(*id));
                out.push('[');
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(arg.get());
                }
                out.push(']');
            }
            Packet::ConnectError { namespace, data } => {
                head(&mut out, '4', 0, namespace, None);
                out.push_str(data.get());
            }
        }
        out
    }

    /// The namespace the packet belongs to.
    pub fn namespace(&self) -> &str {
        match self {
            Packet::Connect { namespace, .. }
            | Packet::Disconnect { namespace }
            | Packet::Event { namespace, .. }
            | Packet::Ack { namespace, .. }
            | Packet::ConnectError { namespace, .. } => namespace,
        }
    }
}

/// Type, attachment count, namespace and ack id: everything before the data.
/// `kind` is the plain type (`2` or `3`); attachments turn it binary.
fn head(out: &mut String, kind: char, attachments: usize, namespace: &str, id: Option<u64>) {
    if attachments > 0 {
        out.push(if kind == '2' { '5' } else { '6' });
        push_number(out, attachments as u64);
        out.push('-');
    } else {
        out.push(kind);
    }
    // The comma is written even with nothing after it, as the reference
    // encoder does: `1/chat,`.
    if !is_root(namespace) {
        out.push_str(namespace);
        out.push(',');
    }
    if let Some(id) = id {
        push_number(out, id);
    }
}

/// How many bytes [`head`] writes.
fn head_len(attachments: usize, namespace: &str, id: Option<u64>) -> usize {
    let attachments = match attachments {
        0 => 0,
        n => digits(n as u64) + 1,
    };
    let namespace = if is_root(namespace) { 0 } else { namespace.len() + 1 };
    1 + attachments + namespace + id.map_or(0, digits)
}

fn push_json_string(out: &mut String, text: &str) {
    // Serializing a str cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned()));
}

/// An EVENT (or BINARY_EVENT when `attachments > 0`) from arguments already
/// serialized as one JSON array, `args_json` (`[1,"2"]`, or `[]`), so a
/// broadcast serializes them once: `2/ns,7["name",1,"2"]`.
pub fn encode_event(namespace: &str, id: Option<u64>, name: &str, args_json: &str, attachments: usize) -> String {
    let args = args_json.trim_matches(JSON_WHITESPACE);
    let inner = args.strip_prefix('[').and_then(|a| a.strip_suffix(']')).unwrap_or(args);
    let inner = inner.trim_matches(JSON_WHITESPACE);
    let mut out = String::with_capacity(24 + namespace.len() + name.len() + inner.len());
    head(&mut out, '2', attachments, namespace, id);
    out.push('[');
    push_json_string(&mut out, name);
    if !inner.is_empty() {
        out.push(',');
        out.push_str(inner);
    }
    out.push(']');
    out
}

/// An ACK (or BINARY_ACK when `attachments > 0`) of event `id`, from its
/// arguments already serialized as one JSON array: `3/ns,7[1,"2"]`.
pub fn encode_ack(namespace: &str, id: u64, args_json: &str, attachments: usize) -> String {
    let mut out = String::with_capacity(ack_len(namespace, id, args_json, attachments));
    write_ack(&mut out, namespace, id, args_json, attachments);
    out
}

/// [`encode_ack`] appended to `out` (after a transport's own prefix, say).
pub fn write_ack(out: &mut String, namespace: &str, id: u64, args_json: &str, attachments: usize) {
    head(out, '3', attachments, namespace, Some(id));
    out.push_str(args_json.trim_matches(JSON_WHITESPACE));
}

/// The exact length of what [`write_ack`] writes.
pub fn ack_len(namespace: &str, id: u64, args_json: &str, attachments: usize) -> usize {
    head_len(attachments, namespace, Some(id)) + args_json.trim_matches(JSON_WHITESPACE).len()
}

/// The server's answer to a CONNECT: `0{"sid":"..."}`, `0/chat,{"sid":"..."}`.
pub fn encode_connect(namespace: &str, sid: &str) -> String {
    encode_connect_with_pid(namespace, sid, None)
}

/// A CONNECT reply under connection state recovery: `0{"sid":"..","pid":".."}`
/// (`pid` names the private session a client comes back with).
pub fn encode_connect_with_pid(namespace: &str, sid: &str, pid: Option<&str>) -> String {
    let mut out = String::with_capacity(24 + namespace.len() + sid.len() + pid.map_or(0, str::len));
    head(&mut out, '0', 0, namespace, None);
    out.push_str("{\"sid\":");
    push_json_string(&mut out, sid);
    if let Some(pid) = pid {
        out.push_str(",\"pid\":");
        push_json_string(&mut out, pid);
    }
    out.push('}');
    out
}

/// An arguments array with `offset` appended as its last element, as
/// node's servers send a recoverable event (`[..., "OFFSET"]`).
pub fn args_with_offset(args_json: &str, offset: &str) -> String {
    let args = args_json.trim_matches(JSON_WHITESPACE);
    let inner = args.strip_prefix('[').and_then(|a| a.strip_suffix(']')).unwrap_or(args);
    let inner = inner.trim_matches(JSON_WHITESPACE);
    let mut out = String::with_capacity(inner.len() + offset.len() + 6);
    out.push('[');
    if !inner.is_empty() {
        out.push_str(inner);
        out.push(',');
    }
    push_json_string(&mut out, offset);
    out.push(']');
    out
}

/// A refused CONNECT: `4/chat,{"message":"Invalid namespace"}`.
pub fn encode_connect_error(namespace: &str, message: &str) -> String {
    let mut out = String::with_capacity(20 + namespace.len() + message.len());
    head(&mut out, '4', 0, namespace, None);
    out.push_str("{\"message\":");
    push_json_string(&mut out, message);
    out.push('}');
    out
}

/// The reason a refusing open hook gives the client.
pub const NOT_AUTHORIZED: &str = "Not authorized";
/// The reason a namespace nobody serves gives the client.
pub const INVALID_NAMESPACE: &str = "Invalid namespace";

/// Socket.IO protocol 4's (socket.io 2's) answer to a CONNECT: `0`, `0/chat`.
pub fn encode_connect_v4(namespace: &str) -> String {
    if namespace == "/" {
        "0".to_owned()
    } else {
        format!("0{namespace}")
    }
}

/// Socket.IO protocol 4's ERROR packet: `4"reason"`, `4/chat,"reason"`.
pub fn encode_error_v4(namespace: &str, message: &str) -> String {
    let mut out = String::with_capacity(6 + namespace.len() + message.len());
    out.push('4');
    if namespace != "/" {
        out.push_str(namespace);
        out.push(',');
    }
    push_json_string(&mut out, message);
    out
}

/// Leaving a namespace: `1`, `1/chat,`.
pub fn encode_disconnect(namespace: &str) -> String {
    let mut out = String::with_capacity(2 + namespace.len());
    head(&mut out, '1', 0, namespace, None);
    out
}

/// `{"_placeholder":true,"num":N}`: where binary attachment `num` goes in
/// the arguments, the text the client sends and expects, keys in this order.
pub fn placeholder(num: usize) -> String {
    format!("{{\"_placeholder\":true,\"num\":{num}}}")
}

#[cfg(test)]
#[path = "packet_tests.rs"]
mod tests;
