use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::codec::legacy::{MessageId, Packet, RawJson};
use crate::handler::{AckError, AckResponse, ConnectionInfo, Event, Message};
use crate::session::{Frame, Session};

/// What the session hands a connection's task, in arrival order.
#[derive(Debug)]
pub(crate) enum Inbound {
    Message { id: Option<MessageId>, message: Message },
    Event(Event),
    Close,
}

/// Starts the task that runs one connection's handler. Built by
/// `handler::Endpoint` for a concrete handler type.
pub(crate) type Spawner =
    Arc<dyn Fn(Arc<Connection>, mpsc::Receiver<Inbound>, oneshot::Sender<bool>) -> JoinHandle<()> + Send + Sync>;

struct ConnState {
    /// Frames produced by the open hook, held until it accepts, so that the
    /// client sees its connect packet first.
    opening: Option<Vec<Frame>>,
    closed: bool,
    next_ack: u64,
    acks: HashMap<u64, oneshot::Sender<AckResponse>>,
}

/// One endpoint connection of a session: the state a handler's `Ctx` reaches.
pub(crate) struct Connection {
    session: Arc<Session>,
    endpoint: String,
    info: ConnectionInfo,
    state: Mutex<ConnState>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("sid", self.session.id())
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Connection {
    pub(crate) fn new(session: Arc<Session>, endpoint: String, info: ConnectionInfo) -> Self {
        Self {
            session,
            endpoint,
            info,
            state: Mutex::new(ConnState {
                opening: Some(Vec::new()),
                closed: false,
                next_ack: 1,
                acks: HashMap::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ConnState> {
        self.state.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn session(&self) -> &Arc<Session> {
        &self.session
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

    /// Queues a frame for the client; dropped once the connection is closed.
    pub(crate) fn push(&self, frame: Frame) {
        let mut state = self.lock();
        if state.closed {
            return;
        }
        match &mut state.opening {
            Some(held) => held.push(frame),
            // Pushing under our lock keeps this connection's frames in order.
            None => self.session.push(frame),
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
        if accepted {
            let connect = Frame::from(
                Packet::Connect {
                    endpoint: self.endpoint.clone(),
                    query: None,
                }
                .encode(),
            );
            self.session.hub().rooms.add_member(&self.endpoint, &self.session);
            self.session.push_all(std::iter::once(connect).chain(held));
        } else {
            state.closed = true;
            if !self.endpoint.is_empty() {
                self.session.push(super::refusal(&self.endpoint));
            }
        }
    }

    /// Reserves an ack id for a server emit that waits for the client.
    pub(crate) fn register_ack(&self) -> Result<(u64, oneshot::Receiver<AckResponse>), AckError> {
        let mut state = self.lock();
        if state.closed {
            return Err(AckError::Closed);
        }
        if state.acks.len() >= self.session.hub().config.max_pending_acks {
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
                tracing::debug!(sid = %self.session.id(), endpoint = self.endpoint, id, "ack for an unknown id ignored")
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
