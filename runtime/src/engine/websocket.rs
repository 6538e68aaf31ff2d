//! Engine.IO over a websocket: one packet per frame, binary messages as
//! binary frames. A socket either opens a session itself or upgrades a
//! polling one (probe, then `5`).

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::codec::engineio::Packet;
use crate::engine::session::Take;
use crate::engine::{CloseReason, EngineSession, Frame, Protocol};
use crate::transport::Transport;
use crate::transport::websocket::{Socket, answer_close, write_batch};

/// Serves a session that was opened on this socket.
///
/// These are not `async fn`s: their arguments would sit in the future twice
/// (as arguments and as locals), and an idle socket's memory is mostly this
/// future. The blocks use the captured socket in place.
#[allow(clippy::manual_async_fn)] // see above: the future's size
pub(crate) fn serve_new(mut socket: Socket, session: Arc<EngineSession>) -> impl Future<Output = ()> + Send {
    async move {
        let open = session.open_packet(crate::engine::session::Kind::WebSocket);
        if socket.send(message(session.protocol(), open)).await.is_err() {
            session.close(CloseReason::TransportClosed);
            return;
        }
        let token = session.bind_websocket();
        run(&mut socket, &session, token).await;
    }
}

/// Upgrades a polling session: `2probe` → `3probe`, then `5` moves the
/// session here. Whatever was queued meanwhile stays queued for this socket.
#[allow(clippy::manual_async_fn)] // not `async fn`: see `serve_new`
pub(crate) fn serve_upgrade(mut socket: Socket, session: Arc<EngineSession>) -> impl Future<Output = ()> + Send {
    async move { upgrade(&mut socket, &session).await }
}

async fn upgrade(socket: &mut Socket, session: &Arc<EngineSession>) {
    if session.is_upgraded_or_upgrading() {
        let _ = socket.close(None).await;
        return;
    }
    let deadline = tokio::time::Instant::now() + session.config.upgrade_timeout;
    let mut probed = false;
    let token = loop {
        let message = match tokio::time::timeout_at(deadline, socket.next()).await {
            Ok(Some(Ok(message))) => message,
            _ => {
                if probed {
                    session.abort_upgrade();
                }
                let _ = socket.close(None).await;
                return;
            }
        };
        let Message::Text(text) = message else { continue };
        match (text.as_str(), probed) {
            ("2probe", false) => {
                if !session.begin_upgrade() {
                    let _ = socket.close(None).await;
                    return;
                }
                probed = true;
                if socket.send(Message::Text("3probe".into())).await.is_err() {
                    session.abort_upgrade();
                    return;
                }
            }
            ("5", true) => match session.finish_upgrade() {
                Some(token) => break token,
                None => {
                    let _ = socket.close(None).await;
                    return;
                }
            },
            _ => {
                if probed {
                    session.abort_upgrade();
                }
                let _ = socket.close(None).await;
                return;
            }
        }
    };
    run(socket, session, token).await;
}

fn message(protocol: Protocol, frame: Frame) -> Message {
    match (frame, protocol) {
        (Frame::Text(text), _) => Message::Text(text),
        (Frame::Binary(data), Protocol::V4) => Message::Binary(data),
        (Frame::Binary(data), Protocol::V3) => {
            let mut prefixed = Vec::with_capacity(data.len() + 1);
            prefixed.push(4);
            prefixed.extend_from_slice(&data);
            Message::Binary(prefixed.into())
        }
    }
}

/// Counts an open websocket as a bound transport while it lives.
struct Bound(Arc<crate::session::Stats>);

impl Bound {
    fn new(session: &EngineSession) -> Self {
        session.config.stats.transport_bound(Transport::WebSocket);
        Self(session.config.stats.clone())
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        self.0.transport_unbound(Transport::WebSocket);
    }
}

async fn run(socket: &mut Socket, session: &Arc<EngineSession>, token: u64) {
    let _bound = Bound::new(session);
    let stats = session.config.stats.clone();
    // One wake-up registration, renewed only when it fires: a socket busy
    // with incoming messages does not re-register (a lock) for each of
    // them, nor look at an unchanged queue.
    let woken = session.wake().notified();
    tokio::pin!(woken);
    woken.as_mut().enable();
    let mut look = true;
    loop {
        if look {
            look = false;
            match session.take(token) {
                Take::Frames(frames) => {
                    let messages = frames.into_iter().map(|frame| message(session.protocol(), frame));
                    if write_batch(socket, messages).await.is_err() {
                        session.close(CloseReason::TransportClosed);
                        return;
                    }
                    // Until the queue is empty: a closed session says Gone
                    // only then, and nothing wakes us for it.
                    look = true;
                    continue;
                }
                Take::Gone | Take::Superseded => {
                    let _ = socket.close(None).await;
                    return;
                }
                Take::Empty | Take::Upgrading => {}
            }
        }
        tokio::select! {
            () = &mut woken => {
                woken.set(session.wake().notified());
                woken.as_mut().enable();
                look = true;
            }
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    stats.received(1, text.len());
                    match Packet::decode(text.as_str()) {
                        Ok(packet) => session.receive(packet).await,
                        Err(error) => {
                            tracing::debug!(sid = %session.id(), %error, "malformed packet; session closed");
                            session.close(CloseReason::ProtocolError);
                            let _ = socket.close(None).await;
                            return;
                        }
                    }
                }
                Some(Ok(Message::Binary(data))) => {
                    stats.received(1, data.len());
                    session.receive_binary(data).await;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) => {
                    session.close(CloseReason::TransportClosed);
                    answer_close(socket).await;
                    return;
                }
                None | Some(Err(_)) => {
                    session.close(CloseReason::TransportClosed);
                    return;
                }
            }
        }
    }
}
