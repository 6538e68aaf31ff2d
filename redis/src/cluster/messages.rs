//! Node's `ClusterMessage`/`ClusterResponse`: `{type, data, uid, nsp}`,
//! JSON text unless a type that may carry binary does (then msgpack, binary
//! as `bin`). A message starting with `{` is JSON, as node decides.

use rmpv::Value as Mp;
use serde_json::value::RawValue;
use socketio::AckResponse;

use crate::message::{self, Malformed, Opts, Packet};
use crate::requests::{Body, Response};

/// Node's `MessageType` (socket.io-adapter 2.5).
pub(crate) mod kind {
    pub(crate) const INITIAL_HEARTBEAT: u8 = 1;
    pub(crate) const HEARTBEAT: u8 = 2;
    pub(crate) const BROADCAST: u8 = 3;
    pub(crate) const SOCKETS_JOIN: u8 = 4;
    pub(crate) const SOCKETS_LEAVE: u8 = 5;
    pub(crate) const DISCONNECT_SOCKETS: u8 = 6;
    pub(crate) const FETCH_SOCKETS: u8 = 7;
    pub(crate) const FETCH_SOCKETS_RESPONSE: u8 = 8;
    pub(crate) const SERVER_SIDE_EMIT: u8 = 9;
    pub(crate) const SERVER_SIDE_EMIT_RESPONSE: u8 = 10;
    pub(crate) const BROADCAST_CLIENT_COUNT: u8 = 11;
    pub(crate) const BROADCAST_ACK: u8 = 12;
    pub(crate) const ADAPTER_CLOSE: u8 = 13;
}

/// The types node encodes in msgpack when their data holds binary.
fn may_carry_binary(kind: u8) -> bool {
    matches!(
        kind,
        kind::BROADCAST
            | kind::BROADCAST_ACK
            | kind::FETCH_SOCKETS_RESPONSE
            | kind::SERVER_SIDE_EMIT
            | kind::SERVER_SIDE_EMIT_RESPONSE
    )
}

fn has_binary(value: &Mp) -> bool {
    match value {
        Mp::Binary(_) => true,
        Mp::Array(items) => items.iter().any(has_binary),
        Mp::Map(entries) => entries.iter().any(|(_, v)| has_binary(v)),
        _ => false,
    }
}

/// Whether node sends `data` of a message of `kind` as msgpack (the type
/// may carry binary, and it does); else as JSON.
pub(crate) fn binary_form(kind: u8, data: &Mp) -> bool {
    may_carry_binary(kind) && has_binary(data)
}

/// The message object `{type, data, uid, nsp}` of `kind` from server
/// `uid` about namespace `nsp` (node's name).
pub(crate) fn value(kind: u8, uid: &str, nsp: &str, data: Option<Mp>) -> Mp {
    let mut entries = vec![(Mp::from("type"), Mp::from(kind))];
    if let Some(data) = data {
        entries.push((Mp::from("data"), data));
    }
    entries.push((Mp::from("uid"), Mp::from(uid)));
    entries.push((Mp::from("nsp"), Mp::from(nsp)));
    Mp::Map(entries)
}

/// Encodes one message of `kind` from server `uid` about namespace `nsp`
/// (node's name): JSON, or msgpack when its data holds binary.
pub(crate) fn encode(kind: u8, uid: &str, nsp: &str, data: Option<Mp>) -> Vec<u8> {
    let binary = data.as_ref().is_some_and(|data| binary_form(kind, data));
    let value = value(kind, uid, nsp, data);
    if binary {
        return message::encode(&value);
    }
    // Without binary every value has a JSON form.
    message::to_plain_json(&value)
        .map(String::into_bytes)
        .unwrap_or_default()
}

/// `{key: value, ...}` for a message's data.
pub(crate) fn map(entries: Vec<(&str, Mp)>) -> Mp {
    Mp::Map(entries.into_iter().map(|(k, v)| (Mp::from(k), v)).collect())
}

/// A message another server (or this one) published.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// The sender's uid (absent or not a string: `None`).
    pub(crate) uid: Option<String>,
    /// The namespace, node's name (`None` when absent).
    pub(crate) nsp: Option<String>,
    pub(crate) message: Message,
}

/// What a message asks, or answers.
#[derive(Debug)]
pub(crate) enum Message {
    /// 3: a broadcast; with a request id its client answers go back.
    Broadcast {
        request_id: Option<String>,
        packet: Packet,
        opts: Opts,
    },
    /// 4 and 5: sockets picked by `opts` join (leave) `rooms`.
    Rooms { join: bool, opts: Opts, rooms: Vec<String> },
    /// 6.
    Disconnect { opts: Opts, close: bool },
    /// 7.
    Fetch { request_id: String, opts: Opts },
    /// 9: an event for this server's handler; answered with a request id.
    ServerSideEmit {
        request_id: Option<String>,
        name: String,
        args: Vec<Mp>,
    },
    /// 8, 10, 11 and 12: an answer to a request.
    Response(Response),
    /// 1, 2 and 13: heartbeats and goodbyes of node's heartbeat-counting
    /// adapters; this one counts subscribers instead.
    Ignored(u8),
}

/// Decodes a message, JSON or msgpack.
pub(crate) fn decode(bytes: &[u8]) -> Result<Incoming, Malformed> {
    let value: Mp = if bytes.first() == Some(&b'{') {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())?
    } else {
        message::decode(bytes)?
    };
    read(&value)
}

/// Reads a message object `{type, data, uid, nsp}`.
pub(crate) fn read(value: &Mp) -> Result<Incoming, Malformed> {
    let text = |v: &Mp, key: &str| message::field(v, key).and_then(Mp::as_str).map(str::to_owned);
    let kind = message::field(value, "type")
        .and_then(Mp::as_u64)
        .and_then(|k| u8::try_from(k).ok())
        .ok_or("no message type")?;
    let uid = text(value, "uid");
    let nsp = text(value, "nsp");
    let nil = Mp::Nil;
    let data = message::field(value, "data").unwrap_or(&nil);
    let request_id = text(data, "requestId");
    let needs_id = || request_id.clone().ok_or_else(|| "no requestId".to_owned());
    let opts = || message::read_opts(message::field(data, "opts").ok_or("no opts")?);
    let message = match kind {
        kind::BROADCAST => Message::Broadcast {
            request_id: request_id.clone(),
            packet: message::read_packet(message::field(data, "packet").ok_or("no packet")?)?,
            opts: opts()?,
        },
        kind::SOCKETS_JOIN | kind::SOCKETS_LEAVE => Message::Rooms {
            join: kind == kind::SOCKETS_JOIN,
            opts: opts()?,
            rooms: rooms(message::field(data, "rooms"))?,
        },
        kind::DISCONNECT_SOCKETS => Message::Disconnect {
            opts: opts()?,
            close: message::field(data, "close").and_then(Mp::as_bool).unwrap_or(false),
        },
        kind::FETCH_SOCKETS => Message::Fetch {
            request_id: needs_id()?,
            opts: opts()?,
        },
        kind::SERVER_SIDE_EMIT => {
            let packet = message::field(data, "packet")
                .and_then(Mp::as_array)
                .ok_or("the packet is not an array")?;
            let (name, args) = packet.split_first().ok_or("the packet is empty")?;
            Message::ServerSideEmit {
                request_id: request_id.clone(),
                name: name.as_str().ok_or("the event name is not a string")?.to_owned(),
                args: args.to_vec(),
            }
        }
        kind::FETCH_SOCKETS_RESPONSE => {
            let sockets = message::field(data, "sockets")
                .and_then(Mp::as_array)
                .ok_or("sockets is not an array")?;
            let sockets = sockets
                .iter()
                .filter_map(|socket| {
                    let json = message::to_plain_json(socket).ok()?;
                    RawValue::from_string(json).ok()
                })
                .collect();
            response(needs_id()?, Body::Sockets(sockets))
        }
        kind::SERVER_SIDE_EMIT_RESPONSE | kind::BROADCAST_ACK => {
            // Binary stays binary: a placeholder and an attachment.
            let args = match message::field(data, "packet") {
                None => Vec::new(),
                Some(packet) => vec![message::to_raw_json(packet)?],
            };
            response(needs_id()?, Body::Answer(AckResponse { args }))
        }
        kind::BROADCAST_CLIENT_COUNT => {
            let count = message::field(data, "clientCount")
                .and_then(Mp::as_u64)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or("no clientCount")?;
            response(needs_id()?, Body::ClientCount(count))
        }
        kind::INITIAL_HEARTBEAT | kind::HEARTBEAT | kind::ADAPTER_CLOSE => Message::Ignored(kind),
        other => return Err(format!("unknown message type {other}")),
    };
    Ok(Incoming { uid, nsp, message })
}

fn response(request_id: String, body: Body) -> Message {
    Message::Response(Response { request_id, body })
}

/// Room names: strings, or numbers (node's legacy numeric rooms).
fn rooms(value: Option<&Mp>) -> Result<Vec<String>, Malformed> {
    let Some(Mp::Array(items)) = value else {
        return Err("rooms is not an array".to_owned());
    };
    Ok(items
        .iter()
        .filter_map(|room| match room {
            Mp::String(s) => s.as_str().map(str::to_owned),
            Mp::Integer(i) => Some(i.to_string()),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_unless_binary_and_both_decode() {
        let data = map(vec![
            ("opts", message::opts_value(&["r".to_owned()], &[], Vec::new())),
            ("rooms", Mp::Array(vec![Mp::from("s")])),
        ]);
        let bytes = encode(kind::SOCKETS_JOIN, "Ab3dEf", "/", Some(data));
        assert_eq!(
            String::from_utf8(bytes.clone()).expect("text"),
            r#"{"type":4,"data":{"opts":{"rooms":["r"],"except":[],"flags":{}},"rooms":["s"]},"uid":"Ab3dEf","nsp":"/"}"#
        );
        let back = decode(&bytes).expect("decodes");
        assert_eq!((back.uid.as_deref(), back.nsp.as_deref()), (Some("Ab3dEf"), Some("/")));
        assert!(matches!(back.message, Message::Rooms { join: true, ref rooms, .. } if rooms == &["s"]));

        let packet = message::packet_value("/", vec![Mp::from("bin"), Mp::Binary(vec![1, 2])]);
        let data = map(vec![
            ("packet", packet),
            ("opts", message::opts_value(&[], &[], Vec::new())),
        ]);
        let bytes = encode(kind::BROADCAST, "Ab3dEf", "/", Some(data));
        assert_eq!(bytes[0], 0x84, "a msgpack map of 4");
        let back = decode(&bytes).expect("decodes");
        let Message::Broadcast {
            request_id: None,
            packet,
            ..
        } = back.message
        else {
            panic!("{back:?}")
        };
        let socketio::BroadcastPacket::Event { args, .. } = packet.event else {
            panic!("an event")
        };
        assert_eq!(args.attachments().len(), 1);

        // Node's responses, as its JSON has them.
        let count =
            decode(br#"{"type":11,"data":{"requestId":"r1","clientCount":2},"uid":"x","nsp":"/"}"#).expect("count");
        assert!(matches!(
            count.message,
            Message::Response(Response {
                body: Body::ClientCount(2),
                ..
            })
        ));
        let fetched = decode(
            br#"{"type":8,"data":{"requestId":"r1","sockets":[{"id":"s","rooms":["s"],"handshake":{},"data":{"k":1}}]},"uid":"x","nsp":"/"}"#,
        )
        .expect("sockets");
        let Message::Response(Response {
            body: Body::Sockets(sockets),
            ..
        }) = fetched.message
        else {
            panic!("{fetched:?}")
        };
        assert_eq!(
            sockets[0].get(),
            r#"{"id":"s","rooms":["s"],"handshake":{},"data":{"k":1}}"#
        );
        let heartbeat = decode(br#"{"type":2,"uid":"x","nsp":"/"}"#).expect("heartbeat");
        assert!(matches!(heartbeat.message, Message::Ignored(2)));

        for bad in [
            &b""[..],
            b"{",
            b"{}",
            br#"{"type":99}"#,
            br#"{"type":7,"data":{}}"#,
            br#"{"type":9,"data":{"packet":[1]}}"#,
            br#"{"type":3,"data":{"packet":{"type":2,"data":[]},"opts":{}}}"#,
            b"\xc1",
            b"\x81\xa4type\x03",
        ] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }
}
