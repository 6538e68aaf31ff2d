use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio_util::task::TaskTracker;

use crate::handler::ConnectionInfo;
use crate::session::rooms::Rooms;
use crate::session::stats::Stats;
use crate::session::{CloseReason, Session, SessionConfig, Spawner, driver};

/// Resolves an endpoint name the static table does not know.
pub(crate) type DynamicEndpointsFn = Arc<dyn Fn(&str) -> Option<Spawner> + Send + Sync>;

/// Why a handshake made no session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HubError {
    #[error("the application refused the connection")]
    Refused,
    #[error("too many sessions")]
    TooManySessions,
    #[error("too many handshakes waiting for a transport")]
    TooManyPending,
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// Everything the sessions of one server share: settings, the session
/// registry, rooms, and the endpoint table.
pub(crate) struct Hub {
    pub(crate) config: SessionConfig,
    pub(crate) rooms: Rooms,
    pub(crate) main: Spawner,
    endpoints: HashMap<String, Spawner>,
    dynamic: Option<DynamicEndpointsFn>,
    max_sessions: usize,
    sessions: Mutex<HashMap<Arc<str>, Arc<Session>>>,
    /// Session timers and connection teardowns, awaited by graceful shutdown.
    pub(crate) tasks: TaskTracker,
    shutting_down: AtomicBool,
    pub(crate) stats: Arc<Stats>,
    /// Sessions handshaken but never bound by a transport.
    pub(crate) pending: std::sync::atomic::AtomicUsize,
    /// Woken whenever a session leaves the registry.
    pub(crate) removed: tokio::sync::Notify,
    ticking: std::sync::Once,
    /// The runtime the first session opened on: closing a session from a
    /// thread outside it still runs the close hooks there.
    runtime: std::sync::OnceLock<tokio::runtime::Handle>,
    stop: tokio_util::sync::CancellationToken,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Hub {
    pub(crate) fn new(
        config: SessionConfig,
        max_sessions: usize,
        main: Spawner,
        endpoints: HashMap<String, Spawner>,
        dynamic: Option<DynamicEndpointsFn>,
    ) -> Arc<Self> {
        Arc::new(Self {
            config,
            rooms: Rooms::default(),
            main,
            endpoints,
            dynamic,
            max_sessions,
            sessions: Mutex::new(HashMap::new()),
            tasks: TaskTracker::new(),
            shutting_down: AtomicBool::new(false),
            stats: Arc::new(Stats::default()),
            pending: std::sync::atomic::AtomicUsize::new(0),
            removed: tokio::sync::Notify::new(),
            ticking: std::sync::Once::new(),
            runtime: std::sync::OnceLock::new(),
            stop: tokio_util::sync::CancellationToken::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Session>>> {
        self.sessions.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn resolve(&self, endpoint: &str) -> Option<Spawner> {
        if let Some(spawner) = self.endpoints.get(endpoint) {
            return Some(spawner.clone());
        }
        self.dynamic.as_ref().and_then(|resolve| resolve(endpoint))
    }

    /// Creates a session and runs the main connection's open hook; the
    /// session is registered only if the hook accepts.
    pub(crate) async fn handshake(self: &Arc<Self>, info: ConnectionInfo) -> Result<Arc<Session>, HubError> {
        if self.shutting_down.load(Ordering::Acquire) {
            return Err(HubError::ShuttingDown);
        }
        if self.pending.load(Ordering::Acquire) >= self.config.max_pending_handshakes {
            return Err(HubError::TooManyPending);
        }
        if !self.stats.reserve_session(self.max_sessions) {
            return Err(HubError::TooManySessions);
        }
        self.start_stats();
        let session = Session::new(new_sid(), self.clone(), info);
        if !session.open_main().await {
            self.rooms.remove_session(session.id());
            self.stats.session_closed();
            return Err(HubError::Refused);
        }
        self.lock().insert(session.id().clone(), session.clone());
        self.pending.fetch_add(1, Ordering::AcqRel);
        self.stats.session_opened();
        self.tasks.spawn(driver::run(session.clone()));
        Ok(session)
    }

    pub(crate) fn get(&self, sid: &str) -> Option<Arc<Session>> {
        self.lock().get(sid).cloned()
    }

    pub(crate) fn remove(&self, sid: &str) {
        if self.lock().remove(sid).is_some() {
            self.stats.session_closed();
            self.removed.notify_waiters();
        }
    }

    /// Samples the counters once a second, from the first handshake on.
    /// Spawns a teardown, tracked so that graceful shutdown awaits it, from
    /// any thread: a handle may close a session from outside the runtime.
    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        match (tokio::runtime::Handle::try_current(), self.runtime.get()) {
            (Ok(_), _) => drop(self.tasks.spawn(task)),
            (Err(_), Some(runtime)) => drop(self.tasks.spawn_on(task, runtime)),
            (Err(_), None) => tracing::warn!("no runtime to run close hooks on"),
        }
    }

    pub(crate) fn start_stats(self: &Arc<Self>) {
        self.ticking.call_once(|| {
            let _ = self.runtime.set(tokio::runtime::Handle::current());
            let hub = Arc::downgrade(self);
            let stop = self.stop.clone();
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(std::time::Duration::from_secs(1));
                loop {
                    tokio::select! {
                        _ = ticks.tick() => {}
                        () = stop.cancelled() => return,
                    }
                    let Some(hub) = hub.upgrade() else { return };
                    hub.stats.tick();
                }
            });
        });
    }

    pub(crate) fn session_count(&self) -> usize {
        self.lock().len()
    }

    pub(crate) fn sessions(&self) -> Vec<Arc<Session>> {
        self.lock().values().cloned().collect()
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Stops new handshakes and closes every session (clients get `0::`).
    pub(crate) fn shut_down(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.stop.cancel();
        for session in self.sessions() {
            session.close(CloseReason::Shutdown);
        }
    }
}

/// 128 bits from the operating system's CSPRNG, as 32 hex digits.
pub(crate) fn new_sid() -> Arc<str> {
    let mut bytes = [0u8; 16];
    if let Err(error) = getrandom::fill(&mut bytes) {
        // Without an OS random source no session id can be safe.
        panic!("the operating system's random source failed: {error}");
    }
    let mut sid = String::with_capacity(32);
    for byte in bytes {
        sid.push(char::from(HEX[usize::from(byte >> 4)]));
        sid.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    sid.into()
}

const HEX: &[u8; 16] = b"0123456789abcdef";
