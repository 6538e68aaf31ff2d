//! The adapter seam's default (one server on its own): broadcasts with
//! rooms and except-rooms, fetch, remote join and disconnect reach legacy
//! and modern sockets alike, and a join after teardown leaves no room.

mod common;

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use common::engineio;
use common::http::{frame, get, handshake, poll_packets, post, xhr};
use common::{TestServer, start_default};
use socketio::{Ctx, Handler, Server, SocketIo};

/// A legacy xhr-polling session on the main endpoint, in `rooms`.
async fn legacy(server: &TestServer, rooms: &[&str]) -> String {
    let sid = handshake(server.addr).await;
    assert_eq!(get(server.addr, &xhr(&sid)).await.text(), "1::");
    let joins: Vec<String> = rooms
        .iter()
        .enumerate()
        .map(|(i, room)| format!("5:{}+::{{\"name\":\"join\",\"args\":[\"{room}\"]}}", i + 1))
        .collect();
    if !joins.is_empty() {
        let joins: Vec<&str> = joins.iter().map(String::as_str).collect();
        post(server.addr, &xhr(&sid), &frame(&joins)).await;
        let acks = poll_packets(server.addr, &sid, joins.len()).await;
        assert!(acks.iter().all(|ack| ack.starts_with("6:::")), "{acks:?}");
    }
    sid
}

/// A modern (Engine.IO 4, Socket.IO 5) polling session on `/`, in
/// `rooms`; its polling path and its socket id.
async fn modern(server: &TestServer, rooms: &[&str]) -> (String, String) {
    let (sid, _) = engineio::handshake(server.addr, "/socket.io").await;
    let at = engineio::path("/socket.io", Some(&sid));
    assert_eq!(post(server.addr, &at, "40").await.text(), "ok");
    let connect = engineio::poll_packets(server.addr, &at, 1).await;
    let socket: Value = serde_json::from_str(connect[0].strip_prefix("40").expect("CONNECT")).expect("json");
    for (i, room) in rooms.iter().enumerate() {
        post(server.addr, &at, &format!("42{i}[\"join\",\"{room}\"]")).await;
        assert_eq!(engineio::poll_packets(server.addr, &at, 1).await, [format!("43{i}[]")]);
    }
    (at, socket["sid"].as_str().expect("sid").to_owned())
}

/// What a legacy session received up to the `marker` event.
async fn legacy_until_marker(server: &TestServer, sid: &str) -> Vec<String> {
    let mut got = Vec::new();
    while !got.iter().any(|p: &String| p.contains("\"marker\"")) {
        got.extend(poll_packets(server.addr, sid, 1).await);
    }
    got
}

async fn modern_until_marker(server: &TestServer, at: &str) -> Vec<String> {
    let mut got = Vec::new();
    while !got.iter().any(|p: &String| p.contains("\"marker\"")) {
        got.extend(engineio::poll_packets(server.addr, at, 1).await);
    }
    got
}

#[tokio::test]
async fn a_broadcast_with_rooms_and_except_rooms_reaches_both_families_alike() {
    let server = start_default().await;
    let in_room = legacy(&server, &["r"]).await;
    let muted = legacy(&server, &["r", "muted"]).await;
    let (modern_in_room, _) = modern(&server, &["r"]).await;
    let (modern_muted, _) = modern(&server, &["r", "muted"]).await;
    let (modern_outside, _) = modern(&server, &[]).await;

    server
        .io
        .to("r")
        .except("muted")
        .emit("news", ("x",))
        .expect("serializes");
    server.io.of("").emit("marker", ()).expect("serializes");

    assert_eq!(
        legacy_until_marker(&server, &in_room).await,
        [
            "5:::{\"name\":\"news\",\"args\":[\"x\"]}",
            "5:::{\"name\":\"marker\",\"args\":[]}"
        ]
    );
    assert_eq!(
        legacy_until_marker(&server, &muted).await,
        ["5:::{\"name\":\"marker\",\"args\":[]}"]
    );
    assert_eq!(
        modern_until_marker(&server, &modern_in_room).await,
        ["42[\"news\",\"x\"]", "42[\"marker\"]"]
    );
    assert_eq!(modern_until_marker(&server, &modern_muted).await, ["42[\"marker\"]"]);
    assert_eq!(modern_until_marker(&server, &modern_outside).await, ["42[\"marker\"]"]);
}

#[tokio::test]
async fn fetch_join_and_disconnect_reach_both_families() {
    let server = start_default().await;
    let old = legacy(&server, &["r"]).await;
    let (_, new) = modern(&server, &["r"]).await;
    let (_, other) = modern(&server, &[]).await;

    let mut fetched = server.io.to("r").fetch_sockets().await.expect("local");
    fetched.sort_by(|a, b| a.id().cmp(b.id()));
    let mut expected = vec![old.clone(), new.clone()];
    expected.sort();
    assert_eq!(fetched.iter().map(|s| s.id().to_owned()).collect::<Vec<_>>(), expected);
    for socket in &fetched {
        // Every socket is in the room of its own id, as in node.
        let mut rooms = vec![socket.id().to_owned(), "r".to_owned()];
        rooms.sort();
        assert_eq!(socket.rooms(), rooms, "{socket:?}");
        assert_eq!(socket.handshake().address, "127.0.0.1");
    }

    server.io.to("r").sockets_join("quiet").await.expect("local");
    assert_eq!(server.io.to("quiet").count().await.expect("local"), 2);
    let mut rooms = vec![
        old.clone(),
        new.clone(),
        other.clone(),
        "quiet".to_owned(),
        "r".to_owned(),
    ];
    rooms.sort();
    assert_eq!(server.io.all_rooms("").await.expect("local"), rooms);
    server.io.to("quiet").sockets_leave("r").await.expect("local");
    assert_eq!(server.io.to("r").count().await.expect("local"), 0);

    // A socket id is a room: `to(id)` reaches that one socket.
    assert_eq!(server.io.to(other.clone()).count().await.expect("local"), 1);

    server.io.to("quiet").disconnect_sockets(true).await.expect("local");
    server.observed.wait_close(&old, "").await;
    server.observed.wait_close(&new, "").await;
    assert!(
        server.observed.closes_of(&other).is_empty(),
        "outside the room: untouched"
    );
    assert_eq!(server.io.of("").count().await.expect("local"), 1);
}

/// Joins a room from its close hook, as a task holding a clone of its
/// `Ctx` may do at any time after teardown.
struct LateJoiner {
    joined: mpsc::UnboundedSender<()>,
}

impl Handler for LateJoiner {
    async fn on_open(&mut self, cx: &Ctx) -> bool {
        cx.join("early");
        true
    }

    async fn on_close(&mut self, cx: &Ctx) {
        let (cx, joined) = (cx.clone(), self.joined.clone());
        tokio::spawn(async move {
            cx.join("late");
            let _ = joined.send(());
        });
    }
}

#[tokio::test]
async fn a_join_after_teardown_leaves_no_member_behind() {
    let (joined, mut joins) = mpsc::unbounded_channel();
    let joined = Arc::new(joined);
    let io = SocketIo::builder(move || LateJoiner {
        joined: (*joined).clone(),
    })
    .flash_policy_port(None)
    .build();
    let listener = socketio::listen("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(Server::new(io.clone()).run_on(listener));

    let sid = handshake(addr).await;
    assert_eq!(get(addr, &xhr(&sid)).await.text(), "1::");
    let mut rooms = vec![sid.clone(), "early".to_owned()];
    rooms.sort();
    assert_eq!(io.all_rooms("").await.expect("local"), rooms);
    post(addr, &xhr(&sid), "0::").await;
    joins.recv().await.expect("the close hook ran");
    assert!(io.all_rooms("").await.expect("local").is_empty());
    assert_eq!(io.to("late").count().await.expect("local"), 0);
}

/// An adapter whose "other server" is this one: what it sends server-side
/// comes back to this server's own handlers, through `Local` as a real
/// cluster adapter delivers it.
#[derive(Default)]
struct Loopback;

impl socketio::Adapter for Loopback {
    fn server_side_emit(
        &self,
        local: &socketio::Local,
        name: &str,
        args: &socketio::EncodedArgs,
    ) -> socketio::AdapterFuture<Vec<socketio::AckResponse>> {
        let args: Vec<socketio::RawJson> = serde_json::from_str(args.json()).expect("a JSON array");
        let answer = local.server_side_event("", name, args);
        Box::pin(async move {
            let Some(answer) = answer else { return Ok(Vec::new()) };
            Ok(answer
                .await
                .map(|args| socketio::AckResponse {
                    args: serde_json::from_str(args.json()).expect("a JSON array"),
                })
                .into_iter()
                .collect())
        })
    }
}

#[tokio::test]
async fn server_side_events_reach_their_typed_handler_through_the_adapter() {
    let io = SocketIo::builder(|| LateJoiner {
        joined: mpsc::unbounded_channel().0,
    })
    .adapter(Loopback)
    .on_server_event("ping", |(from, n): (String, u32)| async move {
        format!("pong {from} {}", n + 1)
    })
    .build();
    let answers = io.server_side_emit("ping", ("a", 41)).await.expect("serializes");
    assert_eq!(answers.len(), 1);
    let (answer,): (String,) = answers[0].parse().expect("one string");
    assert_eq!(answer, "pong a 42");
    // Arguments that do not bind are not answered; unknown events neither.
    assert!(
        io.server_side_emit("ping", ("a",))
            .await
            .expect("serializes")
            .is_empty()
    );
    assert!(io.server_side_emit("nobody", ()).await.expect("serializes").is_empty());
    // Without a cluster adapter there is nobody to answer.
    let alone = SocketIo::builder(|| LateJoiner {
        joined: mpsc::unbounded_channel().0,
    })
    .on_server_event("ping", |(): ()| async {})
    .build();
    assert!(alone.server_side_emit("ping", ()).await.expect("serializes").is_empty());
}
