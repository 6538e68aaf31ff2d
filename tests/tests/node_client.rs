//! The real socket.io-client 0.9.16 (its node build) against the server,
//! over websocket and xhr-polling.

mod common;

use std::time::Duration;

use common::{start, start_default};
use serde_json::json;
use socketio_tests::NodeClient;

const TRANSPORTS: [&str; 2] = ["websocket", "xhr-polling"];

async fn client(url: &str, transport: &str) -> NodeClient {
    let mut client = NodeClient::connect(url, transport, None).await;
    client.expect_connect("").await;
    client
}

#[tokio::test]
async fn messages_and_json_messages_come_back() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut c = client(&server.url(), transport).await;
        c.send("", "hello, world").await;
        assert_eq!(c.expect_message("").await, json!("hello, world"), "{transport}");
        let value = json!({"b": 1, "a": [1.5, "\u{2028}", "😀", "\u{fffd}"]});
        c.send_json("", value.clone()).await;
        assert_eq!(c.expect_message("").await, value, "{transport}");
    }
}

#[tokio::test]
async fn events_with_acks_both_ways() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut c = client(&server.url(), transport).await;
        // The handler's reply answers the client's ack.
        assert_eq!(
            c.emit_ack("", "sum", vec![json!(2), json!(40)]).await,
            vec![json!(42)],
            "{transport}"
        );
        assert_eq!(
            c.emit_ack("", "sum", vec![json!({"a": 5, "b": 6})]).await,
            vec![json!(11)],
            "{transport}"
        );
        let args = vec![json!("x"), json!({"k": [1, 2]}), json!(null)];
        assert_eq!(c.emit_ack("", "echo", args.clone()).await, args, "{transport}");
        assert_eq!(c.expect_event("", "echo").await, args, "{transport}");
        c.emit("", "hello", vec![json!({"name": "ann"})]).await;
        assert_eq!(c.expect_event("", "thanks").await, vec![json!({"name": "ann"})]);
        assert_eq!(c.expect_event("", "hello").await, vec![json!("ann"), json!("foobar")]);
        // The server asks, the client's callback answers.
        c.reply_to("question", vec![json!("because"), json!(7)]).await;
        c.emit("", "ask", vec![]).await;
        assert_eq!(c.expect_event("", "question").await, vec![json!("how?")]);
        assert_eq!(
            c.expect_event("", "answer").await,
            vec![json!("because"), json!(7)],
            "{transport}"
        );
    }
}

#[tokio::test]
async fn wrong_arguments_get_an_error_and_the_connection_goes_on() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut c = client(&server.url(), transport).await;
        c.emit("", "sum", vec![json!("one"), json!([])]).await;
        let error = c
            .expect("an error event", |r| r["ev"] == "error" && r["ns"] == "")
            .await;
        assert_eq!(error["ev"], "error", "{transport}");
        assert_eq!(
            c.emit_ack("", "sum", vec![json!(1), json!(1)]).await,
            vec![json!(2)],
            "{transport}"
        );
    }
}

#[tokio::test]
async fn whoami_reports_session_endpoint_query_and_address() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut c = NodeClient::connect(&server.url(), transport, Some("token=abc&x=1")).await;
        c.expect_connect("").await;
        let who = c.emit_ack("", "whoami", vec![]).await;
        assert_eq!(who[0]["endpoint"], "", "{transport}");
        assert_eq!(who[0]["query"], json!({"token": "abc", "x": "1"}), "{transport}");
        assert_eq!(who[0]["ip"], "127.0.0.1");
        assert_eq!(who[0]["sid"].as_str().map(str::len), Some(32));
    }
}

#[tokio::test]
async fn endpoints_connect_refuse_and_disconnect_independently() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut c = client(&server.url(), transport).await;
        c.of("/chat").await;
        c.expect_connect("/chat").await;
        assert_eq!(c.expect_message("/chat").await, json!("welcome /chat"));
        assert_eq!(
            c.emit_ack("/chat", "sum", vec![json!(1), json!(2)]).await,
            vec![json!(3)]
        );
        let who = c.emit_ack("/chat", "whoami", vec![]).await;
        assert_eq!(who[0]["endpoint"], "/chat");
        // Refused by the open hook, and unknown: connect_failed, the rest goes on.
        c.of("/reject").await;
        c.expect("connect_failed on /reject", |r| {
            r["ev"] == "connect_failed" && r["ns"] == "/reject"
        })
        .await;
        c.of("/nowhere").await;
        c.expect("connect_failed on /nowhere", |r| {
            r["ev"] == "connect_failed" && r["ns"] == "/nowhere"
        })
        .await;
        assert_eq!(
            c.emit_ack("", "sum", vec![json!(3), json!(4)]).await,
            vec![json!(7)],
            "{transport}"
        );
        assert_eq!(
            c.emit_ack("/chat", "sum", vec![json!(5), json!(4)]).await,
            vec![json!(9)],
            "{transport}"
        );
        // Leaving /chat runs its close hook only.
        let sid = c.emit_ack("", "whoami", vec![]).await[0]["sid"]
            .as_str()
            .expect("sid")
            .to_owned();
        c.disconnect("/chat").await;
        server.observed.wait_close(&sid, "/chat").await;
        assert!(server.observed.closes_of(&sid) == ["/chat"], "{transport}");
        assert_eq!(
            c.emit_ack("", "sum", vec![json!(1), json!(0)]).await,
            vec![json!(1)],
            "{transport}"
        );
        // Leaving the main endpoint closes everything, each hook once.
        c.of("/dyn-1").await;
        c.expect_connect("/dyn-1").await;
        c.disconnect("").await;
        server.observed.wait_close(&sid, "").await;
        let mut closes = server.observed.closes_of(&sid);
        closes.sort();
        assert_eq!(closes, ["", "/chat", "/dyn-1"], "{transport}");
    }
}

#[tokio::test]
async fn rooms_and_broadcast_reach_the_right_clients() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut a = client(&server.url(), transport).await;
        let mut b = client(&server.url(), transport).await;
        assert_eq!(
            a.emit_ack("", "join", vec![json!("blue")]).await,
            Vec::<serde_json::Value>::new()
        );
        a.emit("", "to_room", vec![json!("blue"), json!({"n": 1})]).await;
        assert_eq!(
            a.expect_event("", "room_msg").await,
            vec![json!("blue"), json!({"n": 1})]
        );
        // b is not in the room; it sends to it and gets nothing back itself.
        b.emit("", "to_room", vec![json!("blue"), json!("from b")]).await;
        assert_eq!(
            a.expect_event("", "room_msg").await,
            vec![json!("blue"), json!("from b")]
        );
        b.emit_ack("", "join", vec![json!("blue")]).await;
        a.emit_ack("", "leave", vec![json!("blue")]).await;
        a.emit("", "to_room", vec![json!("blue"), json!(2)]).await;
        assert_eq!(b.expect_event("", "room_msg").await, vec![json!("blue"), json!(2)]);
        // Broadcast reaches both, the sender included.
        b.emit("", "broadcast", vec![json!("all")]).await;
        assert_eq!(a.expect_event("", "broadcast").await, vec![json!("all")], "{transport}");
        assert_eq!(b.expect_event("", "broadcast").await, vec![json!("all")], "{transport}");
        assert!(
            !b.seen(|r| r["name"] == "room_msg" && r["args"][1] == json!("from b")),
            "b was not in the room then"
        );
        // From outside any handler, through the server handle.
        server
            .io
            .to("blue")
            .emit("from_outside", ("hi",))
            .expect("serializable");
        assert_eq!(
            b.expect_event("", "from_outside").await,
            vec![json!("hi")],
            "{transport}"
        );
        assert!(!a.seen(|r| r["name"] == "from_outside"));
        // Without the sender: to the endpoint, and to a room both are in.
        a.emit_ack("", "join", vec![json!("blue")]).await;
        a.emit("", "broadcast_others", vec![json!("not you")]).await;
        assert_eq!(
            b.expect_event("", "others").await,
            vec![json!("not you")],
            "{transport}"
        );
        b.emit("", "to_room_others", vec![json!("blue"), json!(3)]).await;
        assert_eq!(
            a.expect_event("", "room_others").await,
            vec![json!("blue"), json!(3)],
            "{transport}"
        );
        // A marker each sent after those: had the senders got their own, it came first.
        a.emit("", "broadcast", vec![json!("marker")]).await;
        assert_eq!(a.expect_event("", "broadcast").await, vec![json!("marker")]);
        assert_eq!(b.expect_event("", "broadcast").await, vec![json!("marker")]);
        assert!(
            !a.seen(|r| r["name"] == "others"),
            "{transport}: the sender is left out"
        );
        assert!(
            !b.seen(|r| r["name"] == "room_others"),
            "{transport}: the sender is left out"
        );
        a.emit_ack("", "leave", vec![json!("blue")]).await;
        b.emit_ack("", "leave", vec![json!("blue")]).await;
    }
}

#[tokio::test]
async fn server_side_close_disconnects_the_client() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut c = client(&server.url(), transport).await;
        let sid = c.emit_ack("", "whoami", vec![]).await[0]["sid"]
            .as_str()
            .expect("sid")
            .to_owned();
        c.emit("", "close_me", vec![]).await;
        c.expect_disconnect("").await;
        server.observed.wait_close(&sid, "").await;
    }
}

#[tokio::test]
async fn a_panicking_handler_closes_only_its_own_connection() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut victim = client(&server.url(), transport).await;
        let mut bystander = client(&server.url(), transport).await;
        let sid = victim.emit_ack("", "whoami", vec![]).await[0]["sid"]
            .as_str()
            .expect("sid")
            .to_owned();
        victim.emit("", "panic", vec![]).await;
        victim.expect_disconnect("").await;
        server.observed.wait_close(&sid, "").await;
        assert_eq!(
            bystander.emit_ack("", "sum", vec![json!(1), json!(2)]).await,
            vec![json!(3)],
            "{transport}"
        );
        let mut fresh = client(&server.url(), transport).await;
        assert_eq!(
            fresh.emit_ack("", "sum", vec![json!(2), json!(2)]).await,
            vec![json!(4)],
            "{transport}"
        );
    }
}

#[tokio::test]
async fn heartbeats_keep_an_idle_client_alive() {
    // Heartbeats every 200 ms and a 1 s timeout: the client stays idle past
    // several timeouts and is still connected because it answers them.
    let server = start(|b| {
        b.heartbeat_interval(Duration::from_millis(200))
            .heartbeat_timeout(Duration::from_secs(1))
    })
    .await;
    for transport in TRANSPORTS {
        let mut c = client(&server.url(), transport).await;
        for _ in 0..8 {
            c.expect("a heartbeat", |r| r["ev"] == "heartbeat").await;
        }
        assert!(!c.seen(|r| r["ev"] == "disconnect"), "{transport}");
        assert_eq!(
            c.emit_ack("", "sum", vec![json!(1), json!(2)]).await,
            vec![json!(3)],
            "{transport}"
        );
    }
}

#[tokio::test]
async fn a_thousand_emits_arrive_in_order_both_ways() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut c = client(&server.url(), transport).await;
        // Server to client.
        c.emit("", "count_to", vec![json!(1000)]).await;
        for i in 0..1000 {
            assert_eq!(c.expect_event("", "n").await, vec![json!(i)], "{transport}");
        }
        // Client to server: each echo comes back in the order sent.
        for i in 0..1000 {
            c.emit("", "echo", vec![json!(i)]).await;
        }
        for i in 0..1000 {
            assert_eq!(c.expect_event("", "echo").await, vec![json!(i)], "{transport}");
        }
    }
}

#[tokio::test]
async fn async_handlers_of_one_connection_run_in_arrival_order() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut c = client(&server.url(), transport).await;
        // The first event sleeps longer; ordered dispatch still answers it first.
        c.emit("", "slow", vec![json!(150)]).await;
        c.emit("", "slow", vec![json!(1)]).await;
        assert_eq!(c.expect_event("", "slow_done").await, vec![json!(150)], "{transport}");
        assert_eq!(c.expect_event("", "slow_done").await, vec![json!(1)], "{transport}");
    }
}

#[tokio::test]
async fn refused_handshake_never_connects() {
    let server = start_default().await;
    for transport in TRANSPORTS {
        let mut c = NodeClient::connect(&server.url(), transport, Some("reject=1")).await;
        c.expect("a refusal", |r| r["ev"] == "error" || r["ev"] == "connect_failed")
            .await;
        assert!(!c.seen(|r| r["ev"] == "connect"), "{transport}");
    }
    assert_eq!(server.io.session_count(), 0);
}

#[tokio::test]
async fn graceful_shutdown_disconnects_every_client_and_runs_close_hooks() {
    let server = start_default().await;
    let mut clients = Vec::new();
    let mut sids = Vec::new();
    for transport in TRANSPORTS {
        let mut c = client(&server.url(), transport).await;
        sids.push(
            c.emit_ack("", "whoami", vec![]).await[0]["sid"]
                .as_str()
                .expect("sid")
                .to_owned(),
        );
        clients.push(c);
    }
    let observed = server.observed.clone();
    server.stop().await;
    for c in &mut clients {
        c.expect_disconnect("").await;
    }
    for sid in sids {
        assert_eq!(observed.closes_of(&sid), [""]);
    }
}
