//! Our server under the benchmark workload (see `bench/peers/README.md` for
//! the contract every server follows): `echo` acks its arguments, `join`
//! enters a room, `publish` broadcasts `news` to a room. Legacy and modern
//! clients on one port. `PARSER=msgpack`: modern clients speak
//! `socket.io-msgpack-parser` packets. With `REDIS_URL` set, the server
//! joins a cluster through `socketio_redis::RedisAdapter` (the cluster
//! scenario of `bench/cluster.sh`); without it, no adapter but the local one.
//! `RECOVERY=1` turns connection state recovery on (its defaults), to
//! measure what it costs.

use std::time::Duration;

use socketio::{Ctx, Parser, RawJson, Reply, Server, SocketIo};
use socketio_redis::{RedisAdapter, RedisConfig};

#[derive(Default)]
struct Bench;

#[socketio::handler]
impl Bench {
    #[event]
    fn echo(&self, #[rest] args: Vec<RawJson>) -> Reply {
        Reply::with_args(&args[..]).unwrap_or_default()
    }

    #[event]
    fn join(&self, cx: &Ctx, room: String) -> bool {
        cx.join(&room);
        true
    }

    #[event]
    fn publish(&self, cx: &Ctx, room: String, payload: RawJson) -> bool {
        cx.to(room).emit("news", (&payload,)).is_ok()
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(4100);
    let parser = match std::env::var("PARSER").as_deref() {
        Ok("msgpack") => Parser::Msgpack,
        _ => Parser::Json,
    };
    // PING_INTERVAL_MS: the idle scenario's short-heartbeat run (legacy
    // heartbeats and modern pings alike).
    let heartbeat = std::env::var("PING_INTERVAL_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(25), Duration::from_millis);
    let mut builder = SocketIo::builder(Bench::default)
        .parser(parser)
        .flash_policy_port(None)
        .heartbeat_interval(heartbeat)
        .ping_interval(heartbeat)
        .heartbeat_timeout(Duration::from_secs(60))
        .max_sessions(1_000_000)
        .max_pending_handshakes(1_000_000);
    let adapter = match std::env::var("REDIS_URL") {
        Ok(url) => Some(
            RedisAdapter::new(RedisConfig::new(url))
                .await
                .map_err(std::io::Error::other)?,
        ),
        Err(_) => None,
    };
    if let Some(adapter) = &adapter {
        builder = builder.adapter(adapter.clone());
    }
    if std::env::var("RECOVERY").is_ok_and(|v| v == "1") {
        builder = builder.connection_state_recovery(socketio::ConnectionStateRecovery::default());
    }
    let io = builder.build();
    if let Some(adapter) = &adapter {
        // No broadcast from the other server may be missed once we say we listen.
        adapter.ready().await;
    }
    let listener = socketio::listen(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?);
    Server::new(io).run_on(listener).await
}
