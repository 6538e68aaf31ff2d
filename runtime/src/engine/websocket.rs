//! Engine.IO over a websocket: one packet per frame, binary messages as
//! binary frames. A socket either opens a session itself or upgrades a
//! polling one (probe, then `5`); then the shared websocket loop runs.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::{Message as WsMessage, Utf8Bytes};

use crate::codec::engineio::{Packet, fixed};
use crate::core::{Backpressure, Carrier, CloseReason, Frame, Stats};
use crate::engine::session::Kind;
use crate::engine::{EngineSession, Version};
use crate::transport::websocket::{Flow, WsPeer, WsStream, run};

impl WsPeer for EngineSession {
    fn wake(&self) -> &Notify {
        EngineSession::wake(self)
    }

    fn message(&self, frame: &Frame) -> WsMessage {
        match (frame, self.version()) {
            (Frame::Text(text), _) => WsMessage::Text(text.clone()),
            (Frame::Binary(data), Version::V4) => WsMessage::Binary(data.clone()),
            (Frame::Binary(data), Version::V3) => {
                let mut prefixed = Vec::with_capacity(data.len() + 1);
                prefixed.push(4);
                prefixed.extend_from_slice(data);
                WsMessage::Binary(prefixed.into())
            }
        }
    }

    fn receive_text(self: &Arc<Self>, text: Utf8Bytes) -> Flow {
        self.config.stats.received(1, text.len());
        // A message, the common case, is read where it lies.
        if let Some(message) = text.as_str().strip_prefix('4') {
            return waiting(self.receive_message(message));
        }
        match Packet::decode(text.as_str()) {
            Ok(packet) => waiting(self.receive(packet)),
            Err(error) => {
                tracing::debug!(sid = %self.id(), %error, "malformed packet; session closed");
                self.close(CloseReason::ProtocolError);
                Flow::Close(None)
            }
        }
    }

    fn receive_binary(self: &Arc<Self>, data: Bytes) -> Flow {
        self.config.stats.received(1, data.len());
        waiting(EngineSession::receive_binary(self, data))
    }

    fn touch(&self) {}

    fn transport_closed(&self) {
        self.close(CloseReason::TransportClosed);
    }
}

fn waiting(backpressure: Option<Backpressure>) -> Flow {
    backpressure.map_or(Flow::Continue, Flow::Wait)
}

/// Serves a session that was opened on this socket.
///
/// These are not `async fn`s: their arguments would sit in the future twice
/// (as arguments and as locals), and an idle socket's memory is mostly this
/// future. The blocks use the captured socket in place.
#[allow(clippy::manual_async_fn)] // see above: the future's size
pub(crate) fn serve_new(mut socket: WsStream, session: Arc<EngineSession>) -> impl Future<Output = ()> + Send {
    async move {
        // Made before the await, so the future holds no frame across it.
        let open = session.message(&session.open_packet(Kind::WebSocket));
        if socket.send(open).await.is_err() {
            session.close(CloseReason::TransportClosed);
            return;
        }
        let token = session.bind_websocket();
        let _bound = Bound::new(&session.config.stats);
        run(&mut socket, &session, token).await;
    }
}

/// Upgrades a polling session: `2probe` → `3probe`, then `5` moves the
/// session here. Whatever was queued meanwhile stays queued for this socket.
#[allow(clippy::manual_async_fn)] // not `async fn`: see `serve_new`
pub(crate) fn serve_upgrade(mut socket: WsStream, session: Arc<EngineSession>) -> impl Future<Output = ()> + Send {
    async move {
        if let Some(token) = upgrade(&mut socket, &session).await {
            let _bound = Bound::new(&session.config.stats);
            run(&mut socket, &session, token).await;
        }
    }
}

/// The probe and the switch; the binding token once the socket carries
/// the session.
async fn upgrade(socket: &mut WsStream, session: &Arc<EngineSession>) -> Option<u64> {
    if session.is_upgraded_or_upgrading() {
        let _ = socket.close(None).await;
        return None;
    }
    let deadline = tokio::time::Instant::now() + session.config.upgrade_timeout;
    let mut probed = false;
    loop {
        let message = match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(message))) => message,
            _ => break,
        };
        let WsMessage::Text(text) = message else { continue };
        match (text.as_str(), probed) {
            (fixed::PROBE_PING, false) => {
                if !session.begin_upgrade() {
                    let _ = socket.close(None).await;
                    return None;
                }
                probed = true;
                if socket.send(WsMessage::Text(fixed::PROBE_PONG.into())).await.is_err() {
                    session.abort_upgrade();
                    return None;
                }
            }
            (fixed::UPGRADE, true) => {
                let token = session.finish_upgrade();
                if token.is_none() {
                    let _ = socket.close(None).await;
                }
                return token;
            }
            _ => break,
        }
    }
    if probed {
        session.abort_upgrade();
    }
    let _ = socket.close(None).await;
    None
}

/// Counts an open websocket as a bound transport while it lives.
struct Bound(Arc<Stats>);

impl Bound {
    fn new(stats: &Arc<Stats>) -> Self {
        stats.transport_bound(Carrier::WebSocket);
        Self(stats.clone())
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        self.0.transport_unbound(Carrier::WebSocket);
    }
}
