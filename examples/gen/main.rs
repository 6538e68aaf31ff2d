//! TornadIO2's `gen`: a slow asynchronous handler. The events of one
//! connection are handled one at a time, in arrival order, so answers come
//! back in the order the questions were asked even when a later one is
//! quicker (what TornadIO2's `gen.sync_engine` provided).
//!
//! ```sh
//! cargo run --example gen         # then open http://127.0.0.1:8001/
//! ```

use std::time::Duration;

use socketio::{Ctx, SocketIo};

#[derive(Default)]
struct Gen;

#[socketio::handler]
impl Gen {
    /// Works for `seconds` tenths of a second, then emits `response`.
    #[event]
    async fn query(&self, cx: &Ctx, num: u64) {
        tokio::time::sleep(Duration::from_millis(100 * num.min(50))).await;
        cx.emit("response", (num,));
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let io = SocketIo::new(Gen::default);
    socketio_examples::serve(
        io,
        socketio_examples::page(include_str!("index.html")),
        socketio_examples::port(8001),
    )
    .await
}
