//! The 0.9 websocket and flashsocket transports: RFC 6455 or hixie-76 over
//! a hyper upgrade, one packet (or a framed payload) per text message.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::SinkExt;
use http::{HeaderValue, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage, Utf8Bytes};
use tokio_util::codec::Framed;

use crate::codec::legacy::fixed;
use crate::core::{CloseReason, Frame};
use crate::legacy::bind::Binding;
use crate::legacy::encode::error_packet;
use crate::legacy::hixie76::{Hixie76Codec, challenge_answer, key_number};
use crate::legacy::{Session, Transport};
use crate::transport::websocket::{Flow, WsPeer, accept, close_frame, header_has_token, rfc6455_refusal};
use crate::transport::{Body, empty, text};

impl WsPeer for Session {
    fn wake(&self) -> &Notify {
        Session::wake(self)
    }

    fn message(&self, frame: &Frame) -> WsMessage {
        match frame {
            Frame::Text(text) => WsMessage::Text(text.clone()),
            // Never made: the legacy encoder writes text only.
            Frame::Binary(data) => WsMessage::Binary(data.clone()),
        }
    }

    fn receive_text(self: &Arc<Self>, payload: Utf8Bytes) -> Flow {
        match self.receive_payload_now(payload.as_str()) {
            Ok(Some(backpressure)) => Flow::Wait(backpressure),
            Ok(None) => Flow::Continue,
            Err(error) => {
                tracing::debug!(sid = %self.id(), %error, "malformed payload refused");
                self.push(error_packet("", &format!("malformed payload: {error}")));
                Flow::Continue
            }
        }
    }

    fn receive_binary(self: &Arc<Self>, _data: Bytes) -> Flow {
        Flow::Close(Some(close_frame(
            CloseCode::Unsupported,
            "binary frames are not part of this protocol",
        )))
    }

    fn touch(&self) {
        Session::touch(self);
    }

    /// A 0.9 client never returns to a session whose websocket closed.
    fn transport_closed(&self) {
        self.close(CloseReason::TransportClosed);
    }
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

/// Binds the session and runs the websocket loop; generic over the
/// framing (RFC 6455 or hixie-76).
///
/// Not an `async fn`: its arguments would sit in the future twice (as
/// arguments and as locals), and an idle socket's memory is mostly this
/// future. The block below uses the captured socket in place.
#[allow(clippy::manual_async_fn)] // see above: the future's size
fn serve<S>(mut socket: S, session: Option<Arc<Session>>, transport: Transport) -> impl Future<Output = ()> + Send
where
    S: futures_util::Sink<WsMessage, Error = WsError>
        + futures_util::Stream<Item = Result<WsMessage, WsError>>
        + Unpin
        + Send,
{
    async move {
        let Some(binding) = session.and_then(|s| Binding::new(s, transport)) else {
            let _ = socket
                .send(WsMessage::Text(Utf8Bytes::from_static(fixed::NOT_HANDSHAKEN)))
                .await;
            let _ = socket.close().await;
            return;
        };
        crate::transport::websocket::run(&mut socket, binding.session(), binding.token()).await;
    }
}
