use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio_util::task::TaskTracker;

use crate::core::rooms::Rooms;
use crate::core::{Adapter, Connection, CoreConfig, Local, Monitor, Spawner, Stats};

/// Resolves an endpoint name the static table does not know.
pub(crate) type DynamicEndpointsFn = Arc<dyn Fn(&str) -> Option<Spawner> + Send + Sync>;

/// Handles a server-side event (one server to the others, never to a
/// client): its arguments in; the answer, if the sender asked for one.
pub(crate) type ServerEventFn = Arc<
    dyn Fn(
            Vec<crate::codec::legacy::RawJson>,
        ) -> futures_util::future::BoxFuture<'static, Option<crate::core::EncodedArgs>>
        + Send
        + Sync,
>;

/// The endpoint table: which handler serves which namespace.
pub(crate) struct Endpoints {
    pub(crate) main: Spawner,
    pub(crate) named: HashMap<String, Spawner>,
    pub(crate) dynamic: Option<DynamicEndpointsFn>,
    /// Server-side event handlers by namespace and event name.
    pub(crate) server_events: HashMap<(String, String), ServerEventFn>,
}

/// What the sessions of one server share, of both protocol families:
/// settings, the endpoint table, the sockets and rooms (through the
/// adapter), the counters, and the tasks graceful shutdown awaits.
pub(crate) struct Hub {
    pub(crate) config: CoreConfig,
    pub(crate) rooms: Rooms,
    adapter: Arc<dyn Adapter>,
    local: Local,
    endpoints: Endpoints,
    /// Session timers and connection teardowns, awaited by graceful shutdown.
    pub(crate) tasks: TaskTracker,
    shutting_down: AtomicBool,
    pub(crate) stats: Arc<Stats>,
    /// Legacy sessions handshaken but never bound by a transport.
    pub(crate) pending: AtomicUsize,
    ticking: std::sync::Once,
    /// The runtime the first session opened on: closing a session from a
    /// thread outside it still runs the close hooks there.
    runtime: std::sync::OnceLock<tokio::runtime::Handle>,
    stop: tokio_util::sync::CancellationToken,
    /// Who watches this server (the admin UI), if anyone.
    monitor: std::sync::OnceLock<Arc<dyn Monitor>>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Hub {
    pub(crate) fn new(config: CoreConfig, endpoints: Endpoints, adapter: Arc<dyn Adapter>) -> Arc<Self> {
        let hub = Arc::new_cyclic(|hub| Self {
            config,
            rooms: Rooms::default(),
            adapter,
            local: Local::new(hub.clone()),
            endpoints,
            tasks: TaskTracker::new(),
            shutting_down: AtomicBool::new(false),
            stats: Arc::new(Stats::default()),
            pending: AtomicUsize::new(0),
            ticking: std::sync::Once::new(),
            runtime: std::sync::OnceLock::new(),
            stop: tokio_util::sync::CancellationToken::new(),
            monitor: std::sync::OnceLock::new(),
        });
        hub.adapter.init(hub.local.clone());
        for namespace in hub.static_namespaces() {
            hub.adapter.add_namespace(&hub.local, namespace);
        }
        hub
    }

    /// The observer of this server; set once, before it serves.
    #[cfg_attr(not(feature = "admin-ui"), allow(dead_code))] // Used by the admin UI only.
    pub(crate) fn set_monitor(&self, monitor: Arc<dyn Monitor>) {
        let _ = self.monitor.set(monitor);
    }

    pub(crate) fn monitor(&self) -> Option<&dyn Monitor> {
        self.monitor.get().map(|monitor| &**monitor)
    }

    pub(crate) fn adapter(&self) -> &dyn Adapter {
        &*self.adapter
    }

    pub(crate) fn local(&self) -> &Local {
        &self.local
    }

    pub(crate) fn main_endpoint(&self) -> Spawner {
        self.endpoints.main.clone()
    }

    pub(crate) fn server_event(&self, namespace: &str, name: &str) -> Option<ServerEventFn> {
        self.endpoints
            .server_events
            .get(&(namespace.to_owned(), name.to_owned()))
            .cloned()
    }

    /// The namespaces this server serves from the start (the dynamic ones
    /// are announced to the adapter as their first socket arrives).
    pub(crate) fn static_namespaces(&self) -> impl Iterator<Item = &str> {
        std::iter::once("").chain(self.endpoints.named.keys().map(String::as_str))
    }

    pub(crate) fn resolve(&self, endpoint: &str) -> Option<Spawner> {
        if let Some(spawner) = self.endpoints.named.get(endpoint) {
            return Some(spawner.clone());
        }
        self.endpoints.dynamic.as_ref().and_then(|resolve| resolve(endpoint))
    }

    /// A connection enters its namespace's sockets (and so the room named
    /// by its own id).
    pub(crate) fn add_member(&self, connection: &Arc<Connection>) {
        let namespace = connection.endpoint();
        let new = self
            .rooms
            .add_member(namespace, connection.sid(), Arc::downgrade(connection));
        if new && !self.static_namespaces().any(|known| known == namespace) {
            self.adapter.add_namespace(&self.local, namespace);
        }
        self.adapter.add_socket(&self.local, namespace, connection.sid());
    }

    /// A connection leaves its namespace, through the adapter (which
    /// drops its rooms).
    pub(crate) fn remove_member(&self, namespace: &str, sid: &Arc<str>) {
        self.adapter.del_all(&self.local, namespace, sid);
    }

    pub(crate) fn join(&self, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
        self.adapter.add_all(&self.local, namespace, sid, rooms);
    }

    pub(crate) fn leave(&self, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
        self.adapter.del(&self.local, namespace, sid, rooms);
    }

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

    /// Samples the counters once a second, from the first session on.
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

    /// Cancelled when the server shuts down: background loops end with it.
    #[cfg_attr(not(feature = "admin-ui"), allow(dead_code))] // Used by the admin UI only.
    pub(crate) fn stopping(&self) -> tokio_util::sync::CancellationToken {
        self.stop.clone()
    }

    pub(crate) fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire)
    }

    /// Refuses new sessions of either family from now on.
    pub(crate) fn shut_down(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.stop.cancel();
    }
}
