//! Load, faults and shutdown, bounded in time and on loopback only. Speed
//! and memory are printed, never asserted.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::http::{self, get, handshake, packets_without_heartbeats, post, xhr};

use common::raw_client::{RawClient, Wire};
use common::start;
use futures_util::StreamExt;
use serde_json::{Value, json};

/// A small deterministic generator for pauses (no dependency needed).
struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

async fn numbered_client(addr: std::net::SocketAddr, wire: Wire, id: u64, count: u64) {
    let mut client = RawClient::connect_with(addr, wire, wire != Wire::WebSocket).await;
    client.expect_packet("1::").await;
    let mut rng = XorShift(id * 7919 + 1);
    let sender = async {
        for i in 0..count {
            client.send(&format!("5:::{{\"name\":\"echo\",\"args\":[{id},{i}]}}"));
            let pause = rng.next() % 4;
            if pause > 0 {
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        }
    };
    sender.await;
    for i in 0..count {
        let packet = client
            .expect("my next echo", |p| p.starts_with("5:::{\"name\":\"echo\""))
            .await;
        let value: Value = serde_json::from_str(&packet["5:::".len()..]).expect("json");
        assert_eq!(
            value["args"],
            json!([id, i]),
            "{} client {id}: exactly its numbers, in order",
            wire.name()
        );
    }
    // Nothing more: the next echo is the end marker, not a duplicate.
    client.send(&format!("5:::{{\"name\":\"echo\",\"args\":[{id},\"end\"]}}"));
    let last = client
        .expect("the end marker", |p| p.starts_with("5:::{\"name\":\"echo\""))
        .await;
    assert_eq!(
        last,
        format!("5:::{{\"name\":\"echo\",\"args\":[{id},\"end\"]}}"),
        "{}",
        wire.name()
    );
    client.send("0::");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_hundreds_of_clients_then_thousands_of_short_sessions() {
    // The server is the conformance example in its own process, so its
    // memory is measured apart from the clients'.
    let server = common::example::start_with(&[("POLLING_DURATION", "1")]).await;
    let addr = server.addr();
    let baseline = server.rss_mib();
    let started = Instant::now();
    let wires = [Wire::WebSocket, Wire::XhrPolling, Wire::JsonpPolling];
    let clients: Vec<_> = (0..300u64)
        .map(|id| tokio::spawn(numbered_client(addr, wires[(id % 3) as usize], id, 20)))
        .collect();
    for client in clients {
        client.await.expect("client");
    }
    let peak = server.rss_mib();
    println!(
        "300 clients x 20 numbered events (100 each over websocket, xhr-polling and jsonp-polling, polls aborted now and then): {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    for batch in 0..40 {
        let sessions: Vec<_> = (0..50)
            .map(|_| {
                tokio::spawn(async move {
                    let sid = handshake(addr).await;
                    assert_eq!(packets_without_heartbeats(&get(addr, &xhr(&sid)).await.text()), ["1::"]);
                    post(addr, &xhr(&sid), "0::").await;
                    // Gone: at most the goodbye is still there, then the id is refused.
                    let last = packets_without_heartbeats(&get(addr, &xhr(&sid)).await.text());
                    assert!(last == ["0::"] || last == ["7:::1+0"], "{last:?}");
                })
            })
            .collect();
        for session in sessions {
            session.await.unwrap_or_else(|e| panic!("batch {batch}: {e}"));
        }
    }
    println!("2000 short-lived sessions: {:?}", started.elapsed());
    // The server still answers, and its memory is back near the baseline.
    let sid = handshake(addr).await;
    assert_eq!(packets_without_heartbeats(&get(addr, &xhr(&sid)).await.text()), ["1::"]);
    let after = server.rss_mib();
    println!(
        "server memory (RSS): baseline {baseline:.1} MiB, after 300 clients {peak:.1} MiB, after 2000 more sessions {after:.1} MiB"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_is_dropped_at_its_bound_and_others_keep_going() {
    let server = start(|b| b.max_queue_bytes(256 * 1024)).await;
    // The slow consumer: a websocket that never reads after the upgrade.
    let slow_sid = handshake(server.addr).await;
    let slow = http::websocket(server.addr, &slow_sid).await;
    let mut healthy = RawClient::connect(server.addr, Wire::WebSocket).await;
    healthy.expect_packet("1::").await;
    // The healthy client's ack latency before the flood, to compare with.
    let mut ack = 0;
    let mut acked_round_trip = async |healthy: &mut RawClient| {
        ack += 1;
        let sent = Instant::now();
        healthy.send(&format!("5:{ack}+::{{\"name\":\"sum\",\"args\":[{ack},1]}}"));
        healthy.expect_packet(&format!("6:::{ack}+[{}]", ack + 1)).await;
        sent.elapsed()
    };
    let mut before = Vec::new();
    for _ in 0..50 {
        before.push(acked_round_trip(&mut healthy).await);
    }
    let big = "x".repeat(64 * 1024);
    let io = server.io.clone();
    let flood = tokio::spawn(async move {
        for i in 0..300 {
            io.of("").emit("big", (i, &big)).expect("serializable");
            tokio::task::yield_now().await;
        }
    });
    let mut latencies = Vec::new();
    for _ in 0..50 {
        latencies.push(acked_round_trip(&mut healthy).await);
    }
    flood.await.expect("flood");
    server.observed.wait_close(&slow_sid, "").await;
    // The healthy client got every broadcast, in order.
    for i in 0..300 {
        let packet = healthy
            .expect("a big event", |p| p.starts_with("5:::{\"name\":\"big\""))
            .await;
        assert!(
            packet.starts_with(&format!("5:::{{\"name\":\"big\",\"args\":[{i},")),
            "in order"
        );
    }
    for (when, mut latencies) in [("before", before), ("during", latencies)] {
        latencies.sort();
        println!(
            "healthy client's ack latency {when} the flood: p50 {:?}, p99 {:?}, max {:?}",
            latencies[latencies.len() / 2],
            latencies[latencies.len() * 99 / 100],
            latencies[latencies.len() - 1]
        );
    }
    drop(slow);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_under_load_disconnects_everyone_and_lets_handlers_finish() {
    let server = start(|b| b.shutdown_timeout(Duration::from_secs(10))).await;
    let wires = [Wire::WebSocket, Wire::XhrPolling, Wire::JsonpPolling];
    let mut clients = Vec::new();
    for id in 0..30 {
        let mut client = RawClient::connect(server.addr, wires[id % 3]).await;
        client.expect_packet("1::").await;
        client.send("5:::{\"name\":\"slow\",\"args\":[300]}");
        clients.push(client);
    }
    let observed = server.observed.clone();
    // Every slow handler is running before the shutdown starts.
    let mut ticks = tokio::time::interval(Duration::from_millis(5));
    while observed.slow_started.load(Ordering::SeqCst) < 30 {
        ticks.tick().await;
    }
    let stop = tokio::spawn(server.stop());
    for client in &mut clients {
        client.expect_packet("0::").await;
    }
    stop.await.expect("stopped");
    assert_eq!(
        observed.slow_finished.load(Ordering::SeqCst),
        30,
        "no handler was cut short"
    );
    assert_eq!(
        observed.closes.lock().expect("lock").len(),
        30,
        "every close hook ran once"
    );
    let _ = futures_util::stream::iter(clients).collect::<Vec<_>>().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_refuses_new_sessions_closes_modern_clients_and_keeps_its_deadline() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    let server = start(|b| b.shutdown_timeout(Duration::from_millis(500))).await;
    let addr = server.addr;
    // A handler that would run far past the deadline.
    let mut legacy = RawClient::connect(addr, Wire::WebSocket).await;
    legacy.expect_packet("1::").await;
    legacy.send("5:::{\"name\":\"slow\",\"args\":[60000]}");
    let mut ticks = tokio::time::interval(Duration::from_millis(5));
    while server.observed.slow_started.load(Ordering::SeqCst) < 1 {
        ticks.tick().await;
    }
    // A modern client on the main namespace.
    let (mut modern, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/socket.io/?EIO=4&transport=websocket"))
        .await
        .expect("websocket");
    let open = modern.next().await.expect("open").expect("frame");
    assert!(open.to_text().is_ok_and(|t| t.starts_with("0{")), "{open:?}");
    modern.send(Message::Text("40".into())).await.expect("send");
    let connected = modern.next().await.expect("connect").expect("frame");
    assert!(connected.to_text().is_ok_and(|t| t.starts_with("40{")), "{connected:?}");

    let observed = server.observed.clone();
    let stop = tokio::spawn(server.stop());
    // While the slow handler holds the shutdown up, new sessions are refused.
    let refused = async {
        loop {
            let reply = get(addr, "/socket.io/1/").await;
            if reply.status == 503 {
                return reply.text();
            }
            assert_eq!(reply.status, 200, "before the shutdown began");
            tokio::task::yield_now().await;
        }
    };
    let reason = tokio::time::timeout(Duration::from_secs(20), refused)
        .await
        .expect("refused");
    assert!(reason.contains("shutting down"), "{reason}");
    // Both families are told goodbye.
    legacy.expect_packet("0::").await;
    let mut seen = Vec::new();
    while let Some(Ok(message)) = modern.next().await {
        seen.push(message);
    }
    assert!(
        seen.contains(&Message::Text("1".into())),
        "the Engine.IO close packet: {seen:?}"
    );
    // The deadline is kept: the shutdown ends with the handler still asleep.
    tokio::time::timeout(Duration::from_secs(20), stop)
        .await
        .expect("the shutdown keeps its deadline")
        .expect("stopped");
    assert_eq!(
        observed.slow_finished.load(Ordering::SeqCst),
        0,
        "cut at the deadline, not awaited"
    );
}
