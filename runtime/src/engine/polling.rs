//! Engine.IO long-polling: a GET is held until something is queued (the
//! server's pings bound the wait); a POST carries one or more packets.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http::{Response, StatusCode};

use crate::codec::engineio::{
    Packet, decode_v3_binary_payload, decode_v3_payload, decode_v4_payload, encode_v3_binary_payload, fixed,
};
use crate::core::{Carrier, CloseReason, Frame, Lent, Take};
use crate::engine::session::{PollRefusal, PollTake};
use crate::engine::{EngineSession, Version};
use crate::transport::{Body, text, text_settling};

/// Releases the poll when the request ends, answered or abandoned; counts
/// it as a bound transport meanwhile.
struct PollGuard<'a> {
    session: &'a EngineSession,
    token: u64,
}

impl<'a> PollGuard<'a> {
    fn new(session: &'a EngineSession, token: u64) -> Self {
        session.config.stats.transport_bound(Carrier::EnginePolling);
        Self { session, token }
    }
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.session.config.stats.transport_unbound(Carrier::EnginePolling);
        self.session.end_poll(self.token);
    }
}

pub(crate) async fn get(session: Arc<EngineSession>) -> Response<Body> {
    let token = match session.begin_poll() {
        Ok(token) => token,
        Err(PollRefusal::Upgraded) => return bad_request("the session moved to a websocket"),
        Err(PollRefusal::Closed) => return bad_request("session closed"),
        Err(PollRefusal::Overlapping) => return bad_request("overlapping polls; session closed"),
    };
    let _guard = PollGuard::new(&session, token);
    let lent = loop {
        let woken = session.wake().notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        match session.lend_to_poll(token) {
            Ok(lent) => break lent,
            Err(PollTake::Not(Take::Empty)) => woken.await,
            Err(PollTake::Upgrading | PollTake::Not(Take::Superseded)) => {
                return respond(&session, &[Frame::fixed(fixed::NOOP)]);
            }
            Err(PollTake::Not(Take::Gone | Take::Frames(_))) => {
                return respond(&session, &[Frame::fixed(fixed::CLOSE)]);
            }
        }
    };
    let (body, binary) = encode_body(&session, lent.frames());
    answer(body, binary, Some(lent))
}

/// The answer of a poll: text, or for v3 clients that take them, a binary
/// payload when there are binary frames to send.
pub(crate) fn respond(session: &EngineSession, frames: &[Frame]) -> Response<Body> {
    let (body, binary) = encode_body(session, frames);
    answer(body, binary, None)
}

/// The body of a poll, and whether it is a v3 binary payload.
fn encode_body(session: &EngineSession, frames: &[Frame]) -> (Bytes, bool) {
    let has_binary = frames.iter().any(|frame| matches!(frame, Frame::Binary(_)));
    if session.version() == Version::V3 && session.binary_polling() && has_binary {
        let packets: Vec<Packet> = frames
            .iter()
            .filter_map(|frame| match frame {
                Frame::Text(text) => Packet::decode(text.as_str()).ok(),
                Frame::Binary(data) => Some(Packet::Binary(data.clone())),
            })
            .collect();
        return (Bytes::from(encode_v3_binary_payload(&packets)), true);
    }
    (Bytes::from(encode_payload(session.version(), frames)), false)
}

fn answer(body: Bytes, binary: bool, lent: Option<Lent<EngineSession>>) -> Response<Body> {
    let mut response = text_settling(StatusCode::OK, body, lent);
    if binary {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/octet-stream"),
        );
    }
    response
}

pub(crate) async fn post(session: Arc<EngineSession>, body: &[u8], binary: bool) -> Response<Body> {
    if session.is_upgraded() {
        return bad_request("the session moved to a websocket");
    }
    let max = session.config.max_packets_per_payload;
    let packets = match (session.version(), binary, std::str::from_utf8(body)) {
        (Version::V3, true, _) => decode_v3_binary_payload(body, max),
        (Version::V4, false, Ok(body)) => decode_v4_payload(body, max),
        (Version::V3, false, Ok(body)) => decode_v3_payload(body, max),
        (_, _, _) => {
            session.close(CloseReason::ProtocolError);
            return bad_request("malformed payload");
        }
    };
    let packets = match packets {
        Ok(packets) => packets,
        Err(error) => {
            tracing::debug!(sid = %session.id(), %error, "malformed payload; session closed");
            session.close(CloseReason::ProtocolError);
            return bad_request("malformed payload");
        }
    };
    session.config.stats.received(packets.len(), body.len());
    let for_the_reader = packets
        .iter()
        .any(|packet| matches!(packet, Packet::Message(_) | Packet::Binary(_)));
    for packet in packets {
        if let Some(backpressure) = session.receive(packet) {
            backpressure.await;
        }
    }
    // Bounded: the client's pongs queue behind this POST, so a slow
    // application must not cost the session its ping timeout.
    if let Some(settled) = for_the_reader.then(|| session.settled()).flatten() {
        let _ = tokio::time::timeout(session.config.ping_timeout / 2, settled).await;
    }
    text(StatusCode::OK, "ok")
}

/// One polling body: v4 joins packets with the record separator, v3
/// prefixes each with its length in UTF-16 units; binary travels as base64.
pub(crate) fn encode_payload(version: Version, frames: &[Frame]) -> String {
    let base64 = |data: &[u8]| base64::engine::general_purpose::STANDARD.encode(data);
    let mut out = String::new();
    for (i, frame) in frames.iter().enumerate() {
        match version {
            Version::V4 => {
                if i > 0 {
                    out.push('\x1e');
                }
                match frame {
                    Frame::Text(text) => out.push_str(text.as_str()),
                    Frame::Binary(data) => {
                        out.push('b');
                        out.push_str(&base64(data));
                    }
                }
            }
            Version::V3 => {
                let packet = match frame {
                    Frame::Text(text) => std::borrow::Cow::Borrowed(text.as_str()),
                    Frame::Binary(data) => std::borrow::Cow::Owned(format!("b4{}", base64(data))),
                };
                out.push_str(&crate::codec::legacy::utf16_len(&packet).to_string());
                out.push(':');
                out.push_str(&packet);
            }
        }
    }
    out
}

/// The bytes `frame` adds to a polling body of `version`: v4 its text or
/// `b<base64>` and a separator, v3 the same behind its length prefix (an
/// upper bound of v3's binary records too).
pub(crate) fn encoded_len(version: Version, frame: &Frame) -> usize {
    let prefix = match version {
        Version::V4 => 1,
        Version::V3 => 2,
    };
    let len = match frame {
        Frame::Text(text) => text.len(),
        Frame::Binary(data) => prefix + data.len().div_ceil(3) * 4,
    };
    match version {
        Version::V4 => len + 1,
        Version::V3 => len + len.checked_ilog10().map_or(1, |d| d as usize + 1) + 2,
    }
}

pub(crate) fn bad_request(reason: &'static str) -> Response<Body> {
    text(StatusCode::BAD_REQUEST, reason)
}
