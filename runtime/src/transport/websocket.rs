//! Websockets for both families: the RFC 6455 upgrade over hyper, and the
//! one loop that moves a session's frames both ways. What differs between
//! the families (framing, what a message means, when to close) is behind
//! [`WsPeer`].

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::sync::Notify;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage, Utf8Bytes};

use crate::core::{Frame, OutboxOwner, Take, lend};
use crate::transport::burst_reader::BurstReader;
use crate::transport::{Body, empty, text};

/// An RFC 6455 websocket over hyper's upgrade.
pub(crate) type WsStream = WebSocketStream<BurstReader<TokioIo<hyper::upgrade::Upgraded>>>;

pub(crate) fn header_has_token(request: &Request<impl Sized>, name: header::HeaderName, token: &str) -> bool {
    request.headers().get_all(name).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|v| v.split(',').any(|part| part.trim().eq_ignore_ascii_case(token)))
    })
}

/// Answers an RFC 6455 upgrade (the caller checked method and version) with
/// 101 and hands the socket to `serve` once hyper lets go of it.
pub(crate) fn accept<B, F, Fut>(mut request: Request<B>, max_message: usize, serve: F) -> Response<Body>
where
    F: FnOnce(WsStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(key) = request.headers().get(header::SEC_WEBSOCKET_KEY) else {
        return text(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key");
    };
    let accept = derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                tracing::debug!(%error, "websocket upgrade failed");
                return;
            }
        };
        // Buffers held by idle sockets dominate a server's memory: the codec's
        // read buffer, which lives as long as the socket, is small (it grows
        // for a large message), and reads below it come in bursts that are
        // held only until taken.
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .max_message_size(Some(max_message))
            .max_frame_size(Some(max_message));
        let io = BurstReader::new(TokioIo::new(upgraded));
        let socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
        serve(socket).await;
    });
    let mut response = empty(StatusCode::SWITCHING_PROTOCOLS);
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

/// The initial read buffer of a websocket's codec, and how much one of
/// its reads takes (from the burst below it, not from the socket).
const READ_BUFFER: usize = 128;

/// The refusal to send when `request` is not an RFC 6455 upgrade: 405
/// unless GET, 400 without the upgrade headers or with a malformed key, 426
/// (naming version 13) for another or no `Sec-WebSocket-Version`.
pub(crate) fn rfc6455_refusal(request: &Request<impl Sized>) -> Option<Response<Body>> {
    if request.method() != http::Method::GET {
        return Some(text(StatusCode::METHOD_NOT_ALLOWED, "websocket needs GET"));
    }
    if !header_has_token(request, header::UPGRADE, "websocket")
        || !header_has_token(request, header::CONNECTION, "upgrade")
    {
        return Some(text(StatusCode::BAD_REQUEST, "expected a websocket upgrade"));
    }
    if request
        .headers()
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        let mut response = text(StatusCode::UPGRADE_REQUIRED, "websocket version 13 required");
        response
            .headers_mut()
            .insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("13"));
        return Some(response);
    }
    // RFC 6455 4.2.1: the key is the base64 of 16 random bytes; checked
    // here so that a bad one is refused before any session is made.
    if !request
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .is_some_and(|key| is_websocket_key(key.as_bytes()))
    {
        return Some(text(
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Key must be the base64 of 16 bytes",
        ));
    }
    None
}

/// Whether `key` is the base64 of exactly 16 bytes (24 characters).
fn is_websocket_key(key: &[u8]) -> bool {
    use base64::Engine as _;
    key.len() == 24
        && base64::engine::general_purpose::STANDARD
            .decode(key)
            .is_ok_and(|bytes| bytes.len() == 16)
}

/// How long answering a client's Close frame may take.
const CLOSE_REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Answers the client's Close frame, as RFC 6455 (5.5.1) requires: the
/// reply tungstenite queued is flushed and the connection closed from here.
/// Bounded, so that a client that stopped reading cannot hold the task.
pub(crate) async fn answer_close<S>(socket: &mut S)
where
    S: futures_util::Sink<WsMessage> + Unpin,
{
    let _ = tokio::time::timeout(CLOSE_REPLY_TIMEOUT, socket.close()).await;
}

/// A close frame with `code` and a short reason.
pub(crate) fn close_frame(code: CloseCode, reason: &str) -> CloseFrame {
    CloseFrame {
        code,
        reason: Utf8Bytes::from(reason.to_owned()),
    }
}

/// What a session does with a message, as its websocket loop asks.
pub(crate) enum Flow {
    Continue,
    /// A busy handler's queue is full: wait for room before reading on
    /// (the backpressure that slows a fast client down).
    Wait(crate::core::Backpressure),
    /// End the socket with this close frame (`None`: a bare close).
    Close(Option<CloseFrame>),
}

/// A session as its websocket serves it; each protocol family implements
/// it. Frames come from the session's outbox (lent to the loop until
/// written); incoming messages go to the session.
pub(crate) trait WsPeer: OutboxOwner {
    /// Woken when there may be frames to write.
    fn wake(&self) -> &Notify;
    /// The websocket message carrying `frame`.
    fn message(&self, frame: &Frame) -> WsMessage;
    /// A text message. Not `async`: the loop's future, which every idle
    /// socket holds, then needs no room for a receive in progress; the
    /// rare wait for a busy handler comes back boxed in [`Flow::Wait`].
    fn receive_text(self: &Arc<Self>, text: Utf8Bytes) -> Flow;
    fn receive_binary(self: &Arc<Self>, data: Bytes) -> Flow;
    /// A control frame: the client is alive.
    fn touch(&self);
    /// The socket is gone (closed, failed, or a write failed): the session
    /// hears of it once.
    fn transport_closed(&self);
}

/// Writes messages with one flush at the end: a batch of queued frames
/// costs one write. On failure, says how many were handed to the socket
/// before it failed (they may or may not have reached the client; the
/// rest certainly did not).
async fn write_batch<S>(socket: &mut S, messages: impl Iterator<Item = WsMessage>) -> Result<(), usize>
where
    S: futures_util::Sink<WsMessage> + Unpin,
{
    let mut fed = 0;
    for message in messages {
        if socket.feed(message).await.is_err() {
            return Err(fed);
        }
        fed += 1;
    }
    socket.flush().await.map_err(|_| fed)
}

/// Moves frames both ways until either side ends, for the binding `token`.
pub(crate) async fn run<S, P>(socket: &mut S, peer: &Arc<P>, token: u64)
where
    S: futures_util::Sink<WsMessage, Error = WsError> + futures_util::Stream<Item = Result<WsMessage, WsError>> + Unpin,
    P: WsPeer,
{
    // One wake-up registration, renewed only when it fires: a socket busy
    // with incoming messages does not re-register (a lock) for each of
    // them, nor look at an unchanged queue.
    let woken = peer.wake().notified();
    tokio::pin!(woken);
    woken.as_mut().enable();
    let mut look = true;
    loop {
        if look {
            look = false;
            match lend(peer, token) {
                Ok(lent) => {
                    let messages = lent.frames().iter().map(|frame| peer.message(frame));
                    match write_batch(socket, messages).await {
                        Ok(()) => lent.delivered(),
                        Err(fed) => {
                            lent.written(fed);
                            peer.transport_closed();
                            return;
                        }
                    }
                    // Until the queue is empty: a closed session says Gone
                    // only then, and nothing wakes us for it.
                    look = true;
                    continue;
                }
                Err(Take::Superseded | Take::Gone) => {
                    let _ = socket.close().await;
                    return;
                }
                Err(_) => {}
            }
        }
        let flow = tokio::select! {
            () = &mut woken => {
                woken.set(peer.wake().notified());
                woken.as_mut().enable();
                look = true;
                Flow::Continue
            }
            message = socket.next() => match message {
                Some(Ok(WsMessage::Text(text))) => peer.receive_text(text),
                Some(Ok(WsMessage::Binary(data))) => peer.receive_binary(data),
                Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => {
                    peer.touch();
                    Flow::Continue
                }
                Some(Ok(WsMessage::Close(_))) => {
                    peer.transport_closed();
                    answer_close(socket).await;
                    return;
                }
                None => {
                    peer.transport_closed();
                    return;
                }
                Some(Err(error)) => {
                    tracing::debug!(sid = peer.sid(), %error, "websocket closed on error");
                    let code = match error {
                        WsError::Capacity(_) => Some(CloseCode::Size),
                        WsError::Utf8(_) => Some(CloseCode::Invalid),
                        _ => None,
                    };
                    match code {
                        Some(code) => Flow::Close(Some(close_frame(code, &error.to_string()))),
                        None => {
                            peer.transport_closed();
                            return;
                        }
                    }
                }
            }
        };
        match flow {
            Flow::Continue => {}
            Flow::Wait(backpressure) => backpressure.await,
            Flow::Close(frame) => {
                peer.transport_closed();
                let _ = socket.send(WsMessage::Close(frame)).await;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_websocket_key;

    #[test]
    fn keys_are_the_base64_of_exactly_16_bytes() {
        assert!(is_websocket_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        for bad in [
            &b"not-base64-of-16-bytes"[..],
            b"",
            b"dGhlIHNhbXBsZSBub25jZQ",
            b"dGhlIHNhbXBsZSBub25jZQ==dGhl",
            b"dGhlIHNhbXBsZSBub25jZXh4",
            b"dGhlIHNhbXBsZSBub25jZR==",
            b"dGhlIHNhbXBsZSBub25j ZQ=",
        ] {
            assert!(!is_websocket_key(bad), "{}", String::from_utf8_lossy(bad));
        }
    }
}
