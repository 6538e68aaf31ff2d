//! Sessions: one per handshake. A session owns its outbound queue, its
//! timers and its endpoint connections; transports bind to it to move frames.

mod config;
mod connection;
mod connections;
mod driver;
mod frame;
mod hub;
mod rooms;
mod stats;

pub(crate) use config::SessionConfig;
pub(crate) use connection::{Connection, ConnectionHandle, Encoded, Inbound, Outgoing, Owner, Spawner};
pub(crate) use connections::Connections;
pub(crate) use frame::Frame;
pub(crate) use hub::{DynamicEndpointsFn, Hub, HubError, new_sid};
pub(crate) use stats::Stats;
pub use stats::{ConnectionsByTransport, StatsSnapshot};

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use crate::codec::legacy::{self, Packet, PayloadError, error_code};
use crate::handler::{ConnectionInfo, Event, Message};

/// Why a session ended; logged, and it decides whether `0::` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// The client sent `0::` or asked with `?disconnect`.
    ClientDisconnect,
    /// The application closed the main connection.
    ServerClose,
    /// A handler panicked.
    HandlerPanic,
    /// The client missed its heartbeats.
    HeartbeatTimeout,
    /// No transport was bound for the close timeout.
    CloseTimeout,
    /// No transport ever bound within the handshake expiry.
    HandshakeExpired,
    /// The client's websocket closed: a 0.9 client never comes back to the
    /// same session, so there is no point waiting the close timeout.
    TransportClosed,
    /// The outbound queue reached its bound: the client is not reading.
    QueueFull,
    /// The server is shutting down.
    Shutdown,
}

/// What a bound transport gets when it asks for frames.
#[derive(Debug)]
pub(crate) enum Take {
    /// Frames to deliver, oldest first.
    Frames(Vec<Frame>),
    /// Nothing yet: wait for `Session::wake`.
    Empty,
    /// Another transport binding replaced this one.
    Superseded,
    /// The session is closed and everything queued was delivered.
    Gone,
}

struct State {
    queue: VecDeque<Frame>,
    queue_bytes: usize,
    /// A poll's answer holds frames hyper has not yet taken; until it
    /// settles, nobody else takes frames, so none can overtake them.
    lent: bool,
    closed: bool,
    closed_at: Option<Instant>,
    binding: u64,
    bound: bool,
    last_seen: Instant,
    unbound_since: Option<Instant>,
    /// Until a transport binds, the session counts as a pending handshake.
    ever_bound: bool,
    created: Instant,
    close_reason: Option<CloseReason>,
    connections: Connections,
}

/// One Socket.IO session (one handshake).
pub(crate) struct Session {
    id: Arc<str>,
    hub: Arc<Hub>,
    info: ConnectionInfo,
    state: Mutex<State>,
    /// Wakes the bound transport: frames queued, session closed, or superseded.
    wake: Notify,
    /// Wakes the session's timer task.
    changed: Notify,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Session {
    fn new(id: Arc<str>, hub: Arc<Hub>, info: ConnectionInfo) -> Arc<Self> {
        let now = Instant::now();
        Arc::new(Self {
            id,
            hub,
            info,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                queue_bytes: 0,
                lent: false,
                closed: false,
                closed_at: None,
                binding: 0,
                bound: false,
                last_seen: now,
                unbound_since: Some(now),
                ever_bound: false,
                created: now,
                close_reason: None,
                connections: Connections::default(),
            }),
            wake: Notify::new(),
            changed: Notify::new(),
        })
    }

    pub(crate) fn id(&self) -> &Arc<str> {
        &self.id
    }

    pub(crate) fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the queue half-written
        // (every critical section is panic-free), so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// A future that completes when the bound transport should look again.
    /// Create and `enable` it before calling [`Session::take`].
    pub(crate) fn wake(&self) -> &Notify {
        &self.wake
    }

    /// Queues one frame for the client. Dropped if the session is closed;
    /// closes the session if the queue bound is reached.
    pub(crate) fn push(&self, frame: Frame) {
        self.push_all(std::iter::once(frame));
    }

    pub(crate) fn push_all(&self, frames: impl IntoIterator<Item = Frame>) {
        let overflow = {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            let config = &self.hub.config;
            let mut overflow = false;
            for frame in frames {
                if state.queue.len() >= config.max_queue_packets
                    || state.queue_bytes + frame.len() > config.max_queue_bytes
                {
                    overflow = true;
                    break;
                }
                state.queue_bytes += frame.len();
                state.queue.push_back(frame);
            }
            overflow
        };
        self.wake.notify_waiters();
        if overflow {
            tracing::warn!(sid = %self.id, "outbound queue full: the client is not reading; closing the session");
            self.close(CloseReason::QueueFull);
        }
    }

    /// Binds a transport; returns its binding token, or `None` if the session
    /// is closed with nothing left to deliver. A newer binding supersedes an
    /// older one (the older one is woken and told so).
    pub(crate) fn bind(&self) -> Option<u64> {
        let token = {
            let mut state = self.lock();
            if state.closed && state.queue.is_empty() && !state.lent {
                return None;
            }
            if !state.ever_bound {
                state.ever_bound = true;
                self.hub.pending.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            }
            state.binding += 1;
            state.bound = true;
            state.unbound_since = None;
            state.last_seen = Instant::now();
            state.binding
        };
        self.wake.notify_waiters();
        self.changed.notify_waiters();
        Some(token)
    }

    pub(crate) fn unbind(&self, token: u64) {
        {
            let mut state = self.lock();
            if state.binding != token {
                return;
            }
            state.bound = false;
            state.unbound_since = Some(Instant::now());
        }
        self.changed.notify_waiters();
    }

    /// Takes every queued frame for the transport holding `token`.
    pub(crate) fn take(&self, token: u64) -> Take {
        self.take_frames(token, false)
    }

    /// [`Session::take`] for a poll's answer: the frames come back unless
    /// the answer's [`Lent`] is delivered.
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
        let taken = {
            let mut state = self.lock();
            if state.binding != token {
                return Take::Superseded;
            }
            if state.lent {
                return Take::Empty;
            }
            if state.queue.is_empty() {
                return if state.closed { Take::Gone } else { Take::Empty };
            }
            if !lend {
                self.hub.stats.sent(state.queue.len(), state.queue_bytes);
            }
            state.lent = lend;
            state.queue_bytes = 0;
            // The queue's buffer leaves with its frames (no copy when it has not
            // wrapped): an idle session then holds no queue memory at all.
            Take::Frames(Vec::from(std::mem::take(&mut state.queue)))
        };
        self.changed.notify_waiters();
        taken
    }

    fn settle(&self, returned: Option<&[Frame]>) {
        {
            let mut state = self.lock();
            state.lent = false;
            for frame in returned.unwrap_or_default().iter().rev() {
                state.queue_bytes += frame.len();
                state.queue.push_front(frame.clone());
            }
        }
        self.wake.notify_waiters();
        self.changed.notify_waiters();
    }

    /// Marks the client as alive (any request or frame from it).
    pub(crate) fn touch(&self) {
        self.lock().last_seen = Instant::now();
    }

    /// Handles a request body or websocket message: one packet or a framed payload.
    pub(crate) async fn receive_payload(self: &Arc<Self>, payload: &str) -> Result<(), PayloadError> {
        self.touch();
        let packets = legacy::decode_payload(payload, self.hub.config.max_packets_per_payload)?;
        self.hub.stats.received(packets.len(), payload.len());
        for packet in packets {
            self.receive_packet(packet).await;
        }
        Ok(())
    }

    async fn receive_packet(self: &Arc<Self>, text: &str) {
        let packet = match Packet::decode(text) {
            Ok(packet) => packet,
            Err(error) => {
                tracing::debug!(sid = %self.id, %error, "malformed packet refused");
                self.push(error_packet("", &format!("malformed packet: {error}")));
                return;
            }
        };
        match packet {
            Packet::Heartbeat | Packet::Noop => {}
            Packet::Disconnect { endpoint } if endpoint.is_empty() => {
                self.close(CloseReason::ClientDisconnect);
            }
            // No echo: the 0.9 client already emitted `disconnect` locally.
            Packet::Disconnect { endpoint } => self.close_endpoint(&endpoint, false),
            Packet::Connect { endpoint, query } => self.connect_endpoint(endpoint, query),
            Packet::Message { id, endpoint, data } => {
                self.deliver(&endpoint, Inbound::Message(Box::new((id, Message::Text(data)))))
                    .await;
            }
            Packet::Json { id, endpoint, data } => {
                self.deliver(&endpoint, Inbound::Message(Box::new((id, Message::Json(data)))))
                    .await;
            }
            Packet::Event {
                id,
                endpoint,
                name,
                args,
            } => {
                let mut event = Event::new(name, args);
                event.ack = id;
                self.deliver(&endpoint, Inbound::Event(Box::new(event))).await;
            }
            Packet::Ack { endpoint, ack_id, args } => {
                let connection = self.lock().connections.get(&endpoint).map(|h| h.connection.clone());
                match connection {
                    Some(connection) => connection.resolve_ack(ack_id, args.unwrap_or_default()),
                    None => tracing::debug!(sid = %self.id, endpoint, "ack for an endpoint that is not connected"),
                }
            }
            Packet::Error {
                endpoint,
                reason,
                advice,
            } => {
                tracing::debug!(sid = %self.id, endpoint, reason, ?advice, "client sent an error packet");
            }
        }
    }

    async fn deliver(&self, endpoint: &str, inbound: Inbound) {
        let full = match self.lock().connections.get(endpoint) {
            Some(handle) => handle.offer(inbound),
            None => {
                tracing::debug!(sid = %self.id, endpoint, "packet for an endpoint that is not connected; ignored");
                return;
            }
        };
        // Waiting here is the backpressure: a busy handler slows its reader.
        if let Some((inbox, inbound)) = full {
            let _ = inbox.send(inbound).await;
        }
    }

    /// Starts the main connection during the handshake; resolves to whether
    /// its open hook accepted it.
    pub(crate) async fn open_main(self: &Arc<Self>) -> bool {
        let spawner = self.hub.main.clone();
        let opened = self.start_connection(String::new(), self.info.clone(), &spawner);
        opened.await.unwrap_or(false)
    }

    fn connect_endpoint(self: &Arc<Self>, endpoint: String, query: Option<String>) {
        if endpoint.is_empty() {
            return; // The main endpoint is connected by the handshake.
        }
        let (known, count) = {
            let state = self.lock();
            (state.connections.get(&endpoint).is_some(), state.connections.len())
        };
        if known {
            self.push(Frame::from(Packet::Connect { endpoint, query: None }.encode()));
            return;
        }
        let spawner = if count > self.hub.config.max_endpoints_per_session {
            tracing::warn!(sid = %self.id, endpoint, "too many endpoints on one session");
            None
        } else {
            self.hub.resolve(&endpoint)
        };
        let Some(spawner) = spawner else {
            self.push(refusal(&endpoint));
            return;
        };
        let query = query
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let info = self.info.for_endpoint(query);
        drop(self.start_connection(endpoint, info, &spawner));
    }

    fn start_connection(
        self: &Arc<Self>,
        endpoint: String,
        info: ConnectionInfo,
        spawner: &Spawner,
    ) -> tokio::sync::oneshot::Receiver<bool> {
        let connection = Arc::new(Connection::new(Owner::Legacy(self.clone()), endpoint.clone(), info));
        let (inbox, inbox_rx) = mpsc::channel(self.hub.config.inbox_capacity);
        let (opened_tx, opened_rx) = tokio::sync::oneshot::channel();
        let mut state = self.lock();
        if state.closed {
            return opened_rx;
        }
        let task = spawner(connection.clone(), inbox_rx, opened_tx);
        state.connections.insert(
            endpoint,
            ConnectionHandle {
                connection,
                inbox,
                task,
            },
        );
        opened_rx
    }

    /// Called by a connection whose open hook refused it.
    pub(crate) fn forget_connection(&self, endpoint: &str) {
        self.lock().connections.remove(endpoint);
    }

    /// Closes one endpoint connection (the client's `0::/ep` or the handler's
    /// `close()`); its close hook runs after the events already queued.
    pub(crate) fn close_endpoint(&self, endpoint: &str, echo: bool) {
        let handle = self.lock().connections.remove(endpoint);
        let Some(handle) = handle else { return };
        self.hub.rooms.remove_member(endpoint, &self.id);
        handle.connection.mark_closed();
        if echo {
            self.push(Frame::from(
                Packet::Disconnect {
                    endpoint: endpoint.to_owned(),
                }
                .encode(),
            ));
        }
        tokio::spawn(async move {
            let _ = handle.inbox.send(Inbound::Close).await;
            let _ = handle.task.await;
        });
    }

    /// Ends the session: every connection's close hook runs once (endpoints
    /// first, then the main one), `0::` is queued for the client, and the
    /// session leaves the registry once that is delivered.
    pub(crate) fn close(&self, reason: CloseReason) {
        let connections = {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            state.closed = true;
            state.closed_at = Some(Instant::now());
            if !state.ever_bound {
                // A never-bound session stops counting as pending when it closes.
                state.ever_bound = true;
                self.hub.pending.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            }
            state.close_reason = Some(reason);
            let frame = Frame::from("0::");
            state.queue_bytes += frame.len();
            state.queue.push_back(frame);
            std::mem::take(&mut state.connections).into_inner()
        };
        tracing::debug!(sid = %self.id, ?reason, "session closed");
        self.hub.rooms.remove_session(&self.id);
        self.wake.notify_waiters();
        self.changed.notify_waiters();
        let (main, endpoints): (Vec<_>, Vec<_>) =
            connections.into_iter().partition(|(endpoint, _)| endpoint.is_empty());
        // Connections are marked closed here rather than above because `close`
        // may run while a connection's own lock is held (queue overflow).
        let teardown = async move {
            for (_, handle) in endpoints.iter().chain(main.iter()) {
                handle.connection.mark_closed();
            }
            for (_, handle) in endpoints.into_iter().chain(main) {
                let _ = handle.inbox.send(Inbound::Close).await;
                drop(handle.inbox);
                let _ = handle.task.await;
            }
        };
        self.hub.spawn(teardown);
    }
}

/// Frames on their way to a polling client. They leave the queue for good
/// only when [`Lent::delivered`] runs; dropped before that (the client hung
/// up before the answer was written), they go back to the queue's front.
#[derive(Debug)]
pub(crate) struct Lent {
    session: Arc<Session>,
    frames: Vec<Frame>,
}

impl Lent {
    pub(crate) fn frames(&self) -> &[Frame] {
        &self.frames
    }

    pub(crate) fn delivered(mut self) {
        let frames = std::mem::take(&mut self.frames);
        let bytes = frames.iter().map(Frame::len).sum();
        self.session.hub.stats.sent(frames.len(), bytes);
        // Drop sees no frames and gives nothing back.
        self.session.settle(None);
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if !self.frames.is_empty() {
            tracing::debug!(sid = %self.session.id, frames = self.frames.len(), "poll abandoned before its answer was sent; frames requeued");
            self.session.settle(Some(&self.frames));
        }
    }
}

pub(crate) fn error_packet(endpoint: &str, reason: &str) -> Frame {
    Frame::from(
        Packet::Error {
            endpoint: endpoint.to_owned(),
            reason: reason.to_owned(),
            advice: None,
        }
        .encode(),
    )
}

/// What the 0.9 client understands as "this endpoint refused you": it emits
/// `connect_failed` on that namespace.
pub(crate) fn refusal(endpoint: &str) -> Frame {
    error_packet(endpoint, error_code::UNAUTHORIZED)
}

impl Session {
    fn timer_view(&self) -> driver::TimerView {
        let state = self.lock();
        driver::TimerView {
            closed_at: state.closed_at,
            queue_empty: state.queue.is_empty() && !state.lent,
            last_seen: state.last_seen,
            unbound_since: if state.bound { None } else { state.unbound_since },
            expires_unbound: (!state.ever_bound).then(|| state.created + self.hub.config.handshake_expiry),
            // Nobody will come back for the queue: an expired handshake never
            // had a client, and a 0.9 client that said goodbye never reuses its id.
            abandoned: matches!(
                state.close_reason,
                Some(CloseReason::HandshakeExpired | CloseReason::ClientDisconnect | CloseReason::TransportClosed)
            ),
            shutting_down: self.hub.is_shutting_down(),
        }
    }
}

#[cfg(test)]
mod tests;
