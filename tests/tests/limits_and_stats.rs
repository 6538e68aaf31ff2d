//! Limits with their refusals, and the counters (stats and Prometheus).

mod common;

use std::time::Duration;

use common::engineio;
use common::http::{self, get, handshake, poll_packets, post, xhr};
use common::raw_client::{RawClient, Wire};
use common::start;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn stats_count_sessions_transports_and_packets_and_export_prometheus_text() {
    let server = start(|b| b.metrics_path(Some("/metrics".into()))).await;
    let mut ws = RawClient::connect(server.addr, Wire::WebSocket).await;
    let mut poll = RawClient::connect(server.addr, Wire::XhrPolling).await;
    for client in [&mut ws, &mut poll] {
        client.expect_packet("1::").await;
        client.send("5:1+::{\"name\":\"sum\",\"args\":[1,2]}");
        client.expect_packet("6:::1+[3]").await;
    }
    let stats = server.io.stats();
    println!("stats: {stats:#?}");
    assert_eq!(stats.active_sessions, 2);
    assert!(stats.max_sessions >= 2);
    assert_eq!(stats.connections_by_transport.websocket, 1);
    assert!(
        stats.packets_recv_total >= 2 && stats.packets_sent_total >= 4,
        "{stats:?}"
    );
    assert!(stats.bytes_recv_total > 0 && stats.bytes_sent_total > 0);
    let metrics = get(server.addr, "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    let text = metrics.text();
    assert!(
        text.contains("# TYPE socketio_active_sessions gauge\nsocketio_active_sessions 2\n"),
        "{text}"
    );
    assert!(
        text.contains("socketio_active_connections{transport=\"websocket\"} 1\n"),
        "{text}"
    );
    // Off unless configured.
    let quiet = start(|b| b).await;
    assert_eq!(get(quiet.addr, "/metrics").await.status, 404);
}

#[tokio::test]
async fn pending_handshakes_are_bounded_and_expire() {
    let server = start(|b| b.max_pending_handshakes(2)).await;
    let first = handshake(server.addr).await;
    let _second = handshake(server.addr).await;
    assert_eq!(
        get(server.addr, "/socket.io/1/").await.status,
        503,
        "a third waiting handshake"
    );
    // Binding a transport makes room.
    assert_eq!(get(server.addr, &xhr(&first)).await.text(), "1::");
    let _third = handshake(server.addr).await;

    let expiring = start(|b| b.handshake_expiry(Duration::from_millis(100))).await;
    let sid = handshake(expiring.addr).await;
    expiring.observed.wait_close(&sid, "").await;
    expiring.io.idle().await;
    assert_eq!(expiring.io.session_count(), 0);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_dropped() {
    let server = start(|b| b.header_read_timeout(Duration::from_millis(200))).await;
    let mut slow = TcpStream::connect(server.addr).await.expect("connect");
    slow.write_all(b"GET /socket.io/1/ HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .expect("write");
    let mut rest = Vec::new();
    // The server hangs up (an EOF or a reset: either ends the read) long
    // before this failsafe; a server that waited would trip it.
    let _ended = tokio::time::timeout(Duration::from_secs(20), slow.read_to_end(&mut rest))
        .await
        .expect("the server closed the connection");
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
    assert_eq!(server.io.session_count(), 0);
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
}

#[tokio::test]
async fn too_many_packets_in_one_payload_are_refused() {
    let server = start(|b| b.max_packets_per_payload(3)).await;
    let sid = handshake(server.addr).await;
    let four = http::frame(&["2::", "2::", "2::", "2::"]);
    assert_eq!(post(server.addr, &xhr(&sid), &four).await.status, 400);
    post(server.addr, &xhr(&sid), &http::frame(&["3:::a", "3:::b", "3:::c"])).await;
    assert_eq!(
        poll_packets(server.addr, &sid, 4).await,
        ["1::", "3:::a", "3:::b", "3:::c"]
    );
    // Another session is untouched.
    let other = handshake(server.addr).await;
    post(server.addr, &xhr(&other), "3:::fine").await;
    assert_eq!(poll_packets(server.addr, &other, 2).await, ["1::", "3:::fine"]);
}

#[tokio::test]
async fn too_many_pending_acks_fail_clearly() {
    let server = start(|b| b.max_pending_acks(1)).await;
    let sid = handshake(server.addr).await;
    post(server.addr, &xhr(&sid), "5:::{\"name\":\"ask_twice\",\"args\":[]}").await;
    let got = poll_packets(server.addr, &sid, 2).await;
    assert_eq!(got[1], "5:1+::{\"name\":\"q1\",\"args\":[]}", "only the first went out");
    post(server.addr, &xhr(&sid), "6:::1+[]").await;
    let asked = poll_packets(server.addr, &sid, 1).await;
    assert_eq!(
        asked,
        ["5:::{\"name\":\"asked\",\"args\":[\"answered\",\"too many pending acknowledgements on this connection\"]}"]
    );
}

#[tokio::test]
async fn a_full_handler_queue_makes_the_reader_wait_and_loses_nothing() {
    let server = start(|b| b.handler_queue(1)).await;
    let sid = handshake(server.addr).await;
    let slow = "5:::{\"name\":\"slow\",\"args\":[20]}";
    let payload = http::frame(&[slow, slow, slow, slow, "5:1+::{\"name\":\"sum\",\"args\":[1,2]}"]);
    assert_eq!(post(server.addr, &xhr(&sid), &payload).await.status, 200);
    let got = poll_packets(server.addr, &sid, 6).await;
    assert_eq!(got.last().map(String::as_str), Some("6:::1+[3]"), "{got:?}");
    assert_eq!(got.iter().filter(|p| p.contains("slow_done")).count(), 4, "{got:?}");
    assert_eq!(
        server.observed.slow_finished.load(std::sync::atomic::Ordering::SeqCst),
        4
    );
}

#[tokio::test]
async fn modern_sessions_count_in_the_stats_and_share_the_session_limit() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let server = start(|b| b.max_sessions(3)).await;
    let addr = server.addr;
    // One legacy session, one Engine.IO polling session, one websocket one.
    let legacy = handshake(addr).await;
    assert_eq!(get(addr, &xhr(&legacy)).await.text(), "1::");
    let open = get(addr, "/socket.io/?EIO=4&transport=polling").await.text();
    let open: serde_json::Value = serde_json::from_str(open.strip_prefix('0').expect("open packet")).expect("json");
    let polling = format!(
        "/socket.io/?EIO=4&transport=polling&sid={}",
        open["sid"].as_str().expect("sid")
    );
    assert_eq!(post(addr, &polling, "40").await.status, 200);
    assert!(get(addr, &polling).await.text().starts_with("40{"));
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/socket.io/?EIO=4&transport=websocket"))
        .await
        .expect("websocket");
    async fn next_text(ws: &mut common::http::Ws) -> String {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => return text.as_str().to_owned(),
                Some(Ok(_)) => continue,
                other => panic!("websocket ended: {other:?}"),
            }
        }
    }
    assert!(next_text(&mut ws).await.starts_with("0{"));
    ws.send(Message::Text("40".into())).await.expect("send");
    assert!(next_text(&mut ws).await.starts_with("40{"));

    let stats = server.io.stats();
    assert_eq!(stats.active_sessions, 3, "{stats:?}");
    assert_eq!(stats.sessions_total, 3, "{stats:?}");
    assert_eq!(stats.connections_by_transport.websocket, 1, "{stats:?}");
    assert!(stats.packets_recv_total >= 2, "both CONNECTs: {stats:?}");
    assert!(stats.packets_sent_total >= 3, "{stats:?}");
    assert_eq!(server.io.session_count(), 3);
    // The limit counts both families.
    assert_eq!(get(addr, "/socket.io/1/").await.status, 503);
    assert_eq!(get(addr, "/socket.io/?EIO=4&transport=polling").await.status, 503);
}

// Modern (Engine.IO 4 / Socket.IO 5) sessions under the same limits.

/// The `i` of a `42["big",i,...]` event.
fn big_index(packet: &str) -> Option<usize> {
    packet.strip_prefix(r#"42["big","#)?.split(',').next()?.parse().ok()
}

#[tokio::test]
async fn a_modern_polling_client_that_stops_polling_is_dropped_at_the_queue_bound() {
    let server = start(|b| b.max_queue_bytes(64 * 1024)).await;
    let addr = server.addr;
    let (sid, _) = engineio::handshake(addr, "/socket.io").await;
    let at = engineio::path("/socket.io", Some(&sid));
    assert_eq!(post(addr, &at, "40").await.text(), "ok");
    let socket_id = socket_id(&engineio::poll_packets(addr, &at, 1).await[0]);
    let chunk = "x".repeat(8 * 1024);
    // Below the bound a backlog waits for the next poll.
    for i in 0..4 {
        server.io.of("").emit("big", (i, &chunk)).expect("serializable");
    }
    let got = engineio::poll_packets(addr, &at, 4).await;
    assert_eq!(
        got.iter().map(|p| big_index(p)).collect::<Vec<_>>(),
        [0, 1, 2, 3].map(Some)
    );
    // Past it the session closes (its close hooks run) and the sid is gone.
    for i in 0..20 {
        server.io.of("").emit("big", (i, &chunk)).expect("serializable");
    }
    server.observed.wait_close(&socket_id, "").await;
    assert_eq!(get(addr, &at).await.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_modern_websocket_client_that_never_reads_is_dropped_at_the_queue_bound() {
    let server = start(|b| b.max_queue_bytes(256 * 1024)).await;
    let mut ws = engineio::websocket(server.addr, "/socket.io", None).await;
    assert!(
        engineio::next_text(&mut ws)
            .await
            .expect("open packet")
            .starts_with("0{")
    );
    engineio::send_text(&mut ws, "40").await;
    let sid = socket_id(&engineio::next_text(&mut ws).await.expect("connect"));
    // Far more than the socket buffers hold: the rest queues up to the bound.
    let big = "x".repeat(64 * 1024);
    for i in 0..300 {
        server.io.of("").emit("big", (i, &big)).expect("serializable");
        tokio::task::yield_now().await;
    }
    server.observed.wait_close(&sid, "").await;
    // Reading at last: a prefix of the events in order, then the close packet.
    let mut next = 0;
    loop {
        match engineio::next_text(&mut ws).await.as_deref() {
            Some("1") => break,
            Some(packet) => {
                assert_eq!(big_index(packet), Some(next), "in order");
                next += 1;
            }
            None => panic!("closed without the close packet after {next} events"),
        }
    }
    assert!(next < 300, "the session was dropped before the end");
    assert!(engineio::next_text(&mut ws).await.is_none(), "then the socket closes");
}

#[tokio::test]
async fn a_modern_session_connects_at_most_max_endpoints_besides_the_main_one() {
    let server = start(|b| b.max_endpoints_per_session(1)).await;
    let refusal = |ns: &str| format!(r#"44{ns},{{"message":"Invalid namespace"}}"#);
    // The main namespace does not count, whenever it connects.
    let mut ws = engineio::websocket(server.addr, "/socket.io", None).await;
    let _open = engineio::next_text(&mut ws).await;
    engineio::send_text(&mut ws, "40/chat,").await;
    assert!(
        engineio::next_text(&mut ws)
            .await
            .expect("connect")
            .starts_with(r#"40/chat,{"sid":"#)
    );
    assert_eq!(
        engineio::next_text(&mut ws).await.as_deref(),
        Some(r#"42/chat,["message","welcome /chat"]"#)
    );
    engineio::send_text(&mut ws, "40/dyn-a,").await;
    assert_eq!(engineio::next_text(&mut ws).await, Some(refusal("/dyn-a")));
    engineio::send_text(&mut ws, "40").await;
    assert!(
        engineio::next_text(&mut ws)
            .await
            .expect("connect")
            .starts_with(r#"40{"sid":"#)
    );
    engineio::send_text(&mut ws, "40/dyn-b,").await;
    assert_eq!(engineio::next_text(&mut ws).await, Some(refusal("/dyn-b")));
    // Leaving one makes room for another.
    engineio::send_text(&mut ws, "41/chat,").await;
    engineio::send_text(&mut ws, "40/dyn-c,").await;
    assert!(
        engineio::next_text(&mut ws)
            .await
            .expect("connect")
            .starts_with(r#"40/dyn-c,{"sid":"#)
    );

    // The real client sees the refusal as connect_error; the rest goes on.
    let mut c = socketio_tests::NodeClient::connect_modern(&server.url(), 4, "websocket", serde_json::json!({})).await;
    c.expect_connect("").await;
    c.of("/chat").await;
    c.expect_connect("/chat").await;
    c.of("/dyn-x").await;
    let refused = c.expect_connect_error("/dyn-x").await;
    assert_eq!(refused["message"], "Invalid namespace");
    let sum = c
        .emit_ack("/chat", "sum", vec![serde_json::json!(1), serde_json::json!(2)])
        .await;
    assert_eq!(sum, [serde_json::json!(3)]);
}

#[tokio::test]
async fn too_many_attachments_in_one_packet_close_the_modern_connection() {
    let server = start(|b| b.max_attachments(2)).await;
    let placeholders = |n: usize| -> String {
        (0..n)
            .map(|i| format!(r#"{{"_placeholder":true,"num":{i}}}"#))
            .collect::<Vec<_>>()
            .join(",")
    };
    // At the bound: the echo keeps its attachments.
    let mut ws = engineio::websocket(server.addr, "/socket.io", None).await;
    let _open = engineio::next_text(&mut ws).await;
    engineio::send_text(&mut ws, "40").await;
    assert!(engineio::next_text(&mut ws).await.expect("connect").starts_with("40{"));
    engineio::send_text(&mut ws, &format!(r#"452-1["echo",{}]"#, placeholders(2))).await;
    engineio::send_binary(&mut ws, &[1]).await;
    engineio::send_binary(&mut ws, &[2]).await;
    assert_eq!(
        engineio::next_text(&mut ws).await,
        Some(format!(r#"452-["echo",{}]"#, placeholders(2)))
    );
    assert_eq!(engineio::next_binary(&mut ws).await, [1]);
    assert_eq!(engineio::next_binary(&mut ws).await, [2]);
    assert_eq!(
        engineio::next_text(&mut ws).await,
        Some(format!("462-1[{}]", placeholders(2)))
    );
    assert_eq!(engineio::next_binary(&mut ws).await, [1]);
    assert_eq!(engineio::next_binary(&mut ws).await, [2]);
    // One more, in an event or in an ack: the connection closes before any
    // attachment is read, and nothing is echoed.
    for packet in [
        format!(r#"453-["echo",{}]"#, placeholders(3)),
        format!("463-7[{}]", placeholders(3)),
    ] {
        let mut ws = engineio::websocket(server.addr, "/socket.io", None).await;
        assert!(
            engineio::next_text(&mut ws)
                .await
                .expect("open packet")
                .starts_with("0{")
        );
        engineio::send_text(&mut ws, "40").await;
        let connect = engineio::next_text(&mut ws).await.expect("connect");
        let socket: serde_json::Value =
            serde_json::from_str(connect.strip_prefix("40").expect("CONNECT")).expect("JSON");
        engineio::send_text(&mut ws, &packet).await;
        let seen = engineio::until_closed(&mut ws).await;
        assert!(
            seen.iter()
                .all(|m| matches!(m, tokio_tungstenite::tungstenite::Message::Text(t) if t.as_str() == "1")),
            "{packet}: {seen:?}"
        );
        server
            .observed
            .wait_close(socket["sid"].as_str().expect("socket id"), "")
            .await;
    }
}

/// The socket id in a CONNECT reply (`40{"sid":"..."}`): each namespace
/// connection of a modern client has its own, as in node.
fn socket_id(connect: &str) -> String {
    let reply: serde_json::Value = serde_json::from_str(connect.strip_prefix("40").expect("CONNECT")).expect("JSON");
    reply["sid"].as_str().expect("socket id").to_owned()
}
