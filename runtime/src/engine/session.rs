use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::Bytes;
use tokio::sync::Notify;

use crate::codec::engineio::{Packet, fixed};
use crate::core::{Backpressure, Batch, CloseReason, Frame, Lent, Outbox, OutboxOwner, SessionInfo, Stats, Take};
use crate::engine::tenant::Reader;
use crate::engine::{Engine, EngineConfig, Received, Version, polling};

/// Which kind of transport holds the session's current binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Polling,
    WebSocket,
}

struct State {
    outbox: Outbox,
    kind: Kind,
    /// A polling GET is held right now.
    polling: bool,
    upgrading: bool,
    upgraded: bool,
    awaiting_pong: bool,
    /// v3: the client pinged since the last check.
    pinged: bool,
    /// Taken at close.
    reader: Option<Arc<dyn Reader>>,
}

/// One Engine.IO session (one handshake), whichever transport carries it.
pub(crate) struct EngineSession {
    id: Arc<str>,
    version: Version,
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
    /// The endpoint whose registry forgets the id at close (a plain weak
    /// reference: an idle session's memory counts).
    endpoint: Weak<Engine>,
}

impl std::fmt::Debug for EngineSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineSession")
            .field("id", &self.id)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// What a handshake request says about the session it opens.
#[derive(Debug)]
pub(crate) struct Opening {
    pub(crate) version: Version,
    /// v3 polling clients that did not ask for `b64=1` take binary bodies.
    pub(crate) binary_polling: bool,
    pub(crate) kind: Kind,
    pub(crate) info: Arc<SessionInfo>,
}

/// Why a polling GET was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollRefusal {
    Upgraded,
    Closed,
    Overlapping,
}

impl OutboxOwner for EngineSession {
    fn with_outbox<R>(&self, f: impl FnOnce(&mut Outbox) -> R) -> R {
        f(&mut self.lock().outbox)
    }

    fn settled(&self) {
        self.wake.notify_waiters();
    }

    fn stats(&self) -> &Stats {
        &self.config.stats
    }

    fn sid(&self) -> &str {
        &self.id
    }
}

impl EngineSession {
    pub(crate) fn new(id: Arc<str>, opening: Opening, config: Arc<EngineConfig>, endpoint: Weak<Engine>) -> Arc<Self> {
        let Opening {
            version,
            binary_polling,
            kind,
            info,
        } = opening;
        Arc::new(Self {
            id,
            version,
            binary_polling,
            info,
            config,
            state: Mutex::new(State {
                outbox: Outbox::default(),
                kind,
                polling: false,
                upgrading: false,
                upgraded: kind == Kind::WebSocket,
                awaiting_pong: false,
                pinged: false,
                reader: None,
            }),
            wake: Notify::new(),
            timers: Notify::new(),
            endpoint,
        })
    }

    /// Gives the session its reader. One that closed meanwhile (a Socket.IO
    /// 2 session whose main open hook refused at once) is told at once.
    pub(crate) fn set_reader(&self, reader: Arc<dyn Reader>) {
        let mut state = self.lock();
        if !state.outbox.is_closed() {
            state.reader = Some(reader);
            return;
        }
        drop(state);
        // Only a refusal by the application closes a session this early.
        reader.closed(CloseReason::ServerClose);
    }

    pub(crate) fn reader(&self) -> Option<Arc<dyn Reader>> {
        self.lock().reader.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section is panic-free, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn id(&self) -> &Arc<str> {
        &self.id
    }

    pub(crate) fn version(&self) -> Version {
        self.version
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
        self.lock().outbox.is_closed()
    }

    /// A transport could take a frame now: a websocket, or a held poll.
    pub(crate) fn is_writable(&self) -> bool {
        let state = self.lock();
        state.kind == Kind::WebSocket || state.polling
    }

    /// The `0{...}` open packet; `upgrades` lists websocket only for polling.
    pub(crate) fn open_packet(&self, kind: Kind) -> Frame {
        let config = &self.config;
        let max_payload = (self.version == Version::V4).then_some(config.max_payload);
        Frame::text(fixed::encode_open(
            &self.id,
            kind == Kind::Polling,
            config.ping_interval.as_millis(),
            config.ping_timeout.as_millis(),
            max_payload,
        ))
    }

    /// Queues frames for the client, in order and all or none; dropped once
    /// closed. A client that stops reading is disconnected at the bound.
    pub(crate) fn push_all(&self, frames: impl IntoIterator<Item = Frame>) {
        let pushed = self.lock().outbox.push_all(frames, &self.config.limits);
        if pushed.is_err() {
            tracing::warn!(sid = %self.id, "outbound queue full: the client is not reading; closing the session");
            self.close(CloseReason::QueueFull);
        } else {
            self.wake.notify_waiters();
        }
    }

    pub(crate) fn push(&self, frame: Frame) {
        self.push_all(std::iter::once(frame));
    }

    /// A polling GET wants the session. Refused when a websocket took over
    /// or another GET is held; the latter is a protocol error that closes
    /// the session.
    ///
    /// The first poll after a close takes the goodbye the close queued (a
    /// client's close packet and its poll may come in either order); no
    /// later poll finds the session.
    pub(crate) fn begin_poll(&self) -> Result<u64, PollRefusal> {
        let mut state = self.lock();
        if state.upgraded {
            return Err(PollRefusal::Upgraded);
        }
        let closed = state.outbox.is_closed();
        let begun = if state.outbox.is_finished() {
            Err(PollRefusal::Closed)
        } else if state.polling {
            Err(PollRefusal::Overlapping)
        } else {
            state.polling = true;
            Ok(state.outbox.rebind())
        };
        drop(state);
        if closed && let Some(endpoint) = self.endpoint.upgrade() {
            endpoint.forget_farewell(&self.id);
        }
        if begun == Err(PollRefusal::Overlapping) {
            self.close(CloseReason::ProtocolError);
        }
        begun
    }

    pub(crate) fn end_poll(&self, token: u64) {
        let mut state = self.lock();
        if state.outbox.is_current(token) {
            state.polling = false;
        }
    }

    /// Lends the poll holding `token` the oldest queued frames that fit one
    /// response (`max_packets_per_poll` packets, `max_payload` bytes as
    /// encoded); a poll during an upgrade gets nothing (it answers noop at
    /// once).
    pub(crate) fn lend_to_poll(self: &Arc<Self>, token: u64) -> Result<Lent<EngineSession>, PollTake> {
        {
            let state = self.lock();
            if state.upgrading && state.kind == Kind::Polling && state.outbox.is_current(token) {
                return Err(PollTake::Upgrading);
            }
        }
        let version = self.version;
        // Each packet is weighed with its separator, which the first one
        // does not have: one byte more of room makes up for it.
        let batch = Batch {
            max_frames: self.config.max_packets_per_poll,
            max_bytes: self.config.max_payload.saturating_add(1),
        };
        crate::core::lend_at_most(self, token, batch, |frame| polling::encoded_len(version, frame))
            .map_err(PollTake::Not)
    }

    /// A websocket answered the probe: polls stop taking frames.
    pub(crate) fn begin_upgrade(&self) -> bool {
        let mut state = self.lock();
        if state.outbox.is_closed() || state.upgraded || state.upgrading {
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
        if state.outbox.is_closed() || !state.upgrading {
            return None;
        }
        state.upgrading = false;
        state.upgraded = true;
        state.kind = Kind::WebSocket;
        state.polling = false;
        let token = state.outbox.rebind();
        let reader = state.reader.clone();
        drop(state);
        self.wake.notify_waiters();
        if let Some(reader) = reader {
            reader.upgraded();
        }
        Some(token)
    }

    /// Binds the websocket a session was created on.
    pub(crate) fn bind_websocket(&self) -> u64 {
        self.lock().outbox.rebind()
    }

    /// Node's name of the transport carrying the session now.
    pub(crate) fn transport(&self) -> &'static str {
        match self.lock().kind {
            Kind::Polling => "polling",
            Kind::WebSocket => "websocket",
        }
    }

    pub(crate) fn is_upgraded(&self) -> bool {
        self.lock().upgraded
    }

    pub(crate) fn is_upgraded_or_upgrading(&self) -> bool {
        let state = self.lock();
        state.upgraded || state.upgrading
    }

    /// Handles one packet from the client; a busy reader hands back the
    /// wait for room.
    pub(crate) fn receive(&self, packet: Packet) -> Option<Backpressure> {
        let data = match packet {
            Packet::Message(text) => Received::Text(text.into()),
            Packet::Binary(data) => Received::Binary(data),
            Packet::Pong(_) => {
                self.lock().awaiting_pong = false;
                self.timers.notify_one();
                return None;
            }
            Packet::Ping(data) => {
                // v3 clients ping; v4 clients only ping while probing.
                self.lock().pinged = true;
                self.push(Frame::text(fixed::encode_pong(data.as_deref())));
                return None;
            }
            Packet::Close => {
                self.close(CloseReason::ClientDisconnect);
                return None;
            }
            Packet::Open(_) | Packet::Upgrade | Packet::Noop => return None,
        };
        self.deliver(data)
    }

    /// A message packet's text (after its `4`), lent by the transport.
    pub(crate) fn receive_message(&self, text: &str) -> Option<Backpressure> {
        self.deliver(Received::Text(text.into()))
    }

    /// Hands a message to the reader, if the session has one yet.
    fn deliver(&self, data: Received<'_>) -> Option<Backpressure> {
        let reader = self.lock().reader.clone();
        reader.and_then(|reader| reader.receive(data))
    }

    /// A wait until the reader has handled every message received so far.
    pub(crate) fn settled(&self) -> Option<Backpressure> {
        let reader = self.lock().reader.clone();
        reader.and_then(|reader| reader.settled())
    }

    /// Handles a binary websocket message (v3 prefixes the packet type byte).
    pub(crate) fn receive_binary(&self, data: Bytes) -> Option<Backpressure> {
        let data = match self.version {
            Version::V4 => data,
            Version::V3 => data.slice(1.min(data.len())..),
        };
        self.receive(Packet::Binary(data))
    }

    /// v4: sends a ping and expects a pong. v3: checks that the client pinged.
    /// Returns whether the session is still alive.
    pub(crate) fn heartbeat_check(&self) -> bool {
        let mut state = self.lock();
        if state.outbox.is_closed() {
            return false;
        }
        match self.version {
            Version::V4 => {
                if state.awaiting_pong {
                    return false;
                }
                state.awaiting_pong = true;
                drop(state);
                self.push(Frame::fixed(fixed::PING));
                true
            }
            Version::V3 => std::mem::take(&mut state.pinged),
        }
    }

    /// After a close: waits while the session's goodbye waits for a poll,
    /// at most a short grace (the client sends that poll along with its
    /// close), then forgets it.
    pub(crate) async fn await_farewell(&self) {
        let Some(endpoint) = self.endpoint.upgrade() else {
            return;
        };
        let deadline = tokio::time::Instant::now() + self.config.ping_timeout.min(FAREWELL_GRACE);
        while endpoint.goodbye_waits(&self.id) {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                // A poll took the goodbye, or the server shuts down.
                () = self.timers.notified() => {}
            }
        }
        endpoint.forget_farewell(&self.id);
    }

    pub(crate) fn pong_missing(&self) -> bool {
        self.lock().awaiting_pong
    }

    /// Ends the session once: the reader is told, a held poll gets the
    /// close packet (noop when the client asked), and the id leaves the
    /// registry at once. A polling client that closed while no poll was
    /// held gets the noop on the poll it sent along with its close, which
    /// may come second (`Engine::retire`).
    pub(crate) fn close(&self, reason: CloseReason) {
        let (reader, goodbye_waits) = {
            let mut state = self.lock();
            if state.outbox.is_closed() {
                return;
            }
            // A held poll must end; a websocket the client closed needs no word.
            let last = match (reason, state.kind) {
                (CloseReason::ClientDisconnect, Kind::Polling) => Some(Frame::fixed(fixed::NOOP)),
                (CloseReason::ClientDisconnect, Kind::WebSocket) => None,
                _ => Some(Frame::fixed(fixed::CLOSE)),
            };
            let goodbye_waits =
                reason == CloseReason::ClientDisconnect && state.kind == Kind::Polling && !state.polling;
            state.outbox.close(last);
            (state.reader.take(), goodbye_waits)
        };
        tracing::debug!(sid = %self.id, ?reason, "engine.io session closed");
        if let Some(endpoint) = self.endpoint.upgrade() {
            endpoint.retire(&self.id, goodbye_waits);
        }
        self.wake.notify_waiters();
        // A permit if the timer task is not waiting: it looks at once.
        self.timers.notify_one();
        if let Some(reader) = reader {
            reader.closed(reason);
        }
    }
}

/// How long, at most, a client's goodbye waits for its poll.
const FAREWELL_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a poll got no frames.
#[derive(Debug)]
pub(crate) enum PollTake {
    /// A websocket is taking over: the poll answers noop at once.
    Upgrading,
    Not(Take),
}
