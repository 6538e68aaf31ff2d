//! The conformance server: fixed behaviour that independent client suites
//! run against (see `shared/conformance.md` in the project's notes). Modern
//! clients (socket.io-client 1.x to 4.x) get the same behaviour on the same
//! port: endpoints are namespaces, and an endpoint's query is their auth
//! payload.
//!
//! ```sh
//! cargo run --release --example conformance   # PORT=8001 by default
//! ```

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use socketio::{AckError, ConnectionInfo, Ctx, Message, RawJson, Reply, Server, SocketIo};

/// Events this server sends, with their argument types.
#[socketio::emits]
trait Outgoing {
    fn thanks(who: &Name);
    fn hello(name: &str, suffix: &str);
    fn room_msg(room: &str, data: &RawJson);
    fn broadcast(data: &RawJson);
}

#[derive(serde::Serialize, Deserialize)]
struct Name {
    name: String,
}

#[derive(serde::Serialize, Deserialize)]
struct Blob {
    name: String,
    #[serde(with = "serde_bytes")]
    data: Vec<u8>,
}

/// Serves the main endpoint and `/chat`; one value per connection.
#[derive(Default)]
struct Conformance;

#[socketio::handler(endpoints("/chat" => Conformance, "/reject" => Refuse))]
impl Conformance {
    fn on_open(&mut self, cx: &Ctx, info: &ConnectionInfo) -> bool {
        if cx.endpoint().is_empty() {
            return info.get_argument("reject") != Some("1");
        }
        cx.send(format!("welcome {}", cx.endpoint()));
        true
    }

    fn on_message(&mut self, cx: &Ctx, message: Message) {
        match message {
            Message::Text(text) => cx.send(text),
            Message::Json(json) => cx.send_raw_json(json),
        }
    }

    /// Emits the arguments back and acks with them.
    #[event]
    fn echo(&self, cx: &Ctx, #[rest] args: Vec<RawJson>) -> Reply {
        cx.emit("echo", &args[..]);
        Reply::with_args(&args[..]).unwrap_or_default()
    }

    /// `hello("ann")` or `hello({name: "ann"})`.
    #[event]
    fn hello(&self, cx: &Ctx, name: String) {
        cx.emit_thanks(&Name { name: name.clone() });
        cx.emit_hello(&name, "foobar");
    }

    /// `sum(1, 2)` or `sum({a: 1, b: 2})`; acks with the sum.
    #[event]
    fn sum(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    /// Asks the client a question and emits its answer back.
    #[event]
    async fn ask(&self, cx: &Ctx) -> Result<(), AckError> {
        let answer = cx.emit_with_ack("question", ("how?",)).await?;
        cx.emit("answer", &answer.args[..]);
        Ok(())
    }

    /// The endpoint query of a legacy client is a modern client's auth payload.
    #[event]
    fn whoami(&self, cx: &Ctx, info: &ConnectionInfo) -> Value {
        let query = if cx.endpoint().is_empty() {
            info.query()
        } else {
            info.endpoint_query()
        };
        let query: Map<String, Value> = query.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let auth = info.auth().and_then(|auth| auth.deserialize::<Value>().ok());
        let query = match auth {
            Some(auth) if !cx.endpoint().is_empty() => auth,
            _ => Value::Object(query),
        };
        json!({ "sid": cx.sid(), "endpoint": cx.endpoint(), "query": query, "ip": info.ip().to_string() })
    }

    #[event]
    fn join(&self, cx: &Ctx, room: String) {
        cx.join(&room);
    }

    #[event]
    fn leave(&self, cx: &Ctx, room: String) {
        cx.leave(&room);
    }

    #[event]
    fn to_room(&self, cx: &Ctx, room: String, data: RawJson) {
        cx.to(room.as_str()).emit_room_msg(&room, &data);
    }

    #[event]
    fn broadcast(&self, cx: &Ctx, data: RawJson) {
        cx.of(cx.endpoint()).emit_broadcast(&data);
    }

    /// Bytes both ways: acks with them reversed inside a struct, and emits
    /// them back as a top-level argument (binary attachments for modern
    /// clients, base64 strings for legacy ones).
    #[event]
    fn blob(&self, cx: &Ctx, blob: Blob) -> Blob {
        cx.emit("blob", (socketio::bytes::Bytes::from(blob.data.clone()),));
        Blob {
            name: blob.name,
            data: blob.data.into_iter().rev().collect(),
        }
    }

    #[event]
    fn close_me(&self, cx: &Ctx) {
        cx.close();
    }

    #[event]
    fn panic(&self) {
        panic!("the client asked for a panic");
    }
}

/// `/reject`: its open hook always says no.
#[derive(Default)]
struct Refuse;

#[socketio::handler]
impl Refuse {
    fn on_open(&mut self) -> bool {
        false
    }
}

fn env_secs(name: &str, default: u64) -> Duration {
    let value = std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    Duration::from_secs(value)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8001);
    let io = SocketIo::builder(Conformance::default)
        .heartbeat_timeout(env_secs("HEARTBEAT_TIMEOUT", 60))
        .close_timeout(env_secs("CLOSE_TIMEOUT", 60))
        .heartbeat_interval(env_secs("HEARTBEAT_INTERVAL", 25))
        .polling_duration(env_secs("POLLING_DURATION", 20))
        .flash_policy_port(
            match std::env::var("FLASH_POLICY_PORT").ok().and_then(|p| p.parse().ok()) {
                Some(0) => None,
                Some(port) => Some(port),
                None => Some(10843),
            },
        )
        .build();
    let signal = socketio::shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?);
    Server::new(io).with_graceful_shutdown(signal).run_on(listener).await
}
