use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use crate::engine::session::{Inbox, Opening};
use crate::engine::{CloseReason, EngineConfig, EngineSession, Incoming, Socket, driver};
use crate::modern::ModernSession;
use crate::session::Hub;

/// What runs for each new session of a bare Engine.IO endpoint: reads its
/// messages until they end.
pub(crate) type AppFn = Arc<dyn Fn(Socket, Incoming) -> BoxFuture<'static, ()> + Send + Sync>;

/// Who reads the sessions' messages.
pub(crate) enum App {
    /// A bare Engine.IO application: a task per session reads a channel.
    Task(AppFn),
    /// The Socket.IO layer, called in the transport's own task: an idle
    /// session then costs neither a task nor a channel.
    SocketIo(Arc<Hub>),
}

/// The sessions of one Engine.IO endpoint and the application they feed.
pub(crate) struct Engine {
    pub(crate) config: Arc<EngineConfig>,
    sessions: Mutex<HashMap<Arc<str>, Arc<EngineSession>>>,
    app: App,
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
    pub(crate) fn new(config: EngineConfig, app: App) -> Arc<Self> {
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

    /// Creates a session, starts its heartbeat and hands it to the application.
    pub(crate) fn open(self: &Arc<Self>, opening: Opening) -> Result<Arc<EngineSession>, EngineError> {
        if self.shutting_down.load(Ordering::Acquire) {
            return Err(EngineError::ShuttingDown);
        }
        if !self.config.stats.reserve_session(self.config.max_sessions) {
            return Err(EngineError::TooManySessions);
        }
        self.config.stats.session_opened();
        let registry: Weak<Engine> = Arc::downgrade(self);
        let on_close = Box::new(move |sid: &Arc<str>| {
            if let Some(engine) = registry.upgrade() {
                engine.remove(sid);
            }
        });
        let session = EngineSession::new(crate::session::new_sid(), opening, self.config.clone(), on_close);
        // In the registry first: a refusing open hook may close the session
        // at once, which must take it out again. No client knows the id yet.
        self.lock().insert(session.id().clone(), session.clone());
        let socket = Socket {
            session: session.clone(),
        };
        match &self.app {
            App::Task(app) => {
                let (inbox, messages) = mpsc::channel(self.config.inbox_capacity);
                session.set_inbox(Inbox::Channel(inbox));
                self.tasks.spawn(app(socket, Incoming { messages }));
            }
            App::SocketIo(hub) => session.set_inbox(Inbox::SocketIo(ModernSession::start(hub.clone(), socket))),
        }
        self.tasks.spawn(driver::run(session.clone()));
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
