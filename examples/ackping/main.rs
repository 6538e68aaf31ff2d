//! TornadIO2's `ackping`: the event handler returns a tuple, and the
//! client's ack callback receives it as two arguments.
//!
//! ```sh
//! cargo run --example ackping     # then open http://127.0.0.1:8001/
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use socketio::SocketIo;

#[derive(Default)]
struct AckPing;

#[socketio::handler]
impl AckPing {
    /// `emit('ping', Date.now(), function (client, server) { ... })`.
    #[event]
    fn ping(&self, client: f64) -> (f64, u128) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        (client, now)
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let io = SocketIo::new(AckPing::default);
    socketio_examples::serve(
        io,
        socketio_examples::page(include_str!("index.html")),
        socketio_examples::port(8001),
    )
    .await
}
