//! Raw HTTP and WebSocket probes of the modern protocol against the
//! `conformance_modern` example (pingInterval 300 ms, pingTimeout 200 ms,
//! maxPayload 1 MB): what no client library exercises on purpose — the
//! upgrade race, ping timeouts, oversized and malformed input.

mod common;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use common::engineio::{
    assert_client_close_ends_a_held_poll_with_a_noop, handshake, handshake_eio, next_binary, next_text,
    overlapping_polls, path, path_eio, poll_v3_until_gone, spawn_get, until_closed, v3_packets, v3_payload, websocket,
    websocket_eio,
};
use common::example::{Example, start_example};
use common::http::{get, post};

async fn server() -> Example {
    start_example("conformance_modern", &[]).await
}

#[tokio::test]
async fn handshake_answers_exactly_and_refuses_what_is_not_engine_io() {
    let server = server().await;
    let addr = server.addr();
    for base in ["/engine.io", "/socket.io"] {
        let (sid, open) = handshake(addr, base).await;
        let keys: Vec<&str> = open.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 5, "{open}");
        assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
        assert_eq!(
            (open["pingInterval"].as_u64(), open["pingTimeout"].as_u64()),
            (Some(300), Some(200))
        );
        assert_eq!(open["maxPayload"], 1_000_000);
        assert_eq!(sid.len(), 32);
        for bad in [
            format!("{base}/"),
            format!("{base}/?EIO=abc&transport=polling"),
            format!("{base}/?EIO=4"),
            format!("{base}/?EIO=4&transport=abc"),
            format!("{base}/?EIO=4&transport=polling&sid=nope"),
        ] {
            assert_eq!(get(addr, &bad).await.status, 400, "{bad}");
        }
        assert_eq!(post(addr, &path(base, None), "").await.status, 400, "a POST handshake");
    }
    // The legacy protocol still lives on the same port.
    assert_eq!(get(addr, "/socket.io/1/").await.status, 200);
}

#[tokio::test]
async fn polling_echo_batches_and_binary() {
    let server = server().await;
    let addr = server.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    let reply = post(addr, &at, "4test1\x1e4test2\x1ebAQIDBA==").await;
    assert_eq!((reply.status, reply.text()), (200, "ok".to_owned()));
    assert_eq!(get(addr, &at).await.text(), "4test1\x1e4test2\x1ebAQIDBA==");
    // Nothing queued: the next GET waits for the server's ping.
    assert_eq!(get(addr, &at).await.text(), "2");
    assert_eq!(post(addr, &at, "3").await.text(), "ok");
}

#[tokio::test]
async fn a_silent_client_is_dropped_by_the_ping_timeout() {
    let server = server().await;
    let addr = server.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    // The ping comes after 300 ms; nobody answers it within 200 ms.
    assert_eq!(get(addr, &at).await.text(), "2");
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(50));
    loop {
        ticks.tick().await;
        let reply = get(addr, &at).await;
        if reply.status == 400 {
            break;
        }
        // Until the timeout passes, a poll may still see the close packet.
        assert!(reply.text() == "1" || reply.text() == "2", "{}", reply.text());
    }
    // Over a websocket: the server closes the socket.
    let mut ws = websocket(addr, "/engine.io", None).await;
    let open = match ws.next().await {
        Some(Ok(Message::Text(text))) => text.as_str().to_owned(),
        other => panic!("expected the open packet, got {other:?}"),
    };
    assert!(open.contains(r#""upgrades":[]"#), "{open}");
    let seen = until_closed(&mut ws).await;
    assert!(seen.contains(&Message::Text("2".into())), "pinged first: {seen:?}");
}

#[tokio::test]
async fn overlapping_polls_close_the_session_and_a_client_close_ends_the_poll() {
    let server = server().await;
    let addr = server.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    // Two polls at once: whichever the server saw second is refused, and the
    // one it held is answered with the close packet.
    let answers = overlapping_polls(addr, &at).await;
    assert_eq!(answers[0], (200, "1".to_owned()));
    assert_eq!(answers[1].0, 400);
    assert_eq!(get(addr, &at).await.status, 400, "the session is gone");

    assert_client_close_ends_a_held_poll_with_a_noop(addr).await;
}

#[tokio::test]
async fn malformed_and_oversized_input_is_refused() {
    let server = server().await;
    let addr = server.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    assert_eq!(post(addr, &at, "abc").await.status, 400);
    assert_eq!(get(addr, &at).await.status, 400, "a bad payload closes the session");

    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    let big = format!("4{}", "x".repeat(1_000_001));
    assert_eq!(post(addr, &at, &big).await.status, 413);

    let mut ws = websocket(addr, "/engine.io", None).await;
    let _open = next_text(&mut ws).await;
    // The server may close while the message is still being written.
    let _ = ws.send(Message::Text(big.into())).await;
    let seen = until_closed(&mut ws).await;
    assert!(
        !seen.iter().any(|m| matches!(m, Message::Text(t) if t.len() > 1000)),
        "not echoed"
    );

    let mut ws = websocket(addr, "/engine.io", None).await;
    let _open = next_text(&mut ws).await;
    ws.send(Message::Text("abc".into())).await.expect("send");
    until_closed(&mut ws).await;

    // Socket.IO packets that do not parse close the connection.
    for bad in ["4abc", r#"42{}"#, r#"42abc["message-with-ack",1]"#] {
        let mut ws = websocket(addr, "/socket.io", None).await;
        let _open = next_text(&mut ws).await;
        ws.send(Message::Text("40".into())).await.expect("send");
        assert!(next_text(&mut ws).await.expect("connect").starts_with("40{"));
        ws.send(Message::Text(bad.into())).await.expect("send");
        let seen = until_closed(&mut ws).await;
        assert!(
            !seen
                .iter()
                .any(|m| matches!(m, Message::Text(t) if t.starts_with("43"))),
            "{bad}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn upgrade_loses_nothing_and_takes_over_the_session() {
    let server = server().await;
    let addr = server.addr();
    let (sid, _) = handshake(addr, "/engine.io").await;
    let at = path("/engine.io", Some(&sid));
    // A poll is held while the websocket probes.
    let held = spawn_get(addr, &at);
    let mut ws = websocket(addr, "/engine.io", Some(&sid)).await;
    ws.send(Message::Text("2probe".into())).await.expect("probe");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("3probe"));
    let held = held.await.expect("held poll");
    assert_eq!(
        (held.status, held.text()),
        (200, "6".to_owned()),
        "the held poll ends with a noop"
    );
    // Echoes asked for over polling during the upgrade are queued...
    assert_eq!(post(addr, &at, "4during1\x1e4during2").await.text(), "ok");
    // ...and arrive on the websocket once it takes over, in order.
    ws.send(Message::Text("5".into())).await.expect("upgrade");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4during1"));
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4during2"));
    ws.send(Message::Binary(vec![1, 2, 3, 4].into())).await.expect("send");
    loop {
        match ws.next().await.expect("open").expect("frame") {
            Message::Binary(data) => {
                assert_eq!(&data[..], [1, 2, 3, 4]);
                break;
            }
            Message::Text(text) if text.as_str() == "2" => ws.send(Message::Text("3".into())).await.expect("pong"),
            other => panic!("unexpected {other:?}"),
        }
    }
    // Polling is over for this session; a second websocket is turned away.
    assert_eq!(get(addr, &at).await.status, 400);
    let mut second = websocket(addr, "/engine.io", Some(&sid)).await;
    until_closed(&mut second).await;
    ws.send(Message::Text("4still here".into())).await.expect("send");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4still here"));
}

#[tokio::test]
async fn socket_io_connect_forms_namespaces_and_binary() {
    let server = server().await;
    let addr = server.addr();
    let mut ws = websocket(addr, "/socket.io", None).await;
    let _open = next_text(&mut ws).await;
    ws.send(Message::Text(r#"40{"token":"123"}"#.into()))
        .await
        .expect("send");
    let connect = next_text(&mut ws).await.expect("connect");
    let body: Value = serde_json::from_str(connect.strip_prefix("40").expect("40")).expect("JSON");
    assert_eq!(
        body.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["sid".to_owned()])
    );
    assert_eq!(
        next_text(&mut ws).await.as_deref(),
        Some(r#"42["auth",{"token":"123"}]"#)
    );
    ws.send(Message::Text("40/custom".into())).await.expect("send");
    assert!(
        next_text(&mut ws)
            .await
            .expect("connect")
            .starts_with(r#"40/custom,{"sid":"#)
    );
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42/custom,["auth",{}]"#));
    ws.send(Message::Text("40/random".into())).await.expect("send");
    assert_eq!(
        next_text(&mut ws).await.as_deref(),
        Some(r#"44/random,{"message":"Invalid namespace"}"#)
    );
    ws.send(Message::Text(r#"42["message",1,"2",{"3":[true]}]"#.into()))
        .await
        .expect("send");
    assert_eq!(
        next_text(&mut ws).await.as_deref(),
        Some(r#"42["message-back",1,"2",{"3":[true]}]"#)
    );
    ws.send(Message::Text(r#"42456["message-with-ack",1,"2",{"3":[false]}]"#.into()))
        .await
        .expect("send");
    assert_eq!(
        next_text(&mut ws).await.as_deref(),
        Some(r#"43456[1,"2",{"3":[false]}]"#)
    );
    // Binary events and acks: placeholders in the text, attachments after it.
    let placeholders = r#"{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}"#;
    ws.send(Message::Text(format!(r#"452-["message",{placeholders}]"#).into()))
        .await
        .expect("send");
    ws.send(Message::Binary(vec![1, 2, 3].into())).await.expect("send");
    ws.send(Message::Binary(vec![4, 5, 6].into())).await.expect("send");
    assert_eq!(
        next_text(&mut ws).await,
        Some(format!(r#"452-["message-back",{placeholders}]"#))
    );
    assert_eq!(next_binary(&mut ws).await, [1, 2, 3]);
    assert_eq!(next_binary(&mut ws).await, [4, 5, 6]);
    ws.send(Message::Text(
        format!(r#"452-789["message-with-ack",{placeholders}]"#).into(),
    ))
    .await
    .expect("send");
    ws.send(Message::Binary(vec![1, 2, 3].into())).await.expect("send");
    ws.send(Message::Binary(vec![4, 5, 6].into())).await.expect("send");
    assert_eq!(next_text(&mut ws).await, Some(format!("462-789[{placeholders}]")));
    assert_eq!(next_binary(&mut ws).await, [1, 2, 3]);
    assert_eq!(next_binary(&mut ws).await, [4, 5, 6]);

    ws.send(Message::Text("41/custom,".into())).await.expect("send");
    ws.send(Message::Text(r#"42["message",7]"#.into())).await.expect("send");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["message-back",7]"#));
}

#[tokio::test]
async fn binary_over_polling_travels_as_base64_packets() {
    let server = server().await;
    let addr = server.addr();
    let (sid, _) = handshake(addr, "/socket.io").await;
    let at = path("/socket.io", Some(&sid));
    assert_eq!(post(addr, &at, "40").await.text(), "ok");
    let connected = get(addr, &at).await.text();
    assert!(connected.starts_with("40{"), "{connected}");
    let placeholder = r#"{"_placeholder":true,"num":0}"#;
    let body = format!("451-[\"message\",{placeholder}]\x1ebAQID");
    assert_eq!(post(addr, &at, &body).await.text(), "ok");
    let mut got = String::new();
    while !got.contains("bAQID") {
        let poll = get(addr, &at).await.text();
        // Pings may come in between; answer them.
        if poll.split('\x1e').any(|p| p == "2") {
            post(addr, &at, "3").await;
        }
        got.push_str(&poll);
    }
    assert!(
        got.contains(&format!("451-[\"message-back\",{placeholder}]\x1ebAQID")),
        "{got}"
    );
}

#[tokio::test]
async fn no_namespace_within_the_connect_timeout_closes_the_connection() {
    let server = start_example(
        "conformance_modern",
        &[("PING_INTERVAL_MS", "5000"), ("PING_TIMEOUT_MS", "5000")],
    )
    .await;
    let mut ws = websocket(server.addr(), "/socket.io", None).await;
    let _open = next_text(&mut ws).await;
    let seen = until_closed(&mut ws).await;
    assert!(seen.is_empty() || seen == [Message::Text("1".into())], "{seen:?}");
}

#[tokio::test]
async fn either_protocol_family_can_be_turned_off() {
    let legacy_only = common::start(|b| b.modern_protocol(false)).await;
    assert_eq!(get(legacy_only.addr, "/socket.io/1/").await.status, 200);
    assert_eq!(get(legacy_only.addr, &path("/socket.io", None)).await.status, 404);
    let modern_only = common::start(|b| b.legacy_protocol(false)).await;
    assert_eq!(get(modern_only.addr, "/socket.io/1/").await.status, 404);
    let (sid, _) = handshake(modern_only.addr, "/socket.io").await;
    assert_eq!(sid.len(), 32);
}

// Engine.IO 3 (socket.io-client 1.x and 2.x): the client pings.

#[tokio::test]
async fn engine_io_3_clients_ping_and_a_silent_one_is_dropped() {
    let server = start_example(
        "conformance_modern",
        &[("PING_INTERVAL_MS", "200"), ("PING_TIMEOUT_MS", "300")],
    )
    .await;
    let addr = server.addr();
    let (sid, open) = handshake_eio(addr, 3, "/engine.io").await;
    let mut keys: Vec<&str> = open.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["pingInterval", "pingTimeout", "sid", "upgrades"], "{open}");
    assert_eq!(
        (open["pingInterval"].as_u64(), open["pingTimeout"].as_u64()),
        (Some(200), Some(300))
    );
    // Over polling: a ping is answered with a pong, next to the echo.
    let at = path_eio(3, "/engine.io", Some(&sid));
    assert_eq!(post(addr, &at, &v3_payload(&["2", "4hi"])).await.text(), "ok");
    assert_eq!(v3_packets(&get(addr, &at).await.text()), ["3", "4hi"]);

    // A websocket client pinging on its own timer, and a silent polling
    // session opened after it: once the silent one is gone, the pinging one
    // has outlived the same deadline and still answers.
    let mut ws = websocket_eio(addr, 3, "/engine.io", None).await;
    let open = next_text(&mut ws).await.expect("the open packet");
    assert!(open.starts_with("0{") && open.contains(r#""upgrades":[]"#), "{open}");
    let (silent, _) = handshake_eio(addr, 3, "/engine.io").await;
    let silent_at = path_eio(3, "/engine.io", Some(&silent));
    let gone = tokio::spawn(async move { poll_v3_until_gone(addr, &silent_at).await });
    tokio::pin!(gone);
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(50));
    loop {
        tokio::select! {
            seen = &mut gone => {
                // A held poll gets the close packet; a later one a 400.
                let seen = seen.expect("poller");
                assert!(seen.iter().all(|p| p == "1"), "{seen:?}");
                break;
            }
            _ = ticks.tick() => {
                ws.send(Message::Text("2".into())).await.expect("ping");
                assert_eq!(next_text(&mut ws).await.as_deref(), Some("3"));
            }
        }
    }
    ws.send(Message::Text("4still".into())).await.expect("send");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4still"));
    // Now silent, the websocket is closed; a v3 server never pings.
    let seen = until_closed(&mut ws).await;
    assert!(
        seen.iter().all(|m| matches!(m, Message::Text(t) if t.as_str() == "1")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn engine_io_3_upgrade_loses_nothing_and_takes_over_the_session() {
    let server = start_example(
        "conformance_modern",
        &[("PING_INTERVAL_MS", "20000"), ("PING_TIMEOUT_MS", "20000")],
    )
    .await;
    let addr = server.addr();
    let (sid, open) = handshake_eio(addr, 3, "/engine.io").await;
    assert_eq!(open["upgrades"], serde_json::json!(["websocket"]));
    let at = path_eio(3, "/engine.io", Some(&sid));
    let held = spawn_get(addr, &at);
    let mut ws = websocket_eio(addr, 3, "/engine.io", Some(&sid)).await;
    ws.send(Message::Text("2probe".into())).await.expect("probe");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("3probe"));
    // The held poll and a new one end with a noop.
    let held = held.await.expect("held poll");
    assert_eq!((held.status, v3_packets(&held.text())), (200, vec!["6".to_owned()]));
    let new = get(addr, &at).await;
    assert_eq!((new.status, v3_packets(&new.text())), (200, vec!["6".to_owned()]));
    // Echoes asked for over polling during the upgrade arrive on the
    // websocket once it takes over, in order.
    let during = v3_payload(&["4during1", "4during2"]);
    assert_eq!(post(addr, &at, &during).await.text(), "ok");
    ws.send(Message::Text("5".into())).await.expect("upgrade");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4during1"));
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4during2"));
    // v3 binary websocket frames lead with the message type byte.
    ws.send(Message::Binary(vec![4, 1, 2, 3].into())).await.expect("send");
    assert_eq!(next_binary(&mut ws).await, [4, 1, 2, 3]);
    // Client pings travel on the websocket now.
    ws.send(Message::Text("2".into())).await.expect("ping");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("3"));
    assert_eq!(get(addr, &at).await.status, 400, "polling is over");
    let mut second = websocket_eio(addr, 3, "/engine.io", Some(&sid)).await;
    until_closed(&mut second).await;
    ws.send(Message::Text("4still here".into())).await.expect("send");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("4still here"));
}

#[tokio::test]
async fn a_close_frame_is_answered_with_a_close_frame() {
    let server = server().await;
    let addr = server.addr();
    for base in ["/engine.io", "/socket.io"] {
        let mut ws = websocket(addr, base, None).await;
        let open = next_text(&mut ws).await.expect("the open packet");
        assert!(open.starts_with("0{"), "{open}");
        ws.send(Message::Close(None)).await.expect("close sent");
        // RFC 6455 5.5.1: the server must answer with a Close frame of its own.
        let answer = loop {
            match ws.next().await {
                Some(Ok(Message::Text(_))) => continue,
                other => break other,
            }
        };
        assert!(matches!(answer, Some(Ok(Message::Close(_)))), "{base}: {answer:?}");
    }
}
