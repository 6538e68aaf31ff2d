//! Every row of the conformance contract that websocket and xhr-polling can
//! reach, against the `conformance` example process, with the real 0.9.16
//! client; then a clean exit on SIGTERM. Raw probes check what the client
//! cannot show: the start-up variables, CORS, signals, and an endpoint
//! query (the 0.9.16 client never puts one on its connect packet).

mod common;

use common::example::{start, start_with};
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

/// Whether `r` is a `room_msg` on `ns` whose second argument is `data`.
fn room_msg(r: &Value, ns: &str, data: &Value) -> bool {
    r["ev"] == "event" && r["ns"] == ns && r["name"] == "room_msg" && r["args"][1] == *data
}

async fn expect_room_msg(c: &mut NodeClient, ns: &str, room: &Value, data: Value) {
    let report = c
        .expect(&format!("room_msg {data} on {ns:?}"), |r| room_msg(r, ns, &data))
        .await;
    assert_eq!(report["args"], json!([room, data]));
}

/// Waits for the `broadcast` event with `text`: a marker that anything sent
/// before it arrived before it.
async fn expect_broadcast(c: &mut NodeClient, ns: &str, text: &str) {
    c.expect(&format!("broadcast {text:?} on {ns:?}"), |r| {
        r["ev"] == "event" && r["ns"] == ns && r["name"] == "broadcast" && r["args"] == json!([text])
    })
    .await;
}

#[tokio::test]
async fn rooms_and_errors_on_chat_and_what_leave_does() {
    let example = start().await;
    for transport in TRANSPORTS {
        let mut c = client(&example.url, transport, None).await;
        let mut d = client(&example.url, transport, None).await;
        let none = Vec::<Value>::new();
        // Main endpoint: after `leave`, the room's messages reach the member
        // that stayed and no longer the one that left.
        let room = json!(format!("main-{transport}"));
        assert_eq!(c.emit_ack("", "join", vec![room.clone()]).await, none);
        assert_eq!(d.emit_ack("", "join", vec![room.clone()]).await, none);
        d.emit("", "to_room", vec![room.clone(), json!(1)]).await;
        expect_room_msg(&mut c, "", &room, json!(1)).await;
        expect_room_msg(&mut d, "", &room, json!(1)).await;
        assert_eq!(c.emit_ack("", "leave", vec![room.clone()]).await, none);
        d.emit("", "to_room", vec![room.clone(), json!(2)]).await;
        // The member that stayed.
        expect_room_msg(&mut d, "", &room, json!(2)).await;
        // d's events run in order: a room message for c would come first.
        d.emit("", "broadcast", vec![json!("after leave")]).await;
        expect_broadcast(&mut c, "", "after leave").await;
        assert!(!c.seen(|r| room_msg(r, "", &json!(2))), "{transport}: c left the room");

        // /chat: rooms are the endpoint's own.
        for x in [&mut c, &mut d] {
            x.of("/chat").await;
            x.expect_connect("/chat").await;
            assert_eq!(x.expect_message("/chat").await, json!("welcome /chat"));
        }
        let room = json!(format!("chat-{transport}"));
        assert_eq!(c.emit_ack("/chat", "join", vec![room.clone()]).await, none);
        assert_eq!(d.emit_ack("/chat", "join", vec![room.clone()]).await, none);
        // A room of the same name on the main endpoint, with d's connection there.
        assert_eq!(d.emit_ack("", "join", vec![room.clone()]).await, none);
        c.emit("/chat", "to_room", vec![room.clone(), json!("chat")]).await;
        expect_room_msg(&mut c, "/chat", &room, json!("chat")).await;
        expect_room_msg(&mut d, "/chat", &room, json!("chat")).await;
        c.emit("", "broadcast", vec![json!("marker 1")]).await;
        expect_broadcast(&mut d, "", "marker 1").await;
        assert!(
            !d.seen(|r| room_msg(r, "", &json!("chat"))),
            "{transport}: a /chat room message reached the main endpoint"
        );
        d.emit("", "to_room", vec![room.clone(), json!("main")]).await;
        expect_room_msg(&mut d, "", &room, json!("main")).await;
        d.emit("/chat", "broadcast", vec![json!("marker 2")]).await;
        expect_broadcast(&mut c, "/chat", "marker 2").await;
        assert!(
            !c.seen(|r| r["name"] == "room_msg" && r["args"][1] == "main"),
            "{transport}: a main-endpoint room message reached /chat"
        );
        // leave on /chat.
        assert_eq!(c.emit_ack("/chat", "leave", vec![room.clone()]).await, none);
        d.emit("/chat", "to_room", vec![room.clone(), json!("after")]).await;
        expect_room_msg(&mut d, "/chat", &room, json!("after")).await;
        d.emit("/chat", "broadcast", vec![json!("marker 3")]).await;
        expect_broadcast(&mut c, "/chat", "marker 3").await;
        assert!(
            !c.seen(|r| room_msg(r, "/chat", &json!("after"))),
            "{transport}: c left the /chat room"
        );
        // A wrong `sum` on /chat: an error packet on /chat, and /chat goes on.
        for bad in [vec![json!("2"), json!(3)], vec![json!(1)]] {
            c.emit("/chat", "sum", bad).await;
            c.expect("an error on /chat", |r| r["ev"] == "error" && r["ns"] == "/chat")
                .await;
        }
        assert!(!c.seen(|r| r["ev"] == "error" && r["ns"] == ""), "{transport}");
        assert_eq!(c.emit_ack("/chat", "sum", vec![json!(2), json!(3)]).await, [json!(5)]);
        assert_eq!(c.emit_ack("", "sum", vec![json!(2), json!(2)]).await, [json!(4)]);
    }
}

/// The TCP ports process `pid` listens on, from /proc: what the example
/// really opened, whatever else runs on the machine.
fn listening_ports(pid: u32) -> Vec<u16> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the example's fds")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            Some(link.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let mut ports = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is `ADDR:PORT` in hex; state 0A is LISTEN.
            if fields.len() > 9 && fields[3] == "0A" && inodes.iter().any(|i| i == fields[9]) {
                let port = fields[1].rsplit(':').next().expect("port");
                ports.push(u16::from_str_radix(port, 16).expect("hex port"));
            }
        }
    }
    ports.sort_unstable();
    ports
}

async fn policy_request(port: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("the policy server accepts");
    stream.write_all(b"<policy-file-request/>\0").await.expect("write");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.expect("read");
    String::from_utf8(reply).expect("UTF-8")
}

#[tokio::test]
async fn start_up_variables_are_announced_and_honoured() {
    use common::http::{get, handshake, packets, websocket, xhr};
    let policy_port = {
        let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        free.local_addr().expect("addr").port()
    };
    let port = policy_port.to_string();
    // No heartbeats here: an idle poll must end with `8::`, not a `2::`.
    let example = start_with(&[
        ("HEARTBEAT_TIMEOUT", "7"),
        ("CLOSE_TIMEOUT", "9"),
        ("HEARTBEAT_INTERVAL", "600"),
        ("POLLING_DURATION", "1"),
        ("FLASH_POLICY_PORT", &port),
    ])
    .await;
    let addr = example.addr();
    let body = get(addr, "/socket.io/1/").await.text();
    let fields: Vec<&str> = body.split(':').collect();
    assert_eq!(
        &fields[1..],
        ["7", "9", "websocket,flashsocket,htmlfile,xhr-polling,jsonp-polling"],
        "{body}"
    );
    let sid = fields[0].to_owned();
    // Queued data is answered at once; an idle poll ends with `8::`.
    assert_eq!(get(addr, &xhr(&sid)).await.text(), "1::");
    assert_eq!(get(addr, &xhr(&sid)).await.text(), "8::");
    // Queue a packet for it through another session: its ack comes after
    // the broadcast reached every queue. The next poll gets the data.
    let other = handshake(addr).await;
    let mut ws = websocket(addr, &other).await;
    assert_eq!(common::http::next_text(&mut ws, true).await.as_deref(), Some("1::"));
    common::http::send_text(&mut ws, r#"5:1+::{"name":"broadcast","args":["queued"]}"#).await;
    loop {
        match common::http::next_text(&mut ws, true).await.as_deref() {
            Some("6:::1+[]") => break,
            Some(_) => continue,
            None => panic!("the websocket closed before the broadcast's ack"),
        }
    }
    assert_eq!(
        packets(&get(addr, &xhr(&sid)).await.text()),
        [r#"5:::{"name":"broadcast","args":["queued"]}"#]
    );
    // The handshake was served, so both listeners are up: HTTP and policy.
    let pid = example.child.id().expect("running");
    let mut expected = vec![addr.port(), policy_port];
    expected.sort_unstable();
    assert_eq!(listening_ports(pid), expected);
    let policy = policy_request(policy_port).await;
    assert!(
        policy.starts_with("<?xml") && policy.ends_with("</cross-domain-policy>\0"),
        "{policy}"
    );
    assert!(
        policy.contains(r#"<allow-access-from domain="*" to-ports="*"/>"#),
        "{policy}"
    );

    // FLASH_POLICY_PORT=0 (the test default) and no CLOSE_TIMEOUT. Served,
    // so whatever it listens on is bound by now.
    let plain = start().await;
    let body = get(plain.addr(), "/socket.io/1/").await.text();
    assert_eq!(body.split(':').nth(2), Some("60"), "the default close timeout: {body}");
    assert_eq!(
        listening_ports(plain.child.id().expect("running")),
        [plain.addr().port()],
        "FLASH_POLICY_PORT=0: no policy server"
    );
}

#[tokio::test]
async fn cross_origin_requests_get_cors_headers() {
    use common::http::{post, request, xhr};
    let example = start().await;
    let addr = example.addr();
    let origin = [("Origin", "http://elsewhere.example")];
    let hello = request(addr, "GET", "/socket.io/1/", &origin, b"").await;
    assert_eq!(hello.status, 200);
    assert_eq!(
        hello.header("access-control-allow-origin"),
        Some("http://elsewhere.example")
    );
    assert_eq!(hello.header("access-control-allow-credentials"), Some("true"));
    let sid = hello.text().split(':').next().expect("sid").to_owned();
    let preflight = request(
        addr,
        "OPTIONS",
        &xhr(&sid),
        &[
            ("Origin", "http://elsewhere.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .await;
    assert!(
        preflight.status == 200 || preflight.status == 204,
        "{}",
        preflight.status
    );
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://elsewhere.example")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("POST") && m.contains("GET"))
    );
    assert_eq!(preflight.header("access-control-allow-headers"), Some("content-type"));
    let poll = request(addr, "GET", &xhr(&sid), &origin, b"").await;
    assert_eq!(poll.text(), "1::");
    assert_eq!(
        poll.header("access-control-allow-origin"),
        Some("http://elsewhere.example")
    );
    let sent = request(addr, "POST", &xhr(&sid), &origin, b"3:::hi").await;
    assert_eq!(sent.status, 200);
    assert_eq!(
        sent.header("access-control-allow-origin"),
        Some("http://elsewhere.example")
    );
    // A same-origin request (no Origin header) gets none.
    assert_eq!(
        post(addr, &xhr(&sid), "3:::again")
            .await
            .header("access-control-allow-origin"),
        None
    );
}

#[tokio::test]
async fn sigint_and_sigterm_stop_it_cleanly() {
    use common::http::{handshake, next_text, websocket};
    for signal in ["-INT", "-TERM"] {
        let mut example = start().await;
        let sid = handshake(example.addr()).await;
        let mut ws = websocket(example.addr(), &sid).await;
        assert_eq!(next_text(&mut ws, true).await.as_deref(), Some("1::"));
        let pid = example.child.id().expect("running").to_string();
        let sent = Command::new("kill").args([signal, &pid]).status().await.expect("kill");
        assert!(sent.success());
        // The connected client is told goodbye, then the process exits 0.
        assert_eq!(next_text(&mut ws, true).await.as_deref(), Some("0::"), "{signal}");
        let status = example.child.wait().await.expect("exit status");
        assert!(status.success(), "{signal}: {status:?}");
    }
}

#[tokio::test]
async fn whoami_on_chat_reports_the_endpoint_query() {
    use common::http::{get, poll_packets, post, xhr};
    // Raw: the 0.9.16 client never sends a query on `1::/chat` (`of()`
    // sends a bare connect packet; a URL's query goes to the handshake).
    let example = start().await;
    let addr = example.addr();
    let body = get(addr, "/socket.io/1/?k=v").await.text();
    let sid = body.split(':').next().expect("sid").to_owned();
    assert_eq!(poll_packets(addr, &sid, 1).await, ["1::"]);
    post(addr, &xhr(&sid), "1::/chat?x=1&y=two").await;
    assert_eq!(
        poll_packets(addr, &sid, 2).await,
        ["1::/chat", "3::/chat:welcome /chat"]
    );
    let whoami = |ns: &str| format!("5:1+:{ns}:{{\"name\":\"whoami\",\"args\":[]}}");
    for (ns, query) in [("/chat", json!({"x": "1", "y": "two"})), ("", json!({"k": "v"}))] {
        post(addr, &xhr(&sid), &whoami(ns)).await;
        let answer = poll_packets(addr, &sid, 1).await.remove(0);
        let json = answer
            .strip_prefix(&format!("6::{ns}:1+"))
            .unwrap_or_else(|| panic!("an ack on {ns:?}: {answer}"));
        let who: Value = serde_json::from_str(json).expect("JSON");
        assert_eq!(who[0]["endpoint"], ns);
        assert_eq!(who[0]["query"], query, "{ns:?}");
        assert_eq!(who[0]["sid"], sid.as_str());
    }
}
