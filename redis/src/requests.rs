//! Requests between servers and their responses (classic `RequestType`
//! 0–9): JSON text, except the acknowledged broadcast (7) and each client
//! answer to it (9), which are msgpack maps because they may carry binary.
//! A message starting with `{` is JSON; no msgpack map or array can.

use rmpv::Value as Mp;
use serde::Deserialize;
use serde_json::value::RawValue;
use socketio::{AckResponse, RawJson};

use crate::message::{self, Malformed, Opts, Packet};

/// Node's `RequestType`.
pub(crate) mod kind {
    pub(crate) const SOCKETS: u8 = 0;
    pub(crate) const ALL_ROOMS: u8 = 1;
    pub(crate) const REMOTE_JOIN: u8 = 2;
    pub(crate) const REMOTE_LEAVE: u8 = 3;
    pub(crate) const REMOTE_DISCONNECT: u8 = 4;
    pub(crate) const REMOTE_FETCH: u8 = 5;
    pub(crate) const SERVER_SIDE_EMIT: u8 = 6;
    pub(crate) const BROADCAST: u8 = 7;
    pub(crate) const BROADCAST_CLIENT_COUNT: u8 = 8;
    pub(crate) const BROADCAST_ACK: u8 = 9;
}

fn is_json(bytes: &[u8]) -> bool {
    bytes.first() == Some(&b'{')
}

/// `{"rooms":[..],"except":[..]}` as requests carry it.
#[derive(Debug, Default, Deserialize)]
struct JsonOpts {
    #[serde(default)]
    rooms: Vec<serde_json::Value>,
    #[serde(default)]
    except: Vec<serde_json::Value>,
}

/// Every field any JSON request has.
#[derive(Debug, Deserialize)]
struct JsonRequest {
    #[serde(rename = "type")]
    kind: u8,
    uid: Option<String>,
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    opts: Option<JsonOpts>,
    rooms: Option<Vec<serde_json::Value>>,
    room: Option<serde_json::Value>,
    sid: Option<String>,
    close: Option<bool>,
    data: Option<Vec<Box<RawValue>>>,
}

/// Room names as strings; node's legacy rooms may be numbers.
fn names(values: Vec<serde_json::Value>) -> Vec<String> {
    values
        .into_iter()
        .filter_map(|v| match v {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

fn opts(json: JsonOpts) -> Opts {
    Opts {
        rooms: names(json.rooms),
        except: names(json.except),
        ..Opts::default()
    }
}

/// A request another server (or an emitter, or this one) sent.
#[derive(Debug)]
pub(crate) enum Request {
    /// 0 (old peers): the ids of the sockets in `rooms`.
    Sockets { request_id: String, rooms: Vec<String> },
    /// 1: every room.
    AllRooms { request_id: String },
    /// 2 and 3: sockets picked by `opts` join (leave) `rooms`.
    Rooms { join: bool, opts: Opts, rooms: Vec<String> },
    /// 2 and 3 from old peers: one socket joins (leaves) one room.
    SocketRoom {
        join: bool,
        request_id: Option<String>,
        sid: String,
        room: String,
    },
    /// 4: disconnect the sockets picked by `opts`.
    Disconnect { opts: Opts, close: bool },
    /// 4 from old peers: disconnect one socket.
    DisconnectSocket {
        request_id: Option<String>,
        sid: String,
        close: bool,
    },
    /// 5: describe the sockets picked by `opts`.
    Fetch { request_id: String, opts: Opts },
    /// 6: an event for this server's handler; answered when `request_id`.
    ServerSideEmit {
        request_id: Option<String>,
        name: String,
        args: Vec<RawJson>,
    },
    /// 7: a broadcast whose client answers go back to the requester.
    Broadcast {
        request_id: String,
        packet: Packet,
        opts: Opts,
    },
}

/// A request and who sent it (`None`: an emitter, which has no uid).
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) uid: Option<String>,
    pub(crate) request: Request,
}

/// Reads a request: JSON, or msgpack for the acknowledged broadcast.
pub(crate) fn decode_request(bytes: &[u8]) -> Result<Incoming, Malformed> {
    if !is_json(bytes) {
        return decode_broadcast_request(bytes);
    }
    let json: JsonRequest = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let request_id = json.request_id;
    let needs_id = |id: Option<String>| id.ok_or_else(|| "no requestId".to_owned());
    let request = match json.kind {
        kind::SOCKETS => Request::Sockets {
            request_id: needs_id(request_id)?,
            rooms: names(json.rooms.unwrap_or_default()),
        },
        kind::ALL_ROOMS => Request::AllRooms {
            request_id: needs_id(request_id)?,
        },
        kind::REMOTE_JOIN | kind::REMOTE_LEAVE => {
            let join = json.kind == kind::REMOTE_JOIN;
            match json.opts {
                Some(o) => Request::Rooms {
                    join,
                    opts: opts(o),
                    rooms: names(json.rooms.unwrap_or_default()),
                },
                None => Request::SocketRoom {
                    join,
                    request_id,
                    sid: json.sid.ok_or("no sid")?,
                    room: json
                        .room
                        .map(|r| names(vec![r]))
                        .and_then(|mut r| r.pop())
                        .ok_or("no room")?,
                },
            }
        }
        kind::REMOTE_DISCONNECT => match json.opts {
            Some(o) => Request::Disconnect {
                opts: opts(o),
                close: json.close.unwrap_or(false),
            },
            None => Request::DisconnectSocket {
                request_id,
                sid: json.sid.ok_or("no sid")?,
                close: json.close.unwrap_or(false),
            },
        },
        kind::REMOTE_FETCH => Request::Fetch {
            request_id: needs_id(request_id)?,
            opts: opts(json.opts.unwrap_or_default()),
        },
        kind::SERVER_SIDE_EMIT => {
            let mut data = json.data.ok_or("no data")?.into_iter();
            let name: String = serde_json::from_str(data.next().ok_or("no event name")?.get())
                .map_err(|_| "the event name is not a string")?;
            let args = data.map(RawJson::from).collect();
            Request::ServerSideEmit { request_id, name, args }
        }
        other => return Err(format!("unknown request type {other}")),
    };
    Ok(Incoming { uid: json.uid, request })
}

fn decode_broadcast_request(bytes: &[u8]) -> Result<Incoming, Malformed> {
    let value = message::decode(bytes)?;
    let kind = message::field(&value, "type").and_then(Mp::as_u64);
    if kind != Some(u64::from(kind::BROADCAST)) {
        return Err(format!("msgpack request of type {kind:?}"));
    }
    let text = |key: &str| message::field(&value, key).and_then(Mp::as_str).map(str::to_owned);
    let request_id = text("requestId").ok_or("no requestId")?;
    let packet = message::read_packet(message::field(&value, "packet").ok_or("no packet")?)?;
    let opts = message::read_opts(message::field(&value, "opts").ok_or("no opts")?)?;
    Ok(Incoming {
        uid: text("uid"),
        request: Request::Broadcast {
            request_id,
            packet,
            opts,
        },
    })
}

/// JSON text of a request or response (serde_json writes no leading
/// whitespace, so receivers see `{` first).
pub(crate) fn json(value: &serde_json::Value) -> Vec<u8> {
    // A `Value` always serializes.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The `opts` of a JSON request.
pub(crate) fn json_opts(rooms: &[String], except: &[String]) -> serde_json::Value {
    serde_json::json!({ "rooms": rooms, "except": except })
}

/// The acknowledged broadcast request (msgpack).
pub(crate) fn broadcast_request(uid: &str, request_id: &str, packet: Mp, opts: Mp) -> Vec<u8> {
    message::encode(&Mp::Map(vec![
        (Mp::from("uid"), Mp::from(uid)),
        (Mp::from("requestId"), Mp::from(request_id)),
        (Mp::from("type"), Mp::from(kind::BROADCAST)),
        (Mp::from("packet"), packet),
        (Mp::from("opts"), opts),
    ]))
}

/// One client's answer to an acknowledged broadcast (msgpack): its first
/// argument, binary in place.
pub(crate) fn broadcast_ack(request_id: &str, answer: &AckResponse) -> Result<Vec<u8>, Malformed> {
    let first = match answer.args.first() {
        Some(raw) => message::from_json(raw.get(), raw.attachments())?,
        None => Mp::Nil,
    };
    Ok(message::encode(&Mp::Map(vec![
        (Mp::from("type"), Mp::from(kind::BROADCAST_ACK)),
        (Mp::from("requestId"), Mp::from(request_id)),
        (Mp::from("packet"), first),
    ])))
}

/// Every field any JSON response has.
#[derive(Debug, Deserialize)]
struct JsonResponse {
    #[serde(rename = "type")]
    kind: Option<u8>,
    #[serde(rename = "requestId")]
    request_id: String,
    sockets: Option<Vec<Box<RawValue>>>,
    rooms: Option<Vec<serde_json::Value>>,
    data: Option<Box<RawValue>>,
    #[serde(rename = "clientCount")]
    client_count: Option<u64>,
}

/// A response to a request of this server's, as its requester reads it.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) request_id: String,
    pub(crate) body: Body,
}

/// What a response carries.
#[derive(Debug)]
pub(crate) enum Body {
    /// To 5 (and 0): socket descriptions, each still JSON; those that do
    /// not read are skipped by the requester.
    Sockets(Vec<Box<RawValue>>),
    /// To 1.
    Rooms(Vec<String>),
    /// To 6 (`data`) and one client's answer to 7 (type 9): one argument.
    Answer(AckResponse),
    /// To 7: how many clients the broadcast reached on that server.
    ClientCount(usize),
    /// Anything else with a requestId (old join/leave/disconnect answers,
    /// or a response without what it should carry); still counts as an
    /// answer, as in node.
    Empty,
}

/// Reads a response: JSON, or msgpack for a client's answer (9).
pub(crate) fn decode_response(bytes: &[u8]) -> Result<Response, Malformed> {
    if !is_json(bytes) {
        let value = message::decode(bytes)?;
        let kind = message::field(&value, "type").and_then(Mp::as_u64);
        if kind != Some(u64::from(kind::BROADCAST_ACK)) {
            return Err(format!("msgpack response of type {kind:?}"));
        }
        let request_id = message::field(&value, "requestId")
            .and_then(Mp::as_str)
            .ok_or("no requestId")?
            .to_owned();
        // Binary in the answer (`bin`) stays binary: a placeholder and an
        // attachment, as in a broadcast's arguments.
        let args = match message::field(&value, "packet") {
            None => Vec::new(),
            Some(packet) => vec![message::to_raw_json(packet)?],
        };
        return Ok(Response {
            request_id,
            body: Body::Answer(AckResponse { args }),
        });
    }
    let json: JsonResponse = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let body = if json.kind == Some(kind::BROADCAST_CLIENT_COUNT) {
        let count = json.client_count.ok_or("no clientCount")?;
        Body::ClientCount(usize::try_from(count).map_err(|e| e.to_string())?)
    } else if json.kind == Some(kind::SERVER_SIDE_EMIT) {
        Body::Answer(AckResponse {
            args: json.data.map(RawJson::from).into_iter().collect(),
        })
    } else if let Some(sockets) = json.sockets {
        Body::Sockets(sockets)
    } else if let Some(rooms) = json.rooms {
        Body::Rooms(names(rooms))
    } else {
        Body::Empty
    };
    Ok(Response {
        request_id: json.request_id,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_requests_read() {
        let join =
            decode_request(br#"{"uid":"Ab3dEf","type":2,"opts":{"rooms":["a"],"except":["b"]},"rooms":["r1","r2"]}"#)
                .expect("join");
        assert_eq!(join.uid.as_deref(), Some("Ab3dEf"));
        let Request::Rooms {
            join: true,
            opts,
            rooms,
        } = join.request
        else {
            panic!("{join:?}")
        };
        assert_eq!(
            (opts.rooms, opts.except, rooms),
            (
                vec!["a".to_owned()],
                vec!["b".to_owned()],
                vec!["r1".to_owned(), "r2".to_owned()]
            )
        );

        let emit = decode_request(br#"{"uid":"emitter","type":6,"data":["hello",{"x":1},[2]]}"#).expect("emit");
        let Request::ServerSideEmit {
            request_id: None,
            name,
            args,
        } = emit.request
        else {
            panic!("{emit:?}")
        };
        assert_eq!(name, "hello");
        assert_eq!(args.iter().map(RawJson::get).collect::<Vec<_>>(), [r#"{"x":1}"#, "[2]"]);

        let emitter_join =
            decode_request(br#"{"type":4,"opts":{"rooms":[],"except":[]},"close":true}"#).expect("emitter");
        assert!(emitter_join.uid.is_none());
        assert!(matches!(emitter_join.request, Request::Disconnect { close: true, .. }));

        for bad in [
            &b"{"[..],
            b"{}",
            br#"{"type":42}"#,
            br#"{"type":5}"#,
            b"\xc1",
            b"\x81\xa4type\x07",
        ] {
            assert!(decode_request(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn broadcast_request_and_acks_round_trip() {
        let packet = message::packet_value("/", vec![Mp::from("ev"), Mp::Binary(vec![7])]);
        let opts = message::opts_value(&[], &["x".to_owned()], vec![("timeout", Mp::from(1000))]);
        let incoming = decode_request(&broadcast_request("Ab3dEf", "R1", packet, opts)).expect("request");
        let Request::Broadcast {
            request_id,
            packet,
            opts,
        } = incoming.request
        else {
            panic!("{incoming:?}")
        };
        assert_eq!(
            (request_id.as_str(), opts.timeout_ms, opts.except.len()),
            ("R1", Some(1000), 1)
        );
        assert_eq!(packet.nsp, "/");

        let answer = AckResponse {
            args: vec![RawJson::from_string(r#"{"ok":true}"#.into()).expect("json")],
        };
        let response = decode_response(&broadcast_ack("R1", &answer).expect("encodes")).expect("decodes");
        let Body::Answer(back) = response.body else {
            panic!("{response:?}")
        };
        assert_eq!(back.args[0].get(), r#"{"ok":true}"#);

        let count = decode_response(br#"{"type":8,"requestId":"R1","clientCount":3}"#).expect("count");
        assert!(matches!(count.body, Body::ClientCount(3)));
        let rooms = decode_response(br#"{"requestId":"R2","rooms":["a","b"]}"#).expect("rooms");
        assert!(matches!(rooms.body, Body::Rooms(r) if r == ["a", "b"]));
    }
}
