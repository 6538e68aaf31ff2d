//! The broadcast message `[uid, packet, opts]` in msgpack, and the
//! conversion between msgpack values (node's binary in place, as `bin`)
//! and our arguments (JSON whose placeholders index attachments).

use bytes::Bytes;
use rmpv::Value as Mp;
use std::time::Duration;

use socketio::{BroadcastPacket, EncodedArgs, RawJson, Target};

/// Why a message from Redis was dropped.
pub(crate) type Malformed = String;

/// socket.io-parser's EVENT; BINARY_EVENT (5) is accepted for old emitters.
const EVENT: u8 = 2;
const BINARY_EVENT: u8 = 5;

/// Parses JSON into a msgpack value, keys in their order, each placeholder
/// `{"_placeholder":true,"num":N}` replaced by `bin` of attachment N.
pub(crate) fn from_json(json: &str, attachments: &[Bytes]) -> Result<Mp, Malformed> {
    let mut value: Mp = serde_json::from_str(json).map_err(|e| e.to_string())?;
    if !attachments.is_empty() {
        fill_placeholders(&mut value, attachments);
    }
    Ok(value)
}

fn fill_placeholders(value: &mut Mp, attachments: &[Bytes]) {
    match value {
        Mp::Array(items) => items.iter_mut().for_each(|v| fill_placeholders(v, attachments)),
        Mp::Map(entries) => {
            if let Some(n) = placeholder_num(entries) {
                if let Some(bytes) = attachments.get(n) {
                    *value = Mp::Binary(bytes.to_vec());
                    return;
                }
            }
            entries.iter_mut().for_each(|(_, v)| fill_placeholders(v, attachments));
        }
        _ => {}
    }
}

fn placeholder_num(entries: &[(Mp, Mp)]) -> Option<usize> {
    let get = |key: &str| entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v);
    if entries.len() != 2 || get("_placeholder")?.as_bool() != Some(true) {
        return None;
    }
    usize::try_from(get("num")?.as_u64()?).ok()
}

/// Our arguments for msgpack values: `bin` becomes a placeholder and an
/// attachment, a Date (timestamp extension) its ISO string as node's JSON
/// gives it, anything JSON cannot hold `null`.
pub(crate) fn to_args(values: &[Mp]) -> Result<EncodedArgs, Malformed> {
    let mut attachments = Vec::new();
    let array = Mp::Array(
        values
            .iter()
            .map(|v| to_json_value(v, &mut Some(&mut attachments)))
            .collect(),
    );
    let json = serde_json::to_string(&array).map_err(|e| e.to_string())?;
    let raw = RawJson::from_string(json).map_err(|e| e.to_string())?;
    EncodedArgs::from_parts(raw, attachments).map_err(|e| e.to_string())
}

/// One value as our JSON: `bin` becomes a placeholder indexing the
/// attachments the result carries, as [`to_args`] does for arguments.
pub(crate) fn to_raw_json(value: &Mp) -> Result<RawJson, Malformed> {
    let mut attachments = Vec::new();
    let json_value = to_json_value(value, &mut Some(&mut attachments));
    let json = serde_json::to_string(&json_value).map_err(|e| e.to_string())?;
    let raw = RawJson::from_string(json).map_err(|e| e.to_string())?;
    Ok(raw.with_attachments(attachments.into()))
}

/// JSON text for a value, binary as node's `Buffer#toJSON` writes it
/// (`{"type":"Buffer","data":[..]}`): what node's JSON requests carry.
pub(crate) fn to_plain_json(value: &Mp) -> Result<String, Malformed> {
    serde_json::to_string(&to_json_value(value, &mut None)).map_err(|e| e.to_string())
}

/// A value JSON can hold: with `attachments`, binary becomes placeholders
/// pushed there; without, node's Buffer object.
fn to_json_value(value: &Mp, attachments: &mut Option<&mut Vec<Bytes>>) -> Mp {
    match value {
        Mp::Binary(bytes) => binary(bytes, attachments),
        Mp::Ext(0, bytes) => binary(bytes, attachments),
        Mp::Ext(-1, bytes) => timestamp(bytes).map_or(Mp::Nil, Mp::from),
        Mp::Ext(..) => Mp::Nil,
        Mp::F32(f) if !f.is_finite() => Mp::Nil,
        Mp::F64(f) if !f.is_finite() => Mp::Nil,
        Mp::String(s) if s.as_str().is_none() => Mp::from(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        Mp::Array(items) => Mp::Array(items.iter().map(|v| to_json_value(v, attachments)).collect()),
        Mp::Map(entries) => Mp::Map(
            entries
                .iter()
                .map(|(k, v)| (Mp::from(key_string(k)), to_json_value(v, attachments)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn binary(bytes: &[u8], attachments: &mut Option<&mut Vec<Bytes>>) -> Mp {
    match attachments {
        Some(list) => {
            list.push(Bytes::copy_from_slice(bytes));
            Mp::Map(vec![
                (Mp::from("_placeholder"), Mp::Boolean(true)),
                (Mp::from("num"), Mp::from(list.len() - 1)),
            ])
        }
        None => Mp::Map(vec![
            (Mp::from("type"), Mp::from("Buffer")),
            (
                Mp::from("data"),
                Mp::Array(bytes.iter().map(|b| Mp::from(*b)).collect()),
            ),
        ]),
    }
}

/// JSON keys are strings; JS turns any other key into its string form.
fn key_string(key: &Mp) -> String {
    match key {
        Mp::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        Mp::Integer(i) => i.to_string(),
        Mp::Boolean(b) => b.to_string(),
        Mp::Nil => "null".to_owned(),
        Mp::F64(f) => f.to_string(),
        Mp::F32(f) => f.to_string(),
        _ => String::new(),
    }
}

/// The msgpack timestamp extension (ts32, ts64, ts96) as JS's
/// `Date#toJSON`: `2024-03-12T10:00:00.000Z`.
fn timestamp(bytes: &[u8]) -> Option<String> {
    let (secs, nanos): (i64, u32) = match bytes.len() {
        4 => (i64::from(u32::from_be_bytes(bytes.try_into().ok()?)), 0),
        8 => {
            let n = u64::from_be_bytes(bytes.try_into().ok()?);
            (i64::try_from(n & 0x3_ffff_ffff).ok()?, u32::try_from(n >> 34).ok()?)
        }
        12 => (
            i64::from_be_bytes(bytes[4..].try_into().ok()?),
            u32::from_be_bytes(bytes[..4].try_into().ok()?),
        ),
        _ => return None,
    };
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        nanos / 1_000_000
    ))
}

/// Howard Hinnant's days-to-civil: the proleptic Gregorian date of a day
/// count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A packet's `data`: `[event, ...args]`. Messages become node's `message`
/// event, which is what modern clients see of them too.
pub(crate) fn packet_data(packet: &BroadcastPacket) -> Result<Vec<Mp>, Malformed> {
    let (name, json, attachments) = match packet {
        BroadcastPacket::Event { name, args } => (name.as_str(), args.json(), args.attachments()),
        BroadcastPacket::Message(text) => return Ok(vec![Mp::from("message"), Mp::from(text.as_str())]),
        BroadcastPacket::Json(raw) => {
            return Ok(vec![Mp::from("message"), from_json(raw.get(), raw.attachments())?]);
        }
        _ => return Err("a packet kind this adapter does not know".to_owned()),
    };
    let mut data = vec![Mp::from(name)];
    match from_json(json, attachments)? {
        Mp::Array(args) => data.extend(args),
        _ => return Err("arguments are not an array".to_owned()),
    }
    Ok(data)
}

/// socket.io's packet object `{type: 2, data, nsp}`.
pub(crate) fn packet_value(nsp: &str, data: Vec<Mp>) -> Mp {
    Mp::Map(vec![
        (Mp::from("type"), Mp::from(EVENT)),
        (Mp::from("data"), Mp::Array(data)),
        (Mp::from("nsp"), Mp::from(nsp)),
    ])
}

/// The broadcast options: `{rooms, except, flags}`.
pub(crate) fn opts_value(rooms: &[String], except: &[String], flags: Vec<(&str, Mp)>) -> Mp {
    let strings = |list: &[String]| Mp::Array(list.iter().map(|r| Mp::from(r.as_str())).collect());
    Mp::Map(vec![
        (Mp::from("rooms"), strings(rooms)),
        (Mp::from("except"), strings(except)),
        (
            Mp::from("flags"),
            Mp::Map(flags.into_iter().map(|(k, v)| (Mp::from(k), v)).collect()),
        ),
    ])
}

/// A duration in node's milliseconds.
pub(crate) fn millis(duration: Duration) -> Mp {
    Mp::from(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// The `opts` of a broadcast to `target` for the other servers:
/// `flags.timeout` when it waits `ack_timeout` for acknowledgements, then
/// `flags.volatile` when it is volatile (node's order).
pub(crate) fn broadcast_opts(target: &Target, ack_timeout: Option<Duration>) -> Mp {
    let mut flags = Vec::new();
    if let Some(timeout) = ack_timeout {
        flags.push(("timeout", millis(timeout)));
    }
    if target.flags.volatile {
        flags.push(("volatile", Mp::Boolean(true)));
    }
    opts_value(&target.rooms, &target.except, flags)
}

/// Encodes a msgpack value.
pub(crate) fn encode(value: &Mp) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, value);
    out
}

/// Decodes one msgpack value, all of `bytes`.
pub(crate) fn decode(mut bytes: &[u8]) -> Result<Mp, Malformed> {
    let value = rmpv::decode::read_value(&mut bytes).map_err(|e| e.to_string())?;
    if !bytes.is_empty() {
        return Err("trailing bytes after the msgpack value".to_owned());
    }
    Ok(value)
}

/// The field `key` of a msgpack map.
pub(crate) fn field<'a>(map: &'a Mp, key: &str) -> Option<&'a Mp> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

/// A room name: a string, or a number (node's legacy numeric rooms).
fn room_name(value: &Mp) -> Option<String> {
    match value {
        Mp::String(s) => s.as_str().map(str::to_owned),
        Mp::Integer(i) => Some(i.to_string()),
        Mp::F64(f) => Some(f.to_string()),
        _ => None,
    }
}

/// A decoded event packet: its namespace (node's name) and event.
#[derive(Debug)]
pub(crate) struct Packet {
    pub(crate) nsp: String,
    pub(crate) event: BroadcastPacket,
}

/// Reads socket.io's packet object; a missing `nsp` is `/`, as in node.
pub(crate) fn read_packet(value: &Mp) -> Result<Packet, Malformed> {
    let kind = field(value, "type").and_then(Mp::as_u64);
    if !matches!(kind, Some(k) if k == u64::from(EVENT) || k == u64::from(BINARY_EVENT)) {
        return Err(format!("packet type {kind:?} is not an event"));
    }
    let nsp = match field(value, "nsp") {
        None | Some(Mp::Nil) => "/".to_owned(),
        Some(nsp) => nsp.as_str().ok_or("nsp is not a string")?.to_owned(),
    };
    let data = field(value, "data")
        .and_then(Mp::as_array)
        .ok_or("data is not an array")?;
    let (name, args) = data.split_first().ok_or("data is empty")?;
    let name = name.as_str().ok_or("the event name is not a string")?.to_owned();
    let event = BroadcastPacket::Event {
        name,
        args: to_args(args)?,
    };
    Ok(Packet { nsp, event })
}

/// Decoded broadcast options.
#[derive(Debug, Default)]
pub(crate) struct Opts {
    pub(crate) rooms: Vec<String>,
    pub(crate) except: Vec<String>,
    pub(crate) volatile: bool,
    /// `flags.timeout`, ms, on acknowledged broadcasts.
    pub(crate) timeout_ms: Option<u64>,
}

/// Our target for a namespace (node's name) and node's opts.
pub(crate) fn target(nsp: &str, opts: Opts) -> Target {
    let mut target = Target::namespace(crate::channels::endpoint(nsp));
    target.rooms = opts.rooms;
    target.except = opts.except;
    target.flags.volatile = opts.volatile;
    target
}

/// Reads `{rooms, except, flags}`; missing fields are empty.
pub(crate) fn read_opts(value: &Mp) -> Result<Opts, Malformed> {
    let list = |key: &str| -> Result<Vec<String>, Malformed> {
        match field(value, key) {
            None | Some(Mp::Nil) => Ok(Vec::new()),
            Some(Mp::Array(items)) => items
                .iter()
                .map(|r| room_name(r).ok_or_else(|| format!("a room in {key} is not a string")))
                .collect(),
            Some(_) => Err(format!("{key} is not an array")),
        }
    };
    let flags = field(value, "flags");
    let flag = |key: &str| flags.and_then(|f| field(f, key));
    Ok(Opts {
        rooms: list("rooms")?,
        except: list("except")?,
        volatile: flag("volatile").and_then(Mp::as_bool).unwrap_or(false),
        timeout_ms: flag("timeout").and_then(|t| t.as_u64().or_else(|| t.as_f64().map(|f| f as u64))),
    })
}

/// The broadcast message `[uid, packet, opts]`.
pub(crate) fn encode_broadcast(uid: &str, nsp: &str, data: Vec<Mp>, opts: Mp) -> Vec<u8> {
    encode(&Mp::Array(vec![Mp::from(uid), packet_value(nsp, data), opts]))
}

/// A received broadcast message.
#[derive(Debug)]
pub(crate) struct Broadcast {
    /// The sender's uid; `None` when absent or not a string.
    pub(crate) uid: Option<String>,
    pub(crate) packet: Packet,
    pub(crate) opts: Opts,
}

/// Reads `[uid, packet, opts]`.
pub(crate) fn decode_broadcast(bytes: &[u8]) -> Result<Broadcast, Malformed> {
    let value = decode(bytes)?;
    let Some([uid, packet, opts]) = value.as_array().map(Vec::as_slice) else {
        return Err("a broadcast is not a 3-element array".to_owned());
    };
    Ok(Broadcast {
        uid: uid.as_str().map(str::to_owned),
        packet: read_packet(packet)?,
        opts: read_opts(opts)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_encodes_byte_for_byte() {
        let data = vec![Mp::from("hello"), Mp::from("world")];
        let opts = opts_value(&["room1".to_owned()], &[], Vec::new());
        let bytes = encode_broadcast("Ab3dEf", "/", data, opts);
        let expected = "93 a6 41 62 33 64 45 66 83 a4 74 79 70 65 02 a4 64 61 74 61 92 a5 68 65 6c 6c 6f \
             a5 77 6f 72 6c 64 a3 6e 73 70 a1 2f 83 a5 72 6f 6f 6d 73 91 a5 72 6f 6f 6d 31 a6 \
             65 78 63 65 70 74 90 a5 66 6c 61 67 73 80";
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex.join(" "), expected.split_whitespace().collect::<Vec<_>>().join(" "));

        let back = decode_broadcast(&bytes).expect("decodes");
        assert_eq!(back.uid.as_deref(), Some("Ab3dEf"));
        assert_eq!(back.packet.nsp, "/");
        assert_eq!(back.opts.rooms, ["room1"]);
        let BroadcastPacket::Event { name, args } = back.packet.event else {
            panic!("an event")
        };
        assert_eq!((name.as_str(), args.json()), ("hello", r#"["world"]"#));
    }

    #[test]
    fn binary_travels_as_bin_and_comes_back_as_attachments() {
        let args = EncodedArgs::from_parts(
            RawJson::from_string(r#"[{"b":1,"a":{"_placeholder":true,"num":0}},2.5]"#.into()).expect("json"),
            vec![Bytes::from_static(b"\x01\x02")],
        )
        .expect("args");
        let packet = BroadcastPacket::Event {
            name: "bin".into(),
            args,
        };
        let data = packet_data(&packet).expect("data");
        assert_eq!(
            data[1],
            Mp::Map(vec![
                (Mp::from("b"), Mp::from(1)),
                (Mp::from("a"), Mp::Binary(vec![1, 2]))
            ])
        );
        let back = to_args(&data[1..]).expect("args");
        assert_eq!(back.json(), r#"[{"b":1,"a":{"_placeholder":true,"num":0}},2.5]"#);
        assert_eq!(back.attachments(), [Bytes::from_static(b"\x01\x02")]);
        let one = to_raw_json(&data[1]).expect("one value");
        assert_eq!(one.get(), r#"{"b":1,"a":{"_placeholder":true,"num":0}}"#);
        assert_eq!(one.attachments(), [Bytes::from_static(b"\x01\x02")]);
        assert_eq!(
            to_plain_json(&data[1]).expect("json"),
            r#"{"b":1,"a":{"type":"Buffer","data":[1,2]}}"#
        );
    }

    #[test]
    fn dates_become_iso_strings_and_garbage_is_refused() {
        // ts64: 2024-03-12T10:00:00.500Z.
        let secs: u64 = 1_710_237_600;
        let nanos: u64 = 500_000_000;
        let ts = ((nanos << 34) | secs).to_be_bytes().to_vec();
        let args = to_args(&[Mp::Ext(-1, ts)]).expect("args");
        assert_eq!(args.json(), r#"["2024-03-12T10:00:00.500Z"]"#);

        assert!(decode_broadcast(b"").is_err());
        assert!(decode_broadcast(b"\x93\xa1a\x80\x80").is_err());
        assert!(decode_broadcast(b"{\"uid\":1}").is_err());
        assert!(decode_broadcast(&encode(&Mp::Array(vec![Mp::Nil; 3]))).is_err());
    }
}
