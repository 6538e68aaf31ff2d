//! What the examples share: serving their page and the Socket.IO 0.9.16
//! browser client next to the Socket.IO service, on the port in `PORT`
//! (default 8001), until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use socketio::{PeerAddr, SocketIo};

/// The Socket.IO 0.9.16 browser build, from its npm package (see build.rs).
pub const SOCKET_IO_JS: &str = include_str!(env!("SOCKET_IO_JS"));

/// A router serving `page` at `/` and the client at `/socket.io.js`.
pub fn page(html: &'static str) -> Router {
    Router::new()
        .route("/", get(move || async move { Html(html) }))
        .route("/socket.io.js", get(client))
}

async fn client() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SOCKET_IO_JS)
}

/// Tells the Socket.IO service the client's address, as axum knows it.
async fn peer_addr(ConnectInfo(peer): ConnectInfo<SocketAddr>, mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(PeerAddr(peer));
    next.run(request).await
}

/// The port from `PORT` (0 picks a free one), default `default`.
pub fn port(default: u16) -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(default)
}

/// Logs to stderr (`RUST_LOG` sets the level, default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Serves `site` with `io` behind it on 127.0.0.1:`port`, printing where
/// to connect, until Ctrl-C or SIGTERM; then every client is disconnected
/// and every close hook runs before it returns.
pub async fn serve(io: SocketIo, site: Router, port: u16) -> std::io::Result<()> {
    // Listen for Ctrl-C before saying we are up, so no early signal is missed.
    let signal = socketio::shutdown_signal()?;
    let listener = socketio::listen(("127.0.0.1", port)).await?;
    let address = listener.local_addr()?;
    // Not println!: a closed stdout must not stop the server.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {address}");
    let _ = writeln!(out, "open http://{address}/ in a browser");
    let _ = out.flush();
    let app = site
        .fallback_service(io.service())
        .layer(middleware::from_fn(peer_addr));
    let shutdown = {
        let io = io.clone();
        async move {
            signal.await;
            tracing::info!("shutting down: disconnecting clients");
            io.shutdown().await;
        }
    };
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await?;
    tracing::info!("shut down");
    Ok(())
}
