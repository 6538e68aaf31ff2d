//! Today's clients against the same handlers: the real `socket.io-client@4`
//! (Engine.IO 4, Socket.IO 5) and `socket.io-client@2` (Engine.IO 3,
//! Socket.IO 4) in node, over polling, websocket and polling upgraded to
//! websocket, all against one running `conformance` example, next to a
//! legacy 0.9.16 client.

mod common;

use futures_util::future::join_all;
use serde_json::{Value, json};
use socketio_tests::NodeClient;

const GENERATIONS: [u8; 2] = [4, 2];
const TRANSPORTS: [&str; 3] = ["polling", "websocket", "upgrade"];

/// Where a client runs: node, or the browser build in headless Chromium.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runtime {
    Node,
    Chromium,
}

/// Connects the main namespace; an upgrading client must end on websocket.
async fn connect(url: &str, version: u8, transport: &str, options: Value) -> NodeClient {
    connect_in(Runtime::Node, url, version, transport, options).await
}

async fn connect_in(runtime: Runtime, url: &str, version: u8, transport: &str, options: Value) -> NodeClient {
    let mut client = match runtime {
        Runtime::Node => NodeClient::connect_modern(url, version, transport, options).await,
        Runtime::Chromium => NodeClient::connect_modern_in_browser(url, transport, options).await,
    };
    client.expect_connect("").await;
    if transport == "upgrade" {
        let upgrade = client
            .expect("the upgrade to websocket", |r| r["ev"] == "upgrade")
            .await;
        assert_eq!(upgrade["transport"], "websocket");
    }
    client
}

/// Everything one client does on its own: binding shapes, acks both ways,
/// namespaces with their auth, refusals.
async fn core_scenario(runtime: Runtime, url: String, version: u8, transport: &'static str) {
    let who = format!("socket.io-client@{version} ({runtime:?}) over {transport}");
    let mut c = connect_in(runtime, &url, version, transport, json!({})).await;

    // Positional and keyword-style binding; the handler's value acks.
    assert_eq!(
        c.emit_ack("", "sum", vec![json!(2), json!(40)]).await,
        [json!(42)],
        "{who}"
    );
    assert_eq!(
        c.emit_ack("", "sum", vec![json!({"a": 1, "b": 2})]).await,
        [json!(3)],
        "{who}"
    );
    c.emit("", "hello", vec![json!({"name": "ann"})]).await;
    assert_eq!(c.expect_event("", "thanks").await, [json!({"name": "ann"})], "{who}");
    assert_eq!(
        c.expect_event("", "hello").await,
        [json!("ann"), json!("foobar")],
        "{who}"
    );

    // Exact JSON back, as an event and as the ack.
    let data = vec![json!({"z": 1, "a": [1.5, "\u{2028}", "😀"]}), json!("x"), json!(null)];
    assert_eq!(c.emit_ack("", "echo", data.clone()).await, data, "{who}");
    assert_eq!(c.expect_event("", "echo").await, data, "{who}");

    // Bytes both ways, nested in structs and at the top level, echoed as
    // raw JSON with their attachments.
    let blob = json!({"name": "b", "data": {"$bytes": "00010203ff"}});
    let acked = c.emit_ack("", "blob", vec![blob]).await;
    assert_eq!(acked, [json!({"name": "b", "data": {"$bytes": "ff03020100"}})], "{who}");
    assert_eq!(
        c.expect_event("", "blob").await,
        [json!({"$bytes": "00010203ff"})],
        "{who}"
    );
    let mixed = vec![
        json!({"$bytes": "ff00"}),
        json!({"n": [1, {"$bytes": "01"}], "k": "v"}),
        json!(7),
    ];
    assert_eq!(c.emit_ack("", "echo", mixed.clone()).await, mixed, "{who}");
    assert_eq!(c.expect_event("", "echo").await, mixed, "{who}");
    let large = json!({"$bytes": "ab".repeat(200_000)});
    assert_eq!(
        c.emit_ack("", "echo", vec![large.clone()]).await,
        [large],
        "{who}: 200 kB"
    );

    // The server asks, the client's callback answers.
    c.reply_to("question", vec![json!("because")]).await;
    c.emit("", "ask", vec![]).await;
    assert_eq!(c.expect_event("", "answer").await, [json!("because")], "{who}");

    // A namespace with its auth payload (socket.io-client 2 has no auth:
    // its namespace query plays that part, as the legacy endpoint query does).
    match version {
        4 => c.of_with_auth("/chat", json!({"room": "x"})).await,
        _ => {
            c.command(json!({"op": "of", "ns": "/chat", "query": {"room": "x"}}))
                .await;
        }
    }
    c.expect_connect("/chat").await;
    // `send` in a handler is a `message` event for modern clients.
    assert_eq!(
        c.expect_event("/chat", "message").await,
        [json!("welcome /chat")],
        "{who}"
    );
    let me = c.emit_ack("/chat", "whoami", vec![]).await;
    assert_eq!(me[0]["endpoint"], "/chat", "{who}");
    assert_eq!(me[0]["query"], json!({"room": "x"}), "{who}");

    // Refusals: by the open hook, and an unknown namespace.
    c.of("/reject").await;
    let refused = c.expect_connect_error("/reject").await;
    assert_eq!(refused["message"], "Not authorized", "{who}");
    c.of("/nope").await;
    let unknown = c.expect_connect_error("/nope").await;
    assert_eq!(unknown["message"], "Invalid namespace", "{who}");

    // Leaving a namespace leaves the others working.
    c.disconnect("/chat").await;
    c.expect_disconnect("/chat").await;
    assert_eq!(
        c.emit_ack("", "sum", vec![json!(1), json!(1)]).await,
        [json!(2)],
        "{who}"
    );

    if version == 4 {
        // An unknown event is not acked: the client's own timeout fires.
        assert_eq!(
            c.emit_ack_timeout("", "no_such_event", vec![], 200).await,
            Err(()),
            "{who}"
        );
        assert_eq!(
            c.emit_ack_timeout("", "sum", vec![json!(1), json!(2)], 5000).await,
            Ok(vec![json!(3)])
        );
        assert_eq!(
            c.emit_with_ack_promise("", "sum", vec![json!(5), json!(5)]).await,
            json!(10)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_client_generations_pass_their_scenarios_against_one_server() {
    let server = common::example::start().await;
    let scenarios = GENERATIONS
        .iter()
        .flat_map(|&version| TRANSPORTS.iter().map(move |&transport| (version, transport)))
        .map(|(version, transport)| tokio::spawn(core_scenario(Runtime::Node, server.url.clone(), version, transport)));
    for scenario in join_all(scenarios).await {
        scenario.expect("scenario");
    }

    // One room, three client generations: whoever sends, everyone gets it.
    let mut legacy = NodeClient::connect(&server.url, "websocket", None).await;
    legacy.expect_connect("").await;
    let v4 = connect(&server.url, 4, "websocket", json!({})).await;
    let v2 = connect(&server.url, 2, "polling", json!({})).await;
    let mut clients = [legacy, v4, v2];
    for client in clients.iter_mut() {
        client.emit("", "join", vec![json!("mixed")]).await;
        // An ack after the join proves the join was handled.
        assert_eq!(client.emit_ack("", "sum", vec![json!(0), json!(0)]).await, [json!(0)]);
    }
    for (sender, data) in [json!({"from": "legacy"}), json!({"from": "v4"}), json!({"from": "v2"})]
        .into_iter()
        .enumerate()
    {
        clients[sender]
            .emit("", "to_room", vec![json!("mixed"), data.clone()])
            .await;
        for client in clients.iter_mut() {
            assert_eq!(
                client.expect_event("", "room_msg").await,
                [json!("mixed"), data.clone()]
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_io_client_4_in_chromium_passes_the_same_scenario() {
    let server = common::example::start().await;
    for transport in TRANSPORTS {
        core_scenario(Runtime::Chromium, server.url.clone(), 4, transport).await;
    }
}

#[tokio::test]
async fn a_dropped_connection_reconnects() {
    let server = common::example::start().await;
    for (version, transport) in [(4, "websocket"), (4, "polling"), (2, "websocket")] {
        let mut c = connect(&server.url, version, transport, json!({"reconnection": true})).await;
        c.command(json!({"op": "drop"})).await;
        c.expect_disconnect("").await;
        c.expect("reconnect", |r| r["ev"] == "reconnect").await;
        c.expect_connect("").await;
        assert_eq!(
            c.emit_ack("", "sum", vec![json!(20), json!(22)]).await,
            [json!(42)],
            "{version} {transport}"
        );
    }
}

#[tokio::test]
async fn the_open_hook_refuses_the_main_namespace_with_connect_error() {
    let server = common::example::start().await;
    for version in GENERATIONS {
        for transport in ["polling", "websocket"] {
            let options = json!({"query": {"reject": "1"}});
            let mut c = NodeClient::connect_modern(&server.url, version, transport, options).await;
            let refused = c.expect_connect_error("").await;
            assert_eq!(
                refused["message"], "Not authorized",
                "socket.io-client@{version} over {transport}"
            );
            assert!(!c.seen(|r| r["ev"] == "connect"));
        }
    }
}

#[tokio::test]
async fn a_server_ack_the_client_never_answers_times_out_with_a_clear_error() {
    let timeout = std::time::Duration::from_millis(300);
    let server = common::start(|b| b.ack_timeout(timeout)).await;
    for version in GENERATIONS {
        for transport in ["polling", "websocket"] {
            let who = format!("socket.io-client@{version} over {transport}");
            let mut c = connect(&server.url(), version, transport, json!({})).await;
            // The client has no handler for `question`: its ack never comes.
            c.emit("", "ask", vec![]).await;
            let question = c
                .expect("the question", |r| r["ev"] == "event" && r["name"] == "question")
                .await;
            assert_eq!(question["has_callback"], true, "{who}");
            assert_eq!(
                c.expect_event("", "answer_error").await,
                [json!(socketio::AckError::Timeout(timeout).to_string())],
                "{who}"
            );
            // The connection goes on, and an answered question still works.
            c.reply_to("question", vec![json!("now")]).await;
            c.emit("", "ask", vec![]).await;
            assert_eq!(c.expect_event("", "answer").await, [json!("now")], "{who}");
        }
    }
}
