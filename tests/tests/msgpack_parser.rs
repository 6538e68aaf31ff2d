//! The MessagePack parser (`Settings::parser = Parser::Msgpack`): the real
//! `socket.io-client@4` with `socket.io-msgpack-parser@3` in node against
//! handlers written with `#[socketio::handler]`, over polling, websocket and
//! polling upgraded to websocket: typed binding (positional and keyword),
//! acks both ways, bytes inline, a namespace with auth, refusals, rooms and
//! broadcasts (shared with a 0.9 client and a socket.io 2 client, which
//! keep their own encodings), a burst of emits in order, broadcasts from
//! another server of a Redis cluster. Then raw probes: what the parser
//! refuses closes that session only.

mod common;

use std::net::SocketAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketio::bytes::Bytes;
use socketio::codec::socketio::{Packet, msgpack};
use socketio::{AckError, ConnectionInfo, Ctx, Parser, RawJson, Reply, Server, SocketIo};
use tokio_tungstenite::tungstenite::Message;

use common::engineio::{
    Ws, handshake, next_binary, next_message, path, send_binary, send_text, until_closed, websocket,
};
use common::http::{get, post};
use socketio_tests::NodeClient;

const TRANSPORTS: [&str; 3] = ["polling", "websocket", "upgrade"];

/// One set of node clients at a time: several sets in parallel on a loaded
/// machine (two cores shared) can outlast the driver's failsafe.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[socketio::emits]
trait Says {
    fn thanks(who: &Name);
    fn room_msg(room: &str, data: &RawJson);
    fn welcome(auth: &RawJson);
    fn n(i: u64);
}

#[derive(Serialize, Deserialize)]
struct Name {
    name: String,
}

#[derive(Serialize, Deserialize)]
struct Upload {
    name: String,
    data: Bytes,
}

#[derive(Default)]
struct App;

#[socketio::handler(endpoints("/chat" => App, "/reject" => Refuse))]
impl App {
    fn on_open(&mut self, cx: &Ctx, info: &ConnectionInfo) -> bool {
        if let (false, Some(auth)) = (cx.endpoint().is_empty(), info.auth()) {
            cx.emit_welcome(auth);
        }
        true
    }

    #[event]
    fn sum(&self, a: i64, b: i64, c: Option<i64>) -> i64 {
        a + b + c.unwrap_or(0)
    }

    #[event]
    fn hello(&self, cx: &Ctx, name: String) {
        cx.emit_thanks(&Name { name });
    }

    #[event]
    fn echo(&self, cx: &Ctx, #[rest] args: Vec<RawJson>) -> Reply {
        cx.emit("echo", &args[..]);
        Reply::with_args(&args[..]).unwrap_or_default()
    }

    /// Bytes bound into a struct, and bytes back in the ack and an event.
    #[event]
    fn upload(&self, cx: &Ctx, upload: Upload) -> Upload {
        cx.emit("uploaded", (upload.data.clone(), upload.data.len()));
        Upload {
            name: upload.name,
            data: upload.data.iter().rev().copied().collect(),
        }
    }

    #[event]
    async fn ask(&self, cx: &Ctx) -> Result<(), AckError> {
        let answer = cx
            .emit_with_ack("question", ("how?", Bytes::from_static(b"\x01\x02")))
            .await?;
        cx.emit("answer", &answer.args[..]);
        Ok(())
    }

    #[event]
    fn join(&self, cx: &Ctx, room: String) {
        cx.join(&room);
    }

    #[event]
    fn to_room(&self, cx: &Ctx, room: String, data: RawJson) {
        cx.to(room.as_str()).emit_room_msg(&room, &data);
    }

    #[event]
    fn count_to(&self, cx: &Ctx, n: u64) {
        for i in 0..n {
            cx.emit_n(i);
        }
    }
}

#[derive(Default)]
struct Refuse;

#[socketio::handler]
impl Refuse {
    fn on_open(&mut self) -> bool {
        false
    }
}

struct TestServer {
    addr: SocketAddr,
    _task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn start() -> TestServer {
    let io = SocketIo::builder(App::default)
        .parser(Parser::Msgpack)
        .flash_policy_port(None)
        .build();
    let listener = socketio::listen("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(Server::new(io).run_on(listener));
    TestServer { addr, _task: task }
}

async fn connect(url: &str, transport: &str) -> NodeClient {
    let mut c = NodeClient::connect_modern(url, 4, transport, json!({"parser": "msgpack"})).await;
    c.expect_connect("").await;
    if transport == "upgrade" {
        let upgrade = c.expect("the upgrade", |r| r["ev"] == "upgrade").await;
        assert_eq!(upgrade["transport"], "websocket");
    }
    c
}

async fn scenario(url: String, transport: &'static str) {
    let who = format!("msgpack over {transport}");
    let mut c = connect(&url, transport).await;

    // Typed binding, positional and by keyword; the return value acks.
    assert_eq!(
        c.emit_ack("", "sum", vec![json!(2), json!(40)]).await,
        [json!(42)],
        "{who}"
    );
    assert_eq!(
        c.emit_ack("", "sum", vec![json!({"a": 1, "b": 2, "c": 3})]).await,
        [json!(6)],
        "{who}"
    );
    c.emit("", "hello", vec![json!({"name": "ann"})]).await;
    assert_eq!(c.expect_event("", "thanks").await, [json!({"name": "ann"})], "{who}");
    assert_eq!(
        c.emit_with_ack_promise("", "sum", vec![json!(5), json!(5)]).await,
        json!(10)
    );

    // Values as they were, as an event and as the ack.
    let data = vec![
        json!({"z": 1, "a": [1.5, "\u{2028}", "😀", -7, 5_000_000_000u64]}),
        json!("x"),
        json!(null),
        json!(true),
    ];
    assert_eq!(c.emit_ack("", "echo", data.clone()).await, data, "{who}");
    assert_eq!(c.expect_event("", "echo").await, data, "{who}");

    // Bytes inline, bound into a struct, at the top level and nested; 200 kB.
    let acked = c
        .emit_ack(
            "",
            "upload",
            vec![json!({"name": "b", "data": {"$bytes": "00010203ff"}})],
        )
        .await;
    assert_eq!(acked, [json!({"name": "b", "data": {"$bytes": "ff03020100"}})], "{who}");
    assert_eq!(
        c.expect_event("", "uploaded").await,
        [json!({"$bytes": "00010203ff"}), json!(5)],
        "{who}"
    );
    let mixed = vec![
        json!({"$bytes": "ff00"}),
        json!({"n": [1, {"$bytes": "01"}], "k": "v"}),
        json!({"$bytes": "ab".repeat(200_000)}),
    ];
    assert_eq!(c.emit_ack("", "echo", mixed.clone()).await, mixed, "{who}");
    assert_eq!(c.expect_event("", "echo").await, mixed, "{who}");

    // The server asks (with bytes), the client's callback answers (with bytes).
    c.reply_to("question", vec![json!("because"), json!({"$bytes": "0a0b"})])
        .await;
    c.emit("", "ask", vec![]).await;
    let question = c
        .expect("the question", |r| r["ev"] == "event" && r["name"] == "question")
        .await;
    assert_eq!(question["args"], json!(["how?", {"$bytes": "0102"}]), "{who}");
    assert_eq!(
        c.expect_event("", "answer").await,
        [json!("because"), json!({"$bytes": "0a0b"})],
        "{who}"
    );

    // A namespace with its auth; refusals by the open hook and for an unknown one.
    c.of_with_auth("/chat", json!({"token": "abc", "bin": {"$bytes": "07"}}))
        .await;
    c.expect_connect("/chat").await;
    assert_eq!(
        c.expect_event("/chat", "welcome").await,
        [json!({"token": "abc", "bin": {"$bytes": "07"}})],
        "{who}"
    );
    assert_eq!(c.emit_ack("/chat", "sum", vec![json!(1), json!(1)]).await, [json!(2)]);
    c.of("/reject").await;
    assert_eq!(
        c.expect_connect_error("/reject").await["message"],
        "Not authorized",
        "{who}"
    );
    c.of("/nope").await;
    assert_eq!(
        c.expect_connect_error("/nope").await["message"],
        "Invalid namespace",
        "{who}"
    );
    c.disconnect("/chat").await;
    c.expect_disconnect("/chat").await;

    // A burst: three hundred emits each way, all there, in order.
    for i in 0..300 {
        c.emit("", "echo", vec![json!(i)]).await;
    }
    for i in 0..300 {
        assert_eq!(c.expect_event("", "echo").await, [json!(i)], "{who}");
    }
    c.emit("", "count_to", vec![json!(300)]).await;
    for i in 0..300 {
        assert_eq!(c.expect_event("", "n").await, [json!(i)], "{who}");
    }
    // An unknown event is not acked; the connection goes on.
    assert_eq!(c.emit_ack_timeout("", "no_such_event", vec![], 200).await, Err(()));
    assert_eq!(c.emit_ack("", "sum", vec![json!(1), json!(2)]).await, [json!(3)]);
    assert!(!c.seen(|r| r["ev"] == "disconnect" && r["ns"] == ""), "{who}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_io_client_4_with_socket_io_msgpack_parser_passes_the_scenarios_over_every_transport() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = start().await;
    let scenarios = TRANSPORTS.map(|transport| tokio::spawn(scenario(server.url(), transport)));
    for scenario in join_all(scenarios).await {
        scenario.expect("scenario");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broadcast_reaches_msgpack_json_and_legacy_members_of_one_room() {
    let _one = ONE_AT_A_TIME.lock().await;
    let server = start().await;
    let url = server.url();
    // Three msgpack clients (one per transport), a socket.io 2 client (JSON:
    // its parser is not changed) and a 0.9 client, in one room.
    let mut clients = Vec::new();
    for transport in TRANSPORTS {
        clients.push(connect(&url, transport).await);
    }
    let mut v2 = NodeClient::connect_modern(&url, 2, "websocket", json!({})).await;
    v2.expect_connect("").await;
    clients.push(v2);
    let mut legacy = NodeClient::connect(&url, "websocket", None).await;
    legacy.expect_connect("").await;
    clients.push(legacy);
    for client in clients.iter_mut() {
        client.emit("", "join", vec![json!("mixed")]).await;
        // An ack after the join proves the join was handled.
        assert_eq!(client.emit_ack("", "sum", vec![json!(0), json!(0)]).await, [json!(0)]);
    }
    for sender in 0..clients.len() {
        let data = json!({"from": sender, "list": [1, 2.5, "three"]});
        clients[sender]
            .emit("", "to_room", vec![json!("mixed"), data.clone()])
            .await;
        for client in clients.iter_mut() {
            assert_eq!(
                client.expect_event("", "room_msg").await,
                [json!("mixed"), data.clone()],
                "sent by client {sender}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_broadcasts_through_redis_reach_msgpack_clients_of_the_other_server() {
    let _one = ONE_AT_A_TIME.lock().await;
    let redis = socketio_tests::RedisServer::start().await;
    let url = redis.url();
    let env = |name| [("REDIS_URL", url.as_str()), ("NODE_NAME", name), ("PARSER", "msgpack")];
    let a = common::example::start_with(&env("a")).await;
    let b = common::example::start_with(&env("b")).await;
    let mut on_a = connect(&a.url, "websocket").await;
    let mut on_b = connect(&b.url, "polling").await;
    let mut legacy_on_b = NodeClient::connect(&b.url, "websocket", None).await;
    legacy_on_b.expect_connect("").await;
    assert_eq!(on_a.emit_ack("", "cluster_count", vec![]).await, [json!(2)]);
    // A broadcast from b arrives on a as the same BroadcastPacket, and a
    // encodes it for its msgpack client, bytes inline.
    let data = json!({"k": [1, 2.5, "three"], "bin": {"$bytes": "0102ff"}});
    on_b.emit("", "broadcast", vec![data.clone()]).await;
    assert_eq!(on_a.expect_event("", "broadcast").await, std::slice::from_ref(&data));
    assert_eq!(on_b.expect_event("", "broadcast").await, [data]);
    // The 0.9 client on b gets the same broadcast with its bytes as base64.
    assert_eq!(
        legacy_on_b.expect_event("", "broadcast").await,
        [json!({"k": [1, 2.5, "three"], "bin": "AQL/"})]
    );
    // Rooms across servers.
    on_a.emit_ack("", "join", vec![json!("r")]).await;
    on_b.emit("", "to_room", vec![json!("r"), json!({"$bytes": "07"})])
        .await;
    assert_eq!(
        on_a.expect_event("", "room_msg").await,
        [json!("r"), json!({"$bytes": "07"})]
    );
}

/// A msgpack packet as notepack.io writes it: `{type, data, nsp[, id]}`.
fn packet(kind: u8, data: &[u8], nsp: &str, id: Option<u8>) -> Vec<u8> {
    let mut out = vec![0x83 + u8::from(id.is_some()), 0xa4];
    out.extend_from_slice(b"type");
    out.push(kind);
    out.push(0xa4);
    out.extend_from_slice(b"data");
    out.extend_from_slice(data);
    out.push(0xa3);
    out.extend_from_slice(b"nsp");
    out.push(0xa0 | nsp.len() as u8);
    out.extend_from_slice(nsp.as_bytes());
    if let Some(id) = id {
        out.extend_from_slice(&[0xa2, b'i', b'd', id]);
    }
    out
}

fn decode(data: Vec<u8>) -> (Packet, Vec<Bytes>) {
    msgpack::decode(&Bytes::from(data)).expect("a msgpack packet")
}

/// A websocket on `/socket.io/` with `/` connected.
async fn connected(addr: SocketAddr) -> Ws {
    let mut ws = websocket(addr, "/socket.io", None).await;
    assert!(matches!(next_message(&mut ws).await, Some(Message::Text(open)) if open.starts_with("0{")));
    send_binary(&mut ws, &packet(0, &[0x80], "/", None)).await;
    let (reply, _) = decode(next_binary(&mut ws).await);
    let Packet::Connect { namespace, auth } = reply else {
        panic!("a CONNECT reply: {reply:?}")
    };
    assert_eq!(namespace, "/");
    let auth: Value = auth.expect("the sid").deserialize().expect("JSON");
    assert!(
        auth["sid"].is_string() && auth.as_object().expect("a map").len() == 1,
        "{auth}"
    );
    ws
}

#[tokio::test]
async fn raw_packets_travel_as_one_binary_message_each_and_bytes_stay_inline() {
    let server = start().await;
    let addr = server.addr;
    let mut ws = connected(addr).await;
    // ["echo", bin 01 02 03, 7] with ack id 5: one frame each way, no attachments.
    let data = [0x93, 0xa4, b'e', b'c', b'h', b'o', 0xc4, 0x03, 1, 2, 3, 0x07];
    send_binary(&mut ws, &packet(2, &data, "/", Some(5))).await;
    let event = next_binary(&mut ws).await;
    // The server writes what notepack.io writes for the same packet.
    assert_eq!(event, packet(2, &data, "/", None));
    let ack = next_binary(&mut ws).await;
    assert_eq!(ack, packet(3, &[0x92, 0xc4, 0x03, 1, 2, 3, 0x07], "/", Some(5)));

    // Over polling: the same packets as `b<base64>`.
    let (sid, _) = handshake(addr, "/socket.io").await;
    let at = path("/socket.io", Some(&sid));
    let b64 = |bytes: &[u8]| format!("b{}", BASE64.encode(bytes));
    assert_eq!(post(addr, &at, &b64(&packet(0, &[0x80], "/", None))).await.text(), "ok");
    let body = get(addr, &at).await.text();
    let reply = body.strip_prefix('b').expect("a binary packet");
    let (reply, _) = decode(BASE64.decode(reply).expect("base64"));
    assert!(matches!(reply, Packet::Connect { .. }), "{reply:?}");
    let sum = [0x93, 0xa3, b's', b'u', b'm', 0x02, 0x03];
    assert_eq!(post(addr, &at, &b64(&packet(2, &sum, "/", Some(9)))).await.text(), "ok");
    assert_eq!(
        get(addr, &at).await.text(),
        b64(&packet(3, &[0x91, 0x05], "/", Some(9)))
    );
}

#[tokio::test]
async fn malformed_packets_close_that_session_only() {
    let server = start().await;
    let addr = server.addr;
    let mut bystander = connected(addr).await;
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("not msgpack", vec![0xc1]),
        ("not a map", vec![0x92, 0x02, 0xa1, b'/']),
        ("truncated", {
            let mut cut = packet(2, &[0x91, 0xa1, b'x'], "/", None);
            cut.pop();
            cut
        }),
        ("type 5", packet(5, &[0x91, 0xa1, b'x'], "/", None)),
        ("data not an array", packet(2, &[0x80], "/", None)),
        ("an event without a name", packet(2, &[0x91, 0x01], "/", None)),
        ("an ack without an id", packet(3, &[0x90], "/", None)),
        ("a namespace without /", packet(2, &[0x91, 0xa1, b'x'], "x", None)),
        (
            "a count past the end",
            packet(2, &[0xdd, 0x7f, 0xff, 0xff, 0xff], "/", None),
        ),
        ("a bad string", packet(2, &[0x91, 0xa1, 0xff], "/", None)),
    ];
    for (what, data) in bad {
        // Before and after CONNECT.
        for connect_first in [false, true] {
            let mut ws = if connect_first {
                connected(addr).await
            } else {
                let mut ws = websocket(addr, "/socket.io", None).await;
                next_message(&mut ws).await;
                ws
            };
            send_binary(&mut ws, &data).await;
            let seen = until_closed(&mut ws).await;
            assert!(
                !seen.iter().any(|m| matches!(m, Message::Binary(_))),
                "{what}: nothing answered before the close: {seen:?}"
            );
        }
    }
    // A JSON text packet under the msgpack parser is refused the same way.
    let mut ws = websocket(addr, "/socket.io", None).await;
    next_message(&mut ws).await;
    send_text(&mut ws, "40").await;
    until_closed(&mut ws).await;

    // The bystander's session never noticed.
    let sum = [0x93, 0xa3, b's', b'u', b'm', 0x02, 0x03];
    send_binary(&mut bystander, &packet(2, &sum, "/", Some(1))).await;
    assert_eq!(
        next_binary(&mut bystander).await,
        packet(3, &[0x91, 0x05], "/", Some(1))
    );
}
