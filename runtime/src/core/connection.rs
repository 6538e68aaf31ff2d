//! One connection of a session to one namespace (a legacy endpoint or a
//! Socket.IO namespace): what a handler's `Ctx` reaches, whatever the
//! protocol family.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Protocol;
use crate::codec::legacy::{MessageId, RawJson};
use crate::core::{
    AckError, AckResponse, BroadcastPacket, CloseReason, ConnectionInfo, Departure, Encoded, EncodedArgs, Event, Hub,
    Inbox, InboxReceiver, InboxSender, Message, Namespaces, PersistedSession, Reply, Target, TrySendError,
};

/// What a connection's handler task is handed, in arrival order. Kept
/// small: the inbox holds a few slots after a burst.
#[derive(Debug)]
pub(crate) enum HandlerInput {
    Message(Box<(Option<MessageId>, Message)>),
    Event(Box<Event>),
    Close,
}

/// A session's hold on one of its connections and the task running it.
pub(crate) struct ConnectionHandle {
    pub(crate) connection: Arc<Connection>,
    pub(crate) inbox: InboxSender,
    pub(crate) task: JoinHandle<()>,
}

impl ConnectionHandle {
    /// Puts `input` in the connection's queue if it has room, which is
    /// almost always, without a sender clone; when it is full, hands back
    /// the wait for room, to await once no lock is held. Waiting there is
    /// the backpressure: a busy handler slows its client's reader.
    pub(crate) fn offer(&self, input: HandlerInput) -> Option<Backpressure> {
        match self.inbox.try_send(input) {
            Ok(()) | Err(TrySendError::Closed) => None,
            Err(TrySendError::Full(input)) => {
                let inbox = self.inbox.clone();
                Some(Box::pin(async move {
                    let _ = inbox.send(input).await;
                }))
            }
        }
    }
}

/// The wait for room in a busy handler's queue; boxed, so that the
/// futures of idle sockets hold no room for it.
pub(crate) type Backpressure = futures_util::future::BoxFuture<'static, ()>;

/// Starts the task that runs one connection's handler. Built by
/// `handler::Endpoint` for a concrete handler type: the core calls the
/// handler layer only through it.
pub(crate) type Spawner =
    Arc<dyn Fn(Arc<Connection>, InboxReceiver, oneshot::Sender<bool>) -> JoinHandle<()> + Send + Sync>;

/// What a connection needs from the session it belongs to. Each protocol
/// family implements it: encoding is the family's, everything else about
/// connections is the core's.
pub(crate) trait SessionLink: Send + Sync + 'static {
    /// The session's id.
    fn sid(&self) -> &Arc<str>;
    /// The id of a new connection to `endpoint`: the session id for a
    /// legacy client, one of its own per namespace for a modern one.
    fn socket_id(&self, endpoint: &str) -> Arc<str>;
    /// Node's name of the transport carrying the session now (`polling`,
    /// `websocket`, `xhr-polling`, ...).
    fn transport(&self) -> &'static str;
    fn protocol(&self) -> Protocol;
    /// Whether its protocol has connection state recovery (a private
    /// session id in the CONNECT reply, offsets on events).
    fn recoverable(&self) -> bool {
        false
    }
    /// `packet` in this session's protocol, on `endpoint` (`""` is the
    /// main one); `None` when the protocol has no such packet.
    fn encode(&self, packet: &Outgoing<'_>, endpoint: &str) -> Option<Encoded>;
    /// Queues frames this session's family encoded.
    fn push(&self, encoded: Encoded);
    /// Whether a transport could take a packet right now (volatile
    /// broadcasts skip the sessions that cannot).
    fn is_writable(&self) -> bool;
    fn namespaces(&self) -> &Namespaces;
    fn hub(&self) -> &Arc<Hub>;
    /// Ends the whole session: every connection's close hook runs.
    fn close(&self, reason: CloseReason);
}

/// What a connection says to its client, before its family encodes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outgoing<'a> {
    /// The connection was accepted; `socket_id` is its id, `pid` its
    /// private session id under connection state recovery.
    Connect {
        socket_id: &'a str,
        pid: Option<&'a str>,
    },
    Refused,
    Disconnect,
    /// A text message: legacy packet 3; modern clients get a `message` event.
    Message(&'a str),
    /// A JSON message: legacy packet 4; modern clients get a `message` event.
    Json(&'a RawJson),
    /// `offset`: the packet's number under connection state recovery,
    /// which a family that has it sends as the last argument.
    Event {
        ack: Option<u64>,
        name: &'a str,
        args: &'a EncodedArgs,
        offset: Option<&'a str>,
    },
    /// `args: None` is the legacy ack without data (`6:::1`).
    Ack {
        id: u64,
        args: Option<&'a EncodedArgs>,
    },
    /// Legacy error packet; modern clients have no such packet and get nothing.
    Error(&'a str),
}

struct ConnState {
    /// Frames produced by the open hook, held until it accepts, so that the
    /// client sees its connect packet first.
    opening: Option<Vec<Encoded>>,
    closed: bool,
    next_ack: u64,
    acks: HashMap<u64, oneshot::Sender<AckResponse>>,
    /// What the handler attached (node's `socket.data`), for other servers.
    data: Option<Box<serde_json::value::RawValue>>,
}

/// One namespace connection of a session: the state a handler's `Ctx` reaches.
pub(crate) struct Connection {
    /// The socket id (the room it is always in).
    id: Arc<str>,
    /// The private session id it may come back with, under connection
    /// state recovery.
    pid: Option<Arc<str>>,
    /// It came back under connection state recovery.
    recovered: bool,
    session: Arc<dyn SessionLink>,
    endpoint: String,
    info: ConnectionInfo,
    state: Mutex<ConnState>,
    /// The id of the client ack a handler last took over with
    /// `Event::take_ack`: its reply then does not answer it. Events of one
    /// connection run one at a time, so one slot is enough.
    claimed_ack: AtomicU64,
    /// Why it ended ([`Departure::code`]), 0 while open.
    departure: AtomicU8,
    /// Inputs for its handler task.
    inbox: Inbox,
}

impl AsRef<Inbox> for Connection {
    fn as_ref(&self) -> &Inbox {
        &self.inbox
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("sid", self.sid())
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A new connection; `restored` gives it the id and private id of the
    /// socket it recovers.
    pub(crate) fn new(
        session: Arc<dyn SessionLink>,
        endpoint: String,
        info: ConnectionInfo,
        restored: Option<&PersistedSession>,
    ) -> Self {
        let (id, pid) = match restored {
            Some(restored) => (Arc::from(restored.sid.as_str()), Some(Arc::from(restored.pid.as_str()))),
            None => {
                let recovery = session.hub().recovery.is_some() && session.recoverable();
                (session.socket_id(&endpoint), recovery.then(crate::core::new_socket_id))
            }
        };
        let inbox = Inbox::new(session.hub().config.inbox_capacity);
        Self {
            id,
            pid,
            recovered: restored.is_some(),
            session,
            endpoint,
            info,
            state: Mutex::new(ConnState {
                opening: Some(Vec::new()),
                closed: false,
                next_ack: 1,
                acks: HashMap::new(),
                data: None,
            }),
            claimed_ack: AtomicU64::new(u64::MAX),
            departure: AtomicU8::new(0),
            inbox,
        }
    }

    fn lock(&self) -> MutexGuard<'_, ConnState> {
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn session(&self) -> &Arc<dyn SessionLink> {
        &self.session
    }

    /// The socket id.
    pub(crate) fn sid(&self) -> &Arc<str> {
        &self.id
    }

    /// Whether it came back under connection state recovery.
    pub(crate) fn recovered(&self) -> bool {
        self.recovered
    }

    /// What connection state recovery keeps of it, if it may come back.
    pub(crate) fn persisted(&self) -> Option<PersistedSession> {
        let pid = self.pid.as_deref()?;
        let data = self
            .data()
            .and_then(|data| serde_json::from_str(data.get()).ok())
            .unwrap_or(serde_json::Value::Null);
        Some(PersistedSession::new(
            &*self.id,
            pid,
            self.endpoint.clone(),
            self.hub().rooms.rooms_of(&self.endpoint, &self.id),
            data,
        ))
    }

    /// The data a handler attached to the socket, as JSON.
    pub(crate) fn data(&self) -> Option<Box<serde_json::value::RawValue>> {
        self.lock().data.clone()
    }

    pub(crate) fn set_data(&self, data: Box<serde_json::value::RawValue>) {
        self.lock().data = Some(data);
    }

    pub(crate) fn hub(&self) -> &Arc<Hub> {
        self.session.hub()
    }

    /// Records why it ends; the first reason given stands.
    pub(crate) fn set_departure(&self, departure: Departure) {
        let _ = self
            .departure
            .compare_exchange(0, departure.code(), Ordering::AcqRel, Ordering::Acquire);
    }

    /// Why it ended, once it did.
    pub(crate) fn departure(&self) -> Option<Departure> {
        Departure::from_code(self.departure.load(Ordering::Acquire))
    }

    /// The transport carrying its session now.
    pub(crate) fn transport(&self) -> &'static str {
        self.session.transport()
    }

    pub(crate) fn protocol(&self) -> Protocol {
        self.session.protocol()
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn info(&self) -> &ConnectionInfo {
        &self.info
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    pub(crate) fn claim_ack(&self, id: u64) {
        self.claimed_ack.store(id, Ordering::Release);
    }

    pub(crate) fn ack_claimed(&self, id: u64) -> bool {
        self.claimed_ack.load(Ordering::Acquire) == id
    }

    /// Answers the client's ack `id` with `reply` (an empty array when the
    /// client wants data and the reply has none).
    pub(crate) fn answer_ack(&self, id: MessageId, reply: Reply) {
        let empty;
        let args = match (id.wants_data, &reply.args) {
            (false, _) => None,
            (true, Some(args)) => Some(args),
            (true, None) => {
                empty = EncodedArgs::empty();
                Some(&empty)
            }
        };
        self.send(Outgoing::Ack { id: id.id, args });
    }

    /// Encodes `outgoing` for this connection's protocol and queues it.
    ///
    /// Under connection state recovery an event without ack goes through
    /// the adapter to this socket's own room, as node sends it, so that it
    /// is numbered and kept like any broadcast.
    pub(crate) fn send(&self, outgoing: Outgoing<'_>) {
        if let (Outgoing::Event { name, args, .. }, Some(monitor)) = (&outgoing, self.hub().monitor()) {
            monitor.event_sent(self, name, args);
        }
        // With recovery on, what a socket could miss goes through its own
        // room, as node's `socket.emit` / `socket.send` do, to be numbered.
        if self.pid.is_some()
            && let Some(packet) = Self::as_recoverable(&outgoing)
        {
            let mut target = Target::namespace(self.endpoint.clone());
            target.rooms = vec![self.id.to_string()];
            let hub = self.hub();
            hub.adapter().broadcast(hub.local(), &packet, &target);
            return;
        }
        if let Some(encoded) = self.session.encode(&outgoing, &self.endpoint) {
            self.push(encoded);
        }
    }

    /// A packet to a modern client that recovery keeps, as the event it is
    /// on the wire (a message is a `message` event there).
    fn as_recoverable(outgoing: &Outgoing<'_>) -> Option<BroadcastPacket> {
        let (name, args) = match *outgoing {
            Outgoing::Event {
                ack: None,
                name,
                args,
                offset: None,
            } => (name, args.clone()),
            Outgoing::Message(text) => ("message", EncodedArgs::new(&(text,)).ok()?),
            Outgoing::Json(json) => ("message", EncodedArgs::new(&(json,)).ok()?),
            _ => return None,
        };
        Some(BroadcastPacket::Event {
            name: name.to_owned(),
            args,
        })
    }

    /// Queues a packet encoded for this connection's protocol; dropped once
    /// the connection is closed.
    pub(crate) fn push(&self, encoded: Encoded) {
        let mut state = self.lock();
        if state.closed {
            return;
        }
        match &mut state.opening {
            Some(held) => held.push(encoded),
            // Pushing under our lock keeps this connection's frames in order.
            None => self.session.push(encoded),
        }
    }

    /// Ends the opening phase: on acceptance the connect packet and whatever
    /// the open hook sent go out; on refusal the client is told so (except
    /// on the legacy main endpoint, whose refusal is the handshake's 401).
    pub(crate) fn finish_open(&self, accepted: bool) {
        let mut state = self.lock();
        let held = state.opening.take().unwrap_or_default();
        if state.closed {
            return;
        }
        if accepted {
            if let Some(connect) = self.session.encode(
                &Outgoing::Connect {
                    socket_id: &self.id,
                    pid: self.pid.as_deref(),
                },
                &self.endpoint,
            ) {
                self.session.push(connect);
            }
            for encoded in held {
                self.session.push(encoded);
            }
        } else {
            state.closed = true;
            if (!self.endpoint.is_empty() || self.protocol().is_modern())
                && let Some(refusal) = self.session.encode(&Outgoing::Refused, &self.endpoint)
            {
                self.session.push(refusal);
            }
        }
    }

    /// Reserves an ack id for a server emit that waits for the client.
    pub(crate) fn register_ack(&self) -> Result<(u64, oneshot::Receiver<AckResponse>), AckError> {
        let mut state = self.lock();
        if state.closed {
            return Err(AckError::Closed);
        }
        if state.acks.len() >= self.hub().config.max_pending_acks {
            return Err(AckError::TooManyPending);
        }
        let id = state.next_ack;
        state.next_ack += 1;
        let (tx, rx) = oneshot::channel();
        state.acks.insert(id, tx);
        Ok((id, rx))
    }

    pub(crate) fn cancel_ack(&self, id: u64) {
        self.lock().acks.remove(&id);
    }

    pub(crate) fn resolve_ack(&self, id: u64, args: Vec<RawJson>) {
        let waiter = self.lock().acks.remove(&id);
        match waiter {
            Some(waiter) => {
                let _ = waiter.send(AckResponse { args });
            }
            None => {
                tracing::debug!(sid = %self.sid(), endpoint = self.endpoint, id, "ack for an unknown id ignored")
            }
        }
    }

    /// No more frames go out; pending acks fail with `AckError::Closed`.
    pub(crate) fn mark_closed(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.acks.clear();
    }

    /// Closes this connection from the server side: the main connection
    /// ends the whole session; another endpoint ends only itself.
    pub(crate) fn close(&self) {
        if self.endpoint.is_empty() {
            self.session.close(CloseReason::ServerClose);
        } else {
            self.session
                .namespaces()
                .close_one(&*self.session, &self.endpoint, true);
        }
    }
}
