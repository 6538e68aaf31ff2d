use std::sync::Arc;

use tokio_util::task::TaskTracker;

use crate::core::{CloseReason, Registry, new_sid};
use crate::engine::session::Opening;
use crate::engine::tenant::Tenant;
use crate::engine::{EngineConfig, EngineSession, Socket, driver};

/// The sessions of one Engine.IO endpoint and the tenant they serve.
pub(crate) struct Engine {
    pub(crate) config: Arc<EngineConfig>,
    pub(crate) sessions: Registry<EngineSession>,
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

    /// Stops new sessions and closes every session.
    pub(crate) fn shut_down(&self) {
        self.sessions.shut_down(|session| session.close(CloseReason::Shutdown));
    }
}
