//! TornadIO2's `multiplexed`: one connection, two endpoints. `/chat` is a
//! room where everyone gets a generated name; `/ping` answers a JSON message
//! after stamping it with the server's clock.
//!
//! ```sh
//! cargo run --example multiplexed  # then open http://127.0.0.1:8001/
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use socketio::{Ctx, Message, SocketIo};

/// The main endpoint only routes to the others.
#[derive(Default)]
struct Router;

#[socketio::handler(endpoints("/ping" => Ping))]
impl Router {}

/// `/chat`: a generated name per connection, join and leave announced.
struct Chat {
    counter: Arc<AtomicU64>,
    name: String,
}

#[socketio::handler]
impl Chat {
    fn on_open(&mut self, cx: &Ctx) {
        self.name = format!("user{}", self.counter.fetch_add(1, Ordering::Relaxed) + 1);
        cx.join("chat");
        cx.send(format!("you are {}", self.name));
        cx.broadcast().send(format!("{} joined", self.name));
    }

    fn on_message(&mut self, cx: &Ctx, message: Message) {
        if let Message::Text(text) = message {
            cx.to("chat").send(format!("{}: {text}", self.name));
        }
    }

    fn on_close(&mut self, cx: &Ctx) {
        cx.broadcast().send(format!("{} left", self.name));
    }
}

/// `/ping`: stamps a JSON message and sends it back.
#[derive(Default)]
struct Ping;

#[socketio::handler]
impl Ping {
    fn on_message(&mut self, cx: &Ctx, message: Message) {
        let Message::Json(json) = message else { return };
        let mut value: serde_json::Value = json.deserialize().unwrap_or_default();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        value["server"] = serde_json::json!(now);
        let _ = cx.send_json(&value);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    socketio_examples::init_logging();
    let counter = Arc::new(AtomicU64::new(0));
    let io = SocketIo::builder(Router::default)
        .endpoint("/chat", move || Chat {
            counter: counter.clone(),
            name: String::new(),
        })
        .build();
    socketio_examples::serve(
        io,
        socketio_examples::page(include_str!("index.html")),
        socketio_examples::port(8001),
    )
    .await
}
