//! The conformance server: fixed behaviour that independent client suites
//! run against (see `shared/conformance.md` in the project's notes). Modern
//! clients (socket.io-client 1.x to 4.x) get the same behaviour on the same
//! port: endpoints are namespaces, and an endpoint's query is their auth
//! payload.
//!
//! Several of them (and node's servers) form one cluster when `REDIS_URL`
//! is set (`shared/conformance-cluster.md`; `ADAPTER=redis-sharded` for
//! node's sharded form, on a standalone Redis 7 or any node of a Redis
//! Cluster; `ADAPTER=redis-streams` for node's Redis Streams adapter, with
//! `REDIS_KEY` its stream name and channel prefix); the cluster's events below (`server_name`, `cluster_count`,
//! `fetch_room`, ...) answer for this server alone without it.
//!
//! `RECOVERY_MS` turns connection state recovery on for modern clients
//! (section 5 of the cluster contract) with that maximum disconnection
//! duration, the open hook skipped on recovery; `whoami` then reports
//! `recovered`. `RECOVERY_MAX_SESSIONS` and `RECOVERY_MAX_MISSED` set its
//! caps (`max_sessions`, `max_missed_packets`), for tests of them.
//!
//! ```sh
//! cargo run --release --example conformance   # PORT=8001 by default
//! ```

use std::sync::OnceLock;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use socketio::{AckError, BroadcastError, ConnectionInfo, Ctx, Message, RawJson, Reply, Server, SocketIo};

/// This server's handle, for the handlers' cluster-wide requests.
static IO: OnceLock<SocketIo> = OnceLock::new();
/// `NODE_NAME`, default `127.0.0.1:PORT`.
static NODE_NAME: OnceLock<String> = OnceLock::new();
/// `REQUESTS_TIMEOUT_MS`, default 5000.
static REQUESTS_TIMEOUT: OnceLock<Duration> = OnceLock::new();

fn io() -> &'static SocketIo {
    IO.get().expect("set before serving")
}

fn node_name() -> &'static str {
    NODE_NAME.get().map_or("", String::as_str)
}

fn requests_timeout() -> Duration {
    REQUESTS_TIMEOUT.get().copied().unwrap_or(Duration::from_secs(5))
}

/// A cluster request that failed: the client gets it as an error.
fn failed(error: impl std::fmt::Display) -> String {
    format!("the cluster did not answer: {error}")
}

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
        // What a remote fetch reports as this socket's server (node: socket.data).
        let _ = cx.set_data(&json!({ "server": node_name() }));
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
        let mut who =
            json!({ "sid": cx.sid(), "endpoint": cx.endpoint(), "query": query, "ip": info.ip().to_string() });
        if io().settings().connection_state_recovery.is_some() {
            who["recovered"] = json!(cx.recovered());
        }
        who
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

    /// Acks with this server's `NODE_NAME`.
    #[event]
    fn server_name(&self) -> &'static str {
        node_name()
    }

    /// Acks with the number of servers in the cluster, this one included.
    #[event]
    async fn cluster_count(&self) -> Result<usize, String> {
        io().server_count().await.map_err(failed)
    }

    /// Acks with every socket of this namespace in `room` on every server,
    /// sorted by id: `{id, rooms, server}`.
    #[event]
    async fn fetch_room(&self, cx: &Ctx, room: String) -> Result<Vec<Value>, String> {
        let sockets = cx.of(cx.endpoint()).to(room).fetch_sockets().await.map_err(failed)?;
        let mut found: Vec<Value> = sockets
            .iter()
            .map(|socket| {
                let server = socket.details().data.get("server").cloned().unwrap_or(Value::Null);
                json!({ "id": socket.id(), "rooms": socket.rooms(), "server": server })
            })
            .collect();
        found.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        Ok(found)
    }

    /// Every socket of this namespace in `room`, on every server, joins `to`.
    #[event]
    async fn join_all(&self, cx: &Ctx, room: String, to: String) -> Result<(), String> {
        cx.of(cx.endpoint()).to(room).sockets_join(to).await.map_err(failed)
    }

    #[event]
    async fn leave_all(&self, cx: &Ctx, room: String, from: String) -> Result<(), String> {
        cx.of(cx.endpoint()).to(room).sockets_leave(from).await.map_err(failed)
    }

    /// Disconnects every socket of this namespace in `room`, on every server.
    #[event]
    async fn disconnect_room(&self, cx: &Ctx, room: String) -> Result<(), String> {
        cx.of(cx.endpoint())
            .to(room)
            .disconnect_sockets(true)
            .await
            .map_err(failed)
    }

    /// Sends the server-side event `ping` to the other servers; acks with
    /// the sorted names of those that answered in time.
    #[event]
    async fn server_ping(&self, data: RawJson) -> Result<Vec<String>, String> {
        let answers = io()
            .server_side_emit("ping", (data,))
            .await
            .map_err(|error: BroadcastError| failed(error))?;
        let mut names: Vec<String> = answers
            .iter()
            .filter_map(|answer| answer.parse::<(String,)>().ok().map(|(name,)| name))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Asks every socket of this namespace in `room`, on every server;
    /// acks with the sorted first arguments of the answers that came in time.
    #[event]
    async fn ask_room(&self, cx: &Ctx, room: String) -> Result<Vec<Value>, String> {
        let replies = cx
            .of(cx.endpoint())
            .to(room)
            .timeout(requests_timeout())
            .emit_with_ack("question", ("how?",))
            .await
            .map_err(failed)?;
        let mut answers: Vec<Value> = replies
            .replies
            .iter()
            .filter_map(|reply| reply.args.first().and_then(|arg| arg.deserialize().ok()))
            .collect();
        answers.sort_by_key(Value::to_string);
        Ok(answers)
    }

    // Beyond the contract: the remaining broadcast flags and `all_rooms`,
    // so the mixed-cluster tests reach every adapter operation through a
    // client, on our servers and node's alike.

    /// Every socket of this namespace not in room `except`, on every
    /// server, gets `broadcast X`.
    #[event]
    fn broadcast_except(&self, cx: &Ctx, except: String, data: RawJson) {
        cx.of(cx.endpoint()).except(except).emit_broadcast(&data);
    }

    /// `broadcast X` to the sockets of this namespace on this server only.
    #[event]
    fn local_broadcast(&self, cx: &Ctx, data: RawJson) {
        cx.of(cx.endpoint()).local().emit_broadcast(&data);
    }

    /// `broadcast X` to every server, volatile (a socket that cannot take
    /// it at once misses it).
    #[event]
    fn volatile_broadcast(&self, cx: &Ctx, data: RawJson) {
        cx.of(cx.endpoint()).volatile().emit_broadcast(&data);
    }

    /// Acks with the sorted names of every room of this namespace on every
    /// server, socket ids included.
    #[event]
    async fn all_rooms(&self, cx: &Ctx) -> Result<Vec<String>, String> {
        let mut rooms = io().all_rooms(cx.endpoint()).await.map_err(failed)?;
        rooms.sort();
        Ok(rooms)
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

/// `RECOVERY_MS` (and its caps), if set.
fn recovery_from_env() -> Option<socketio::ConnectionStateRecovery> {
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    let mut recovery = socketio::ConnectionStateRecovery::default();
    recovery.max_disconnection_duration = Duration::from_millis(number("RECOVERY_MS")?);
    recovery.skip_open_hook = true;
    if let Some(max) = number("RECOVERY_MAX_SESSIONS") {
        recovery.max_sessions = usize::try_from(max).unwrap_or(usize::MAX);
    }
    if let Some(max) = number("RECOVERY_MAX_MISSED") {
        recovery.max_missed_packets = usize::try_from(max).unwrap_or(usize::MAX);
    }
    Some(recovery)
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
    let _ = NODE_NAME.set(std::env::var("NODE_NAME").unwrap_or_else(|_| format!("127.0.0.1:{port}")));
    let timeout = std::env::var("REQUESTS_TIMEOUT_MS").ok().and_then(|ms| ms.parse().ok());
    let _ = REQUESTS_TIMEOUT.set(Duration::from_millis(timeout.unwrap_or(5000)));
    let adapter = match std::env::var("REDIS_URL") {
        Ok(url) => Some(redis_adapter(url).await?),
        Err(_) => None,
    };
    let mut builder = SocketIo::builder(Conformance::default)
        // A server-side `ping X` from another server: answered with this
        // server's name, and passed on as `server_pinged X` to the sockets
        // of `/` it holds itself.
        .on_server_event("ping", |(data,): (RawJson,)| async move {
            let _ = io().of("").local().emit("server_pinged", (data,));
            node_name().to_owned()
        })
        .heartbeat_timeout(env_secs("HEARTBEAT_TIMEOUT", 60))
        .close_timeout(env_secs("CLOSE_TIMEOUT", 60))
        .heartbeat_interval(env_secs("HEARTBEAT_INTERVAL", 25))
        .polling_duration(env_secs("POLLING_DURATION", 20))
        // `PARSER=msgpack`: socket.io-client 4 with socket.io-msgpack-parser.
        .parser(match std::env::var("PARSER").as_deref() {
            Ok("msgpack") => socketio::Parser::Msgpack,
            _ => socketio::Parser::Json,
        })
        .flash_policy_port(
            match std::env::var("FLASH_POLICY_PORT").ok().and_then(|p| p.parse().ok()) {
                Some(0) => None,
                Some(port) => Some(port),
                None => Some(10843),
            },
        );
    if let Some(recovery) = recovery_from_env() {
        builder = builder.connection_state_recovery(recovery);
    }
    if let Some(adapter) = &adapter {
        builder = adapter.install(builder);
    }
    let io = builder.build();
    // Subscribed before saying so: a broadcast another server sends right
    // after the line is printed must arrive.
    if let Some(adapter) = &adapter {
        adapter.ready().await;
    }
    let _ = IO.set(io.clone());
    let signal = socketio::shutdown_signal()?;
    let listener = socketio::listen(("127.0.0.1", port)).await?;
    println!("listening on {}", listener.local_addr()?);
    Server::new(io).with_graceful_shutdown(signal).run_on(listener).await
}

/// The cluster adapter `ADAPTER` names: `redis` (the default: node's
/// `@socket.io/redis-adapter` classic form), `redis-sharded` (its
/// `createShardedAdapter`; `url` may name any node of a Redis Cluster) or
/// `redis-streams` (node's `@socket.io/redis-streams-adapter`), on Redis
/// at `url` with the channel prefix (and stream name) `REDIS_KEY` (default
/// `socket.io`).
async fn redis_adapter(url: String) -> std::io::Result<ClusterAdapter> {
    let kind = std::env::var("ADAPTER").unwrap_or_else(|_| "redis".to_owned());
    let failed = |error: socketio_redis::Error| std::io::Error::other(format!("Redis: {error}"));
    if kind == "redis-streams" {
        let mut config = socketio_redis::StreamsConfig::new(url);
        if let Ok(key) = std::env::var("REDIS_KEY") {
            config.stream_name.clone_from(&key);
            config.channel_prefix = key;
        }
        config.requests_timeout = requests_timeout();
        return Ok(ClusterAdapter::Streams(
            socketio_redis::RedisStreamsAdapter::new(config).await.map_err(failed)?,
        ));
    }
    let mut config = socketio_redis::RedisConfig::new(url);
    if let Ok(key) = std::env::var("REDIS_KEY") {
        config.key = key;
    }
    config.requests_timeout = requests_timeout();
    match kind.as_str() {
        "redis" => Ok(ClusterAdapter::Classic(
            socketio_redis::RedisAdapter::new(config).await.map_err(failed)?,
        )),
        "redis-sharded" => {
            let config = config.detect_cluster().await.map_err(failed)?;
            Ok(ClusterAdapter::Sharded(
                socketio_redis::ShardedRedisAdapter::new(config).await.map_err(failed)?,
            ))
        }
        other => Err(std::io::Error::other(format!(
            "ADAPTER={other} is not supported (`redis`, `redis-sharded` or `redis-streams`)"
        ))),
    }
}

/// One of the Redis adapters, as `ADAPTER` picks it.
enum ClusterAdapter {
    Classic(socketio_redis::RedisAdapter),
    Sharded(socketio_redis::ShardedRedisAdapter),
    Streams(socketio_redis::RedisStreamsAdapter),
}

impl ClusterAdapter {
    fn install(&self, builder: socketio::SocketIoBuilder) -> socketio::SocketIoBuilder {
        match self {
            ClusterAdapter::Classic(adapter) => builder.adapter(adapter.clone()),
            ClusterAdapter::Sharded(adapter) => builder.adapter(adapter.clone()),
            ClusterAdapter::Streams(adapter) => builder.adapter(adapter.clone()),
        }
    }

    async fn ready(&self) {
        match self {
            ClusterAdapter::Classic(adapter) => adapter.ready().await,
            ClusterAdapter::Sharded(adapter) => adapter.ready().await,
            ClusterAdapter::Streams(adapter) => adapter.ready().await,
        }
    }
}
