//! Socket.IO mounted under `/realtime` of an existing axum app, next to its
//! ordinary routes. The page's client uses the resource `realtime/socket.io`.
//!
//! ```sh
//! cargo run --example axum        # then open http://127.0.0.1:8001/
//! ```

use axum::Router;
use axum::routing::get;
use socketio::{Ctx, SocketIo};

#[derive(Default)]
struct Greeter;

#[socketio::handler]
impl Greeter {
    #[event]
    fn greet(&self, cx: &Ctx, name: String) -> String {
        format!("hello {name}, from session {}", &cx.sid()[..8])
    }
}

async fn time() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{{\"unix\":{now}}}")
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let io = SocketIo::new(Greeter::default);
    // An app with its own routes; Socket.IO lives under /realtime.
    let app = Router::new()
        .route("/", get(|| async { axum::response::Html(include_str!("index.html")) }))
        .route(
            "/socket.io.js",
            get(|| async { ([("content-type", "text/javascript")], socketio_examples::SOCKET_IO_JS) }),
        )
        .route("/api/time", get(time))
        .nest_service("/realtime", io.service());
    socketio_examples::serve(io, app, socketio_examples::port(8001)).await
}
