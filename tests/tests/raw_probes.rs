//! Raw HTTP and WebSocket probes: refusals, CORS, limits, and the polling
//! queue, with a healthy session checked after every bad input.

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};

use common::engineio;
use common::http::{self, frame, get, handshake, packets, poll_packets, post, request, xhr};
use common::{assert_healthy, start, start_default};
use socketio::{AllowedOrigins, Transport};

#[tokio::test]
async fn handshake_answers_sid_timeouts_and_transports() {
    let server = start_default().await;
    let reply = get(server.addr, "/socket.io/1/?t=123").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/plain; charset=UTF-8"));
    let body = reply.text();
    let fields: Vec<&str> = body.split(':').collect();
    assert_eq!(fields.len(), 4, "{body}");
    assert_eq!(fields[0].len(), 32);
    assert!(fields[0].bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        &fields[1..],
        &["60", "60", "websocket,flashsocket,htmlfile,xhr-polling,jsonp-polling"]
    );
    let other = handshake(server.addr).await;
    assert_ne!(other, fields[0], "session ids are unique");
    // Without the trailing slash too.
    assert_eq!(get(server.addr, "/socket.io/1").await.status, 200);
    assert_eq!(server.io.session_count(), 3);
}

#[tokio::test]
async fn refused_open_hook_answers_401_and_keeps_no_session() {
    let server = start_default().await;
    let reply = get(server.addr, "/socket.io/1/?reject=1").await;
    assert_eq!(reply.status, 401);
    assert_eq!(server.io.session_count(), 0);
    assert!(
        server.observed.closes.lock().expect("lock").is_empty(),
        "no close hook for a refused open"
    );
    assert_healthy(&server).await;
}

#[tokio::test]
async fn bad_urls_are_refused() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    for (path, status) in [
        ("/socket.io/2/".to_owned(), 400),
        ("/elsewhere/1/".to_owned(), 404),
        (format!("/socket.io/1/carrier-pigeon/{sid}"), 404),
        ("/socket.io/1/xhr-polling".to_owned(), 404),
        (format!("/socket.io/1/xhr-polling/{sid}/extra"), 404),
    ] {
        assert_eq!(get(server.addr, &path).await.status, status, "{path}");
    }
    assert_eq!(
        request(server.addr, "DELETE", "/socket.io/1/", &[], b"").await.status,
        405
    );
    assert_eq!(request(server.addr, "PUT", &xhr(&sid), &[], b"").await.status, 405);
    assert_healthy(&server).await;
}

#[tokio::test]
async fn disabled_transports_are_refused_and_not_advertised() {
    let server = start(|b| b.transports(vec![Transport::XhrPolling])).await;
    let body = get(server.addr, "/socket.io/1/").await.text();
    assert!(body.ends_with(":xhr-polling"), "{body}");
    let sid = body.split(':').next().expect("sid");
    let reply = request(
        server.addr,
        "GET",
        &format!("/socket.io/1/websocket/{sid}"),
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        b"",
    )
    .await;
    assert_eq!(reply.status, 404);
    assert_healthy(&server).await;
}

#[tokio::test]
async fn unknown_session_ids_are_refused() {
    let server = start_default().await;
    let reply = get(server.addr, &xhr("nosuchsession")).await;
    assert_eq!((reply.status, reply.text().as_str()), (200, "7:::1+0"));
    let reply = post(server.addr, &xhr("nosuchsession"), "3:::hi").await;
    assert_eq!(reply.status, 404);
    let mut socket = http::websocket(server.addr, "nosuchsession").await;
    assert_eq!(http::next_text(&mut socket, false).await.as_deref(), Some("7:::1+0"));
    assert_eq!(http::next_text(&mut socket, false).await, None, "then closed");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn websocket_url_needs_a_proper_upgrade() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    let path = format!("/socket.io/1/websocket/{sid}");
    assert_eq!(post(server.addr, &path, "3:::x").await.status, 405);
    assert_eq!(get(server.addr, &path).await.status, 400);
    let old = request(
        server.addr,
        "GET",
        &path,
        &[
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "8"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        b"",
    )
    .await;
    assert_eq!(old.status, 426);
    assert_eq!(old.header("sec-websocket-version"), Some("13"));
    let polling_upgrade = request(
        server.addr,
        "GET",
        &xhr(&sid),
        &[("Upgrade", "websocket"), ("Connection", "Upgrade")],
        b"",
    )
    .await;
    assert_eq!(polling_upgrade.status, 400);
    // The session was not harmed by any of it.
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn oversized_non_utf8_and_misframed_bodies_are_refused_and_the_session_goes_on() {
    let server = start(|b| b.max_http_body(1024)).await;
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    let big = format!("3:::{}", "x".repeat(2000));
    assert_eq!(post(server.addr, &xhr(&sid), &big).await.status, 413);
    let bad_utf8 = request(server.addr, "POST", &xhr(&sid), &[], b"3:::\xff\xfe").await;
    assert_eq!(bad_utf8.status, 400);
    for misframed in [
        "\u{fffd}9\u{fffd}3:::a",
        "\u{fffd}x\u{fffd}2::",
        "\u{fffd}3",
        "\u{fffd}1\u{fffd}\u{1F600}",
    ] {
        assert_eq!(
            post(server.addr, &xhr(&sid), misframed).await.status,
            400,
            "{misframed:?}"
        );
    }
    // Still the same session, still working.
    assert_eq!(post(server.addr, &xhr(&sid), "3:::still here").await.status, 200);
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "3:::still here");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn malformed_packets_and_bad_json_get_error_packets_and_the_session_goes_on() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    for bad in [
        "hello",
        "5:::{not json",
        "5:::{\"args\":[1]}",
        "4:::",
        "9:::x",
        "6:::abc",
    ] {
        assert_eq!(post(server.addr, &xhr(&sid), bad).await.status, 200, "{bad}");
        let answer = get(server.addr, &xhr(&sid)).await.text();
        assert!(answer.starts_with("7:::"), "{bad} -> {answer}");
    }
    // Acks for unknown ids are ignored; packets for endpoints never connected too.
    post(server.addr, &xhr(&sid), &frame(&["6:::999", "3::/nope:hi", "3:::ok"])).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "3:::ok");
    // Arguments of the wrong type: an error packet naming the event.
    post(server.addr, &xhr(&sid), "5:2+::{\"name\":\"sum\",\"args\":[\"a\",{}]}").await;
    let answer = get(server.addr, &xhr(&sid)).await.text();
    assert!(answer.starts_with("7:::") && answer.contains("sum"), "{answer}");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn cors_reflects_allowed_origins_with_credentials_and_refuses_others() {
    let server = start(|b| b.allowed_origins(AllowedOrigins::List(vec!["http://app.example".into()]))).await;
    let reply = request(
        server.addr,
        "GET",
        "/socket.io/1/",
        &[("Origin", "http://app.example")],
        b"",
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some("http://app.example"));
    assert_eq!(reply.header("access-control-allow-credentials"), Some("true"));
    let sid = reply.text().split(':').next().expect("sid").to_owned();
    let preflight = request(
        server.addr,
        "OPTIONS",
        &xhr(&sid),
        &[
            ("Origin", "http://app.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        b"",
    )
    .await;
    assert!(preflight.status == 200 || preflight.status == 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://app.example")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("POST"))
    );
    assert_eq!(preflight.header("access-control-allow-headers"), Some("content-type"));
    let poll = request(server.addr, "GET", &xhr(&sid), &[("Origin", "http://app.example")], b"").await;
    assert_eq!(poll.header("access-control-allow-credentials"), Some("true"));
    let sessions = server.io.session_count();
    let refused = request(
        server.addr,
        "GET",
        "/socket.io/1/",
        &[("Origin", "http://evil.example")],
        b"",
    )
    .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert_eq!(server.io.session_count(), sessions, "a refused origin makes no session");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn packets_queued_between_polls_arrive_once_and_in_order() {
    let server = start(|b| b.polling_duration(Duration::from_millis(300))).await;
    let sid = handshake(server.addr).await;
    // Nothing is bound: everything below waits in the session's queue.
    post(server.addr, &xhr(&sid), "5:::{\"name\":\"count_to\",\"args\":[50]}").await;
    post(server.addr, &xhr(&sid), &frame(&["3:::a", "3:::b"])).await;
    // Handlers run in their own task: collect until everything arrived.
    let first = poll_packets(server.addr, &sid, 53).await;
    let mut expected = vec!["1::".to_owned()];
    expected.extend((0..50).map(|i| format!("5:::{{\"name\":\"n\",\"args\":[{i}]}}")));
    expected.extend(["3:::a".to_owned(), "3:::b".to_owned()]);
    assert_eq!(first, expected);
    // Delivered once: the next poll has nothing but the empty answer.
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "8::");
}

#[tokio::test]
async fn a_newer_poll_replaces_an_older_one() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    let addr = server.addr;
    let (path_a, path_b) = (xhr(&sid), xhr(&sid));
    let mut a = tokio::spawn(async move { get(addr, &path_a).await });
    let mut b = tokio::spawn(async move { get(addr, &path_b).await });
    // Whichever poll bound first is answered `8::` as soon as the other binds;
    // the one that replaced it gets the next packet.
    let (first, remaining) = tokio::select! {
        first = &mut a => (first, b),
        first = &mut b => (first, a),
    };
    assert_eq!(first.expect("poll").text(), "8::");
    post(server.addr, &xhr(&sid), "3:::for the newer").await;
    assert_eq!(remaining.await.expect("poll").text(), "3:::for the newer");
}

#[tokio::test]
async fn disconnect_query_ends_the_session() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    let reply = get(server.addr, &format!("/socket.io/1//{sid}/?disconnect=1")).await;
    assert_eq!(reply.status, 200);
    server.observed.wait_close(&sid, "").await;
    // The client said goodbye: nothing is kept for it.
    server.io.idle().await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "7:::1+0");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn endpoint_connect_carries_its_query_and_refusals_keep_the_session() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    post(server.addr, &xhr(&sid), "1::/chat?x=1&y=two").await;
    assert_eq!(
        packets(&get(server.addr, &xhr(&sid)).await.text()),
        ["1::/chat", "3::/chat:welcome /chat"]
    );
    post(server.addr, &xhr(&sid), "5:1+:/chat:{\"name\":\"whoami\",\"args\":[]}").await;
    let who = get(server.addr, &xhr(&sid)).await.text();
    let json = who.strip_prefix("6::/chat:1+").expect("ack on /chat");
    let value: serde_json::Value = serde_json::from_str(json).expect("json");
    assert_eq!(value[0]["endpoint"], "/chat");
    assert_eq!(value[0]["query"], serde_json::json!({"x": "1", "y": "two"}));
    assert_eq!(value[0]["sid"], sid.as_str());
    // Refused by its open hook, unknown, and then a duplicate connect.
    post(server.addr, &xhr(&sid), "1::/reject").await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "7::/reject:2");
    post(server.addr, &xhr(&sid), "1::/unknown").await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "7::/unknown:2");
    post(server.addr, &xhr(&sid), "1::/chat").await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::/chat");
    // A dynamic endpoint from the resolver.
    post(server.addr, &xhr(&sid), "1::/dyn-7").await;
    assert_eq!(
        packets(&get(server.addr, &xhr(&sid)).await.text()),
        ["1::/dyn-7", "3::/dyn-7:welcome /dyn-7"]
    );
    // The main endpoint and /chat still answer.
    post(
        server.addr,
        &xhr(&sid),
        &frame(&["5:2+::{\"name\":\"sum\",\"args\":[1,1]}", "3::/chat:hello"]),
    )
    .await;
    let mut answers = poll_packets(server.addr, &sid, 2).await;
    answers.sort();
    assert_eq!(answers, ["3::/chat:hello", "6:::2+[2]"]);
    // Disconnecting /chat runs its close hook; later /chat packets are ignored.
    post(server.addr, &xhr(&sid), "0::/chat").await;
    server.observed.wait_close(&sid, "/chat").await;
    post(
        server.addr,
        &xhr(&sid),
        &frame(&["5:3+:/chat:{\"name\":\"sum\",\"args\":[1,1]}", "3:::main"]),
    )
    .await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "3:::main");
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_at_the_queue_bound() {
    let server = start(|b| b.max_queue_packets(20)).await;
    let sid = handshake(server.addr).await;
    // No poll ever comes: push more than the bound from outside.
    for i in 0..25 {
        server.io.of("").emit("tick", (i,)).expect("serializable");
    }
    server.observed.wait_close(&sid, "").await;
    assert_healthy(&server).await;
}

#[tokio::test]
async fn a_session_without_transport_closes_after_the_close_timeout() {
    let server = start(|b| b.close_timeout(Duration::from_millis(200))).await;
    let sid = handshake(server.addr).await;
    server.observed.wait_close(&sid, "").await;
    // What was queued, the disconnect last, is still delivered once.
    assert_eq!(packets(&get(server.addr, &xhr(&sid)).await.text()), ["1::", "0::"]);
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "7:::1+0");
}

#[tokio::test]
async fn a_websocket_client_that_misses_heartbeats_is_dropped() {
    let server = start(|b| {
        b.heartbeat_interval(Duration::from_millis(100))
            .heartbeat_timeout(Duration::from_millis(400))
    })
    .await;
    let sid = handshake(server.addr).await;
    let mut socket = http::websocket(server.addr, &sid).await;
    assert_eq!(http::next_text(&mut socket, false).await.as_deref(), Some("1::"));
    // Heartbeats arrive and are never answered; the server gives up.
    let mut seen = Vec::new();
    while let Some(text) = http::next_text(&mut socket, false).await {
        seen.push(text);
    }
    assert!(seen.iter().filter(|t| *t == "2::").count() >= 2, "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("0::"));
    server.observed.wait_close(&sid, "").await;
}

#[tokio::test]
async fn oversized_and_binary_websocket_messages_close_only_that_socket() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let server = start(|b| b.max_websocket_message(1024)).await;
    let sid = handshake(server.addr).await;
    let mut socket = http::websocket(server.addr, &sid).await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("1::"));
    http::send_text(&mut socket, &format!("3:::{}", "x".repeat(4096))).await;
    assert_eq!(http::next_text(&mut socket, true).await, None, "closed");
    let sid = handshake(server.addr).await;
    let mut socket = http::websocket(server.addr, &sid).await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("1::"));
    socket.send(Message::Binary(vec![1, 2, 3].into())).await.expect("send");
    assert_eq!(http::next_text(&mut socket, true).await, None, "closed");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn websocket_moves_packets_both_ways_and_tolerates_framed_payloads() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    let mut socket = http::websocket(server.addr, &sid).await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("1::"));
    http::send_text(&mut socket, "\u{fffd}5\u{fffd}3:::a\u{fffd}9\u{fffd}3:::é😀ab").await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("3:::a"));
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("3:::é😀ab"));
    // Malformed packets, bad event JSON and a broken frame each get an
    // error packet; the socket stays usable and another session is untouched.
    for bad in ["hello", "5:::{x", "5:::[1]", "\u{fffd}9\u{fffd}3:::a"] {
        http::send_text(&mut socket, bad).await;
        let answer = http::next_text(&mut socket, true).await;
        assert!(
            answer.as_deref().is_some_and(|t| t.starts_with("7:::")),
            "{bad:?}: {answer:?}"
        );
        assert_healthy(&server).await;
    }
    http::send_text(&mut socket, "5:1+::{\"name\":\"sum\",\"args\":[2,2]}").await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("6:::1+[4]"));
    http::send_text(&mut socket, "0::").await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("0::"));
    server.observed.wait_close(&sid, "").await;
}

#[tokio::test]
async fn connection_info_carries_proxy_address_cookies_and_headers() {
    let server =
        start(|b| b.trusted_proxy_header(Some(socketio::http::HeaderName::from_static("x-forwarded-for")))).await;
    let reply = request(
        server.addr,
        "GET",
        "/socket.io/1/?token=abc&t=99",
        &[
            ("X-Forwarded-For", "203.0.113.7, 10.0.0.1"),
            ("Cookie", "a=1; b=two"),
            ("User-Agent", "probe/1"),
        ],
        b"",
    )
    .await;
    let sid = reply.text().split(':').next().expect("sid").to_owned();
    post(server.addr, &xhr(&sid), "5:1+::{\"name\":\"whoami\",\"args\":[]}").await;
    let who = poll_packets(server.addr, &sid, 2).await;
    let json = who[1].strip_prefix("6:::1+").expect("ack");
    let who: serde_json::Value = serde_json::from_str(json).expect("json");
    assert_eq!(who[0]["ip"], "203.0.113.7");
    assert_eq!(
        who[0]["query"],
        serde_json::json!({"token": "abc"}),
        "the cache buster is left out"
    );
    assert_eq!(who[0]["cookies"], serde_json::json!({"a": "1", "b": "two"}));
    assert_eq!(who[0]["agent"], "probe/1");
}

#[tokio::test]
async fn a_close_frame_is_answered_with_a_close_frame_and_ends_the_session() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    let mut socket = http::websocket(server.addr, &sid).await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("1::"));
    socket
        .send(tokio_tungstenite::tungstenite::Message::Close(None))
        .await
        .expect("close sent");
    // RFC 6455 5.5.1: the server must answer with a Close frame of its own.
    let answer = loop {
        match socket.next().await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(_))) => continue,
            other => break other,
        }
    };
    assert!(
        matches!(answer, Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_)))),
        "{answer:?}"
    );
    server.observed.wait_close(&sid, "").await;
}

#[tokio::test]
async fn close_session_works_from_a_thread_outside_the_runtime() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    let (io, id) = (server.io.clone(), sid.clone());
    let existed = std::thread::spawn(move || io.close_session(&id))
        .join()
        .expect("closing from a plain thread does not panic");
    assert!(existed);
    assert!(!server.io.close_session("no-such-session"));
    // The close hook ran (on the runtime) and the client is told.
    server.observed.wait_close(&sid, "").await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "0::");
}

#[tokio::test]
async fn close_session_closes_modern_sessions_too() {
    let server = start_default().await;
    let mut ws = engineio::websocket(server.addr, "/socket.io", None).await;
    let open = engineio::next_text(&mut ws).await.expect("open packet");
    let sid = serde_json::from_str::<serde_json::Value>(&open[1..]).expect("json")["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    engineio::send_text(&mut ws, "40").await;
    let connect = engineio::next_text(&mut ws).await.expect("connect");
    // The namespace connection has a socket id of its own, as in node.
    let socket_id = serde_json::from_str::<serde_json::Value>(connect.strip_prefix("40").expect("CONNECT"))
        .expect("json")["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    assert_ne!(socket_id, sid);
    assert!(server.io.close_session(&sid));
    // The client is told the namespace is gone, then the socket closes.
    let seen = engineio::until_closed(&mut ws).await;
    assert!(
        seen.contains(&tokio_tungstenite::tungstenite::Message::Text("41".into())),
        "{seen:?}"
    );
    server.observed.wait_close(&socket_id, "").await;
}

#[tokio::test]
async fn the_session_limit_refuses_handshakes_beyond_it() {
    let server = start(|b| b.max_sessions(1)).await;
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, "/socket.io/1/").await.status, 503);
    assert_eq!(
        get(server.addr, &xhr(&sid)).await.text(),
        "1::",
        "the live session is untouched"
    );
}

#[tokio::test]
async fn an_unanswered_server_ack_times_out_with_a_clear_error() {
    let server = start(|b| b.ack_timeout(Duration::from_millis(100))).await;
    let sid = handshake(server.addr).await;
    post(server.addr, &xhr(&sid), "5:::{\"name\":\"ask\",\"args\":[]}").await;
    // The question asks for data (`+`); nobody answers it.
    let got = poll_packets(server.addr, &sid, 3).await;
    assert_eq!(got[1], "5:1+::{\"name\":\"question\",\"args\":[\"how?\"]}");
    assert!(
        got[2].starts_with("5:::{\"name\":\"answer_error\"") && got[2].contains("did not acknowledge"),
        "{got:?}"
    );
    // A late answer for that id is ignored, and a new question still works.
    post(
        server.addr,
        &xhr(&sid),
        &frame(&["6:::1+[\"late\"]", "5:::{\"name\":\"ask\",\"args\":[]}"]),
    )
    .await;
    let got = poll_packets(server.addr, &sid, 1).await;
    assert_eq!(got[0], "5:2+::{\"name\":\"question\",\"args\":[\"how?\"]}");
    post(server.addr, &xhr(&sid), "6:::2+[\"in time\"]").await;
    assert_eq!(
        poll_packets(server.addr, &sid, 1).await,
        ["5:::{\"name\":\"answer\",\"args\":[\"in time\"]}"]
    );
}

#[tokio::test]
async fn room_membership_ends_with_the_connection() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    post(
        server.addr,
        &xhr(&sid),
        &frame(&[
            "1::/chat",
            "5:1+::{\"name\":\"join\",\"args\":[\"r\"]}",
            "5:2+:/chat:{\"name\":\"join\",\"args\":[\"r\"]}",
        ]),
    )
    .await;
    let mut got = poll_packets(server.addr, &sid, 5).await;
    got.sort();
    assert_eq!(
        got,
        ["1::", "1::/chat", "3::/chat:welcome /chat", "6::/chat:2+[]", "6:::1+[]"]
    );
    assert_eq!(server.io.to("r").count().await.expect("local"), 1);
    assert_eq!(server.io.of("/chat").to("r").count().await.expect("local"), 1);
    // Leaving /chat drops its membership only; closing the session drops the rest.
    post(server.addr, &xhr(&sid), "0::/chat").await;
    server.observed.wait_close(&sid, "/chat").await;
    assert_eq!(server.io.of("/chat").to("r").count().await.expect("local"), 0);
    assert_eq!(server.io.to("r").count().await.expect("local"), 1);
    post(server.addr, &xhr(&sid), "0::").await;
    server.observed.wait_close(&sid, "").await;
    assert_eq!(server.io.to("r").count().await.expect("local"), 0);
    assert_eq!(server.io.of("").count().await.expect("local"), 0);
}
