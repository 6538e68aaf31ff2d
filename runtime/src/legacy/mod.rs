//! The Socket.IO 0.7–0.9 family ("protocol 1"): sessions made by a
//! handshake, their five transports, and the routes that reach them.
//!
//! The protocol has no connection state recovery: no private session id,
//! no offsets, so a legacy socket is never kept for its return and never
//! recovered. What it has instead is the session itself, which outlives
//! the gap between polls (or a transport's rebinding) within the close
//! timeout, its queued packets waiting for the next transport.
//!
//! May use: `core`, `http`, `codec`. Knows nothing of Engine.IO.

mod bind;
mod driver;
mod encode;
mod hixie76;
pub(crate) mod htmlfile;
pub(crate) mod jsonp;
pub(crate) mod polling;
mod session;
mod transport;
pub(crate) mod websocket;

#[cfg(test)]
mod tests;

pub(crate) use session::Session;
pub use transport::{Transport, UnknownTransport};

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::core::{CloseReason, ConnectionInfo, Hub, Registry, new_sid};

/// Why a handshake made no session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HandshakeError {
    #[error("the application refused the connection")]
    Refused,
    #[error("too many sessions")]
    TooManySessions,
    #[error("too many handshakes waiting for a transport")]
    TooManyPending,
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// The 0.9 sessions of one server.
#[derive(Debug)]
pub(crate) struct LegacyServer {
    pub(crate) hub: Arc<Hub>,
    pub(crate) sessions: Registry<Session>,
}

impl LegacyServer {
    pub(crate) fn new(hub: Arc<Hub>) -> Arc<Self> {
        Arc::new(Self {
            sessions: Registry::new(hub.stats.clone()),
            hub,
        })
    }

    /// Creates a session and runs the main connection's open hook; the
    /// session is registered only if the hook accepts.
    pub(crate) async fn handshake(self: &Arc<Self>, info: ConnectionInfo) -> Result<Arc<Session>, HandshakeError> {
        let hub = &self.hub;
        if hub.is_shutting_down() || self.sessions.is_shutting_down() {
            return Err(HandshakeError::ShuttingDown);
        }
        if hub.pending.load(Ordering::Acquire) >= hub.config.max_pending_handshakes {
            return Err(HandshakeError::TooManyPending);
        }
        if !hub.stats.reserve_session(hub.config.max_sessions) {
            return Err(HandshakeError::TooManySessions);
        }
        hub.start_stats();
        let session = Session::new(new_sid(), hub.clone(), info);
        if !session.open_main().await {
            hub.stats.session_closed();
            return Err(HandshakeError::Refused);
        }
        self.sessions.insert(session.id().clone(), session.clone());
        hub.pending.fetch_add(1, Ordering::AcqRel);
        hub.stats.session_opened();
        hub.tasks.spawn(driver::run(self.clone(), session.clone()));
        Ok(session)
    }

    /// Stops new handshakes and closes every session (clients get `0::`).
    pub(crate) fn shut_down(&self) {
        self.sessions.shut_down(|session| session.close(CloseReason::Shutdown));
    }
}
