//! Event dispatch micro-benchmarks: binding an event's arguments to the
//! parameters of a `#[socketio::handler]` method, and whole round trips
//! through a server on loopback.
//!
//! `Handler::on_event` needs a `&Ctx`, which only the runtime can make
//! (`Ctx::new` is crate-private), so the binding benchmarks run
//! [`dispatch`]: the body of the `on_event` that `#[socketio::handler]`
//! generates for [`Bench`], written out by hand with the same
//! `socketio::__private` calls in the same order. The round trips drive
//! the real generated code.
//!
//! ```sh
//! cargo bench -p socketio-bench --bench dispatch -- --quick
//! ```

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use socketio::__private::{Binder, reply_one, rest};
use socketio::codec::legacy;
use socketio::{DispatchError, Event, RawJson, Reply, Server, SocketIo};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The handler under test, one value per connection.
#[derive(Default)]
struct Bench;

#[socketio::handler]
impl Bench {
    /// `sum(1, 2)` or `sum({"a": 1, "b": 2})`; acks with the sum.
    #[event]
    fn sum(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    /// `greeting` may be missing.
    #[event]
    fn hello(&self, name: String, greeting: Option<String>) {
        black_box((name, greeting));
    }

    /// Acks with its arguments, untouched.
    #[event]
    fn echo(&self, #[rest] args: Vec<RawJson>) -> Reply {
        Reply::with_args(&args[..]).unwrap_or_default()
    }

    /// `echo` with keyword binding off: no probe of a lone object argument.
    #[event(positional)]
    fn echo_positional(&self, #[rest] args: Vec<RawJson>) -> Reply {
        self.echo(args)
    }
}

/// What the generated `on_event` of [`Bench`] runs, minus the `async`
/// wrapper and the `Ctx` nobody uses here (checked against the macro's
/// expansion: same calls, same order, same arguments).
fn dispatch(handler: &Bench, mut event: Event) -> Result<Reply, DispatchError> {
    let which: usize = match event.name.as_str() {
        "sum" => 0,
        "hello" => 1,
        "echo" => 2,
        "echo_positional" => 3,
        _ => usize::MAX,
    };
    match which {
        0 => {
            let binder = Binder::new(&event, &["a", "b"], false);
            let a = binder.required::<i64>(0, "a")?;
            let b = binder.required::<i64>(1, "b")?;
            binder.finish(2)?;
            reply_one::<i64>("sum", &handler.sum(a, b))
        }
        1 => {
            let binder = Binder::new(&event, &["name", "greeting"], false);
            let name = binder.required::<String>(0, "name")?;
            let greeting = binder.optional::<String>(1, "greeting")?;
            binder.finish(2)?;
            let () = handler.hello(name, greeting);
            Ok(Reply::empty())
        }
        2 => {
            let binder = Binder::new(&event, &["args"], false);
            let keyword = binder.is_keyword();
            let args = rest::<RawJson>(&mut event, keyword, 0, "args")?;
            Ok(handler.echo(args))
        }
        3 => {
            let binder = Binder::new(&event, &["args"], true);
            let keyword = binder.is_keyword();
            let args = rest::<RawJson>(&mut event, keyword, 0, "args")?;
            Ok(handler.echo_positional(args))
        }
        _ => Err(DispatchError::UnknownEvent(event.name.clone())),
    }
}

fn raw(json: &str) -> RawJson {
    RawJson::from_string(json.to_owned()).expect("valid JSON")
}

fn event(name: &str, args: &[&str]) -> Event {
    Event::new(name, args.iter().map(|a| raw(a)).collect())
}

/// About 1 KB of arguments: a chat message as one object.
fn chat_args() -> String {
    let text = "The deploy went out at 09:40 and the p99 latency on the polling endpoints dropped \
                from 180 ms to about 95 ms; the reconnect storm after the load balancer recycled \
                is still open. ";
    serde_json::to_string(&json!({
        "id": "msg_01HV8Z3K6Q9W2X7Y4T5R1N0M8P",
        "room": "general",
        "user": {"id": 48213, "name": "Zoë Martín", "roles": ["member", "moderator"]},
        "text": text.repeat(4),
        "mentions": [{"id": 1021, "name": "ann"}, {"id": 3307, "name": "bob"}],
        "ts": 1_718_000_000_123_u64,
        "reactions": {"👍": 3, "🎉": 1}
    }))
    .expect("serializes")
}

fn binding(c: &mut Criterion) {
    let handler = Bench;
    let chat = chat_args();
    let small = [r#"1"#, r#""x""#, r#"{"a":[1,2,3]}"#];
    let cases = [
        ("bind_positional_sum", ("sum", vec!["1", "2"]), Some("[3]".to_owned())),
        (
            "bind_keyword_sum",
            ("sum", vec![r#"{"a":1,"b":2}"#]),
            Some("[3]".to_owned()),
        ),
        ("bind_optional_hello", ("hello", vec![r#""ann""#]), None),
        (
            "rest_echo",
            ("echo", small.to_vec()),
            Some(format!("[{}]", small.join(","))),
        ),
        ("rest_echo_1k", ("echo", vec![chat.as_str()]), Some(format!("[{chat}]"))),
        (
            "rest_echo_1k_positional",
            ("echo_positional", vec![chat.as_str()]),
            Some(format!("[{chat}]")),
        ),
    ];
    let mut group = c.benchmark_group("dispatch");
    for (name, (event_name, args), expected) in &cases {
        let reply = dispatch(&handler, event(event_name, args)).expect("dispatches");
        assert_eq!(reply.args_json(), expected.as_deref(), "{name}");
        let bytes: usize = args.iter().map(|a| a.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        // The handler owns its event (a `#[rest]` takes the arguments out
        // of it), so each call gets a fresh one, built outside the timing.
        group.bench_function(*name, |b| {
            b.iter_batched(
                || event(event_name, args),
                |event| dispatch(&handler, black_box(event)),
                BatchSize::SmallInput,
            )
        });
    }

    // The ack of `sum`, alone: how much of the binding benchmarks is the
    // reply's serialization.
    group.throughput(Throughput::Elements(1));
    group.bench_function("reply_one_i64", |b| b.iter(|| reply_one::<i64>("sum", black_box(&3))));

    // Everything a legacy event costs the CPU but the I/O: decode the packet,
    // bind and call, encode the ack.
    let packet = r#"5:1+::{"name":"sum","args":[1,2]}"#;
    let pipeline = |packet: &str| {
        let legacy::Packet::Event { id, name, args, .. } = legacy::Packet::decode(packet).expect("valid event") else {
            unreachable!("an event packet")
        };
        let reply = dispatch(&handler, Event::new(name, args)).expect("dispatches");
        legacy::encode_ack("", id.map_or(0, |id| id.id), reply.args_json())
    };
    assert_eq!(pipeline(packet), "6:::1+[3]");
    group.throughput(Throughput::Bytes(packet.len() as u64));
    group.bench_function("legacy_decode_dispatch_encode", |b| {
        b.iter(|| pipeline(black_box(packet)));
    });
    group.finish();
}

/// A minimal HTTP/1.1 client on one keep-alive connection (the responses
/// of the service have a `Content-Length`).
struct HttpClient {
    stream: BufReader<TcpStream>,
    host: String,
    request: Vec<u8>,
    line: String,
}

impl HttpClient {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream: BufReader::new(stream),
            host: addr.to_string(),
            request: Vec::new(),
            line: String::new(),
        }
    }

    /// Sends one request and returns the status and the body.
    async fn request(&mut self, method: &str, path: &str, body: &str) -> (u16, String) {
        self.request.clear();
        self.request.extend_from_slice(
            format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain;charset=UTF-8\r\n\
                 Content-Length: {}\r\n\r\n",
                self.host,
                body.len()
            )
            .as_bytes(),
        );
        self.request.extend_from_slice(body.as_bytes());
        self.stream
            .get_mut()
            .write_all(&self.request)
            .await
            .expect("write request");

        self.line.clear();
        self.stream.read_line(&mut self.line).await.expect("status line");
        let status = self
            .line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("status code");
        let mut length = 0;
        loop {
            self.line.clear();
            self.stream.read_line(&mut self.line).await.expect("header line");
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("header");
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().expect("content length");
            }
            assert!(
                !name.eq_ignore_ascii_case("transfer-encoding"),
                "chunked responses are not supported"
            );
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await.expect("body");
        (status, String::from_utf8(body).expect("UTF-8 body"))
    }
}

/// A server for [`Bench`] on a loopback port, running on `runtime` (whose
/// tasks progress while a benchmark iteration blocks on it).
fn start_server(runtime: &Runtime) -> SocketAddr {
    runtime.block_on(async {
        let io = SocketIo::builder(Bench::default).flash_policy_port(None).build();
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = Server::new(io).with_graceful_shutdown(std::future::pending());
        tokio::spawn(server.run_on(listener));
        addr
    })
}

/// Handshakes on `client`; returns the session id.
async fn handshake(client: &mut HttpClient) -> String {
    let (status, body) = client.request("GET", "/socket.io/1/", "").await;
    assert_eq!(status, 200, "handshake: {body}");
    body.split(':').next().expect("session id").to_owned()
}

/// Whether a packet is one the round trips may skip.
fn is_filler(packet: &str) -> bool {
    matches!(packet, "2::" | "8::")
}

fn sum_event(id: u64) -> (String, String) {
    (
        format!(r#"5:{id}+::{{"name":"sum","args":[1,2]}}"#),
        format!("6:::{id}+[3]"),
    )
}

/// POSTs `sum(1, 2)` with ack id `id` and polls until its ack arrives.
async fn xhr_roundtrip(client: &mut HttpClient, path: &str, id: u64) {
    let (event, ack) = sum_event(id);
    let (status, body) = client.request("POST", path, &event).await;
    assert_eq!((status, body.as_str()), (200, "1"));
    loop {
        let (status, body) = client.request("GET", path, "").await;
        assert_eq!(status, 200, "poll: {body}");
        let packets = legacy::decode_payload(&body, usize::MAX).expect("valid payload");
        if packets.contains(&ack.as_str()) {
            return;
        }
        assert!(packets.iter().all(|p| is_filler(p)), "unexpected poll answer {body}");
    }
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

/// Sends `sum(1, 2)` with ack id `id` and reads until its ack arrives.
async fn ws_roundtrip(socket: &mut Ws, id: u64) {
    let (event, ack) = sum_event(id);
    socket.send(Message::Text(event.into())).await.expect("send");
    loop {
        match socket.next().await.expect("open socket").expect("frame") {
            Message::Text(text) if text.as_str() == ack => return,
            Message::Text(text) => assert!(is_filler(text.as_str()), "unexpected frame {}", text.as_str()),
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

fn roundtrips(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let addr = start_server(&runtime);
    let mut group = c.benchmark_group("dispatch");

    // xhr-polling: one session on one keep-alive connection; each iteration
    // is a POST of the event and a GET of its ack.
    let (mut client, path) = runtime.block_on(async {
        let mut client = HttpClient::connect(addr).await;
        let sid = handshake(&mut client).await;
        let path = format!("/socket.io/1/xhr-polling/{sid}");
        let (status, body) = client.request("GET", &path, "").await;
        assert_eq!((status, body.as_str()), (200, "1::"), "connect");
        (client, path)
    });
    let mut id = 0;
    group.bench_function("xhr_roundtrip", |b| {
        b.iter(|| {
            id += 1;
            runtime.block_on(xhr_roundtrip(&mut client, &path, id));
        });
    });

    // websocket: one session; each iteration is one event frame out and its
    // ack frame back.
    let mut socket = runtime.block_on(async {
        let sid = handshake(&mut HttpClient::connect(addr).await).await;
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let url = format!("ws://{addr}/socket.io/1/websocket/{sid}");
        // tungstenite zeroes its whole read buffer (128 KiB by default) on
        // reads: the server's 4 KiB keeps the client's share of the time small.
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (mut socket, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(config))
            .await
            .expect("websocket handshake");
        let connect = socket.next().await.expect("open socket").expect("frame");
        assert_eq!(connect, Message::Text("1::".into()));
        socket
    });
    let mut id = 0;
    group.bench_function("ws_roundtrip", |b| {
        b.iter(|| {
            id += 1;
            runtime.block_on(ws_roundtrip(&mut socket, id));
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(50);
    targets = binding, roundtrips
}
criterion_main!(benches);
