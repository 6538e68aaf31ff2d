//! Strict edges (issue 21): HTTP head limits, the RFC 6455 handshake, the
//! shapes of 0.9 packets, and polling responses every client library can
//! read; each refusal followed by a healthy session.

mod common;

use std::time::Duration;

use common::engineio;
use common::http::{self, get, handshake, poll_packets, post, request, xhr};
use common::{TestServer, assert_healthy, start, start_default};

/// Writes `head` on a fresh keep-alive connection and reads until the
/// server closes it: the status line's code. Write errors are ignored (the
/// server may refuse before it read everything) and so is a reset after
/// the answer; a server that kept the connection open fails the timeout.
async fn refused_and_closed(addr: std::net::SocketAddr, head: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _ = stream.write_all(head.as_bytes()).await;
    let mut answer = Vec::new();
    let read = async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("the server closes the connection");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    answer
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"))
}

/// A keep-alive GET of the handshake with `headers` extra header lines.
fn handshake_head(addr: std::net::SocketAddr, headers: &[(String, String)]) -> String {
    let mut head = format!("GET /socket.io/1/ HTTP/1.1\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

fn big_header(bytes: usize) -> Vec<(String, String)> {
    vec![("X-Big".to_owned(), "a".repeat(bytes))]
}

fn many_headers(count: usize) -> Vec<(String, String)> {
    (0..count).map(|i| (format!("X-H{i}"), "v".to_owned())).collect()
}

#[tokio::test]
async fn oversized_heads_and_too_many_headers_get_431_and_a_closed_connection() {
    let server = start_default().await;
    let live = handshake(server.addr).await;
    // Over the 16 KiB default, far over it (the issue's 200 KB), and one
    // header over the count cap of 100.
    for headers in [big_header(20 * 1024), big_header(200 * 1024), many_headers(101)] {
        assert_eq!(
            refused_and_closed(server.addr, &handshake_head(server.addr, &headers)).await,
            431
        );
    }
    // Within both caps, an ordinary answer.
    for headers in [big_header(12 * 1024), many_headers(90)] {
        let reply = request(
            server.addr,
            "GET",
            "/socket.io/1/",
            &headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            b"",
        )
        .await;
        assert_eq!(reply.status, 200);
    }
    // The session made before the refusals goes on, and a new one works.
    assert_eq!(get(server.addr, &xhr(&live)).await.text(), "1::");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn header_caps_are_settings() {
    let server = start(|b| b.max_header_bytes(2048).max_headers(12)).await;
    let sessions = server.io.session_count();
    for headers in [big_header(3000), many_headers(13)] {
        assert_eq!(
            refused_and_closed(server.addr, &handshake_head(server.addr, &headers)).await,
            431
        );
    }
    assert_eq!(server.io.session_count(), sessions, "a refused head makes no session");
    let reply = request(
        server.addr,
        "GET",
        "/socket.io/1/",
        &[("X-Small", &"a".repeat(1000))],
        b"",
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_healthy(&server).await;
}

/// A websocket upgrade of `path` with these `Sec-WebSocket-*` headers.
async fn upgrade(server: &TestServer, path: &str, key: Option<&str>, version: Option<&str>) -> common::http::Reply {
    let mut headers = vec![("Upgrade", "websocket"), ("Connection", "Upgrade")];
    if let Some(key) = key {
        headers.push(("Sec-WebSocket-Key", key));
    }
    if let Some(version) = version {
        headers.push(("Sec-WebSocket-Version", version));
    }
    request(server.addr, "GET", path, &headers, b"").await
}

const GOOD_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Keys that are not the base64 of exactly 16 bytes (RFC 6455 4.2.1).
const BAD_KEYS: [Option<&str>; 5] = [
    Some("not-base64-of-16-bytes"),
    None,
    Some("dGhlIHNhbXBsZSBub25j"),
    Some("dGhlIHNhbXBsZSBub25jZXh4"),
    Some(""),
];

#[tokio::test]
async fn legacy_websocket_upgrades_need_a_16_byte_key_and_version_13() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    let path = format!("/socket.io/1/websocket/{sid}");
    for key in BAD_KEYS {
        let reply = upgrade(&server, &path, key, Some("13")).await;
        assert_eq!(reply.status, 400, "{key:?}");
    }
    for version in [None, Some("8"), Some("14"), Some("")] {
        let reply = upgrade(&server, &path, Some(GOOD_KEY), version).await;
        assert_eq!(reply.status, 426, "{version:?}");
        assert_eq!(reply.header("sec-websocket-version"), Some("13"));
    }
    // The session was never bound by any of it: a proper upgrade gets `1::`.
    let mut socket = http::websocket(server.addr, &sid).await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("1::"));
    http::send_text(&mut socket, "5:1+::{\"name\":\"sum\",\"args\":[1,2]}").await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("6:::1+[3]"));
    assert_healthy(&server).await;
}

#[tokio::test]
async fn modern_websocket_upgrades_need_a_16_byte_key_and_version_13() {
    let server = start_default().await;
    let path = "/socket.io/?EIO=4&transport=websocket";
    let sessions = server.io.session_count();
    for key in BAD_KEYS {
        assert_eq!(upgrade(&server, path, key, Some("13")).await.status, 400, "{key:?}");
    }
    for version in [None, Some("8")] {
        let reply = upgrade(&server, path, Some(GOOD_KEY), version).await;
        assert_eq!(reply.status, 426, "{version:?}");
        assert_eq!(reply.header("sec-websocket-version"), Some("13"));
    }
    assert_eq!(server.io.session_count(), sessions, "no session before the 101");
    // An upgrade of a polling session with a bad key leaves it polling.
    let (sid, _) = engineio::handshake(server.addr, "/socket.io").await;
    let with_sid = format!("/socket.io/?EIO=4&transport=websocket&sid={sid}");
    assert_eq!(
        upgrade(&server, &with_sid, Some("not-base64-of-16-bytes"), Some("13"))
            .await
            .status,
        400
    );
    let at = engineio::path("/socket.io", Some(&sid));
    assert_eq!(post(server.addr, &at, "40").await.status, 200);
    assert!(get(server.addr, &at).await.text().starts_with("40{"));
    // A proper websocket session works.
    let mut ws = engineio::websocket(server.addr, "/socket.io", None).await;
    assert!(engineio::next_text(&mut ws).await.expect("open").starts_with('0'));
    assert_healthy(&server).await;
}

#[tokio::test]
async fn events_outside_the_0_9_shape_are_refused_never_dispatched() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    for bad in [
        "5:::{\"name\":\"echo\",\"args\":5}",
        "5:::{\"name\":\"echo\",\"args\":null}",
        "5:::{\"name\":\"echo\",\"args\":{\"a\":1}}",
        "5:1+::{\"args\":\"x\",\"name\":\"echo\"}",
        "2:1::",
        "6:1::1",
    ] {
        assert_eq!(post(server.addr, &xhr(&sid), bad).await.status, 200, "{bad}");
        let answer = get(server.addr, &xhr(&sid)).await.text();
        assert!(answer.starts_with("7:::"), "{bad} -> {answer}");
    }
    // Had any been dispatched, its echo would come before this message.
    post(server.addr, &xhr(&sid), "3:::after").await;
    assert_eq!(poll_packets(server.addr, &sid, 1).await, ["3:::after"]);
    // An empty body is no payload: 400, and the session goes on.
    assert_eq!(post(server.addr, &xhr(&sid), "").await.status, 400);
    post(server.addr, &xhr(&sid), "5:2+::{\"name\":\"echo\",\"args\":[5]}").await;
    let mut got = poll_packets(server.addr, &sid, 2).await;
    got.sort();
    assert_eq!(got, ["5:::{\"name\":\"echo\",\"args\":[5]}", "6:::2+[5]"]);
    assert_healthy(&server).await;
}

#[tokio::test]
async fn empty_and_misshapen_websocket_frames_get_error_packets_and_the_socket_goes_on() {
    let server = start_default().await;
    let sid = handshake(server.addr).await;
    let mut socket = http::websocket(server.addr, &sid).await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("1::"));
    for bad in ["", "5:::{\"name\":\"echo\",\"args\":5}", "8:1::"] {
        http::send_text(&mut socket, bad).await;
        let answer = http::next_text(&mut socket, true).await;
        assert!(
            answer.as_deref().is_some_and(|t| t.starts_with("7:::")),
            "{bad:?}: {answer:?}"
        );
    }
    http::send_text(&mut socket, "5:1+::{\"name\":\"sum\",\"args\":[2,2]}").await;
    assert_eq!(http::next_text(&mut socket, true).await.as_deref(), Some("6:::1+[4]"));
    assert_healthy(&server).await;
}

/// Polls an Engine.IO 4 session until `count` `n` events arrived; checks
/// each response against the bounds and returns the numbers in order.
async fn poll_counted(server: &TestServer, sid: &str, count: usize, max_bytes: usize) -> (Vec<u64>, usize) {
    let at = engineio::path("/socket.io", Some(sid));
    let (mut numbers, mut polls) = (Vec::new(), 0);
    while numbers.len() < count {
        let body = get(server.addr, &at).await.text();
        polls += 1;
        let packets: Vec<&str> = body.split('\x1e').collect();
        assert!(packets.len() <= 16, "{} packets in one response", packets.len());
        assert!(body.len() <= max_bytes, "{} bytes in one response", body.len());
        for packet in packets {
            if let Some(json) = packet.strip_prefix("42") {
                let event: serde_json::Value = serde_json::from_str(json).expect("JSON");
                assert_eq!(event[0], "n", "{packet}");
                numbers.push(event[1].as_u64().expect("a number"));
            }
        }
    }
    (numbers, polls)
}

/// Connects the main namespace over Engine.IO 4 polling and asks the
/// server for a burst of `count` events.
async fn polling_burst(server: &TestServer, count: usize) -> String {
    let (sid, _) = engineio::handshake(server.addr, "/socket.io").await;
    let at = engineio::path("/socket.io", Some(&sid));
    assert_eq!(post(server.addr, &at, "40").await.status, 200);
    assert!(get(server.addr, &at).await.text().starts_with("40{"));
    let ask = format!("42[\"count_to\",{count}]");
    assert_eq!(post(server.addr, &at, &ask).await.status, 200);
    sid
}

#[tokio::test]
async fn a_polling_burst_arrives_whole_and_in_order_16_packets_at_most_per_response() {
    let server = start_default().await;
    let sid = polling_burst(&server, 200).await;
    let (numbers, polls) = poll_counted(&server, &sid, 200, 1_000_000).await;
    assert_eq!(numbers, (0..200).collect::<Vec<u64>>());
    assert!(polls >= 13, "200 packets need 13 responses of 16, took {polls}");
    assert_healthy(&server).await;
}

#[tokio::test]
async fn polling_responses_stay_within_max_payload_and_the_packet_setting() {
    let server = start(|b| b.max_payload(120).max_packets_per_poll(50)).await;
    let sid = polling_burst(&server, 100).await;
    // `42["n",99]` is 10 bytes: 11 with its separator; 120 bytes hold 10.
    let (numbers, polls) = poll_counted(&server, &sid, 100, 120).await;
    assert_eq!(numbers, (0..100).collect::<Vec<u64>>());
    assert!(polls >= 10, "took {polls}");
    let server = start(|b| b.max_packets_per_poll(4)).await;
    let sid = polling_burst(&server, 20).await;
    let at = engineio::path("/socket.io", Some(&sid));
    let (mut numbers, mut polls) = (Vec::new(), 0);
    while numbers.len() < 20 {
        let body = get(server.addr, &at).await.text();
        polls += 1;
        assert!(body.split('\x1e').count() <= 4, "{body}");
        numbers.extend(body.split('\x1e').filter(|p| p.starts_with("42")).map(str::to_owned));
    }
    assert!(polls >= 5, "took {polls}");
    let expected: Vec<String> = (0..20).map(|i| format!("42[\"n\",{i}]")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn reserved_event_names_and_data_where_none_goes_are_refused() {
    let server = start_default().await;

    // 0.9: node's default blacklist; an event named `disconnect` is dropped
    // unanswered and never dispatched (its echo would come first).
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    for packet in [
        "5:::{\"name\":\"disconnect\",\"args\":[]}",
        "5:1+::{\"name\":\"disconnect\",\"args\":[\"x\"]}",
        "3:::after",
    ] {
        assert_eq!(post(server.addr, &xhr(&sid), packet).await.status, 200, "{packet}");
    }
    assert_eq!(poll_packets(server.addr, &sid, 1).await, ["3:::after"]);

    // Socket.IO 5: an EVENT with a reserved name does not parse, as in
    // node's parser, and a packet that does not parse ends the connection.
    for name in socketio::codec::socketio::RESERVED_EVENTS {
        for bad in [format!(r#"42["{name}"]"#), format!(r#"421["{name}",1]"#)] {
            let mut ws = engineio::websocket(server.addr, "/socket.io", None).await;
            assert!(engineio::next_text(&mut ws).await.expect("open").starts_with('0'));
            engineio::send_text(&mut ws, "40").await;
            assert!(engineio::next_text(&mut ws).await.expect("connect").starts_with("40{"));
            engineio::send_text(&mut ws, &bad).await;
            let seen = engineio::until_closed(&mut ws).await;
            assert!(
                !seen.iter().any(|m| m.to_text().is_ok_and(|t| t.starts_with("43"))),
                "{bad}: {seen:?}"
            );
        }
    }

    // Engine.IO: close, upgrade and noop carry nothing.
    for bad in ["1x", "5probe", "6 "] {
        let mut ws = engineio::websocket(server.addr, "/socket.io", None).await;
        assert!(engineio::next_text(&mut ws).await.expect("open").starts_with('0'));
        engineio::send_text(&mut ws, bad).await;
        engineio::until_closed(&mut ws).await;
    }
    assert_healthy(&server).await;
}
