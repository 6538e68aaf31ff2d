use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use crate::engine::session::Opening;
use crate::engine::{CloseReason, EngineConfig, EngineSession, Incoming, Socket, driver};

/// What runs for each new session: reads its messages until they end.
pub(crate) type AppFn = Arc<dyn Fn(Socket, Incoming) -> BoxFuture<'static, ()> + Send + Sync>;

/// The sessions of one Engine.IO endpoint and the application they feed.
pub(crate) struct Engine {
    pub(crate) config: Arc<EngineConfig>,
    sessions: Mutex<HashMap<Arc<str>, Arc<EngineSession>>>,
    app: AppFn,
    /// Heartbeat and application tasks, awaited by graceful shutdown.
    pub(crate) tasks: TaskTracker,
    shutting_down: AtomicBool,
    /// Woken whenever a session leaves the registry.
    pub(crate) removed: tokio::sync::Notify,
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
    pub(crate) fn new(config: EngineConfig, app: AppFn) -> Arc<Self> {
        Arc::new(Self {
            config: Arc::new(config),
            sessions: Mutex::new(HashMap::new()),
            app,
            tasks: TaskTracker::new(),
            shutting_down: AtomicBool::new(false),
            removed: tokio::sync::Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<EngineSession>>> {
        self.sessions.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Creates a session, starts its heartbeat and the application's task.
    pub(crate) fn open(self: &Arc<Self>, opening: Opening) -> Result<Arc<EngineSession>, EngineError> {
        if self.shutting_down.load(Ordering::Acquire) {
            return Err(EngineError::ShuttingDown);
        }
        if !self.config.stats.reserve_session(self.config.max_sessions) {
            return Err(EngineError::TooManySessions);
        }
        self.config.stats.session_opened();
        let (inbox, messages) = mpsc::channel(self.config.inbox_capacity);
        let registry: Weak<Engine> = Arc::downgrade(self);
        let on_close = Box::new(move |sid: &Arc<str>| {
            if let Some(engine) = registry.upgrade() {
                engine.remove(sid);
            }
        });
        let session = EngineSession::new(crate::session::new_sid(), opening, self.config.clone(), inbox, on_close);
        self.lock().insert(session.id().clone(), session.clone());
        self.tasks.spawn(driver::run(session.clone()));
        let socket = Socket {
            session: session.clone(),
        };
        self.tasks.spawn((self.app)(socket, Incoming { messages }));
        Ok(session)
    }

    pub(crate) fn get(&self, sid: &str) -> Option<Arc<EngineSession>> {
        self.lock().get(sid).cloned()
    }

    fn remove(&self, sid: &str) {
        if self.lock().remove(sid).is_some() {
            self.config.stats.session_closed();
            self.removed.notify_waiters();
        }
    }

    pub(crate) fn session_count(&self) -> usize {
        self.lock().len()
    }

    /// Stops new sessions and closes every session.
    pub(crate) fn shut_down(&self) {
        self.shutting_down.store(true, Ordering::Release);
        let sessions: Vec<_> = self.lock().values().cloned().collect();
        for session in sessions {
            session.close(CloseReason::Shutdown);
        }
    }
}
