//! A 0.9 session (one handshake): its outbox, its timers' state, and its
//! endpoint connections; transports bind to it to move frames.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::Protocol;
use crate::codec::legacy::{self, Packet, PayloadError, fixed};
use crate::core::{
    Backpressure, CloseReason, ConnectionInfo, Departure, Encoded, Event, Frame, HandlerInput, Hub, Lent, Message,
    Namespaces, Outbox, OutboxOwner, Outgoing, SessionLink, Spawner, Stats, Take,
};
use crate::legacy::Transport;
use crate::legacy::encode::{self, error_packet, refusal};

struct State {
    outbox: Outbox,
    closed_at: Option<Instant>,
    bound: bool,
    last_seen: Instant,
    unbound_since: Option<Instant>,
    /// Until a transport binds, the session counts as a pending handshake.
    ever_bound: bool,
    created: Instant,
    close_reason: Option<CloseReason>,
    /// The transport bound last: a 0.9 client picks it after the handshake.
    transport: Option<Transport>,
}

/// One Socket.IO 0.9 session (one handshake).
pub(crate) struct Session {
    id: Arc<str>,
    hub: Arc<Hub>,
    info: ConnectionInfo,
    state: Mutex<State>,
    namespaces: Namespaces,
    /// Wakes the bound transport: frames queued, session closed, or superseded.
    wake: Notify,
    /// Wakes the session's timer task.
    pub(crate) changed: Notify,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("id", &self.id).finish_non_exhaustive()
    }
}

impl OutboxOwner for Session {
    fn with_outbox<R>(&self, f: impl FnOnce(&mut Outbox) -> R) -> R {
        f(&mut self.lock().outbox)
    }

    fn settled(&self) {
        self.wake.notify_waiters();
        self.changed.notify_waiters();
    }

    fn stats(&self) -> &Stats {
        &self.hub.stats
    }

    fn sid(&self) -> &str {
        &self.id
    }
}

impl SessionLink for Session {
    fn sid(&self) -> &Arc<str> {
        &self.id
    }

    /// Empty until a transport binds.
    fn transport(&self) -> &'static str {
        self.lock().transport.map_or("", Transport::name)
    }

    /// A 0.9 client has one id for every endpoint: its session id.
    fn socket_id(&self, _endpoint: &str) -> Arc<str> {
        self.id.clone()
    }

    fn protocol(&self) -> Protocol {
        Protocol::Legacy
    }

    fn encode(&self, packet: &Outgoing<'_>, endpoint: &str) -> Option<Encoded> {
        Some(encode::encode(packet, endpoint))
    }

    fn push(&self, encoded: Encoded) {
        match encoded {
            Encoded::One(frame) => self.push_all(std::iter::once(frame)),
            Encoded::Many(frames) => self.push_all(frames.iter().cloned()),
        }
    }

    fn is_writable(&self) -> bool {
        self.lock().bound
    }

    fn namespaces(&self) -> &Namespaces {
        &self.namespaces
    }

    fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    fn close(&self, reason: CloseReason) {
        Session::close(self, reason);
    }
}

impl Session {
    pub(crate) fn new(id: Arc<str>, hub: Arc<Hub>, info: ConnectionInfo) -> Arc<Self> {
        let now = Instant::now();
        Arc::new(Self {
            id,
            hub,
            info,
            state: Mutex::new(State {
                outbox: Outbox::default(),
                closed_at: None,
                bound: false,
                last_seen: now,
                unbound_since: Some(now),
                ever_bound: false,
                created: now,
                close_reason: None,
                transport: None,
            }),
            namespaces: Namespaces::default(),
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
        // Every critical section is panic-free, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// A future that completes when the bound transport should look again.
    /// Create and `enable` it before asking for frames.
    pub(crate) fn wake(&self) -> &Notify {
        &self.wake
    }

    /// Queues one frame for the client.
    pub(crate) fn push(&self, frame: Frame) {
        self.push_all(std::iter::once(frame));
    }

    /// Queues frames for the client, all or none; dropped once closed. A
    /// client that stops reading is disconnected at the bound.
    pub(crate) fn push_all(&self, frames: impl IntoIterator<Item = Frame>) {
        let limits = self.hub.config.limits();
        let pushed = self.lock().outbox.push_all(frames, &limits);
        self.wake.notify_waiters();
        if pushed.is_err() {
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
            if state.outbox.is_finished() {
                return None;
            }
            if !state.ever_bound {
                state.ever_bound = true;
                self.hub.pending.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            }
            state.bound = true;
            state.unbound_since = None;
            state.last_seen = Instant::now();
            state.outbox.rebind()
        };
        self.wake.notify_waiters();
        self.changed.notify_waiters();
        Some(token)
    }

    /// The transport of a new binding; an observer hears of a change.
    pub(crate) fn set_transport(&self, transport: Transport) {
        let changed = self.lock().transport.replace(transport) != Some(transport);
        if changed && let Some(monitor) = self.hub.monitor() {
            for connection in self.namespaces.all() {
                monitor.transport_changed(&connection);
            }
        }
    }

    pub(crate) fn unbind(&self, token: u64) {
        {
            let mut state = self.lock();
            if !state.outbox.is_current(token) {
                return;
            }
            state.bound = false;
            state.unbound_since = Some(Instant::now());
        }
        self.changed.notify_waiters();
    }

    /// Lends every queued frame to the transport holding `token`.
    pub(crate) fn lend(self: &Arc<Self>, token: u64) -> Result<Lent<Session>, Take> {
        let lent = crate::core::lend(self, token);
        if lent.is_ok() {
            self.changed.notify_waiters();
        }
        lent
    }

    /// Marks the client as alive (any request or frame from it).
    pub(crate) fn touch(&self) {
        self.lock().last_seen = Instant::now();
    }

    /// Handles a request body or websocket message: one packet or a framed
    /// payload.
    pub(crate) async fn receive_payload(self: &Arc<Self>, payload: &str) -> Result<(), PayloadError> {
        if let Some(backpressure) = self.receive_payload_now(payload)? {
            backpressure.await;
        }
        Ok(())
    }

    /// [`Session::receive_payload`] without a future of its own: when a
    /// busy handler's queue is full, the wait and the packets after it come
    /// back boxed, to await before reading on.
    pub(crate) fn receive_payload_now(self: &Arc<Self>, payload: &str) -> Result<Option<Backpressure>, PayloadError> {
        self.touch();
        let packets = legacy::decode_payload(payload, self.hub.config.max_packets_per_payload)?;
        self.hub.stats.received(packets.len(), payload.len());
        for (index, packet) in packets.iter().enumerate() {
            if let Some(backpressure) = self.receive_packet(packet) {
                let rest: Vec<String> = packets[index + 1..].iter().map(|p| (*p).to_owned()).collect();
                let session = self.clone();
                return Ok(Some(Box::pin(async move {
                    backpressure.await;
                    for packet in rest {
                        if let Some(backpressure) = session.receive_packet(&packet) {
                            backpressure.await;
                        }
                    }
                })));
            }
        }
        Ok(None)
    }

    fn receive_packet(self: &Arc<Self>, text: &str) -> Option<Backpressure> {
        let packet = match Packet::decode(text) {
            Ok(packet) => packet,
            Err(error) => {
                tracing::debug!(sid = %self.id, %error, "malformed packet refused");
                self.push(error_packet("", &format!("malformed packet: {error}")));
                return None;
            }
        };
        match packet {
            Packet::Heartbeat | Packet::Noop => {}
            Packet::Disconnect { endpoint } if endpoint.is_empty() => {
                self.close(CloseReason::ClientDisconnect);
            }
            // No echo: the 0.9 client already emitted `disconnect` locally.
            Packet::Disconnect { endpoint } => self.namespaces.close_one(&**self, &endpoint, false),
            Packet::Connect { endpoint, query } => self.connect_endpoint(endpoint, query),
            Packet::Message { id, endpoint, data } => {
                let input = HandlerInput::Message(Box::new((id, Message::Text(data))));
                return self.deliver(&endpoint, input);
            }
            Packet::Json { id, endpoint, data } => {
                let input = HandlerInput::Message(Box::new((id, Message::Json(data))));
                return self.deliver(&endpoint, input);
            }
            Packet::Event {
                id,
                endpoint,
                name,
                args,
            } => {
                // node 0.9's default `blacklist`: a client cannot fake the
                // server's own disconnect event; node drops it unanswered.
                if name == "disconnect" {
                    tracing::debug!(sid = %self.id, endpoint, "event named `disconnect` from a client; ignored");
                    return None;
                }
                let mut event = Event::new(name, args);
                event.ack = id;
                return self.deliver(&endpoint, HandlerInput::Event(Box::new(event)));
            }
            Packet::Ack { endpoint, ack_id, args } => match self.namespaces.get(&endpoint) {
                Some(connection) => connection.resolve_ack(ack_id, args.unwrap_or_default()),
                None => tracing::debug!(sid = %self.id, endpoint, "ack for an endpoint that is not connected"),
            },
            Packet::Error {
                endpoint,
                reason,
                advice,
            } => {
                tracing::debug!(sid = %self.id, endpoint, reason, ?advice, "client sent an error packet");
            }
        }
        None
    }

    fn deliver(&self, endpoint: &str, input: HandlerInput) -> Option<Backpressure> {
        match self.namespaces.deliver(endpoint, input) {
            Ok(backpressure) => backpressure,
            Err(_) => {
                tracing::debug!(sid = %self.id, endpoint, "packet for an endpoint that is not connected; ignored");
                None
            }
        }
    }

    /// Starts the main connection during the handshake; resolves to whether
    /// its open hook accepted it.
    pub(crate) async fn open_main(self: &Arc<Self>) -> bool {
        let spawner = self.hub.main_endpoint();
        let opened = self.open(String::new(), self.info.clone(), &spawner);
        opened.await.unwrap_or(false)
    }

    fn open(
        self: &Arc<Self>,
        endpoint: String,
        info: ConnectionInfo,
        spawner: &Spawner,
    ) -> tokio::sync::oneshot::Receiver<bool> {
        let link: Arc<dyn SessionLink> = self.clone();
        Namespaces::open(&link, endpoint, info, spawner)
    }

    fn connect_endpoint(self: &Arc<Self>, endpoint: String, query: Option<String>) {
        if endpoint.is_empty() {
            return; // The main endpoint is connected by the handshake.
        }
        if self.namespaces.contains(&endpoint) {
            self.push(Frame::text(Packet::Connect { endpoint, query: None }.encode()));
            return;
        }
        let spawner = if self.namespaces.others() >= self.hub.config.max_endpoints_per_session {
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
        drop(self.open(endpoint, info, &spawner));
    }

    /// Ends the session: every connection's close hook runs once (endpoints
    /// first, then the main one), `0::` is queued for the client, and the
    /// session leaves the registry once that is delivered.
    pub(crate) fn close(&self, reason: CloseReason) {
        {
            let mut state = self.lock();
            if state.outbox.is_closed() {
                return;
            }
            state.outbox.close(Some(Frame::fixed(fixed::DISCONNECT)));
            state.closed_at = Some(Instant::now());
            if !state.ever_bound {
                // A never-bound session stops counting as pending when it closes.
                state.ever_bound = true;
                self.hub.pending.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
            }
            state.close_reason = Some(reason);
        }
        tracing::debug!(sid = %self.id, ?reason, "session closed");
        self.namespaces.close_all(self, Departure::Session(reason));
        self.wake.notify_waiters();
        self.changed.notify_waiters();
    }

    pub(crate) fn timer_view(&self) -> crate::legacy::driver::TimerView {
        let state = self.lock();
        crate::legacy::driver::TimerView {
            closed_at: state.closed_at,
            drained: state.outbox.is_drained(),
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
