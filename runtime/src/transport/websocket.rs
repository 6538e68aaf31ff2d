//! The websocket transport: RFC 6455 over a hyper upgrade, one packet per
//! text frame.

use std::future::Future;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::Framed;

use crate::session::{CloseReason, Session, Take};
use crate::transport::bind::Binding;
use crate::transport::hixie76::{Hixie76Codec, challenge_answer, key_number};
use crate::transport::{Body, NOT_HANDSHAKEN, Transport, empty, text};

fn header_has_token(request: &Request<impl Sized>, name: header::HeaderName, token: &str) -> bool {
    request.headers().get_all(name).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|v| v.split(',').any(|part| part.trim().eq_ignore_ascii_case(token)))
    })
}

/// Validates the upgrade request, answers 101, and serves the socket once
/// hyper hands it over. `session` is `None` for an unknown session id: the
/// client is then told so over the socket (what the 0.9 client handles).
pub(crate) fn upgrade<B>(
    request: Request<B>,
    session: Option<Arc<Session>>,
    max_message: usize,
    transport: Transport,
) -> Response<Body> {
    if request.method() != http::Method::GET {
        return text(StatusCode::METHOD_NOT_ALLOWED, "websocket needs GET");
    }
    if !header_has_token(&request, header::UPGRADE, "websocket")
        || !header_has_token(&request, header::CONNECTION, "upgrade")
    {
        return text(StatusCode::BAD_REQUEST, "expected a websocket upgrade");
    }
    let hixie_keys = (
        request.headers().get("sec-websocket-key1"),
        request.headers().get("sec-websocket-key2"),
    );
    if let (Some(key1), Some(key2)) = hixie_keys
        && !request.headers().contains_key(header::SEC_WEBSOCKET_VERSION)
    {
        let keys = (
            key1.to_str().ok().and_then(key_number),
            key2.to_str().ok().and_then(key_number),
        );
        let (Some(key1), Some(key2)) = keys else {
            return text(StatusCode::BAD_REQUEST, "malformed Sec-WebSocket-Key1/Key2");
        };
        return upgrade_hixie76(request, session, max_message, key1, key2, transport);
    }
    if let Some(refusal) = rfc6455_refusal(&request) {
        return refusal;
    }
    accept(request, max_message, move |socket| serve(socket, session, transport))
}

/// A websocket over hyper's upgrade, as the engine and the legacy transport both serve it.
pub(crate) type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Answers an RFC 6455 upgrade (the caller checked method and version) with
/// 101 and hands the socket to `serve` once hyper lets go of it.
pub(crate) fn accept<B, F, Fut>(mut request: Request<B>, max_message: usize, serve: F) -> Response<Body>
where
    F: FnOnce(Socket) -> Fut + Send + 'static,
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
        // Buffers held by idle sockets dominate a server's memory: start the
        // read buffer small (it grows for a large message) and write as we go.
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            .max_message_size(Some(max_message))
            .max_frame_size(Some(max_message));
        let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
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

/// The initial read buffer of a websocket.
const READ_BUFFER: usize = 2 * 1024;

/// The refusal to send when `request` is not an RFC 6455 upgrade.
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
    None
}

/// The hixie-76 handshake: hyper sends the 101 head; the 8-byte challenge
/// follows the request head on the wire, so it is read from the upgraded
/// connection and the 16-byte answer written before the first frame.
fn upgrade_hixie76<B>(
    mut request: Request<B>,
    session: Option<Arc<Session>>,
    max_message: usize,
    key1: u32,
    key2: u32,
    transport: Transport,
) -> Response<Body> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_owned();
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let location = HeaderValue::from_str(&format!("ws://{host}{target}"));
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .cloned()
        .unwrap_or(HeaderValue::from_static("null"));
    let on_upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else { return };
        let mut io = TokioIo::new(upgraded);
        let mut key3 = [0u8; 8];
        let read = tokio::time::timeout(CHALLENGE_TIMEOUT, io.read_exact(&mut key3)).await;
        if !matches!(read, Ok(Ok(_))) {
            tracing::debug!("hixie-76 client sent no challenge; dropped");
            return;
        }
        if io.write_all(&challenge_answer(key1, key2, key3)).await.is_err() {
            return;
        }
        serve(Framed::new(io, Hixie76Codec::new(max_message)), session, transport).await;
    });
    let mut response = empty(StatusCode::SWITCHING_PROTOCOLS);
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert("sec-websocket-origin", origin);
    if let Ok(location) = location {
        headers.insert("sec-websocket-location", location);
    }
    response
}

/// How long a hixie-76 client may take to send its 8 challenge bytes.
const CHALLENGE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Writes messages with one flush at the end: a batch of queued frames
/// costs one write.
pub(crate) async fn write_batch<S, I>(socket: &mut S, messages: I) -> Result<(), S::Error>
where
    S: futures_util::Sink<Message> + Unpin,
    I: IntoIterator<Item = Message>,
{
    for message in messages {
        socket.feed(message).await?;
    }
    socket.flush().await
}

/// How long answering a client's Close frame may take.
const CLOSE_REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Answers the client's Close frame, as RFC 6455 (5.5.1) requires: the
/// reply tungstenite queued is flushed and the connection closed from here.
/// Bounded, so that a client that stopped reading cannot hold the task.
pub(crate) async fn answer_close<S>(socket: &mut S)
where
    S: futures_util::Sink<Message> + Unpin,
{
    let _ = tokio::time::timeout(CLOSE_REPLY_TIMEOUT, socket.close()).await;
}

/// Moves frames both ways until either side ends. Generic over the socket
/// so that other websocket framings can share it.
///
/// Not an `async fn`: its arguments would sit in the future twice (as
/// arguments and as locals), and an idle socket's memory is mostly this
/// future. The block below uses the captured socket in place.
#[allow(clippy::manual_async_fn)] // see above: the future's size
pub(crate) fn serve<S>(
    mut socket: S,
    session: Option<Arc<Session>>,
    transport: Transport,
) -> impl Future<Output = ()> + Send
where
    S: futures_util::Sink<Message, Error = WsError>
        + futures_util::Stream<Item = Result<Message, WsError>>
        + Unpin
        + Send,
{
    async move {
        let Some(binding) = session.and_then(|s| Binding::new(s, transport)) else {
            let _ = socket.send(Message::Text(Utf8Bytes::from_static(NOT_HANDSHAKEN))).await;
            let _ = socket.close().await;
            return;
        };
        let session = binding.session().clone();
        // One wake-up registration, renewed only when it fires: a socket
        // busy with incoming messages does not re-register (a lock) for
        // each of them, nor look at an unchanged queue.
        let woken = session.wake().notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let mut look = true;
        loop {
            if look {
                look = false;
                match binding.take() {
                    Take::Frames(frames) => {
                        let messages = frames.into_iter().map(|frame| Message::Text(frame.into_utf8_bytes()));
                        if write_batch(&mut socket, messages).await.is_err() {
                            return;
                        }
                        // Until the queue is empty: a closed session says
                        // Gone only then, and nothing wakes us for it.
                        look = true;
                        continue;
                    }
                    Take::Superseded | Take::Gone => {
                        let _ = socket.close().await;
                        return;
                    }
                    Take::Empty => {}
                }
            }
            tokio::select! {
                () = &mut woken => {
                    woken.set(session.wake().notified());
                    woken.as_mut().enable();
                    look = true;
                }
                message = socket.next() => match message {
                    Some(Ok(Message::Text(payload))) => {
                        if let Err(error) = session.receive_payload(payload.as_str()).await {
                            tracing::debug!(sid = %session.id(), %error, "malformed payload refused");
                            session.push(crate::session::error_packet("", &format!("malformed payload: {error}")));
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let frame = CloseFrame { code: CloseCode::Unsupported, reason: "binary frames are not part of this protocol".into() };
                        let _ = socket.send(Message::Close(Some(frame))).await;
                        return;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => session.touch(),
                    Some(Ok(Message::Close(_))) => {
                        session.close(CloseReason::TransportClosed);
                        answer_close(&mut socket).await;
                        return;
                    }
                    None => {
                        session.close(CloseReason::TransportClosed);
                        return;
                    }
                    Some(Err(error)) => {
                        tracing::debug!(sid = %session.id(), %error, "websocket closed on error");
                        let code = match error {
                            WsError::Capacity(_) => Some(CloseCode::Size),
                            WsError::Utf8(_) => Some(CloseCode::Invalid),
                            _ => None,
                        };
                        if let Some(code) = code {
                            let frame = CloseFrame { code, reason: error.to_string().into() };
                            let _ = socket.send(Message::Close(Some(frame))).await;
                        }
                        session.close(CloseReason::TransportClosed);
                        return;
                    }
                }
            }
        }
    }
}
