//! The modern conformance server: the fixed behaviour that the official
//! Engine.IO v4 and Socket.IO v5 suites and socket.io-client 4 run against
//! (see `shared/conformance-modern.md` in the project's notes). A bare
//! Engine.IO echo at `/engine.io/`, Socket.IO at `/socket.io/`; the legacy
//! 0.9 protocol is served on the same port too. `PARSER=msgpack` swaps
//! Socket.IO's JSON packets for `socket.io-msgpack-parser`'s.
//!
//! ```sh
//! PORT=3000 cargo run --release --example conformance_modern
//! PORT=3000 PARSER=msgpack cargo run --release --example conformance_modern
//! ```

use std::time::Duration;

use socketio::engine::{Incoming, Socket};
use socketio::{ConnectionInfo, Ctx, Parser, RawJson, Reply, Server, SocketIo};

/// `/`: echoes events back and answers acks with their arguments.
#[derive(Default)]
struct Main;

#[socketio::handler(endpoints("/custom" => Custom))]
impl Main {
    fn on_open(&mut self, cx: &Ctx, info: &ConnectionInfo) -> bool {
        emit_auth(cx, info);
        true
    }

    #[event("message")]
    fn message(&self, cx: &Ctx, #[rest] args: Vec<RawJson>) {
        cx.emit("message-back", &args[..]);
    }

    #[event("message-with-ack")]
    fn message_with_ack(&self, #[rest] args: Vec<RawJson>) -> Reply {
        Reply::with_args(&args[..]).unwrap_or_default()
    }
}

/// `/custom`: connects and echoes its auth payload, nothing else.
#[derive(Default)]
struct Custom;

#[socketio::handler]
impl Custom {
    fn on_open(&mut self, cx: &Ctx, info: &ConnectionInfo) -> bool {
        emit_auth(cx, info);
        true
    }
}

/// The suites expect the CONNECT auth payload back as an `auth` event.
fn emit_auth(cx: &Ctx, info: &ConnectionInfo) {
    let empty = RawJson::from_string("{}".to_owned()).expect("valid JSON");
    cx.emit("auth", (info.auth().unwrap_or(&empty),));
}

async fn echo(socket: Socket, mut incoming: Incoming) {
    while let Some(message) = incoming.recv().await {
        socket.send(message);
    }
}

fn env_ms(name: &str, default: u64) -> Duration {
    Duration::from_millis(std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let max_payload = std::env::var("MAX_PAYLOAD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let parser = match std::env::var("PARSER").as_deref() {
        Ok("msgpack") => Parser::Msgpack,
        Ok("" | "json") | Err(_) => Parser::Json,
        Ok(other) => {
            eprintln!("unknown PARSER {other:?} (msgpack, json)");
            std::process::exit(2);
        }
    };
    let io = SocketIo::builder(Main::default)
        .parser(parser)
        .ping_interval(env_ms("PING_INTERVAL_MS", 300))
        .ping_timeout(env_ms("PING_TIMEOUT_MS", 200))
        .max_payload(max_payload)
        .max_http_body(max_payload)
        .max_websocket_message(max_payload)
        .connect_timeout(env_ms("CONNECT_TIMEOUT_MS", 1000))
        .flash_policy_port(None)
        .engine("/engine.io", echo)
        .build();
    let signal = socketio::shutdown_signal()?;
    let listener = socketio::listen(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?);
    Server::new(io).with_graceful_shutdown(signal).run_on(listener).await
}
