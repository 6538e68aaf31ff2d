//! TornadIO2's `crosssite`: the page comes from one origin (port 8001) and
//! talks to Socket.IO on another (port 8002), so the browser uses CORS with
//! credentials (xhr-polling) or JSONP (jsonp-polling) for real.
//!
//! ```sh
//! cargo run --example crosssite   # then open http://127.0.0.1:8001/
//! ```

use axum::response::Html;
use axum::routing::get;
use socketio::{AllowedOrigins, Server, SocketIo};

#[derive(Default)]
struct Echo;

#[socketio::handler]
impl Echo {
    /// Acks with what it got, and where the page came from.
    #[event]
    fn echo(&self, info: &socketio::ConnectionInfo, text: String) -> (String, String) {
        let origin = info
            .headers()
            .get("origin")
            .and_then(|o| o.to_str().ok())
            .unwrap_or("same origin");
        (text, origin.to_owned())
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let page_port = socketio_examples::port(8001);
    let io_port: u16 = std::env::var("IO_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8002);
    let signal = socketio::shutdown_signal()?;
    let io_listener = socketio::listen(("127.0.0.1", io_port)).await?;
    let io_addr = io_listener.local_addr()?;
    let page_listener = socketio::listen(("127.0.0.1", page_port)).await?;
    let page_addr = page_listener.local_addr()?;
    // Only the page's origin may connect.
    let io = SocketIo::builder(Echo::default)
        .allowed_origins(AllowedOrigins::List(vec![format!("http://{page_addr}")]))
        .flash_policy_port(None)
        .build();
    let html = include_str!("index.html").replace("SOCKET_IO_ORIGIN", &format!("http://{io_addr}"));
    let html: &'static str = Box::leak(html.into_boxed_str());
    let site = axum::Router::new()
        .route("/", get(move || async move { Html(html) }))
        .route(
            "/socket.io.js",
            get(|| async { ([("content-type", "text/javascript")], socketio_examples::SOCKET_IO_JS) }),
        );
    println!("listening on {page_addr}");
    println!("socket.io on {io_addr}; open http://{page_addr}/ in a browser");
    let pages = tokio::spawn(async move { axum::serve(page_listener, site).await });
    Server::new(io)
        .with_graceful_shutdown(signal)
        .run_on(io_listener)
        .await?;
    pages.abort();
    Ok(())
}
