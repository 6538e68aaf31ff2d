//! What the cluster tests run: a real `redis-server` per test, our servers
//! in-process each with its own `RedisAdapter`, and raw Engine.IO 4 /
//! Socket.IO 5 websocket clients.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use socketio::{Ctx, Server, SocketIo};
use socketio_redis::{RedisAdapter, RedisConfig, RedisStreamsAdapter, ShardedRedisAdapter, StreamsConfig};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub mod node;
pub mod scenarios;

/// How long any one awaited event may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(5);

pub async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

/// Awaits a condition on something that changes in the background, each
/// try bounded; the whole wait is bounded too.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    within(what, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

/// A plain Redis client, connected.
pub async fn raw(url: &str) -> fred::prelude::Client {
    use fred::prelude::ClientLike;
    let client = fred::prelude::Builder::from_config(fred::prelude::Config::from_url(url).expect("url"))
        .build()
        .expect("client");
    client.init().await.expect("connects");
    client
}

/// The ack id of an event packet `42<id>[..]`.
pub fn ack_id(text: &str) -> u64 {
    let rest = text.strip_prefix("42").expect("an event");
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("no ack id in {text}"))
}

/// A `redis-server` of this test's own (the workspace's test launcher).
pub use socketio_tests::RedisServer as Redis;

/// The adapter settings for `redis`.
pub fn config(redis: &Redis) -> RedisConfig {
    RedisConfig::new(redis.url())
}

/// The handler of the test servers: `join` puts the socket in a room.
#[derive(Default)]
pub struct Member;

#[socketio::handler]
impl Member {
    #[event]
    fn join(&self, cx: &Ctx, room: String) {
        cx.join(&room);
    }

    #[event]
    fn leave(&self, cx: &Ctx, room: String) {
        cx.leave(&room);
    }
}

/// One of our servers with a `RedisAdapter`, serving on a port of its own.
pub struct Node {
    pub io: SocketIo,
    pub addr: SocketAddr,
    pub adapter: RedisAdapter,
}

impl Node {
    pub async fn start(config: RedisConfig) -> Node {
        let adapter = RedisAdapter::new(config).await.expect("connects to Redis");
        let io = SocketIo::builder(Member::default)
            .endpoint("/chat", Member::default)
            .flash_policy_port(None)
            .on_server_event("ping", |(text,): (String,)| async move { format!("pong {text}") })
            .adapter(adapter.clone())
            .build();
        within("the subscriptions", adapter.ready()).await;
        let listener = socketio::listen("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(Server::new(io.clone()).run_on(listener));
        Node { io, addr, adapter }
    }
}

/// One of our servers with a `ShardedRedisAdapter`.
pub struct ShardedNode {
    pub io: SocketIo,
    pub addr: SocketAddr,
    pub adapter: ShardedRedisAdapter,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl ShardedNode {
    pub async fn start(config: RedisConfig) -> ShardedNode {
        let adapter = ShardedRedisAdapter::new(config).await.expect("connects to Redis");
        let io = SocketIo::builder(Member::default)
            .endpoint("/chat", Member::default)
            .flash_policy_port(None)
            .on_server_event("ping", |(text,): (String,)| async move { format!("pong {text}") })
            .adapter(adapter.clone())
            .build();
        within("the subscriptions", adapter.ready()).await;
        let listener = socketio::listen("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(Server::new(io.clone()).run_on(listener));
        ShardedNode {
            io,
            addr,
            adapter,
            server,
        }
    }
}

/// One of our servers with a `RedisStreamsAdapter`.
pub struct StreamsNode {
    pub io: SocketIo,
    pub addr: SocketAddr,
    pub adapter: RedisStreamsAdapter,
}

impl StreamsNode {
    pub async fn start(config: StreamsConfig) -> StreamsNode {
        Self::start_with(config, None).await
    }

    /// [`StreamsNode::start`] with connection state recovery on.
    pub async fn recovering(config: StreamsConfig) -> StreamsNode {
        Self::start_with(config, Some(socketio::ConnectionStateRecovery::default())).await
    }

    async fn start_with(config: StreamsConfig, recovery: Option<socketio::ConnectionStateRecovery>) -> StreamsNode {
        let adapter = RedisStreamsAdapter::new(config).await.expect("connects to Redis");
        let mut builder = SocketIo::builder(Member::default)
            .endpoint("/chat", Member::default)
            .flash_policy_port(None)
            .on_server_event("ping", |(text,): (String,)| async move { format!("pong {text}") })
            .adapter(adapter.clone());
        if let Some(recovery) = recovery {
            builder = builder.connection_state_recovery(recovery);
        }
        let io = builder.build();
        within("the subscriptions", adapter.ready()).await;
        let listener = socketio::listen("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(Server::new(io.clone()).run_on(listener));
        StreamsNode { io, addr, adapter }
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What a client received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Packet {
    Text(String),
    Binary(Vec<u8>),
    Closed,
}

/// A raw Engine.IO 4 / Socket.IO 5 client on the main namespace, over
/// websocket; answers pings by itself.
pub struct Client {
    ws: Ws,
    pub sid: String,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = within("the websocket", tokio_tungstenite::connect_async(url))
            .await
            .expect("connects");
        let mut client = Client { ws, sid: String::new() };
        let open = client.text().await;
        assert!(open.starts_with("0{"), "{open}");
        client.send("40").await;
        let connect = client.text().await;
        let body: Value = serde_json::from_str(connect.strip_prefix("40").expect("CONNECT")).expect("json");
        client.sid = body["sid"].as_str().expect("sid").to_owned();
        client
    }

    /// Connects to the namespace `nsp` (`/chat`) only; packets carry its
    /// `nsp,` prefix.
    pub async fn connect_to(addr: SocketAddr, nsp: &str) -> Client {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = within("the websocket", tokio_tungstenite::connect_async(url))
            .await
            .expect("connects");
        let mut client = Client { ws, sid: String::new() };
        let open = client.text().await;
        assert!(open.starts_with("0{"), "{open}");
        client.send(&format!("40{nsp},")).await;
        let connect = client.text().await;
        let body = connect.strip_prefix(&format!("40{nsp},")).expect("CONNECT");
        let body: Value = serde_json::from_str(body).expect("json");
        client.sid = body["sid"].as_str().expect("sid").to_owned();
        client
    }

    /// Connects and joins `rooms`.
    pub async fn in_rooms(addr: SocketAddr, rooms: &[&str]) -> Client {
        let mut client = Client::connect(addr).await;
        for (i, room) in rooms.iter().enumerate() {
            client.send(&format!("42{i}[\"join\",\"{room}\"]")).await;
            assert_eq!(client.text().await, format!("43{i}[]"));
        }
        client
    }

    pub async fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("sends");
    }

    /// Sends a binary frame (an attachment).
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::binary(bytes)).await.expect("sends");
    }

    /// The next packet; pings are answered on the way.
    pub async fn packet(&mut self) -> Packet {
        within("a packet", async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Text(text))) if text.as_str() == "2" => self.send("3").await,
                    Some(Ok(Message::Text(text))) => return Packet::Text(text.as_str().to_owned()),
                    Some(Ok(Message::Binary(bytes))) => return Packet::Binary(bytes.to_vec()),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Packet::Closed,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await
    }

    pub async fn text(&mut self) -> String {
        match self.packet().await {
            Packet::Text(text) => text,
            other => panic!("expected text, got {other:?}"),
        }
    }

    /// Texts up to and including the `marker` event.
    pub async fn until_marker(&mut self) -> Vec<String> {
        let mut got = Vec::new();
        loop {
            let text = self.text().await;
            let done = text.contains("\"marker\"");
            got.push(text);
            if done {
                return got;
            }
        }
    }
}
