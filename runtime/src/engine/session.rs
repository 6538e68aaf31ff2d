use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

use crate::codec::engineio::Packet;
use crate::engine::frame::{CLOSE, NOOP};
use crate::engine::{EngineConfig, Frame, Message, Protocol};
use crate::handler::SessionInfo;
use crate::modern::ModernSession;

/// Why an Engine.IO session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// The client sent the close packet.
    ClientClose,
    /// The application (or the Socket.IO layer above) closed it.
    ServerClose,
    /// No pong (v4) or ping (v3) in time.
    PingTimeout,
    /// The websocket it was using went away.
    TransportClosed,
    /// The client broke the protocol (bad packet, two polls at once).
    ProtocolError,
    /// The outbound queue reached its bound.
    QueueFull,
    /// The server is shutting down.
    Shutdown,
}

/// Which kind of transport holds the session's current binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Polling,
    WebSocket,
}

/// What a bound transport gets when it asks for frames.
#[derive(Debug)]
pub(crate) enum Take {
    Frames(Vec<Frame>),
    /// Nothing queued yet.
    Empty,
    /// A websocket is taking over: a held poll answers noop at once.
    Upgrading,
    /// Another binding replaced this one.
    Superseded,
    /// Closed, and everything queued was delivered.
    Gone,
}

struct State {
    queue: VecDeque<Frame>,
    queue_bytes: usize,
    /// A poll's answer holds frames hyper has not yet taken; until it
    /// settles, nobody else takes frames, so none can overtake them.
    lent: bool,
    closed: bool,
    token: u64,
    kind: Kind,
    /// A polling GET is held right now.
    polling: bool,
    upgrading: bool,
    upgraded: bool,
    awaiting_pong: bool,
    /// v3: the client pinged since the last check.
    pinged: bool,
    inbox: Option<Inbox>,
}

/// Where a session's messages go; taken at close.
#[derive(Clone)]
pub(crate) enum Inbox {
    /// A bare Engine.IO application's channel.
    Channel(mpsc::Sender<Message>),
    /// The Socket.IO layer, which reads them in the caller's task.
    SocketIo(Arc<ModernSession>),
}

/// Tells the registry a session ended, so that its id is forgotten at once.
pub(crate) type OnClose = Box<dyn Fn(&Arc<str>) + Send + Sync>;

/// One Engine.IO session (one handshake), whichever transport carries it.
pub(crate) struct EngineSession {
    id: Arc<str>,
    protocol: Protocol,
    /// v3 polling clients that did not ask for `b64=1` take binary bodies.
    binary_polling: bool,
    info: Arc<SessionInfo>,
    pub(crate) config: Arc<EngineConfig>,
    state: Mutex<State>,
    /// Wakes the bound transport.
    wake: Notify,
    /// Wakes the timer task: when the session closes, and when a pong
    /// comes (v4), which schedules the next ping from it.
    pub(crate) timers: Notify,
    on_close: OnClose,
}

impl std::fmt::Debug for EngineSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSession")
            .field("id", &self.id)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

/// What a handshake request says about the session it opens.
#[derive(Debug)]
pub(crate) struct Opening {
    pub(crate) protocol: Protocol,
    /// v3 polling clients that did not ask for `b64=1` take binary bodies.
    pub(crate) binary_polling: bool,
    pub(crate) kind: Kind,
    pub(crate) info: Arc<SessionInfo>,
}

impl EngineSession {
    pub(crate) fn new(id: Arc<str>, opening: Opening, config: Arc<EngineConfig>, on_close: OnClose) -> Arc<Self> {
        let Opening {
            protocol,
            binary_polling,
            kind,
            info,
        } = opening;
        Arc::new(Self {
            id,
            protocol,
            binary_polling,
            info,
            config,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                queue_bytes: 0,
                lent: false,
                closed: false,
                token: 0,
                kind,
                polling: false,
                upgrading: false,
                upgraded: kind == Kind::WebSocket,
                awaiting_pong: false,
                pinged: false,
                inbox: None,
            }),
            wake: Notify::new(),
            timers: Notify::new(),
            on_close,
        })
    }

    /// Gives the session its reader. One that closed meanwhile (a Socket.IO
    /// 2 session whose main open hook refused at once) ends it at once.
    pub(crate) fn set_inbox(&self, inbox: Inbox) {
        let mut state = self.lock();
        if !state.closed {
            state.inbox = Some(inbox);
            return;
        }
        drop(state);
        if let Inbox::SocketIo(layer) = inbox {
            layer.closed();
        }
    }

    /// The Socket.IO layer reading this session, if that is what reads it.
    pub(crate) fn socketio(&self) -> Option<Arc<ModernSession>> {
        match &self.lock().inbox {
            Some(Inbox::SocketIo(layer)) => Some(layer.clone()),
            _ => None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section is panic-free, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn id(&self) -> &Arc<str> {
        &self.id
    }

    pub(crate) fn protocol(&self) -> Protocol {
        self.protocol
    }

    pub(crate) fn binary_polling(&self) -> bool {
        self.binary_polling
    }

    pub(crate) fn info(&self) -> &Arc<SessionInfo> {
        &self.info
    }

    pub(crate) fn wake(&self) -> &Notify {
        &self.wake
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// The `0{...}` open packet; `upgrades` lists websocket only for polling.
    pub(crate) fn open_packet(&self, kind: Kind) -> Frame {
        let upgrades = if kind == Kind::Polling {
            r#"["websocket"]"#
        } else {
            "[]"
        };
        let sid = serde_json::to_string(&*self.id).unwrap_or_default();
        let config = &self.config;
        let text = match self.protocol {
            Protocol::V4 => format!(
                r#"0{{"sid":{sid},"upgrades":{upgrades},"pingInterval":{},"pingTimeout":{},"maxPayload":{}}}"#,
                config.ping_interval.as_millis(),
                config.ping_timeout.as_millis(),
                config.max_payload
            ),
            Protocol::V3 => format!(
                r#"0{{"sid":{sid},"upgrades":{upgrades},"pingInterval":{},"pingTimeout":{}}}"#,
                config.ping_interval.as_millis(),
                config.ping_timeout.as_millis()
            ),
        };
        Frame::text(text)
    }

    /// Queues frames for the client, in order and all or none; dropped once
    /// closed. A client that stops reading is disconnected at the bound.
    pub(crate) fn push_all(&self, frames: impl IntoIterator<Item = Frame>) {
        let overflow = {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            let start = state.queue.len();
            let mut bytes = state.queue_bytes;
            for frame in frames {
                bytes += frame.len();
                state.queue.push_back(frame);
            }
            if bytes > self.config.max_queue_bytes || state.queue.len() > self.config.max_queue_packets {
                state.queue.truncate(start);
                true
            } else {
                state.queue_bytes = bytes;
                false
            }
        };
        if overflow {
            tracing::warn!(sid = %self.id, "outbound queue full: the client is not reading; closing the session");
            self.close(CloseReason::QueueFull);
        } else {
            self.wake.notify_waiters();
        }
    }

    pub(crate) fn push(&self, frame: Frame) {
        self.push_all(std::iter::once(frame));
    }

    /// A polling GET wants the session. Refused (`None`) when a websocket
    /// took over or another GET is held; the latter is a protocol error that
    /// closes the session.
    pub(crate) fn begin_poll(&self) -> Result<u64, PollRefusal> {
        let mut state = self.lock();
        if state.upgraded {
            return Err(PollRefusal::Upgraded);
        }
        if state.closed && state.queue.is_empty() && !state.lent {
            return Err(PollRefusal::Closed);
        }
        if state.polling {
            drop(state);
            self.close(CloseReason::ProtocolError);
            return Err(PollRefusal::Overlapping);
        }
        state.polling = true;
        state.token += 1;
        Ok(state.token)
    }

    pub(crate) fn end_poll(&self, token: u64) {
        let mut state = self.lock();
        if state.token == token {
            state.polling = false;
        }
    }

    /// Takes every queued frame for the transport holding `token`.
    pub(crate) fn take(&self, token: u64) -> Take {
        self.take_frames(token, false)
    }

    /// [`EngineSession::take`] for a poll's answer: the frames come back
    /// unless the answer's [`Lent`] is delivered.
    pub(crate) fn lend(self: &Arc<Self>, token: u64) -> Result<Lent, Take> {
        match self.take_frames(token, true) {
            Take::Frames(frames) => Ok(Lent {
                session: self.clone(),
                frames,
            }),
            other => Err(other),
        }
    }

    fn take_frames(&self, token: u64, lend: bool) -> Take {
        let mut state = self.lock();
        if state.token != token {
            return Take::Superseded;
        }
        if state.upgrading && state.kind == Kind::Polling {
            return Take::Upgrading;
        }
        if state.lent {
            return Take::Empty;
        }
        if state.queue.is_empty() {
            return if state.closed { Take::Gone } else { Take::Empty };
        }
        if !lend {
            self.config.stats.sent(state.queue.len(), state.queue_bytes);
        }
        state.lent = lend;
        state.queue_bytes = 0;
        // The queue's buffer leaves with its frames (no copy when it has not
        // wrapped): an idle session then holds no queue memory at all.
        Take::Frames(Vec::from(std::mem::take(&mut state.queue)))
    }

    fn settle(&self, returned: &[Frame]) {
        {
            let mut state = self.lock();
            state.lent = false;
            for frame in returned.iter().rev() {
                state.queue_bytes += frame.len();
                state.queue.push_front(frame.clone());
            }
        }
        self.wake.notify_waiters();
    }

    /// A websocket answered the probe: polls stop taking frames.
    pub(crate) fn begin_upgrade(&self) -> bool {
        let mut state = self.lock();
        if state.closed || state.upgraded || state.upgrading {
            return false;
        }
        state.upgrading = true;
        drop(state);
        self.wake.notify_waiters();
        true
    }

    pub(crate) fn abort_upgrade(&self) {
        self.lock().upgrading = false;
    }

    /// The websocket sent `5`: it now carries the session. Returns its token.
    pub(crate) fn finish_upgrade(&self) -> Option<u64> {
        let mut state = self.lock();
        if state.closed || !state.upgrading {
            return None;
        }
        state.upgrading = false;
        state.upgraded = true;
        state.kind = Kind::WebSocket;
        state.polling = false;
        state.token += 1;
        let token = state.token;
        drop(state);
        self.wake.notify_waiters();
        Some(token)
    }

    /// Binds the websocket a session was created on.
    pub(crate) fn bind_websocket(&self) -> u64 {
        let mut state = self.lock();
        state.token += 1;
        state.token
    }

    pub(crate) fn is_upgraded(&self) -> bool {
        self.lock().upgraded
    }

    pub(crate) fn is_upgraded_or_upgrading(&self) -> bool {
        let state = self.lock();
        state.upgraded || state.upgrading
    }

    /// Handles one packet from the client. `Err` means the client broke the
    /// protocol and the session is closed.
    pub(crate) async fn receive(&self, packet: Packet) {
        let message = match packet {
            Packet::Message(text) => Message::Text(text),
            Packet::Binary(data) => Message::Binary(data),
            Packet::Pong(_) => {
                self.lock().awaiting_pong = false;
                self.timers.notify_one();
                return;
            }
            Packet::Ping(data) => {
                // v3 clients ping; v4 clients only ping while probing.
                self.lock().pinged = true;
                let pong = match data {
                    Some(data) => format!("3{data}"),
                    None => "3".to_owned(),
                };
                self.push(Frame::text(pong));
                return;
            }
            Packet::Close => {
                self.close(CloseReason::ClientClose);
                return;
            }
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => return,
        };
        let inbox = self.lock().inbox.clone();
        // Waiting for room is the backpressure: a busy application slows its
        // reader. The wait is boxed: every idle socket's future would
        // otherwise hold room for it.
        match inbox {
            Some(Inbox::Channel(inbox)) => {
                if let Err(mpsc::error::TrySendError::Full(message)) = inbox.try_send(message) {
                    let _ = Box::pin(inbox.send(message)).await;
                }
            }
            Some(Inbox::SocketIo(layer)) => {
                if let Some((inbox, inbound)) = layer.receive(message) {
                    let _ = Box::pin(inbox.send(inbound)).await;
                }
            }
            None => {}
        }
    }

    /// Handles a binary websocket message (v3 prefixes the packet type byte).
    pub(crate) async fn receive_binary(&self, data: Bytes) {
        let data = match self.protocol {
            Protocol::V4 => data,
            Protocol::V3 => data.slice(1.min(data.len())..),
        };
        self.receive(Packet::Binary(data)).await;
    }

    /// v4: sends a ping and expects a pong. v3: checks that the client pinged.
    /// Returns whether the session is still alive.
    pub(crate) fn heartbeat_check(&self) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        match self.protocol {
            Protocol::V4 => {
                if state.awaiting_pong {
                    return false;
                }
                state.awaiting_pong = true;
                drop(state);
                self.push(crate::engine::frame::PING);
                true
            }
            Protocol::V3 => std::mem::take(&mut state.pinged),
        }
    }

    pub(crate) fn pong_missing(&self) -> bool {
        self.lock().awaiting_pong
    }

    /// Ends the session once: the application's stream of messages ends, a
    /// held poll gets the close packet (noop when the client asked), and the
    /// id leaves the registry at once.
    pub(crate) fn close(&self, reason: CloseReason) {
        let inbox = {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            state.closed = true;
            let inbox = state.inbox.take();
            // A held poll must end; a websocket the client closed needs no word.
            let last = match (reason, state.kind) {
                (CloseReason::ClientClose, Kind::Polling) => Some(NOOP),
                (CloseReason::ClientClose, Kind::WebSocket) => None,
                _ => Some(CLOSE),
            };
            if let Some(last) = last {
                state.queue_bytes += last.len();
                state.queue.push_back(last);
            }
            inbox
        };
        tracing::debug!(sid = %self.id, ?reason, "engine.io session closed");
        (self.on_close)(&self.id);
        self.wake.notify_waiters();
        // A permit if the timer task is not waiting: it looks at once.
        self.timers.notify_one();
        // A channel's reader sees it end; the Socket.IO layer is told.
        if let Some(Inbox::SocketIo(layer)) = inbox {
            layer.closed();
        }
    }
}

/// Frames on their way to a polling client. They leave the queue for good
/// only when [`Lent::delivered`] runs; dropped before that (the client hung
/// up before the answer was written), they go back to the queue's front.
#[derive(Debug)]
pub(crate) struct Lent {
    session: Arc<EngineSession>,
    frames: Vec<Frame>,
}

impl Lent {
    pub(crate) fn frames(&self) -> &[Frame] {
        &self.frames
    }

    pub(crate) fn delivered(mut self) {
        let bytes = self.frames.iter().map(Frame::len).sum();
        self.session.config.stats.sent(self.frames.len(), bytes);
        self.frames.clear();
        self.session.settle(&[]);
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if !self.frames.is_empty() {
            tracing::debug!(sid = %self.session.id, frames = self.frames.len(), "poll abandoned before its answer was sent; frames requeued");
            self.session.settle(&self.frames);
        }
    }
}

/// Why a polling GET was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollRefusal {
    Upgraded,
    Closed,
    Overlapping,
}
