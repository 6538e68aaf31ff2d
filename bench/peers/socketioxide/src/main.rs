//! Benchmark peer: socketioxide serving the bench workload on
//! 127.0.0.1:$PORT. See ../README.md for the contract.

use std::fmt;
use std::io::Write;
use std::sync::LazyLock;
use std::time::Duration;

use axum::serve::ListenerExt;
use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeTuple, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{AckSender, Data, SocketRef};
use socketioxide::{SocketIo, SocketIoBuilder};
use socketioxide_redis::drivers::redis::redis_client as redis;
use socketioxide_redis::{RedisAdapter, RedisAdapterCtr};

/// All the arguments of an event, however many.
///
/// socketioxide hands a handler the first argument only unless the target
/// type is tuple-like, and sends a value as several arguments only when it
/// serializes as a tuple: this type is a tuple of any length both ways, so
/// `emit('echo', 1, 'x', {a: 1}, cb)` is acked with all three, and an
/// argument that is itself an array stays one argument. `T`: each
/// argument parsed (`serde_json::Value`) or its JSON text passed through
/// unparsed (`Box<RawValue>`, as our server's `RawJson` does).
struct Args<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Args<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArgsVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ArgsVisitor<T> {
            type Value = Args<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the arguments of an event")
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Args<T>, S::Error> {
                let mut args = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(arg) = seq.next_element()? {
                    args.push(arg);
                }
                Ok(Args(args))
            }
        }
        deserializer.deserialize_tuple(usize::MAX, ArgsVisitor(std::marker::PhantomData))
    }
}

impl<T: Serialize> Serialize for Args<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for arg in &self.0 {
            tuple.serialize_element(arg)?;
        }
        tuple.end()
    }
}

/// ECHO_ARGS=raw: echo's arguments pass through as JSON text
/// (`Box<RawValue>`) instead of being parsed into `serde_json::Value`s.
static ECHO_RAW: LazyLock<bool> = LazyLock::new(|| std::env::var("ECHO_ARGS").is_ok_and(|v| v == "raw"));

fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    // socketioxide 0.18 takes async handlers only ("Handlers _must_ be
    // async"), and spawns a task for every call.
    if *ECHO_RAW {
        socket.on(
            "echo",
            async |Data(args): Data<Args<Box<RawValue>>>, ack: AckSender<A>| {
                let _ = ack.send(&args);
            },
        );
    } else {
        socket.on("echo", async |Data(args): Data<Args<Value>>, ack: AckSender<A>| {
            // Without an ack id, `send` does nothing.
            let _ = ack.send(&args);
        });
    }

    socket.on(
        "join",
        async |socket: SocketRef<A>, Data(room): Data<String>, ack: AckSender<A>| {
            socket.join(room);
            let _ = ack.send(&true);
        },
    );

    socket.on(
        "publish",
        async |socket: SocketRef<A>, Data((room, payload)): Data<(String, Value)>, ack: AckSender<A>| {
            // `within` takes every socket of the room, the sender included.
            let _ = socket.within(room).emit("news", &payload).await;
            let _ = ack.send(&true);
        },
    );
}

async fn with_redis(builder: SocketIoBuilder, url: &str) -> Result<axum::Router, Box<dyn std::error::Error>> {
    // The adapter's drivers speak RESP3 (Redis 7).
    let url = if url.contains("protocol=") {
        url.to_owned()
    } else {
        format!("{url}{}protocol=resp3", if url.contains('?') { '&' } else { '?' })
    };
    let client = redis::Client::open(url)?;
    let adapter = RedisAdapterCtr::new_with_redis(&client).await?;
    let (layer, io) = builder.with_adapter::<RedisAdapter<_>>(adapter).build_layer();
    io.ns("/", async |socket: SocketRef<RedisAdapter<_>>| on_connect(socket))
        .await?;
    Ok(axum::Router::new().layer(layer))
}

#[tokio::main]
async fn main() {
    let port: u16 = match std::env::var("PORT").ok().and_then(|p| p.parse().ok()) {
        Some(port) if port > 0 => port,
        _ => {
            eprintln!("PORT must be set to a TCP port number");
            std::process::exit(2);
        }
    };

    // PING_INTERVAL_MS: the idle scenario's short-heartbeat run.
    let ping_interval = std::env::var("PING_INTERVAL_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(25), Duration::from_millis);
    let builder = SocketIo::builder()
        // The socketioxide defaults, stated: ping 25 s / timeout 20 s.
        .ping_interval(ping_interval)
        .ping_timeout(Duration::from_secs(20))
        // Max HTTP buffer size 1 MB (socket.io 4's maxHttpBufferSize also
        // bounds websocket messages).
        .max_payload(1_000_000)
        .ws_max_message_size(1_000_000)
        .ws_max_frame_size(1_000_000);
    let app = match std::env::var("REDIS_URL") {
        // A cluster through Redis (bench/cluster.sh): socketioxide's own
        // adapter, with the `redis` crate driver as its documentation shows.
        Ok(url) => with_redis(builder, &url).await.unwrap_or_else(|e| {
            eprintln!("cannot use Redis at {url}: {e}");
            std::process::exit(1);
        }),
        Err(_) => {
            let (layer, io) = builder.build_layer();
            io.ns("/", async |socket: SocketRef| on_connect(socket));
            axum::Router::new().layer(layer)
        }
    };

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| {
            eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        })
        // As node's http server does.
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });

    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on 127.0.0.1:{port}");
        let _ = out.flush();
    }

    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("server error: {e}");
        std::process::exit(1);
    }
}
