use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderName;

use crate::codec::legacy::RawJson;
use crate::core::{
    AckResponse, Adapter, AdapterError, CloseReason, DynamicEndpointsFn, EmitArgs, EncodedArgs, Endpoints, Hub,
    InMemoryAdapter, ServerEventFn,
};
use crate::engine::{AppFn, AppTenant, Engine, Incoming, Socket};
use crate::handler::{BroadcastError, BroadcastOperator, Endpoint, EndpointResolver, Handler};
use crate::legacy::{LegacyServer, Transport};
use crate::modern::{Parser, SocketIoTenant};
use crate::server::{AllowedOrigins, Settings, SocketIoService};

pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) hub: Arc<Hub>,
    /// The 0.9 sessions.
    pub(crate) legacy: Arc<LegacyServer>,
    pub(crate) handshake_tail: String,
    /// Socket.IO v4/v5 over Engine.IO at `/{resource}/`, when enabled.
    pub(crate) modern: Option<Arc<Engine>>,
    /// Bare Engine.IO endpoints by path (`/engine.io`), next to Socket.IO.
    pub(crate) engines: Vec<(String, Arc<Engine>)>,
    /// Directories served as static files, by URL prefix.
    pub(crate) static_dirs: Vec<crate::server::static_files::StaticDir>,
}

impl Shared {
    /// Every Engine.IO endpoint: the Socket.IO one, then the bare ones.
    fn all_engines(&self) -> impl Iterator<Item = &Arc<Engine>> {
        self.modern.iter().chain(self.engines.iter().map(|(_, engine)| engine))
    }
}

/// The server's handle: build it once, mount its [`SocketIo::service`] (or
/// run it with [`crate::Server`]), and keep clones to reach clients from
/// anywhere (a timer, an HTTP route).
///
/// ```
/// use std::time::Duration;
///
/// #[derive(Default)]
/// struct Main;
/// impl socketio::Handler for Main {}
///
/// let io = socketio::SocketIo::builder(Main::default)
///     .heartbeat_interval(Duration::from_secs(10))
///     .endpoint("/chat", Main::default)
///     .build();
/// assert_eq!(io.settings().heartbeat_interval, Duration::from_secs(10));
/// // From anywhere: every connection of /chat in room "news".
/// io.of("/chat").to("news").emit("headline", ("hello",)).unwrap();
/// let _service = io.service(); // mount it in axum, hyper, tower...
/// ```
#[derive(Clone)]
pub struct SocketIo {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIo")
            .field("settings", &self.shared.settings)
            .finish_non_exhaustive()
    }
}

impl SocketIo {
    /// A server with default settings whose main endpoint is served by
    /// values made by `main` (one per connection).
    pub fn new<H, F>(main: F) -> Self
    where
        H: Handler,
        F: Fn() -> H + Send + Sync + 'static,
    {
        Self::builder(main).build()
    }

    /// Starts configuring a server; see [`SocketIoBuilder`].
    pub fn builder<H, F>(main: F) -> SocketIoBuilder
    where
        H: Handler,
        F: Fn() -> H + Send + Sync + 'static,
    {
        let endpoints = H::endpoints()
            .into_iter()
            .map(|(name, endpoint)| (name.to_owned(), endpoint))
            .collect();
        SocketIoBuilder {
            settings: Settings::default(),
            main: Endpoint::new(main),
            endpoints,
            resolver: None,
            main_resolver: H::resolve_endpoint,
            engines: Vec::new(),
            adapter: Arc::new(InMemoryAdapter),
            server_events: HashMap::new(),
            static_dirs: Vec::new(),
            #[cfg(feature = "admin-ui")]
            admin_ui: None,
        }
    }

    /// The hyper/tower service to mount in an existing app.
    pub fn service(&self) -> SocketIoService {
        SocketIoService::new(self.shared.clone())
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.shared.settings
    }

    /// Every connection of `endpoint` (`""` is the main one).
    pub fn of(&self, endpoint: &str) -> BroadcastOperator {
        BroadcastOperator::new(self.shared.hub.clone(), endpoint)
    }

    /// The connections of the main endpoint in `room`.
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        self.of("").to(room)
    }

    /// The server's counters: live sessions and transports, packets and
    /// bytes per second (TornadIO2's `stats.dump()` and more).
    pub fn stats(&self) -> crate::StatsSnapshot {
        self.shared.hub.stats.snapshot()
    }

    /// Live sessions right now, of both protocol families (and of the bare
    /// Engine.IO endpoints).
    pub fn session_count(&self) -> usize {
        let shared = &self.shared;
        shared.legacy.sessions.len() + shared.all_engines().map(|engine| engine.sessions.len()).sum::<usize>()
    }

    /// Resolves once no session is left (all closed and drained).
    pub async fn idle(&self) {
        let shared = &self.shared;
        loop {
            // Armed before the count is read, so no removal slips between.
            let mut removals: Vec<_> = std::iter::once(shared.legacy.sessions.removed().notified())
                .chain(shared.all_engines().map(|engine| engine.sessions.removed().notified()))
                .map(Box::pin)
                .collect();
            for removal in &mut removals {
                removal.as_mut().enable();
            }
            if self.session_count() == 0 {
                return;
            }
            futures_util::future::select_all(removals).await;
        }
    }

    /// Closes one session, of either protocol family, as if its main
    /// handler had called `close()`. Returns whether it existed.
    /// `sid` may also be a socket id (a modern client's namespace
    /// connection): its whole session closes.
    pub fn close_session(&self, sid: &str) -> bool {
        let shared = &self.shared;
        if let Some(session) = shared.legacy.sessions.get(sid) {
            session.close(CloseReason::ServerClose);
            return true;
        }
        for engine in shared.all_engines() {
            if let Some(session) = engine.sessions.get(sid) {
                if !session.reader().is_some_and(|reader| reader.close()) {
                    session.close(CloseReason::ServerClose);
                }
                return true;
            }
        }
        match shared.hub.rooms.find(sid) {
            Some(connection) => {
                connection.session().close(CloseReason::ServerClose);
                true
            }
            None => false,
        }
    }

    /// Every room of `endpoint` that has a member, on every server, sorted.
    pub async fn all_rooms(&self, endpoint: &str) -> Result<Vec<String>, AdapterError> {
        let hub = &self.shared.hub;
        hub.adapter().all_rooms(hub.local(), endpoint).await
    }

    /// Sends the server-side event `name` with `args` to every other server
    /// of the cluster (not to clients); resolves to the answers that came
    /// within the adapter's request timeout. Without a cluster adapter
    /// there is nobody to answer.
    pub async fn server_side_emit<A: EmitArgs>(&self, name: &str, args: A) -> Result<Vec<AckResponse>, BroadcastError> {
        let args = EncodedArgs::new(&args)?;
        let hub = &self.shared.hub;
        Ok(hub.adapter().server_side_emit(hub.local(), name, &args).await?)
    }

    /// How many servers share this one's sockets through its adapter, this
    /// one included (1 without a cluster adapter).
    pub async fn server_count(&self) -> Result<usize, AdapterError> {
        self.shared.hub.adapter().server_count().await
    }

    /// Graceful shutdown of the sessions: no new handshakes, every client is
    /// sent a disconnect, and this resolves once every close hook ran and
    /// every queue drained, or `settings.shutdown_timeout` passed.
    pub async fn shutdown(&self) {
        let hub = &self.shared.hub;
        hub.shut_down();
        self.shared.legacy.shut_down();
        hub.tasks.close();
        for engine in self.shared.all_engines() {
            engine.shut_down();
            engine.tasks.close();
        }
        let everything = async {
            for engine in self.shared.all_engines() {
                engine.tasks.wait().await;
            }
            hub.tasks.wait().await;
        };
        if tokio::time::timeout(self.shared.settings.shutdown_timeout, everything)
            .await
            .is_err()
        {
            tracing::warn!("shutdown timeout passed with sessions still closing");
        }
    }
}

/// Configures a [`SocketIo`]: endpoints and settings.
pub struct SocketIoBuilder {
    settings: Settings,
    main: Endpoint,
    endpoints: HashMap<String, Endpoint>,
    resolver: Option<Arc<dyn EndpointResolver>>,
    main_resolver: fn(&str) -> Option<Endpoint>,
    engines: Vec<(String, AppFn)>,
    adapter: Arc<dyn Adapter>,
    server_events: HashMap<(String, String), ServerEventFn>,
    static_dirs: Vec<crate::server::static_files::StaticDir>,
    #[cfg(feature = "admin-ui")]
    admin_ui: Option<crate::admin::AdminUi>,
}

impl std::fmt::Debug for SocketIoBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoBuilder")
            .field("settings", &self.settings)
            .field("endpoints", &self.endpoints.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, value: $ty) -> Self {
                self.settings.$name = value;
                self
            }
        )*
    };
}

impl SocketIoBuilder {
    /// Serves endpoint `name` (e.g. `"/chat"`) with values made by `factory`,
    /// like an entry of TornadIO2's `__endpoints__`.
    pub fn endpoint<H, F>(mut self, name: impl Into<String>, factory: F) -> Self
    where
        H: Handler,
        F: Fn() -> H + Send + Sync + 'static,
    {
        self.endpoints.insert(name.into(), Endpoint::new(factory));
        self
    }

    /// Resolves endpoints missing from the table, like TornadIO2's `get_endpoint`.
    pub fn endpoint_resolver(mut self, resolver: impl EndpointResolver) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// Also serves a bare Engine.IO endpoint at `path` (e.g. `/engine.io`):
    /// `app` runs once per session and reads its messages until it closes.
    /// It shares the Engine.IO settings (`ping_interval`, `max_payload`...).
    ///
    /// ```
    /// use socketio::engine::{Incoming, Socket};
    ///
    /// # #[derive(Default)] struct Main;
    /// # impl socketio::Handler for Main {}
    /// // An echo server, as the Engine.IO test suite expects.
    /// let io = socketio::SocketIo::builder(Main::default)
    ///     .engine("/engine.io", |socket: Socket, mut incoming: Incoming| async move {
    ///         while let Some(message) = incoming.recv().await {
    ///             socket.send(message);
    ///         }
    ///     })
    ///     .build();
    /// # let _ = io;
    /// ```
    pub fn engine<F, Fut>(mut self, path: impl Into<String>, app: F) -> Self
    where
        F: Fn(Socket, Incoming) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let path = format!("/{}", path.into().trim_matches('/'));
        let app: AppFn = Arc::new(move |socket, incoming| Box::pin(app(socket, incoming)));
        self.engines.push((path, app));
        self
    }

    /// Carries broadcasts, rooms and requests through `adapter` (default:
    /// [`InMemoryAdapter`], one server on its own).
    pub fn adapter(mut self, adapter: impl Adapter) -> Self {
        self.adapter = Arc::new(adapter);
        self
    }

    /// Handles the server-side event `name` that other servers of the
    /// cluster send to the main namespace with
    /// [`SocketIo::server_side_emit`] (node's `io.serverSideEmit`): its
    /// arguments bind to `A` (a tuple, as event arguments do), and what
    /// `handler` returns answers the sender.
    ///
    /// ```
    /// # #[derive(Default)] struct Main;
    /// # impl socketio::Handler for Main {}
    /// let io = socketio::SocketIo::builder(Main::default)
    ///     .on_server_event("ping", |(from,): (String,)| async move { format!("pong to {from}") })
    ///     .build();
    /// # let _ = io;
    /// ```
    pub fn on_server_event<A, R, F, Fut>(mut self, name: impl Into<String>, handler: F) -> Self
    where
        A: serde::de::DeserializeOwned + Send + 'static,
        R: serde::Serialize + 'static,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = R> + Send + 'static,
    {
        let name = name.into();
        let event = name.clone();
        let handler: ServerEventFn = Arc::new(move |args: Vec<RawJson>| {
            let json = format!("[{}]", args.iter().map(RawJson::get).collect::<Vec<_>>().join(","));
            let bound = match serde_json::from_str::<A>(&json) {
                Ok(bound) => bound,
                Err(error) => {
                    tracing::debug!(event, %error, "server-side event arguments do not bind; ignored");
                    return Box::pin(std::future::ready(None));
                }
            };
            let answer = handler(bound);
            Box::pin(async move { EncodedArgs::new(&(answer.await,)).ok() })
        });
        self.server_events.insert((String::new(), name), handler);
        self
    }

    /// Replaces every setting at once.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The URL prefix (default `socket.io`).
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.settings.resource = resource.into().trim_matches('/').to_owned();
        self
    }

    setters! {
        /// Enabled transports, in handshake order.
        transports: Vec<Transport>;
        /// Time between server heartbeats.
        heartbeat_interval: Duration;
        /// Announced heartbeat timeout; silent clients are dropped after it.
        heartbeat_timeout: Duration;
        /// Announced close timeout; unbound sessions are closed after it.
        close_timeout: Duration;
        /// How long a long-poll is held.
        polling_duration: Duration;
        /// Page origins allowed to connect.
        allowed_origins: AllowedOrigins;
        /// Header carrying the client address from a trusted proxy.
        trusted_proxy_header: Option<HeaderName>;
        /// Live sessions at most.
        max_sessions: usize;
        /// Largest request body.
        max_http_body: usize;
        /// Largest websocket message.
        max_websocket_message: usize;
        /// Most packets in one framed payload.
        max_packets_per_payload: usize;
        /// Most packets queued for one client.
        max_queue_packets: usize;
        /// Most bytes queued for one client.
        max_queue_bytes: usize;
        /// Most endpoints per session besides the main one.
        max_endpoints_per_session: usize;
        /// Events queued for one handler before the reader waits.
        handler_queue: usize;
        /// Default wait of `emit_with_ack`.
        ack_timeout: Duration;
        /// Acked emits pending per connection.
        max_pending_acks: usize;
        /// Graceful shutdown deadline.
        shutdown_timeout: Duration;
        /// The Flash policy server's port (`None`: off).
        flash_policy_port: Option<u16>;
        /// How long the policy server waits for a request.
        flash_policy_timeout: Duration;
        /// Handshaken sessions without a transport yet, at most.
        max_pending_handshakes: usize;
        /// How long a handshake waits for its first transport.
        handshake_expiry: Duration;
        /// How long the embedded server waits for request headers.
        header_read_timeout: Duration;
        /// Largest request head (431 and close beyond it).
        max_header_bytes: usize;
        /// Most request headers (431 and close beyond it).
        max_headers: usize;
        /// Where to serve Prometheus metrics (`None`: nowhere).
        metrics_path: Option<String>;
        /// Serve Socket.IO 0.7–0.9 clients.
        legacy_protocol: bool;
        /// Serve Engine.IO 3/4 clients (socket.io-client 1.x to 4.x).
        modern_protocol: bool;
        /// Engine.IO ping interval.
        ping_interval: Duration;
        /// Engine.IO ping timeout.
        ping_timeout: Duration;
        /// Engine.IO `maxPayload`.
        max_payload: usize;
        /// Most packets in one Engine.IO polling response.
        max_packets_per_poll: usize;
        /// Time a modern client has to connect a namespace.
        connect_timeout: Duration;
        /// Most binary attachments in one modern event or ack.
        max_attachments: usize;
        /// How Socket.IO protocol 5 packets are encoded (default JSON;
        /// [`Parser::Msgpack`] for `socket.io-msgpack-parser` clients).
        parser: Parser;
    }

    /// Serves the Socket.IO Admin UI's namespace (see [`crate::admin`]).
    #[cfg(feature = "admin-ui")]
    pub fn admin_ui(mut self, ui: crate::admin::AdminUi) -> Self {
        let shared = crate::admin::handler::Shared::new(ui.clone());
        self.endpoints.insert(
            ui.endpoint().to_owned(),
            Endpoint::new(move || crate::admin::AdminHandler { shared: shared.clone() }),
        );
        self.admin_ui = Some(ui);
        self
    }

    /// Serves the files of `dir` at the URL prefix `prefix` (e.g. the
    /// Socket.IO Admin UI's built app, `node_modules/@socket.io/admin-ui/ui/dist`,
    /// at `/admin-ui`): GET and HEAD, `index.html` for a directory, a
    /// content type by extension, 404 for anything missing or outside
    /// `dir`. Mounted in axum, a router's own file service does the same.
    pub fn static_dir(mut self, prefix: impl Into<String>, dir: impl Into<std::path::PathBuf>) -> Self {
        self.static_dirs.push(crate::server::static_files::StaticDir {
            prefix: prefix.into(),
            dir: dir.into(),
        });
        self
    }

    /// Builds the server handle.
    pub fn build(self) -> SocketIo {
        let endpoints = self
            .endpoints
            .into_iter()
            .map(|(name, endpoint)| (name, endpoint.spawner))
            .collect();
        let (resolver, main_resolver) = (self.resolver, self.main_resolver);
        let dynamic: DynamicEndpointsFn = Arc::new(move |name: &str| {
            let endpoint = resolver
                .as_ref()
                .and_then(|r| r.resolve(name))
                .or_else(|| main_resolver(name));
            endpoint.map(|endpoint| endpoint.spawner)
        });
        let endpoints = Endpoints {
            main: self.main.spawner,
            named: endpoints,
            dynamic: Some(dynamic),
            server_events: self.server_events,
        };
        let hub = Hub::new(self.settings.core_config(), endpoints, self.adapter);
        #[cfg(feature = "admin-ui")]
        if let Some(ui) = self.admin_ui {
            hub.set_monitor(crate::admin::AdminMonitor::new(&hub, ui));
        }
        let legacy = LegacyServer::new(hub.clone());
        let handshake_tail = self.settings.handshake_tail();
        let engines = self
            .engines
            .into_iter()
            .map(|(path, app)| {
                let capacity = self.settings.handler_queue.max(1);
                let tenant = Box::new(AppTenant { app, capacity });
                (path, Engine::new(self.settings.engine_config(&hub.stats), tenant))
            })
            .collect();
        let modern = self.settings.modern_protocol.then(|| {
            let config = self.settings.engine_config(&hub.stats);
            Engine::new(
                config,
                Box::new(SocketIoTenant {
                    hub: hub.clone(),
                    parser: self.settings.parser,
                }),
            )
        });
        SocketIo {
            shared: Arc::new(Shared {
                settings: self.settings,
                hub,
                legacy,
                handshake_tail,
                modern,
                engines,
                static_dirs: self.static_dirs,
            }),
        }
    }
}
