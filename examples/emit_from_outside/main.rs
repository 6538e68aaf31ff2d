//! Pushing to clients from outside any handler, through the server handle:
//! a timer ticks to the `clock` room every second, and an ordinary HTTP
//! route (`POST /announce?text=...`) announces to everyone.
//!
//! ```sh
//! cargo run --example emit_from_outside   # then open http://127.0.0.1:8001/
//! curl -X POST 'http://127.0.0.1:8001/announce?text=hello'
//! ```

use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::post;
use socketio::{Ctx, SocketIo};

/// What the server pushes.
#[socketio::emits]
trait Pushes {
    fn tick(count: u64);
    fn announcement(text: &str);
}

#[derive(Default)]
struct Listener;

#[socketio::handler]
impl Listener {
    /// Subscribes to the clock.
    #[event]
    fn subscribe(&self, cx: &Ctx) {
        cx.join("clock");
    }

    #[event]
    fn unsubscribe(&self, cx: &Ctx) {
        cx.leave("clock");
    }
}

#[derive(serde::Deserialize)]
struct Announce {
    text: String,
}

async fn announce(State(io): State<SocketIo>, Query(query): Query<Announce>) -> String {
    // Through the adapter: with a cluster adapter, every server's count.
    let reached = io.of("").count().await.unwrap_or(0);
    io.of("").emit_announcement(&query.text);
    format!("announced to {reached} connection(s)\n")
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let io = SocketIo::new(Listener::default);
    let clock = io.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        for count in 0u64.. {
            ticks.tick().await;
            clock.to("clock").emit_tick(count);
        }
    });
    let routes = axum::Router::new()
        .route("/announce", post(announce))
        .with_state(io.clone());
    let site = socketio_examples::page(include_str!("index.html")).merge(routes);
    socketio_examples::serve(io, site, socketio_examples::port(8001)).await
}
