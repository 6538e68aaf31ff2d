use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio_util::task::TaskTracker;

use crate::core::{CloseReason, Registry, new_sid};
use crate::engine::session::Opening;
use crate::engine::tenant::Tenant;
use crate::engine::{EngineConfig, EngineSession, Socket, driver};

/// The sessions of one Engine.IO endpoint and the tenant they serve.
pub(crate) struct Engine {
    pub(crate) config: Arc<EngineConfig>,
    pub(crate) sessions: Registry<EngineSession>,
    /// Sessions their client closed over polling while no poll was held:
    /// ended (out of `sessions`, out of the stats), but the goodbye packet
    /// still waits for the one poll the client may have sent along with its
    /// close, as node's engine.io answers it. The first poll takes it; the
    /// session's timer task drops it after a short grace.
    farewells: Mutex<HashMap<Arc<str>, Arc<EngineSession>>>,
    tenant: Box<dyn Tenant>,
    /// Heartbeat and application tasks, awaited by graceful shutdown.
    pub(crate) tasks: TaskTracker,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why no session was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EngineError {
    #[error("too many sessions")]
    TooManySessions,
    #[error("the server is shutting down")]
    ShuttingDown,
}

impl Engine {
    pub(crate) fn new(config: EngineConfig, tenant: Box<dyn Tenant>) -> Arc<Self> {
        Arc::new(Self {
            sessions: Registry::new(config.stats.clone()),
            farewells: Mutex::new(HashMap::new()),
            config: Arc::new(config),
            tenant,
            tasks: TaskTracker::new(),
        })
    }

    /// Creates a session, starts its heartbeat and hands it to the tenant.
    pub(crate) fn open(self: &Arc<Self>, opening: Opening) -> Result<Arc<EngineSession>, EngineError> {
        if self.sessions.is_shutting_down() {
            return Err(EngineError::ShuttingDown);
        }
        if !self.config.stats.reserve_session(self.config.max_sessions) {
            return Err(EngineError::TooManySessions);
        }
        self.config.stats.session_opened();
        let session = EngineSession::new(new_sid(), opening, self.config.clone(), Arc::downgrade(self));
        // In the registry first: a refusing open hook may close the session
        // at once, which must take it out again. No client knows the id yet.
        self.sessions.insert(session.id().clone(), session.clone());
        let socket = Socket {
            session: session.clone(),
        };
        session.set_reader(self.tenant.open(socket, &self.tasks));
        self.tasks.spawn(driver::run(session.clone()));
        Ok(session)
    }

    /// Stops new sessions and closes every session; goodbyes wait no more.
    pub(crate) fn shut_down(&self) {
        self.sessions.shut_down(|session| session.close(CloseReason::Shutdown));
        let farewells: Vec<_> = self.farewells().drain().map(|(_, session)| session).collect();
        for session in farewells {
            session.timers.notify_one();
        }
    }

    fn farewells(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<EngineSession>>> {
        // Every critical section is panic-free, so a poisoned lock is usable.
        self.farewells.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// A closed session leaves the registry; with `goodbye_waits` it stays
    /// reachable by one more poll (see `farewells`). It is a farewell before
    /// it leaves, so a poll always finds it in one or the other.
    pub(crate) fn retire(&self, sid: &str, goodbye_waits: bool) {
        if goodbye_waits && let Some(session) = self.sessions.get(sid) {
            let mut farewells = self.farewells();
            // Checked under the lock that `shut_down` drains: none is left behind.
            if !self.sessions.is_shutting_down() {
                farewells.insert(session.id().clone(), session);
            }
        }
        self.sessions.remove(sid);
    }

    /// The session a polling GET is for: a live one, or one whose goodbye
    /// waits for it.
    pub(crate) fn session_to_poll(&self, sid: &str) -> Option<Arc<EngineSession>> {
        self.sessions.get(sid).or_else(|| self.farewells().get(sid).cloned())
    }

    /// Whether the goodbye of session `sid` still waits for a poll.
    pub(crate) fn goodbye_waits(&self, sid: &str) -> bool {
        self.farewells().contains_key(sid)
    }

    /// A poll took the goodbye, or nobody came for it: later polls find no
    /// session.
    pub(crate) fn forget_farewell(&self, sid: &str) {
        if let Some(session) = self.farewells().remove(sid) {
            session.timers.notify_one();
        }
    }
}
