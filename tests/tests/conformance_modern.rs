//! Every rule of the modern conformance contract
//! (`shared/conformance-modern.md`) against the `conformance_modern` example
//! process: raw HTTP and WebSocket probes for the wire-level rules, the real
//! `socket.io-client@4` in node for the client scenarios (section 5), then a
//! clean exit on SIGTERM. Timers are shortened through the example's
//! environment where a rule waits on one; rules stated in milliseconds
//! ("within 500 ms") are checked as behaviour, never as elapsed time.

mod common;

use std::net::{Ipv4Addr, SocketAddr};

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use common::engineio::{
    handshake, next_binary, next_message, next_text, path, poll_packets, poll_until_gone, send_binary, send_text,
    try_websocket, until_closed, websocket,
};
use common::example::{Example, start_example, start_example_with};
use common::http::{get, post, request};
use socketio_tests::NodeClient;

const BASES: [&str; 2] = ["/engine.io", "/socket.io"];
const PLACEHOLDERS: &str = r#"{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}"#;

async fn server(env: &[(&str, &str)]) -> Example {
    start_example("conformance_modern", env).await
}

/// Pings far apart, for probes whose held polls must not end with a ping.
async fn quiet_server() -> Example {
    server(&[("PING_INTERVAL_MS", "20000"), ("PING_TIMEOUT_MS", "20000")]).await
}

/// The open packet's fields other than `sid`, which must be a string.
fn open_fields(open: &Value) -> Value {
    let mut open = open.clone();
    let object = open.as_object_mut().expect("an object");
    assert!(object.remove("sid").is_some_and(|sid| sid.is_string()), "{open}");
    open
}

/// The body of a CONNECT reply after `prefix`: exactly `{"sid":"<string>"}`.
fn assert_connect_reply(reply: &str, prefix: &str) {
    let body = reply
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{reply:?} is not a CONNECT reply {prefix}"));
    let body: Value = serde_json::from_str(body).expect("JSON");
    let object = body.as_object().expect("an object");
    assert_eq!(object.len(), 1, "only `sid` (no `pid`): {body}");
    assert!(object["sid"].is_string(), "{body}");
}

/// A websocket on `/socket.io/` past its open packet.
async fn socket_io_ws(addr: SocketAddr) -> common::engineio::Ws {
    let mut ws = websocket(addr, "/socket.io", None).await;
    let open = next_text(&mut ws).await.expect("the open packet");
    assert!(open.starts_with("0{"), "{open}");
    ws
}

/// A websocket with `/` connected, its CONNECT reply and auth event read.
async fn connected_ws(addr: SocketAddr) -> common::engineio::Ws {
    let mut ws = socket_io_ws(addr).await;
    send_text(&mut ws, "40").await;
    assert_connect_reply(&next_text(&mut ws).await.expect("connect"), "40");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["auth",{}]"#));
    ws
}

/// A polling session on `/socket.io/` with `/` connected: its poll path.
async fn connected_polling(addr: SocketAddr) -> String {
    let (sid, _) = handshake(addr, "/socket.io").await;
    let at = path("/socket.io", Some(&sid));
    assert_eq!(post(addr, &at, "40").await.text(), "ok");
    let got = poll_packets(addr, &at, 2).await;
    assert_connect_reply(&got[0], "40");
    assert_eq!(got[1], r#"42["auth",{}]"#);
    at
}

// Section 1: the process.

#[tokio::test]
async fn the_process_takes_its_settings_from_the_environment_and_serves_everything_on_one_port() {
    // It listens on the PORT it is given, and says so: start_example reads
    // `listening on 127.0.0.1:PORT` from its output.
    let port = {
        let probe = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        probe.local_addr().expect("addr").port()
    };
    let example = server(&[("PORT", &port.to_string())]).await;
    let addr = example.addr();
    assert_eq!(addr, SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    // The defaults are the suites' values, on both endpoints at once.
    for base in BASES {
        let (_, open) = handshake(addr, base).await;
        assert_eq!(
            open_fields(&open),
            json!({"upgrades": ["websocket"], "pingInterval": 300, "pingTimeout": 200, "maxPayload": 1_000_000}),
            "{base}"
        );
    }
    // The legacy protocol shares the port; a modern-looking request without
    // a valid EIO gets the modern 400, not a legacy answer.
    assert_eq!(get(addr, "/socket.io/1/").await.status, 200);
    for bad in [
        "/socket.io/",
        "/socket.io/?transport=polling",
        "/socket.io/?EIO=&transport=polling",
        "/socket.io/?EIO=abc&transport=polling",
        "/socket.io/?EIO=5&transport=polling",
    ] {
        assert_eq!(get(addr, bad).await.status, 400, "{bad}");
    }

    let tuned = server(&[
        ("PING_INTERVAL_MS", "250"),
        ("PING_TIMEOUT_MS", "150"),
        ("MAX_PAYLOAD", "5000"),
    ])
    .await;
    let addr = tuned.addr();
    for base in BASES {
        let (_, open) = handshake(addr, base).await;
        assert_eq!(
            open_fields(&open),
            json!({"upgrades": ["websocket"], "pingInterval": 250, "pingTimeout": 150, "maxPayload": 5000}),
            "{base}"
        );
    }
    // MAX_PAYLOAD bounds polling bodies and websocket messages.
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    let fits = format!("4{}", "x".repeat(4000));
    assert_eq!(post(addr, &at, &fits).await.text(), "ok");
    assert_eq!(get(addr, &at).await.text(), fits);
    let big = format!("4{}", "x".repeat(5000));
    assert_eq!(post(addr, &at, &big).await.status, 413);
    let mut ws = websocket(addr, "/engine.io", None).await;
    let _open = next_text(&mut ws).await;
    // The server may close while the message is still being written.
    let _ = futures_util::SinkExt::send(&mut ws, Message::Text(big.into())).await;
    let seen = until_closed(&mut ws).await;
    assert!(
        !seen.iter().any(|m| matches!(m, Message::Text(t) if t.len() > 1000)),
        "not echoed"
    );
}

#[tokio::test]
async fn sigterm_to_its_process_group_stops_the_process_cleanly() {
    // Its own group, as the suites run it, so the signal spares this test.
    let mut example = start_example_with("conformance_modern", &[], |command| {
        command.process_group(0);
    })
    .await;
    let mut ws = websocket(example.addr(), "/engine.io", None).await;
    assert!(next_text(&mut ws).await.is_some_and(|open| open.starts_with("0{")));
    let pid = example.child.id().expect("running");
    // Field 5 of /proc/PID/stat is the process group: never signal another one.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let group = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(2));
    assert_eq!(group, Some(pid.to_string().as_str()), "a group of its own");
    let killed = tokio::process::Command::new("kill")
        // `--` first: procps-ng 4.0.2 misreads `kill -TERM -PGID`.
        .args(["-s", "TERM", "--", &format!("-{pid}")])
        .status()
        .await
        .expect("kill");
    assert!(killed.success());
    until_closed(&mut ws).await;
    // A failsafe, not a timing assertion (the suites allow 5 s before SIGKILL).
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), example.child.wait())
        .await
        .expect("the process exits")
        .expect("exit status");
    assert!(status.success(), "a clean exit on SIGTERM: {status:?}");
}

// Section 2: Engine.IO v4 on both endpoints.

#[tokio::test]
async fn handshakes_answer_exactly_and_bad_requests_get_400() {
    let example = server(&[]).await;
    let addr = example.addr();
    for base in BASES {
        let reply = get(addr, &path(base, None)).await;
        assert_eq!(reply.status, 200);
        let open: Value = serde_json::from_str(reply.text().strip_prefix('0').expect("`0` first")).expect("JSON");
        let mut keys: Vec<&str> = open.as_object().expect("object").keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"],
            "{base}"
        );
        assert_eq!(open["upgrades"], json!(["websocket"]));

        // Over a websocket the first frame is the open packet, with no upgrades.
        let mut ws = websocket(addr, base, None).await;
        let open = next_text(&mut ws).await.expect("the open packet");
        let open: Value = serde_json::from_str(open.strip_prefix('0').expect("`0` first")).expect("JSON");
        assert_eq!(
            open_fields(&open),
            json!({"upgrades": [], "pingInterval": 300, "pingTimeout": 200, "maxPayload": 1_000_000}),
            "{base}"
        );

        // Unknown parameters (the client's cache buster) are ignored.
        let reply = get(addr, &format!("{base}/?EIO=4&transport=polling&t=Nx1a&foo=bar")).await;
        assert_eq!(reply.status, 200, "{base}");
        let (sid, _) = handshake(addr, base).await;
        let at = format!("{}&t=Nx1b", path(base, Some(&sid)));
        assert_eq!(post(addr, &at, "3").await.text(), "ok", "{base}");

        for bad in [
            format!("{base}/?transport=polling"),
            format!("{base}/?EIO=abc&transport=polling"),
            format!("{base}/?EIO=4"),
            format!("{base}/?EIO=4&transport=abc"),
            format!("{base}/?EIO=4&transport=polling&sid=nope"),
        ] {
            assert_eq!(get(addr, &bad).await.status, 400, "GET {bad}");
            assert_eq!(post(addr, &bad, "40").await.status, 400, "POST {bad}");
        }
        for method in ["POST", "PUT", "DELETE"] {
            let reply = request(addr, method, &path(base, None), &[], b"").await;
            assert_eq!(reply.status, 400, "a {method} handshake on {base}");
        }
        // A closed sid: the client closed the session.
        let (sid, _) = handshake(addr, base).await;
        let at = path(base, Some(&sid));
        assert_eq!(post(addr, &at, "1").await.text(), "ok");
        assert_eq!(get(addr, &at).await.status, 400, "{base}: a closed sid");
        assert_eq!(post(addr, &at, "3").await.status, 400, "{base}: a closed sid");

        // WebSockets with a bad query are refused.
        for bad in [
            "transport=websocket",
            "EIO=abc&transport=websocket",
            "EIO=4&transport=abc",
            "EIO=4&transport=websocket&sid=nope",
        ] {
            assert!(try_websocket(addr, base, bad).await.is_err(), "{base}/?{bad}");
        }
    }
}

#[tokio::test]
async fn long_polling_batches_refuses_bad_payloads_and_overlaps_and_ends_on_client_close() {
    let example = quiet_server().await;
    let addr = example.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    // Several packets per POST; one GET returns everything queued.
    let reply = post(addr, &at, "4test1\x1e4test2\x1e4test3").await;
    assert_eq!((reply.status, reply.text()), (200, "ok".to_owned()));
    assert_eq!(get(addr, &at).await.text(), "4test1\x1e4test2\x1e4test3");
    assert_eq!(post(addr, &at, "4hello\x1ebAQIDBA==").await.text(), "ok");
    assert_eq!(get(addr, &at).await.text(), "4hello\x1ebAQIDBA==");

    // A POST that does not parse closes the session.
    assert_eq!(post(addr, &at, "abc").await.status, 400);
    assert_eq!(get(addr, &at).await.status, 400);

    // A second GET while one is held: refused, the held one gets the close
    // packet, and the session is gone.
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    let (a, b) = tokio::join!(get(addr, &at), get(addr, &at));
    let mut answers = [(a.status, a.text()), (b.status, b.text())];
    answers.sort();
    assert_eq!(answers[0], (200, "1".to_owned()));
    assert!(answers[1].0 == 400 || answers[1].0 == 500, "{answers:?}");
    assert_eq!(get(addr, &at).await.status, 400);

    // The client's close ends a held GET with a noop. Nothing tells the
    // client when its GET is held, so it tries until one was: a close that
    // overtook the GET leaves that GET a 400 instead.
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(10));
    let mut saw_noop = false;
    for _ in 0..20 {
        let (sid, _) = handshake(addr, "/engine.io").await;
        let at = path("/engine.io", Some(&sid));
        let held = tokio::spawn({
            let at = at.clone();
            async move { get(addr, &at).await }
        });
        ticks.tick().await;
        assert_eq!(post(addr, &at, "1").await.text(), "ok");
        let held = held.await.expect("held poll");
        assert_eq!(get(addr, &at).await.status, 400, "the session is gone");
        match (held.status, held.text().as_str()) {
            (200, "6") => {
                saw_noop = true;
                break;
            }
            (400, _) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(saw_noop, "a held poll was never observed");
}

#[tokio::test]
async fn websocket_frames_carry_one_packet_each_and_bad_or_closing_clients_are_closed() {
    let example = server(&[]).await;
    let addr = example.addr();
    let mut ws = websocket(addr, "/engine.io", None).await;
    let _open = next_text(&mut ws).await;
    // Section 3: the bare echo, text as text frames, binary as raw binary frames.
    send_text(&mut ws, "4hello").await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4hello"));
    send_binary(&mut ws, &[1, 2, 3, 4]).await;
    assert_eq!(next_binary(&mut ws).await, [1, 2, 3, 4]);
    send_text(&mut ws, "4a").await;
    send_text(&mut ws, "4b").await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4a"));
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4b"));
    // The client's close packet: the server closes, sending nothing but pings.
    send_text(&mut ws, "1").await;
    let seen = until_closed(&mut ws).await;
    assert!(seen.iter().all(|m| *m == Message::Text("2".into())), "{seen:?}");

    // A text frame that is no packet closes the websocket, on both endpoints.
    for base in BASES {
        let mut ws = websocket(addr, base, None).await;
        let _open = next_text(&mut ws).await;
        send_text(&mut ws, "abc").await;
        let seen = until_closed(&mut ws).await;
        assert!(
            seen.iter()
                .all(|m| matches!(m, Message::Text(t) if t.as_str() == "2" || t.as_str() == "1")),
            "{base}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn the_server_pings_and_drops_a_client_that_does_not_pong() {
    // The default interval: an idle poll returns exactly the ping.
    let example = server(&[]).await;
    let (sid, _) = handshake(example.addr(), "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    assert_eq!(get(example.addr(), &at).await.text(), "2");

    let example = server(&[("PING_INTERVAL_MS", "100"), ("PING_TIMEOUT_MS", "1000")]).await;
    let addr = example.addr();
    for base in BASES {
        // Pongs keep a session alive through several pings, each one a ping
        // interval after the last pong (not after the timeout): four of them
        // fit in the one-second connect timeout of /socket.io.
        let mut ws = websocket(addr, base, None).await;
        let _open = next_text(&mut ws).await;
        for _ in 0..4 {
            assert_eq!(next_message(&mut ws).await, Some(Message::Text("2".into())), "{base}");
            send_text(&mut ws, "3").await;
        }
        let (sid, _) = handshake(addr, base).await;
        let at = path(base, Some(&sid));
        for _ in 0..4 {
            assert_eq!(get(addr, &at).await.text(), "2", "{base}");
            assert_eq!(post(addr, &at, "3").await.text(), "ok");
        }
        // Without a pong the session closes: a held poll ends with the close
        // packet, and then the sid is unknown.
        assert_eq!(get(addr, &at).await.text(), "2");
        let seen = poll_until_gone(addr, &at).await;
        assert!(seen.iter().all(|p| p == "1"), "{base}: {seen:?}");
        // The websocket, unread since its pongs: pinged again, then closed.
        let seen = until_closed(&mut ws).await;
        assert!(seen.contains(&Message::Text("2".into())), "{base}: {seen:?}");
    }
}

#[tokio::test]
async fn the_upgrade_ends_polls_with_noops_and_moves_the_session() {
    let example = quiet_server().await;
    let addr = example.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    let held = tokio::spawn({
        let at = at.clone();
        async move { get(addr, &at).await }
    });
    let mut ws = websocket(addr, "/engine.io", Some(&sid)).await;
    send_text(&mut ws, "2probe").await;
    assert_eq!(next_message(&mut ws).await, Some(Message::Text("3probe".into())));
    // The held GET, and a new one during the upgrade, end with a noop.
    let held = held.await.expect("held poll");
    assert_eq!((held.status, held.text()), (200, "6".to_owned()));
    let new = get(addr, &at).await;
    assert_eq!((new.status, new.text()), (200, "6".to_owned()));
    // Sent over polling while upgrading, echoed on the websocket afterwards.
    assert_eq!(post(addr, &at, "4during").await.text(), "ok");
    send_text(&mut ws, "5").await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4during"));
    send_text(&mut ws, "4after").await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4after"));
    assert_eq!(get(addr, &at).await.status, 400, "polling is over");
    let mut second = websocket(addr, "/engine.io", Some(&sid)).await;
    until_closed(&mut second).await;
    send_text(&mut ws, "4still").await;
    assert_eq!(
        next_text(&mut ws).await.as_deref(),
        Some("4still"),
        "the first is unaffected"
    );
}

#[tokio::test]
async fn the_bare_echo_answers_on_the_current_polling_transport() {
    let example = server(&[]).await;
    let addr = example.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    assert_eq!(post(addr, &at, "4hello\x1ebAQIDBA==").await.text(), "ok");
    assert_eq!(poll_packets(addr, &at, 2).await, ["4hello", "bAQIDBA=="]);
}

// Section 4: Socket.IO v5 at `/socket.io/`.

/// Each CONNECT form, its reply prefix and the auth event after it.
const CONNECT_FORMS: [(&str, &str, &str); 5] = [
    ("40", "40", r#"42["auth",{}]"#),
    (r#"40{"token":"123"}"#, "40", r#"42["auth",{"token":"123"}]"#),
    ("40/custom,", "40/custom,", r#"42/custom,["auth",{}]"#),
    (
        r#"40/custom,{"token":"abc"}"#,
        "40/custom,",
        r#"42/custom,["auth",{"token":"abc"}]"#,
    ),
    ("40/custom", "40/custom,", r#"42/custom,["auth",{}]"#),
];

#[tokio::test]
async fn every_connect_form_is_answered_with_the_sid_then_the_auth_echo() {
    let example = server(&[]).await;
    let addr = example.addr();
    for (form, reply, auth) in CONNECT_FORMS {
        let mut ws = socket_io_ws(addr).await;
        send_text(&mut ws, form).await;
        assert_connect_reply(&next_text(&mut ws).await.expect("reply"), reply);
        assert_eq!(next_text(&mut ws).await.as_deref(), Some(auth), "websocket {form}");

        let (sid, _) = handshake(addr, "/socket.io").await;
        let at = path("/socket.io", Some(&sid));
        assert_eq!(post(addr, &at, form).await.text(), "ok");
        let got = poll_packets(addr, &at, 2).await;
        assert_connect_reply(&got[0], reply);
        assert_eq!(got[1], auth, "polling {form}");
    }
}

#[tokio::test]
async fn unknown_namespaces_are_refused_and_the_session_stays() {
    let example = server(&[]).await;
    let addr = example.addr();
    let mut ws = socket_io_ws(addr).await;
    for namespace in ["/random", "/custom2", "/Custom"] {
        send_text(&mut ws, &format!("40{namespace},")).await;
        assert_eq!(
            next_text(&mut ws).await,
            Some(format!(r#"44{namespace},{{"message":"Invalid namespace"}}"#))
        );
    }
    send_text(&mut ws, "40").await;
    assert_connect_reply(&next_text(&mut ws).await.expect("connect"), "40");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["auth",{}]"#));

    let (sid, _) = handshake(addr, "/socket.io").await;
    let at = path("/socket.io", Some(&sid));
    assert_eq!(post(addr, &at, "40/random").await.text(), "ok");
    assert_eq!(
        poll_packets(addr, &at, 1).await,
        [r#"44/random,{"message":"Invalid namespace"}"#]
    );
    assert_eq!(post(addr, &at, "40").await.text(), "ok");
    assert_connect_reply(&poll_packets(addr, &at, 1).await[0], "40");
}

#[tokio::test]
async fn no_connect_within_the_connect_timeout_closes_the_connection() {
    // The first ping comes after the connect timeout, so what closes a
    // silent client here is the connect timeout.
    let example = server(&[
        // Roomy enough that a loaded machine still connects in time.
        ("CONNECT_TIMEOUT_MS", "1000"),
        ("PING_INTERVAL_MS", "3000"),
        ("PING_TIMEOUT_MS", "5000"),
    ])
    .await;
    let addr = example.addr();
    let mut silent = socket_io_ws(addr).await;
    let seen = until_closed(&mut silent).await;
    assert!(seen.is_empty() || seen == [Message::Text("1".into())], "{seen:?}");
    let (sid, _) = handshake(addr, "/socket.io").await;
    let at = path("/socket.io", Some(&sid));
    let seen = poll_until_gone(addr, &at).await;
    assert!(seen.iter().all(|p| p == "1"), "{seen:?}");
    // A client that connected stays past it: it sees the ping, which comes
    // later, and still gets answers.
    let mut ws = connected_ws(addr).await;
    assert_eq!(next_message(&mut ws).await, Some(Message::Text("2".into())));
    send_text(&mut ws, "3").await;
    send_text(&mut ws, r#"42["message",1]"#).await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["message-back",1]"#));
}

#[tokio::test]
async fn events_and_acks_come_back_exactly_over_websocket() {
    let example = server(&[]).await;
    let addr = example.addr();
    let mut ws = connected_ws(addr).await;
    for (sent, expected) in [
        (
            r#"42["message",1,"2",{"3":[true]}]"#,
            r#"42["message-back",1,"2",{"3":[true]}]"#,
        ),
        (
            r#"42456["message-with-ack",1,"2",{"3":[false]}]"#,
            r#"43456[1,"2",{"3":[false]}]"#,
        ),
        // Compact, keys in their order.
        (
            r#"42["message",{"z":1,"a":{"y":null,"b":[1.5,"é"]}}]"#,
            r#"42["message-back",{"z":1,"a":{"y":null,"b":[1.5,"é"]}}]"#,
        ),
        (r#"42["message"]"#, r#"42["message-back"]"#),
        (r#"427["message-with-ack"]"#, "437[]"),
    ] {
        send_text(&mut ws, sent).await;
        assert_eq!(next_text(&mut ws).await.as_deref(), Some(expected), "{sent}");
    }
    // Binary: placeholders in the text, the attachments after it in order.
    send_text(&mut ws, &format!(r#"452-["message",{PLACEHOLDERS}]"#)).await;
    send_binary(&mut ws, &[1, 2, 3]).await;
    send_binary(&mut ws, &[4, 5, 6]).await;
    assert_eq!(
        next_text(&mut ws).await,
        Some(format!(r#"452-["message-back",{PLACEHOLDERS}]"#))
    );
    assert_eq!(next_binary(&mut ws).await, [1, 2, 3]);
    assert_eq!(next_binary(&mut ws).await, [4, 5, 6]);
    send_text(&mut ws, &format!(r#"452-789["message-with-ack",{PLACEHOLDERS}]"#)).await;
    send_binary(&mut ws, &[1, 2, 3]).await;
    send_binary(&mut ws, &[4, 5, 6]).await;
    assert_eq!(next_text(&mut ws).await, Some(format!("462-789[{PLACEHOLDERS}]")));
    assert_eq!(next_binary(&mut ws).await, [1, 2, 3]);
    assert_eq!(next_binary(&mut ws).await, [4, 5, 6]);
    // 200 kB, and 50 quick emits answered in order.
    let large = "x".repeat(200_000);
    send_text(&mut ws, &format!(r#"42["message","{large}"]"#)).await;
    assert_eq!(
        next_text(&mut ws).await,
        Some(format!(r#"42["message-back","{large}"]"#))
    );
    for i in 0..50 {
        send_text(&mut ws, &format!(r#"42["message",{i}]"#)).await;
    }
    for i in 0..50 {
        assert_eq!(next_text(&mut ws).await, Some(format!(r#"42["message-back",{i}]"#)));
    }
}

#[tokio::test]
async fn events_acks_and_binary_come_back_exactly_over_polling() {
    let example = server(&[]).await;
    let addr = example.addr();
    let at = connected_polling(addr).await;
    let body = [
        r#"42["message",1,"2",{"3":[true]}]"#,
        r#"42456["message-with-ack",1,"2",{"3":[false]}]"#,
    ]
    .join("\x1e");
    assert_eq!(post(addr, &at, &body).await.text(), "ok");
    assert_eq!(
        poll_packets(addr, &at, 2).await,
        [
            r#"42["message-back",1,"2",{"3":[true]}]"#,
            r#"43456[1,"2",{"3":[false]}]"#
        ]
    );
    // Attachments travel as `b<base64>` packets of the payload.
    let body = format!("452-[\"message\",{PLACEHOLDERS}]\x1ebAQID\x1ebBAUG");
    assert_eq!(post(addr, &at, &body).await.text(), "ok");
    assert_eq!(
        poll_packets(addr, &at, 3).await,
        [
            format!(r#"452-["message-back",{PLACEHOLDERS}]"#),
            "bAQID".to_owned(),
            "bBAUG".to_owned()
        ]
    );
    let body = format!("452-789[\"message-with-ack\",{PLACEHOLDERS}]\x1ebAQID\x1ebBAUG");
    assert_eq!(post(addr, &at, &body).await.text(), "ok");
    assert_eq!(
        poll_packets(addr, &at, 3).await,
        [
            format!("462-789[{PLACEHOLDERS}]"),
            "bAQID".to_owned(),
            "bBAUG".to_owned()
        ]
    );
    // A 200 kB attachment and a 200 kB string.
    let data = vec![7u8; 200_000];
    let b64 = base64_of(&data);
    let body = format!("451-[\"message\",{{\"_placeholder\":true,\"num\":0}}]\x1eb{b64}");
    assert_eq!(post(addr, &at, &body).await.text(), "ok");
    let got = poll_packets(addr, &at, 2).await;
    assert_eq!(got[0], r#"451-["message-back",{"_placeholder":true,"num":0}]"#);
    assert_eq!(got[1], format!("b{b64}"));
    let large = "y".repeat(200_000);
    assert_eq!(
        post(addr, &at, &format!(r#"42["message","{large}"]"#)).await.text(),
        "ok"
    );
    assert_eq!(
        poll_packets(addr, &at, 1).await,
        [format!(r#"42["message-back","{large}"]"#)]
    );
    // 50 emits in separate POSTs come back in order.
    for i in 0..50 {
        assert_eq!(post(addr, &at, &format!(r#"42["message",{i}]"#)).await.text(), "ok");
    }
    let got = poll_packets(addr, &at, 50).await;
    let expected: Vec<String> = (0..50).map(|i| format!(r#"42["message-back",{i}]"#)).collect();
    assert_eq!(got, expected);
}

fn base64_of(data: &[u8]) -> String {
    socketio::codec::engineio::Packet::Binary(socketio::bytes::Bytes::copy_from_slice(data))
        .encode()
        .split_off(1)
}

#[tokio::test]
async fn disconnect_drops_one_namespace_silently_and_keeps_the_rest() {
    let example = server(&[]).await;
    let addr = example.addr();
    // Both namespaces on one connection.
    let mut ws = connected_ws(addr).await;
    send_text(&mut ws, "40/custom,").await;
    assert_connect_reply(&next_text(&mut ws).await.expect("connect"), "40/custom,");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42/custom,["auth",{}]"#));
    // Leaving /custom: nothing comes back and `/` still answers.
    send_text(&mut ws, "41/custom,").await;
    send_text(&mut ws, r#"42["message",1]"#).await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["message-back",1]"#));
    // Leaving `/`: its events go unanswered, and the next frame is a ping.
    send_text(&mut ws, "41").await;
    send_text(&mut ws, r#"42["message",2]"#).await;
    assert_eq!(next_message(&mut ws).await, Some(Message::Text("2".into())));
    send_text(&mut ws, "3").await;
    // The Engine.IO session is still there: `/` connects again.
    send_text(&mut ws, "40").await;
    assert_connect_reply(&next_text(&mut ws).await.expect("connect"), "40");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["auth",{}]"#));
    send_text(&mut ws, r#"42["message",3]"#).await;
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["message-back",3]"#));
}

#[tokio::test]
async fn malformed_socket_io_packets_close_the_connection_before_and_after_connect() {
    let example = server(&[]).await;
    let addr = example.addr();
    for bad in ["4abc", "42{}", r#"42abc["message-with-ack",1]"#] {
        for connected in [false, true] {
            let mut ws = match connected {
                true => connected_ws(addr).await,
                false => socket_io_ws(addr).await,
            };
            send_text(&mut ws, bad).await;
            let seen = until_closed(&mut ws).await;
            assert!(
                seen.iter()
                    .all(|m| matches!(m, Message::Text(t) if t.as_str() == "2" || t.as_str() == "1")),
                "{bad} (connected: {connected}): {seen:?}"
            );
        }
        let at = connected_polling(addr).await;
        assert_eq!(post(addr, &at, bad).await.text(), "ok", "the Engine.IO packet is fine");
        let seen = poll_until_gone(addr, &at).await;
        assert!(seen.iter().all(|p| p == "1" || p == "2"), "{bad}: {seen:?}");
    }
}

// Section 5: socket.io-client 4.

const TRANSPORTS: [&str; 3] = ["polling", "websocket", "upgrade"];

async fn client_scenario(url: String, transport: &'static str) {
    let mut c = NodeClient::connect_modern(&url, 4, transport, json!({"auth": {"token": "123"}})).await;
    let main = c
        .expect("connect on /", |r| r["ev"] == "connect" && r["ns"] == "")
        .await;
    if transport == "upgrade" {
        c.expect("the upgrade", |r| r["ev"] == "upgrade" && r["transport"] == "websocket")
            .await;
    } else {
        assert_eq!(main["transport"], transport);
    }
    assert_eq!(
        c.expect_event("", "auth").await,
        [json!({"token": "123"})],
        "{transport}"
    );

    // /custom multiplexed on the same Engine.IO connection.
    c.of_with_auth("/custom", json!({"token": "abc"})).await;
    let custom = c
        .expect("connect on /custom", |r| r["ev"] == "connect" && r["ns"] == "/custom")
        .await;
    assert!(
        main["engine"].is_string() && custom["engine"] == main["engine"],
        "{main} {custom}"
    );
    assert_eq!(
        c.expect_event("/custom", "auth").await,
        [json!({"token": "abc"})],
        "{transport}"
    );

    // message-back, callback acks and emitWithAck.
    let args = vec![json!(1), json!("2"), json!({"3": [true]})];
    c.emit("", "message", args.clone()).await;
    assert_eq!(c.expect_event("", "message-back").await, args, "{transport}");
    assert_eq!(c.emit_ack("", "message-with-ack", args.clone()).await, args);
    assert_eq!(
        c.emit_with_ack_promise("", "message-with-ack", vec![json!({"k": "v"})])
            .await,
        json!({"k": "v"})
    );
    // Buffers at the top level, nested, in acks; 200 kB of each kind.
    let buffers = vec![
        json!({"$bytes": "010203"}),
        json!({"nested": [{"$bytes": "040506"}], "k": "v"}),
        json!({"$bytes": "ab".repeat(200_000)}),
        json!("z".repeat(200_000)),
    ];
    c.emit("", "message", buffers.clone()).await;
    assert_eq!(c.expect_event("", "message-back").await, buffers, "{transport}");
    assert_eq!(c.emit_ack("", "message-with-ack", buffers.clone()).await, buffers);
    // Fifty quick emits come back in order.
    for i in 0..50 {
        c.emit("", "message", vec![json!(i)]).await;
    }
    for i in 0..50 {
        assert_eq!(c.expect_event("", "message-back").await, [json!(i)], "{transport}");
    }
    // /custom has no event handlers: its ack never comes (the client's timer ends the wait).
    assert_eq!(
        c.emit_ack_timeout("/custom", "message-with-ack", vec![json!(1)], 300)
            .await,
        Err(()),
        "{transport}"
    );
    // An unknown namespace.
    c.of("/random").await;
    let refused = c
        .expect("connect_error on /random", |r| {
            r["ev"] == "connect_error" && r["ns"] == "/random"
        })
        .await;
    assert_eq!(refused["message"], "Invalid namespace", "{transport}");
    // Leaving /custom keeps `/`.
    c.disconnect("/custom").await;
    c.expect_disconnect("/custom").await;
    assert_eq!(
        c.emit_ack("", "message-with-ack", vec![json!("after")]).await,
        [json!("after")]
    );
    // Several heartbeats (every 300 ms), answered by the client; still connected.
    c.expect("the third ping", |r| r["ev"] == "ping" && r["n"] == 3).await;
    assert_eq!(
        c.emit_ack("", "message-with-ack", vec![json!("alive")]).await,
        [json!("alive")]
    );
    assert!(!c.seen(|r| r["ev"] == "disconnect" && r["ns"] == ""), "{transport}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_io_client_4_passes_its_scenarios_over_every_transport() {
    let example = server(&[]).await;
    let scenarios = TRANSPORTS.map(|transport| tokio::spawn(client_scenario(example.url.clone(), transport)));
    for scenario in join_all(scenarios).await {
        scenario.expect("scenario");
    }
    // Without auth, the echo is `{}`.
    let mut c = NodeClient::connect_modern(&example.url, 4, "websocket", json!({})).await;
    c.expect_connect("").await;
    assert_eq!(c.expect_event("", "auth").await, [json!({})]);
}
