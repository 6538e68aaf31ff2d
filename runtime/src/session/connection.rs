use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::Protocol;
use crate::codec::legacy::{self, MessageId, Packet, RawJson};
use crate::codec::socketio as sio;
use crate::engine::Frame as EngineFrame;
use crate::handler::{AckError, AckResponse, ConnectionInfo, EncodedArgs, Event, Message, Reply};
use crate::modern::ModernSession;
use crate::session::{CloseReason, Frame, Hub, Session};

/// What the session hands a connection's task, in arrival order. Kept
/// small: a channel allocates its slots in blocks up front, and an idle
/// connection's memory is mostly such blocks.
#[derive(Debug)]
pub(crate) enum Inbound {
    Message(Box<(Option<MessageId>, Message)>),
    Event(Box<Event>),
    Close,
}

/// A session's hold on one of its connections and the task running it.
pub(crate) struct ConnectionHandle {
    pub(crate) connection: Arc<Connection>,
    pub(crate) inbox: mpsc::Sender<Inbound>,
    pub(crate) task: JoinHandle<()>,
}

impl ConnectionHandle {
    /// Puts `inbound` in the connection's queue if it has room, which is
    /// almost always, without a sender clone; when it is full, hands back
    /// what to await once the session's lock is released.
    pub(crate) fn offer(&self, inbound: Inbound) -> Option<(mpsc::Sender<Inbound>, Inbound)> {
        match self.inbox.try_send(inbound) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => None,
            Err(mpsc::error::TrySendError::Full(inbound)) => Some((self.inbox.clone(), inbound)),
        }
    }
}

/// Starts the task that runs one connection's handler. Built by
/// `handler::Endpoint` for a concrete handler type.
pub(crate) type Spawner =
    Arc<dyn Fn(Arc<Connection>, mpsc::Receiver<Inbound>, oneshot::Sender<bool>) -> JoinHandle<()> + Send + Sync>;

/// The session a connection belongs to, in either protocol family.
#[derive(Clone)]
pub(crate) enum Owner {
    Legacy(Arc<Session>),
    Modern(Arc<ModernSession>),
}

impl Owner {
    pub(crate) fn sid(&self) -> &Arc<str> {
        match self {
            Owner::Legacy(session) => session.id(),
            Owner::Modern(session) => session.id(),
        }
    }

    pub(crate) fn hub(&self) -> &Arc<Hub> {
        match self {
            Owner::Legacy(session) => session.hub(),
            Owner::Modern(session) => session.hub(),
        }
    }

    pub(crate) fn protocol(&self) -> Protocol {
        match self {
            Owner::Legacy(_) => Protocol::Legacy,
            Owner::Modern(session) => session.protocol(),
        }
    }

    fn push(&self, encoded: Encoded) {
        match (self, encoded) {
            (Owner::Legacy(session), Encoded::Legacy(frame)) => session.push(frame),
            (Owner::Modern(session), Encoded::Modern(frames)) => session.push_all(frames.iter().cloned()),
            _ => tracing::error!("a frame of the other protocol family was dropped"),
        }
    }

    /// Ends the whole session (every endpoint's close hook runs).
    pub(crate) fn close(&self, reason: CloseReason) {
        match self {
            Owner::Legacy(session) => session.close(reason),
            Owner::Modern(session) => session.close(reason),
        }
    }

    /// Ends one endpoint connection; `echo` tells the client.
    pub(crate) fn close_endpoint(&self, endpoint: &str, echo: bool) {
        match self {
            Owner::Legacy(session) => session.close_endpoint(endpoint, echo),
            Owner::Modern(session) => session.close_endpoint(endpoint, echo),
        }
    }

    pub(crate) fn forget_connection(&self, endpoint: &str) {
        match self {
            Owner::Legacy(session) => session.forget_connection(endpoint),
            Owner::Modern(session) => session.forget_connection(endpoint),
        }
    }
}

/// A packet encoded for one protocol family; cloned into every queue of a
/// broadcast.
#[derive(Clone, Debug)]
pub(crate) enum Encoded {
    Legacy(Frame),
    Modern(Arc<[EngineFrame]>),
}

/// What a connection says to its client, before its protocol encodes it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outgoing<'a> {
    Connect,
    Refused,
    Disconnect,
    /// A text message: legacy packet 3; modern clients get a `message` event.
    Message(&'a str),
    /// A JSON message: legacy packet 4; modern clients get a `message` event.
    Json(&'a RawJson),
    Event {
        ack: Option<u64>,
        name: &'a str,
        args: &'a EncodedArgs,
    },
    /// `args: None` is the legacy ack without data (`6:::1`).
    Ack {
        id: u64,
        args: Option<&'a EncodedArgs>,
    },
    /// Legacy error packet; modern clients have no such packet and get nothing.
    Error(&'a str),
}

impl Outgoing<'_> {
    /// Encodes for `protocol` on `endpoint` (`""` is the main one, `/` for
    /// modern clients); `None` when the protocol has no such packet.
    pub(crate) fn encode(&self, protocol: Protocol, endpoint: &str, sid: &str) -> Option<Encoded> {
        if protocol == Protocol::Legacy {
            return Some(Encoded::Legacy(Frame::from(self.encode_legacy(endpoint))));
        }
        let namespace = if endpoint.is_empty() { "/" } else { endpoint };
        // Binary attachments follow their packet, each in its own frame.
        let binary = |text: String, args: &EncodedArgs| -> Encoded {
            let frames = std::iter::once(EngineFrame::text(format!("4{text}")))
                .chain(args.attachments.iter().cloned().map(EngineFrame::Binary))
                .collect();
            Encoded::Modern(frames)
        };
        let text = match *self {
            Outgoing::Connect if protocol == Protocol::V5 => sio::encode_connect(namespace, sid),
            Outgoing::Connect if namespace == "/" => "0".to_owned(),
            Outgoing::Connect => format!("0{namespace}"),
            Outgoing::Refused if protocol == Protocol::V5 => sio::encode_connect_error(namespace, "Not authorized"),
            Outgoing::Refused if namespace == "/" => r#"4"Not authorized""#.to_owned(),
            Outgoing::Refused => format!(r#"4{namespace},"Not authorized""#),
            Outgoing::Disconnect => sio::encode_disconnect(namespace),
            Outgoing::Message(text) => {
                let args = serde_json::to_string(&[text]).ok()?;
                sio::encode_event(namespace, None, "message", &args, 0)
            }
            Outgoing::Json(json) => sio::encode_event(namespace, None, "message", &format!("[{json}]"), 0),
            Outgoing::Event { ack, name, args } => {
                let text = sio::encode_event(namespace, ack, name, &args.json, args.attachments.len());
                return Some(binary(text, args));
            }
            Outgoing::Ack { id, args: Some(args) } => {
                return Some(binary(
                    sio::encode_ack(namespace, id, &args.json, args.attachments.len()),
                    args,
                ));
            }
            Outgoing::Ack { id, args: None } => sio::encode_ack(namespace, id, "[]", 0),
            Outgoing::Error(_) => return None,
        };
        Some(Encoded::Modern(Arc::new([EngineFrame::text(format!("4{text}"))])))
    }

    /// Every packet has a legacy form.
    fn encode_legacy(&self, endpoint: &str) -> String {
        // Events and acks, the hot packets, borrow the endpoint; the rest are
        // built as a `Packet`, which owns it.
        let owned = || endpoint.to_owned();
        match *self {
            Outgoing::Event { ack, name, args } => legacy::encode_event(
                ack.map(|id| MessageId { id, wants_data: true }),
                endpoint,
                name,
                &args.legacy_json(),
            ),
            Outgoing::Ack { id, args } => {
                let args = args.map(EncodedArgs::legacy_json);
                legacy::encode_ack(endpoint, id, args.as_deref())
            }
            Outgoing::Connect => Packet::Connect {
                endpoint: owned(),
                query: None,
            }
            .encode(),
            Outgoing::Refused => super::refusal(endpoint).as_str().to_owned(),
            Outgoing::Disconnect => Packet::Disconnect { endpoint: owned() }.encode(),
            Outgoing::Message(text) => Packet::Message {
                id: None,
                endpoint: owned(),
                data: text.to_owned(),
            }
            .encode(),
            Outgoing::Json(json) => Packet::Json {
                id: None,
                endpoint: owned(),
                data: json.clone(),
            }
            .encode(),
            Outgoing::Error(reason) => super::error_packet(endpoint, reason).as_str().to_owned(),
        }
    }
}

struct ConnState {
    /// Frames produced by the open hook, held until it accepts, so that the
    /// client sees its connect packet first.
    opening: Option<Vec<Encoded>>,
    closed: bool,
    next_ack: u64,
    acks: HashMap<u64, oneshot::Sender<AckResponse>>,
}

/// One endpoint connection of a session: the state a handler's `Ctx` reaches.
pub(crate) struct Connection {
    owner: Owner,
    endpoint: String,
    info: ConnectionInfo,
    state: Mutex<ConnState>,
    /// The id of the client ack a handler last took over with
    /// `Event::take_ack`: its reply then does not answer it. Events of one
    /// connection run one at a time, so one slot is enough.
    claimed_ack: AtomicU64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("sid", self.owner.sid())
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Connection {
    pub(crate) fn new(owner: Owner, endpoint: String, info: ConnectionInfo) -> Self {
        Self {
            owner,
            endpoint,
            info,
            state: Mutex::new(ConnState {
                opening: Some(Vec::new()),
                closed: false,
                next_ack: 1,
                acks: HashMap::new(),
            }),
            claimed_ack: AtomicU64::new(u64::MAX),
        }
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

    fn lock(&self) -> MutexGuard<'_, ConnState> {
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn owner(&self) -> &Owner {
        &self.owner
    }

    pub(crate) fn sid(&self) -> &Arc<str> {
        self.owner.sid()
    }

    pub(crate) fn hub(&self) -> &Arc<Hub> {
        self.owner.hub()
    }

    pub(crate) fn protocol(&self) -> Protocol {
        self.owner.protocol()
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

    /// Encodes `outgoing` for this connection's protocol and queues it.
    pub(crate) fn send(&self, outgoing: Outgoing<'_>) {
        if let Some(encoded) = outgoing.encode(self.protocol(), &self.endpoint, self.sid()) {
            self.push(encoded);
        }
    }

    /// Queues an encoded packet; dropped once the connection is closed.
    pub(crate) fn push(&self, encoded: Encoded) {
        let mut state = self.lock();
        if state.closed {
            return;
        }
        match &mut state.opening {
            Some(held) => held.push(encoded),
            // Pushing under our lock keeps this connection's frames in order.
            None => self.owner.push(encoded),
        }
    }

    /// Ends the opening phase: on acceptance the connect packet and whatever
    /// the open hook sent go out, and the connection joins its endpoint's
    /// broadcast group; on refusal the client is told so.
    pub(crate) fn finish_open(self: &Arc<Self>, accepted: bool) {
        let mut state = self.lock();
        let held = state.opening.take().unwrap_or_default();
        if state.closed {
            return;
        }
        let protocol = self.protocol();
        if accepted {
            self.hub().rooms.add_member(&self.endpoint, self);
            if let Some(connect) = Outgoing::Connect.encode(protocol, &self.endpoint, self.sid()) {
                self.owner.push(connect);
            }
            for encoded in held {
                self.owner.push(encoded);
            }
        } else {
            state.closed = true;
            if (!self.endpoint.is_empty() || protocol.is_modern())
                && let Some(refusal) = Outgoing::Refused.encode(protocol, &self.endpoint, self.sid())
            {
                self.owner.push(refusal);
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
}
