//! Our server and a node socket.io 4 server with
//! `@socket.io/redis-streams-adapter` 0.3 on one Redis form one cluster
//! (broadcasts both ways, counts, fetches, server-side emits), and a
//! session stored by either is restored by the other with the broadcasts
//! it missed.

mod common;

use std::net::SocketAddr;

use common::node::{self, NodeScript};
use common::{Client, Redis, StreamsNode, raw, within};
use fred::prelude::{KeysInterface, StreamsInterface};
use serde_json::{Value, json};
use socketio::{BroadcastPacket, PersistedSession};
use socketio_redis::StreamsConfig;

/// `tests/js/node-streams.js`.
struct NodeServer {
    script: NodeScript,
    addr: SocketAddr,
}

impl NodeServer {
    async fn start(redis_port: u16) -> NodeServer {
        let args = [redis_port.to_string()];
        let mut script = node::script("node-streams.js", "@socket.io/redis-streams-adapter", &args);
        let addr = script.listening().await;
        NodeServer { script, addr }
    }

    /// Sends one command; its one line of answer, less `prefix `.
    async fn command(&mut self, line: &str, prefix: &str) -> String {
        let answer = self.script.command(line).await;
        match answer.strip_prefix(prefix) {
            Some(rest) => rest.trim_start().to_owned(),
            None => panic!("{line}: unexpected {answer}"),
        }
    }
}

/// The id of the stream's last entry.
async fn last_id(client: &fred::prelude::Client) -> String {
    let last: Vec<(String, Vec<(String, String)>)> =
        client.xrevrange("socket.io", "+", "-", Some(1)).await.expect("reads");
    last[0].0.clone()
}

#[tokio::test]
async fn ours_and_node_form_one_cluster() {
    let redis = Redis::start().await;
    let ours = StreamsNode::start(StreamsConfig::new(redis.url())).await;
    let mut node = NodeServer::start(redis.port).await;
    let mut on_ours = Client::in_rooms(ours.addr, &["r"]).await;
    let mut on_node = Client::in_rooms(node.addr, &["r"]).await;

    // Node has recovery on: it appends each broadcast's stream offset (the
    // entry id) as the last argument, to what it reads and what it sends;
    // ours, without recovery yet, sends the packet as the entry holds it.
    ours.io.to("r").emit("from-ours", ("x", 1)).expect("serializes");
    assert_eq!(on_ours.text().await, r#"42["from-ours","x",1]"#);
    let client = raw(&redis.url()).await;
    let offset = last_id(&client).await;
    assert_eq!(on_node.text().await, format!(r#"42["from-ours","x",1,"{offset}"]"#));
    assert_eq!(node.command(r#"to r from-node {"k":2}"#, "emitted").await, "");
    assert_eq!(on_ours.text().await, r#"42["from-node",{"k":2}]"#);
    let offset = last_id(&client).await;
    assert_eq!(on_node.text().await, format!(r#"42["from-node",{{"k":2}},"{offset}"]"#));

    assert_eq!(within("count", ours.io.server_count()).await.expect("counts"), 2);
    assert_eq!(node.command("count", "count").await, "2");
    let fetched = within("fetch", ours.io.of("").fetch_sockets()).await.expect("fetches");
    let mut ids: Vec<String> = fetched.iter().map(|s| s.id().to_owned()).collect();
    ids.sort();
    let mut expected = vec![on_ours.sid.clone(), on_node.sid.clone()];
    expected.sort();
    assert_eq!(ids, expected);
    let node_fetched: Vec<String> = serde_json::from_str(&node.command("fetch", "fetched").await).expect("json");
    assert_eq!(node_fetched, expected);

    let answers = within("answers", ours.io.server_side_emit("ping", ("x",)))
        .await
        .expect("answers");
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].args[0].get(), r#""node pong x""#);
    assert_eq!(node.command("ask y", "answers").await, r#"["pong y"]"#);
}

#[tokio::test]
async fn a_session_stored_by_one_is_restored_by_the_other() {
    let redis = Redis::start().await;
    let ours = StreamsNode::start(StreamsConfig::new(redis.url())).await;
    let mut node = NodeServer::start(redis.port).await;
    let client = raw(&redis.url()).await;
    // A client of ours in r1 tells when each broadcast is in the stream.
    let mut watcher = Client::in_rooms(ours.addr, &["r1", "r2"]).await;

    // Node stores a session and broadcasts while it is away; ours restores.
    let stored = json!({"sid": "sid-node", "pid": "pid-node", "rooms": ["sid-node", "r1"], "data": {"user": "ann"}});
    assert_eq!(node.command(&format!("persist {stored}"), "persisted").await, "");
    node.command(r#"to r1 before 0"#, "emitted").await;
    assert!(watcher.text().await.starts_with(r#"42["before",0"#));
    let offset = last_id(&client).await;
    node.command(r#"to r1 missed {"n":1}"#, "emitted").await;
    node.command(r#"to r2 elsewhere 2"#, "emitted").await;
    node.command(r#"to sid-node direct 3"#, "emitted").await;
    node.command(r#"to r2 marker 4"#, "emitted").await;
    watcher.until_marker().await;
    let restored = within("restore", ours.adapter.take_session("", "pid-node", &offset))
        .await
        .expect("Redis answers")
        .expect("a session");
    assert_eq!(
        restored.session,
        PersistedSession::new(
            "sid-node",
            "pid-node",
            "",
            vec!["sid-node".into(), "r1".into()],
            json!({"user": "ann"})
        )
    );
    let missed: Vec<(String, String)> = restored
        .missed
        .iter()
        .map(|p| match &p.packet {
            BroadcastPacket::Event { name, args } => (name.clone(), args.json().to_owned()),
            other => panic!("not an event: {other:?}"),
        })
        .collect();
    // The stream holds the packets without offsets: each comes apart.
    assert_eq!(
        missed,
        [
            ("missed".to_owned(), r#"[{"n":1}]"#.to_owned()),
            ("direct".to_owned(), "[3]".to_owned())
        ]
    );
    assert!(restored.missed[0].offset > offset && restored.missed[1].offset > restored.missed[0].offset);
    // Restored once: the session is gone.
    let again = ours
        .adapter
        .take_session("", "pid-node", &offset)
        .await
        .expect("answers");
    assert!(again.is_none());

    // Ours stores a session and broadcasts while it is away; node restores.
    let record = PersistedSession::new(
        "sid-ours",
        "pid-ours",
        "",
        vec!["sid-ours".into(), "r1".into()],
        json!({"user": {"name": "bob"}}),
    );
    within(
        "persist",
        ours.adapter.store_session(&record, std::time::Duration::from_secs(60)),
    )
    .await
    .expect("stores");
    let ttl: i64 = client.pttl("sio:session:pid-ours").await.expect("ttl");
    assert!(ttl > 0 && ttl <= 60_000, "{ttl}");
    ours.io.to("r1").emit("before", ()).expect("serializes");
    assert_eq!(watcher.text().await, r#"42["before"]"#);
    let offset = last_id(&client).await;
    ours.io.to("r1").emit("missed", ("m",)).expect("serializes");
    ours.io
        .to("r1")
        .except("sid-ours")
        .emit("not-to-it", ())
        .expect("serializes");
    ours.io.to("r2").emit("marker", ()).expect("serializes");
    watcher.until_marker().await;
    let restored: Value =
        serde_json::from_str(&node.command(&format!("restore pid-ours {offset}"), "restored").await).expect("json");
    assert_eq!(restored["sid"], "sid-ours");
    assert_eq!(restored["rooms"], json!(["sid-ours", "r1"]));
    assert_eq!(restored["data"], json!({"user": {"name": "bob"}}));
    let missed = restored["missedPackets"].as_array().expect("missed packets");
    assert_eq!(missed.len(), 1, "{restored}");
    assert_eq!(missed[0][0], "missed");
    assert_eq!(missed[0][1], "m");
    assert!(
        missed[0][2].as_str().is_some_and(|id| id > offset.as_str()),
        "{restored}"
    );

    // An unknown pid, or an offset that is not a stream id: nothing.
    assert!(
        ours.adapter
            .take_session("", "nobody", &offset)
            .await
            .expect("answers")
            .is_none()
    );
    assert!(
        ours.adapter
            .take_session("", "pid-ours", "garbage")
            .await
            .expect("answers")
            .is_none()
    );
}
