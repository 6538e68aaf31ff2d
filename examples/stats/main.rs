//! TornadIO2's `stats`: the page asks for the server's counters every
//! second and shows them; `/metrics` serves them to Prometheus.
//!
//! ```sh
//! cargo run --example stats       # then open http://127.0.0.1:8001/
//! ```

use std::sync::{Arc, OnceLock};

use socketio::{SocketIo, StatsSnapshot};

/// Each connection reads the counters through the server handle.
struct Stats {
    io: Arc<OnceLock<SocketIo>>,
}

#[socketio::handler]
impl Stats {
    #[event]
    fn stats(&self) -> Option<StatsSnapshot> {
        self.io.get().map(SocketIo::stats)
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let handle = Arc::new(OnceLock::new());
    let for_handlers = handle.clone();
    let io = SocketIo::builder(move || Stats {
        io: for_handlers.clone(),
    })
    .metrics_path(Some("/metrics".into()))
    .build();
    let _ = handle.set(io.clone());
    socketio_examples::serve(
        io,
        socketio_examples::page(include_str!("index.html")),
        socketio_examples::port(8001),
    )
    .await
}
