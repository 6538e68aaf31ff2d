use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use tokio_util::sync::CancellationToken;

use crate::server::{PeerAddr, SocketIo, flash_policy};

type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs a [`SocketIo`] on its own, like TornadIO2's `SocketServer`: binds,
/// serves HTTP/1.1 with websocket upgrades, and shuts down gracefully on
/// SIGINT/SIGTERM (or the signal you give it): no new connections, every
/// client gets a disconnect, close hooks run, then it returns.
///
/// ```no_run
/// # #[derive(Default)] struct Main;
/// # impl socketio::Handler for Main {}
/// # async fn run() -> std::io::Result<()> {
/// let io = socketio::SocketIo::new(Main::default);
/// socketio::Server::new(io).bind(([0, 0, 0, 0], 8001).into()).run().await
/// # }
/// ```
pub struct Server {
    io: SocketIo,
    addr: SocketAddr,
    signal: Option<ShutdownSignal>,
    policy_listener: Option<TcpListener>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server for `io` on 127.0.0.1:8001 (TornadIO2's port; loopback
    /// unless you choose an address with [`Server::bind`]).
    pub fn new(io: SocketIo) -> Self {
        Self {
            io,
            addr: SocketAddr::from(([127, 0, 0, 1], 8001)),
            signal: None,
            policy_listener: None,
        }
    }

    /// The address to listen on.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Shuts down when `signal` completes instead of on SIGINT/SIGTERM.
    pub fn with_graceful_shutdown(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.signal = Some(Box::pin(signal));
        self
    }

    /// Serves Flash policy requests on this listener instead of binding
    /// `settings.flash_policy_port`.
    pub fn flash_policy_listener(mut self, listener: TcpListener) -> Self {
        self.policy_listener = Some(listener);
        self
    }

    /// Binds (with [`listen`](crate::listen)) and serves until shutdown.
    pub async fn run(self) -> std::io::Result<()> {
        let listener = crate::server::listen(self.addr).await?;
        self.run_on(listener).await
    }

    /// Serves on an already bound listener until shutdown.
    pub async fn run_on(self, listener: TcpListener) -> std::io::Result<()> {
        // On a runtime worker, not on the thread that awaits this (often
        // `block_on` in `main`): accepting there would hand every new
        // connection to another thread, a context switch per connect.
        match tokio::spawn(self.serve(listener)).await {
            Ok(result) => result,
            Err(error) => Err(std::io::Error::other(format!("the server task failed: {error}"))),
        }
    }

    async fn serve(mut self, listener: TcpListener) -> std::io::Result<()> {
        // Installed first, so that no signal slips through while starting.
        let signal: ShutdownSignal = match self.signal.take() {
            Some(signal) => signal,
            None => Box::pin(shutdown_signal()?),
        };
        let local = listener.local_addr()?;
        tracing::info!(address = %local, resource = %self.io.settings().resource, "socket.io server listening");
        let stop_policy = CancellationToken::new();
        let policy_server = self.start_flash_policy(local, stop_policy.clone()).await?;
        tokio::pin!(signal);
        let graceful = GracefulShutdown::new();
        let settings = self.io.settings();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        let mut http1 = builder.http1();
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(settings.header_read_timeout)
            // A head that does not fit the read buffer is refused with 431
            // by hyper; the service then checks the exact size of the rest.
            .max_buf_size(settings.max_header_bytes.max(MIN_READ_BUFFER));
        // Left at hyper's default, the header slots stay on the stack.
        if settings.max_headers != HYPER_MAX_HEADERS {
            http1.max_headers(settings.max_headers);
        }
        let accept = Acceptor {
            io: &self.io,
            listener: &listener,
            builder: &builder,
            graceful: &graceful,
        };
        accept.until(&mut signal).await;
        // Keep accepting while sessions say goodbye: a polling client between
        // two polls comes back for its `0::` (new handshakes get 503).
        tracing::info!("shutting down: disconnecting clients");
        let goodbye = self.io.shutdown();
        tokio::pin!(goodbye);
        accept.until(&mut goodbye).await;
        drop(listener);
        stop_policy.cancel();
        if let Some(policy_server) = policy_server {
            let _ = policy_server.await;
        }
        if tokio::time::timeout(self.io.settings().shutdown_timeout, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("some HTTP connections were still open at the shutdown deadline");
        }
        tracing::info!("shut down");
        Ok(())
    }
}

impl Server {
    /// Binds and starts the Flash policy server when flashsocket is on.
    async fn start_flash_policy(
        &mut self,
        http: SocketAddr,
        stop: CancellationToken,
    ) -> std::io::Result<Option<tokio::task::JoinHandle<()>>> {
        let settings = self.io.settings().clone();
        if !settings.transports.contains(&crate::Transport::FlashSocket) {
            return Ok(None);
        }
        let listener = match (self.policy_listener.take(), settings.flash_policy_port) {
            (Some(listener), _) => listener,
            (None, Some(port)) => crate::server::listen(SocketAddr::new(http.ip(), port)).await?,
            (None, None) => return Ok(None),
        };
        let policy = flash_policy::policy(&settings.allowed_origins).into();
        let timeout = settings.flash_policy_timeout;
        Ok(Some(tokio::spawn(flash_policy::serve(listener, policy, timeout, stop))))
    }
}

/// The smallest read buffer hyper accepts (it panics below).
const MIN_READ_BUFFER: usize = 8 * 1024;

/// hyper's header count cap when none is set.
const HYPER_MAX_HEADERS: usize = 100;

/// The pause after a failed accept (out of file descriptors, say).
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

/// Accepts connections and serves each on its own task.
struct Acceptor<'a> {
    io: &'a SocketIo,
    listener: &'a TcpListener,
    builder: &'a auto::Builder<TokioExecutor>,
    graceful: &'a GracefulShutdown,
}

impl Acceptor<'_> {
    /// Serves new connections until `stop` completes.
    async fn until(&self, stop: &mut Pin<&mut impl Future<Output = ()>>) {
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Running out of descriptors must not end the server,
                        // nor spin it: the error repeats until one closes.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                },
                () = stop.as_mut() => return,
            };
            let _ = stream.set_nodelay(true);
            let service = WithPeer {
                inner: self.io.service(),
                peer,
            };
            let connection = self
                .builder
                .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service));
            let connection = self.graceful.watch(connection.into_owned());
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, %peer, "connection ended with an error");
                }
            });
        }
    }
}

/// Tells every request of one TCP connection its peer address.
#[derive(Clone)]
struct WithPeer {
    inner: crate::server::SocketIoService,
    peer: SocketAddr,
}

impl<B> tower_service::Service<http::Request<B>> for WithPeer
where
    crate::server::SocketIoService: tower_service::Service<http::Request<B>>,
{
    type Response = <crate::server::SocketIoService as tower_service::Service<http::Request<B>>>::Response;
    type Error = <crate::server::SocketIoService as tower_service::Service<http::Request<B>>>::Error;
    type Future = <crate::server::SocketIoService as tower_service::Service<http::Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        tower_service::Service::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        request.extensions_mut().insert(PeerAddr(self.peer));
        self.inner.call(request)
    }
}

/// Listens for SIGINT (Ctrl-C) and SIGTERM from the moment it is called,
/// so a signal that arrives before the returned future is first awaited
/// still counts. Fails only if the signal handlers cannot be installed.
#[cfg(unix)]
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Listens for Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
