//! Sessions kept for connection state recovery, as node's streams adapter
//! keeps them: `SET PREFIX<pid> <base64 of msgpack {sid, pid, rooms, data}>
//! PX <ms>`; restored once (`GETDEL`), with the broadcasts the socket's
//! rooms got after its last offset read back from the stream (`XRANGE`).

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use fred::prelude::{KeysInterface, StreamsInterface, Value};
use fred::types::Expiration;
use rmpv::Value as Mp;
use socketio::{AdapterError, BroadcastPacket, MissedPacket, PersistedSession, RestoredSession};

use crate::channels::wire_nsp;
use crate::cluster::messages::Message;
use crate::message::{self, Malformed, Opts};
use crate::streams::adapter::RedisStreamsAdapter;
use crate::streams::entry::{self, Entry};

/// How many `XRANGE` calls one restore makes at most (node's limit), each
/// of at most [`RANGE_COUNT`] entries.
const MAX_RANGE_CALLS: usize = 100;
const RANGE_COUNT: u64 = 1000;

/// Node's stored form of a session: base64 of msgpack `{sid, pid, rooms,
/// data}` (no namespace: the key is the private id, which is unique).
fn encode(session: &PersistedSession) -> Result<String, Malformed> {
    let data = match &session.data {
        serde_json::Value::Null => Mp::Map(Vec::new()),
        data => message::from_json(&data.to_string(), &[])?,
    };
    let value = Mp::Map(vec![
        (Mp::from("sid"), Mp::from(session.sid.as_str())),
        (Mp::from("pid"), Mp::from(session.pid.as_str())),
        (
            Mp::from("rooms"),
            Mp::Array(session.rooms.iter().map(|r| Mp::from(r.as_str())).collect()),
        ),
        (Mp::from("data"), data),
    ]);
    Ok(BASE64.encode(message::encode(&value)))
}

/// Reads node's stored form back as a session of `namespace`.
fn decode(text: &str, namespace: &str) -> Result<PersistedSession, Malformed> {
    let bytes = BASE64.decode(text.trim()).map_err(|e| e.to_string())?;
    let value = message::decode(&bytes)?;
    let text = |key: &str| {
        message::field(&value, key)
            .and_then(Mp::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no {key}"))
    };
    let rooms = message::field(&value, "rooms")
        .and_then(Mp::as_array)
        .ok_or("no rooms")?
        .iter()
        .filter_map(|room| match room {
            Mp::String(s) => s.as_str().map(str::to_owned),
            Mp::Integer(i) => Some(i.to_string()),
            _ => None,
        })
        .collect();
    let data = match message::field(&value, "data") {
        None | Some(Mp::Nil) => serde_json::Value::Object(serde_json::Map::new()),
        // Binary in the data reads as node's Buffer JSON.
        Some(data) => serde_json::from_str(&message::to_plain_json(data)?).map_err(|e| e.to_string())?,
    };
    Ok(PersistedSession::new(
        text("sid")?,
        text("pid")?,
        namespace,
        rooms,
        data,
    ))
}

/// node's `shouldIncludePacket`: to every socket or to one of its rooms,
/// and none of its rooms excepted.
fn reaches(rooms: &[String], opts: &Opts) -> bool {
    let included = opts.rooms.is_empty() || rooms.iter().any(|room| opts.rooms.contains(room));
    included && !rooms.iter().any(|room| opts.except.contains(room))
}

fn unavailable(error: fred::error::Error) -> AdapterError {
    AdapterError::Unavailable(error.to_string())
}

impl RedisStreamsAdapter {
    /// Stores `session` for `ttl` (node's `maxDisconnectionDuration`) under
    /// `sessionKeyPrefix + pid`, in node's form: a node server with the
    /// streams adapter restores it as well as ours. Node's
    /// `persistSession`; what [`socketio::Adapter::persist_session`] does
    /// with this adapter.
    pub async fn store_session(&self, session: &PersistedSession, ttl: Duration) -> Result<(), AdapterError> {
        let inner = &self.inner;
        let value = encode(session).map_err(AdapterError::Unavailable)?;
        let key = format!("{}{}", inner.config.session_key_prefix, session.pid);
        let ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        inner
            .client
            .set::<Value, _, _>(key, value, Some(Expiration::PX(ms)), None, false)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Takes the session stored under `pid` (it is deleted: a session is
    /// restored once) and reads the broadcasts to `namespace` (`""` is the
    /// main one) after `offset` that reached its rooms, as node's
    /// `restoreSession` does. `None`, as node, when the offset is not a
    /// stream id, the session expired or is unknown, or the offset is no
    /// longer in the stream (trimmed by `max_len`: too much was missed).
    /// What [`socketio::Adapter::restore_session`] does with this adapter.
    pub async fn take_session(
        &self,
        namespace: &str,
        pid: &str,
        offset: &str,
    ) -> Result<Option<RestoredSession>, AdapterError> {
        if !entry::is_offset(offset) {
            return Ok(None);
        }
        let inner = &self.inner;
        let key = format!("{}{}", inner.config.session_key_prefix, pid);
        let nsp = wire_nsp(namespace);
        let stream = inner.config.stream_of(nsp);
        let (stored, at_offset) = tokio::join!(
            inner.client.getdel::<Option<String>, _>(key),
            inner
                .client
                .xrange::<Value, _, _, _>(stream.as_str(), offset, offset, None)
        );
        let (Some(stored), true) = (
            stored.map_err(unavailable)?,
            has_entries(at_offset.map_err(unavailable)?),
        ) else {
            return Ok(None);
        };
        let session = match decode(&stored, namespace) {
            Ok(session) => session,
            Err(error) => {
                tracing::debug!(%pid, %error, "a stored session does not read");
                return Ok(None);
            }
        };
        let mut missed = Vec::new();
        let mut after = offset.to_owned();
        for _ in 0..MAX_RANGE_CALLS {
            let Some(start) = entry::next_offset(&after) else { break };
            let entries = inner
                .client
                .xrange::<Value, _, _, _>(stream.as_str(), start, "+", Some(RANGE_COUNT))
                .await
                .map_err(unavailable)?;
            let Value::Array(entries) = entries else { break };
            if entries.is_empty() {
                break;
            }
            for value in entries {
                let Ok(entry) = Entry::from_value(value) else { continue };
                after.clone_from(&entry.id);
                if entry.field("nsp") != Some(nsp) || entry.field("type") != Some("3") {
                    continue;
                }
                let message = match entry.message() {
                    Ok(incoming) => incoming.message,
                    Err(error) => {
                        tracing::debug!(id = %entry.id, %error, "skipped a stream entry that does not read");
                        continue;
                    }
                };
                let Message::Broadcast { packet, opts, .. } = message else {
                    continue;
                };
                // Unlike node's, which replays them too: a volatile packet
                // is one the client may miss.
                if opts.volatile || !reaches(&session.rooms, &opts) {
                    continue;
                }
                if matches!(packet.event, BroadcastPacket::Event { .. }) {
                    missed.push(MissedPacket::new(entry.id.clone(), packet.event));
                }
            }
        }
        Ok(Some(RestoredSession::new(session, missed)))
    }
}

fn has_entries(reply: Value) -> bool {
    matches!(reply, Value::Array(entries) if !entries.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_in_node_form() {
        let record = PersistedSession::new(
            "sid1",
            "pid1",
            "/chat",
            vec!["sid1".into(), "room1".into()],
            serde_json::json!({"user": {"name": "ann", "age": 3}}),
        );
        let text = encode(&record).expect("encodes");
        assert_eq!(decode(&text, "/chat").expect("decodes"), record);
        // Node's @msgpack/msgpack writes the same bytes for this object.
        let bytes = BASE64.decode(&text).expect("base64");
        assert_eq!(&bytes[..5], b"\x84\xa3sid", "a map of 4, sid first");
        assert!(decode("not base64!", "").is_err());
        assert!(decode(&BASE64.encode(b"\x80"), "").is_err());
    }

    #[test]
    fn packets_reach_sessions_as_node_decides() {
        let rooms = vec!["s1".to_owned(), "r1".to_owned()];
        let opts = |to: &[&str], except: &[&str]| Opts {
            rooms: to.iter().map(|r| (*r).to_owned()).collect(),
            except: except.iter().map(|r| (*r).to_owned()).collect(),
            ..Opts::default()
        };
        assert!(reaches(&rooms, &opts(&[], &[])));
        assert!(reaches(&rooms, &opts(&["r1", "r2"], &[])));
        assert!(!reaches(&rooms, &opts(&["r2"], &[])));
        assert!(!reaches(&rooms, &opts(&[], &["s1"])));
    }
}
