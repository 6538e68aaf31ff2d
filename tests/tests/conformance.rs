//! Every row of the conformance contract that websocket and xhr-polling can
//! reach, against the `conformance` example process, with the real 0.9.16
//! client; then a clean exit on SIGTERM.

mod common;

use common::example::start;
use serde_json::{Value, json};
use socketio_tests::NodeClient;
use tokio::process::Command;

const TRANSPORTS: [&str; 2] = ["websocket", "xhr-polling"];

async fn client(url: &str, transport: &str, query: Option<&str>) -> NodeClient {
    let mut c = NodeClient::connect(url, transport, query).await;
    c.expect_connect("").await;
    c
}

#[tokio::test]
async fn the_conformance_contract_holds_over_websocket_and_xhr_polling() {
    let mut example = start().await;
    let url = example.url.clone();
    for transport in TRANSPORTS {
        // Refused handshake.
        let mut refused = NodeClient::connect(&url, transport, Some("reject=1")).await;
        refused
            .expect("a refusal", |r| r["ev"] == "error" || r["ev"] == "connect_failed")
            .await;
        assert!(!refused.seen(|r| r["ev"] == "connect"));

        let mut c = client(&url, transport, Some("k=v")).await;
        // Messages.
        c.send("", "plain text").await;
        assert_eq!(c.expect_message("").await, json!("plain text"));
        let value = json!({"z": 1, "a": [1.25, "\u{2028}", "😀", "\u{fffd}", null]});
        c.send_json("", value.clone()).await;
        assert_eq!(c.expect_message("").await, value);
        // echo.
        let args = vec![json!(1), json!({"b": 2, "a": 1}), json!("x")];
        assert_eq!(c.emit_ack("", "echo", args.clone()).await, args);
        assert_eq!(c.expect_event("", "echo").await, args);
        // hello, keyword and positional.
        for call in [json!({"name": "ann"}), json!("ann")] {
            c.emit("", "hello", vec![call]).await;
            assert_eq!(c.expect_event("", "thanks").await, [json!({"name": "ann"})]);
            assert_eq!(c.expect_event("", "hello").await, [json!("ann"), json!("foobar")]);
        }
        // sum, both styles, and wrong input.
        assert_eq!(c.emit_ack("", "sum", vec![json!(2), json!(3)]).await, [json!(5)]);
        assert_eq!(c.emit_ack("", "sum", vec![json!({"a": 2, "b": 3})]).await, [json!(5)]);
        c.emit("", "sum", vec![json!("2"), json!(3)]).await;
        c.expect("an error packet", |r| r["ev"] == "error" && r["ns"] == "")
            .await;
        c.emit("", "sum", vec![json!(1)]).await;
        c.expect("an error packet", |r| r["ev"] == "error" && r["ns"] == "")
            .await;
        assert_eq!(c.emit_ack("", "sum", vec![json!(1), json!(1)]).await, [json!(2)]);
        // Bytes: a legacy client sends them as numbers and gets base64 back.
        let blob = json!({"name": "b", "data": [0, 1, 2, 255]});
        assert_eq!(
            c.emit_ack("", "blob", vec![blob]).await,
            [json!({"name": "b", "data": "/wIBAA=="})]
        );
        assert_eq!(c.expect_event("", "blob").await, [json!("AAEC/w==")]);
        // ask.
        c.reply_to("question", vec![json!("because"), json!(7)]).await;
        c.emit("", "ask", vec![]).await;
        assert_eq!(c.expect_event("", "question").await, [json!("how?")]);
        assert_eq!(c.expect_event("", "answer").await, [json!("because"), json!(7)]);
        // whoami.
        let who = c.emit_ack("", "whoami", vec![]).await;
        assert_eq!(who[0]["endpoint"], "");
        assert_eq!(who[0]["query"], json!({"k": "v"}));
        assert_eq!(who[0]["ip"], "127.0.0.1");
        let sid = who[0]["sid"].as_str().expect("sid").to_owned();
        // Rooms and broadcast with a second client.
        let mut d = client(&url, transport, None).await;
        assert_eq!(c.emit_ack("", "join", vec![json!("r1")]).await, Vec::<Value>::new());
        d.emit("", "to_room", vec![json!("r1"), json!({"n": 1})]).await;
        assert_eq!(c.expect_event("", "room_msg").await, [json!("r1"), json!({"n": 1})]);
        c.emit("", "to_room", vec![json!("r1"), json!(2)]).await;
        assert_eq!(
            c.expect_event("", "room_msg").await,
            [json!("r1"), json!(2)],
            "the sender is a member"
        );
        assert_eq!(c.emit_ack("", "leave", vec![json!("r1")]).await, Vec::<Value>::new());
        d.emit("", "broadcast", vec![json!("everyone")]).await;
        assert_eq!(c.expect_event("", "broadcast").await, [json!("everyone")]);
        assert_eq!(d.expect_event("", "broadcast").await, [json!("everyone")]);
        assert!(!d.seen(|r| r["name"] == "room_msg"));
        // /chat.
        c.of("/chat").await;
        c.expect_connect("/chat").await;
        assert_eq!(c.expect_message("/chat").await, json!("welcome /chat"));
        assert_eq!(
            c.emit_ack("/chat", "sum", vec![json!({"a": 1, "b": 2})]).await,
            [json!(3)]
        );
        assert_eq!(c.emit_ack("/chat", "echo", vec![json!("e")]).await, [json!("e")]);
        let who = c.emit_ack("/chat", "whoami", vec![]).await;
        assert_eq!(
            (who[0]["endpoint"].clone(), who[0]["sid"].clone()),
            (json!("/chat"), json!(sid))
        );
        c.emit("/chat", "broadcast", vec![json!("chat only")]).await;
        assert_eq!(c.expect_event("/chat", "broadcast").await, [json!("chat only")]);
        assert!(!d.seen(|r| r["args"][0] == "chat only"), "d is not on /chat");
        // /reject and unknown endpoints; the rest goes on.
        c.of("/reject").await;
        c.expect("connect_failed", |r| {
            r["ev"] == "connect_failed" && r["ns"] == "/reject"
        })
        .await;
        c.of("/whatever").await;
        c.expect("connect_failed", |r| {
            r["ev"] == "connect_failed" && r["ns"] == "/whatever"
        })
        .await;
        assert_eq!(c.emit_ack("", "sum", vec![json!(4), json!(4)]).await, [json!(8)]);
        assert_eq!(c.emit_ack("/chat", "sum", vec![json!(4), json!(5)]).await, [json!(9)]);
        // panic: this connection closes, the other client goes on.
        c.emit("", "panic", vec![]).await;
        c.expect_disconnect("").await;
        assert_eq!(d.emit_ack("", "sum", vec![json!(1), json!(2)]).await, [json!(3)]);
        // close_me.
        d.emit("", "close_me", vec![]).await;
        d.expect_disconnect("").await;
    }
    // Heartbeats keep an idle client alive past the 5 s timeout, then SIGTERM ends the server cleanly.
    let mut idle = client(&url, "websocket", None).await;
    for _ in 0..6 {
        idle.expect("a heartbeat", |r| r["ev"] == "heartbeat").await;
    }
    assert_eq!(idle.emit_ack("", "sum", vec![json!(1), json!(2)]).await, [json!(3)]);
    let pid = example.child.id().expect("running");
    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await
        .expect("kill");
    assert!(killed.success());
    idle.expect_disconnect("").await;
    let status = example.child.wait().await.expect("exit status");
    assert!(status.success(), "the example exits cleanly on SIGTERM: {status:?}");
}

#[tokio::test]
async fn data_comes_back_exactly_as_sent() {
    use common::http::{frame, get, handshake, packets_without_heartbeats, poll_packets, post, xhr};
    let example = start().await;
    let addr: std::net::SocketAddr = example.url.trim_start_matches("http://").parse().expect("address");
    let sid = handshake(addr).await;
    assert_eq!(packets_without_heartbeats(&get(addr, &xhr(&sid)).await.text()), ["1::"]);
    // Key order, integers beyond 2^53, float digits, astral characters,
    // U+FFFD, U+2028 and escapes survive byte for byte.
    let json = r#"{"z":1,"a":123456789012345678901234567890,"f":0.30000000000000004,"s":"😀\ufffd\u2028\n\"","n":[-0.0,1e400]}"#;
    let text = "plain \u{fffd} \u{2028} 😀 : colons";
    let event = format!("5:1+::{{\"name\":\"echo\",\"args\":[{json},\"x\"]}}");
    post(
        addr,
        &xhr(&sid),
        &frame(&[&format!("4:::{json}"), &format!("3:::{text}"), &event]),
    )
    .await;
    let got = poll_packets(addr, &sid, 4).await;
    assert_eq!(got[0], format!("4:::{json}"));
    assert_eq!(got[1], format!("3:::{text}"));
    assert_eq!(got[2], format!("5:::{{\"name\":\"echo\",\"args\":[{json},\"x\"]}}"));
    assert_eq!(got[3], format!("6:::1+[{json},\"x\"]"));
}
