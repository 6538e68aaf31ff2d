//! TornadIO2's `rpcping`: the client calls `ping(client, text)` both
//! positionally and with one object (keyword style); the server answers
//! with a `pong(client, server_time)` event.
//!
//! ```sh
//! cargo run --example rpcping     # then open http://127.0.0.1:8001/
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use socketio::{Ctx, SocketIo};

#[socketio::emits]
trait Pong {
    /// The client's own value back, and the server's clock in milliseconds.
    fn pong(client: &serde_json::Value, server_time: u128);
}

#[derive(Default)]
struct RpcPing;

#[socketio::handler]
impl RpcPing {
    /// `emit('ping', client, 'Hey')` or `emit('ping', {client: ..., text: 'Hey'})`.
    #[event]
    fn ping(&self, cx: &Ctx, client: serde_json::Value, text: Option<String>) {
        tracing::info!(text = text.as_deref().unwrap_or(""), "ping");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        cx.emit_pong(&client, now);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let io = SocketIo::new(RpcPing::default);
    socketio_examples::serve(
        io,
        socketio_examples::page(include_str!("index.html")),
        socketio_examples::port(8001),
    )
    .await
}
