//! Our server and a node socket.io 4 server with
//! `@socket.io/redis-adapter` 8 on one Redis form one cluster: broadcasts,
//! counts, fetches and server-side emits work both ways, with the classic
//! adapter (`createAdapter`) and with the sharded one
//! (`createShardedAdapter`, on a standalone Redis 7 and on a three-master
//! Redis Cluster).

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::node::{self, NodeScript};
use common::{Client, Node, Packet, Redis, ShardedNode, config, within};
use fred::prelude::{ClientLike, PubsubInterface};
use serde_json::Value;
use socketio::SocketIo;
use socketio_redis::RedisConfig;
use socketio_tests::RedisCluster;

/// `tests/js/node-server.js`.
struct NodeServer {
    script: NodeScript,
    addr: SocketAddr,
}

impl NodeServer {
    /// `form` and its ports as node-server.js takes them.
    async fn start(redis_port: u16, form: &[String]) -> NodeServer {
        let mut args = vec![redis_port.to_string()];
        args.extend_from_slice(form);
        let mut script = node::script("node-server.js", "@socket.io/redis-adapter", &args);
        let addr = script.listening().await;
        NodeServer { script, addr }
    }

    /// Sends one command; its one line of answer.
    async fn command(&mut self, line: &str) -> String {
        self.script.command(line).await
    }
}

#[tokio::test]
async fn a_node_server_and_ours_form_one_cluster() {
    let redis = Redis::start().await;
    let ours = Node::start(config(&redis)).await;
    let node = NodeServer::start(redis.port, &[]).await;
    scenario(&ours.io, ours.addr, node, None).await;
}

#[tokio::test]
async fn a_node_server_and_ours_form_one_sharded_cluster_on_redis_7() {
    let redis = Redis::start().await;
    let ours = ShardedNode::start(RedisConfig::new(redis.url())).await;
    let node = NodeServer::start(redis.port, &["sharded".to_owned()]).await;
    scenario(&ours.io, ours.addr, node, Some(&redis.url())).await;
}

#[tokio::test]
async fn a_node_server_and_ours_form_one_sharded_cluster_on_a_redis_cluster() {
    let cluster = RedisCluster::start().await;
    let ours = ShardedNode::start(RedisConfig::new(cluster.url())).await;
    let mut form = vec!["sharded-cluster".to_owned()];
    form.extend(cluster.ports[1..].iter().map(u16::to_string));
    let node = NodeServer::start(cluster.ports[0], &form).await;
    scenario(&ours.io, ours.addr, node, Some(&cluster.url())).await;
}

/// Awaits until room `room`'s shard channel has `subscribers` (each try
/// bounded, the whole wait too).
async fn room_channel_subscribed(url: &str, room: &str, subscribers: u64) {
    let client = fred::prelude::Builder::from_config(fred::prelude::Config::from_url(url).expect("url"))
        .build()
        .expect("client");
    client.init().await.expect("connects");
    let channel = format!("socket.io#/#{room}#");
    within("the room channel subscribed", async {
        loop {
            let reply: Vec<fred::prelude::Value> = client.pubsub_shardnumsub(channel.as_str()).await.expect("counts");
            if reply.get(1).and_then(fred::prelude::Value::as_u64) >= Some(subscribers) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let _ = client.quit().await;
}

/// The mixed cluster's checks; `sharded`: the Redis URL of a sharded
/// cluster, where a join and a broadcast to the joined room travel on
/// different channels, so each broadcast waits for the room's channel.
async fn scenario(io: &SocketIo, addr: SocketAddr, mut node: NodeServer, sharded: Option<&str>) {
    if sharded.is_some() {
        // node's base channel may be on another shard than its response
        // channel: counted once both servers listen.
        within("both servers counted", async {
            while io.server_count().await != Ok(2) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }
    let mut on_ours = Client::connect(addr).await;
    let mut on_node = Client::in_rooms(node.addr, &["r"]).await;
    if let Some(url) = sharded {
        room_channel_subscribed(url, "r", 1).await;
    }

    // node → ours, text and binary.
    assert_eq!(node.command(r#"emit hello [1,"a",{"k":null}]"#).await, "emitted");
    assert_eq!(on_ours.text().await, r#"42["hello",1,"a",{"k":null}]"#);
    assert_eq!(node.command("binary bin").await, "emitted");
    assert_eq!(on_ours.text().await, r#"451-["bin",{"_placeholder":true,"num":0}]"#);
    assert_eq!(on_ours.packet().await, Packet::Binary(vec![1, 2, 3]));

    // node's own client got them too.
    assert_eq!(on_node.text().await, r#"42["hello",1,"a",{"k":null}]"#);
    assert_eq!(on_node.text().await, r#"451-["bin",{"_placeholder":true,"num":0}]"#);
    assert_eq!(on_node.packet().await, Packet::Binary(vec![1, 2, 3]));

    // ours → node, to a room.
    io.to("r").emit("from-rust", ("x",)).expect("serializes");
    assert_eq!(on_node.text().await, r#"42["from-rust","x"]"#);

    // Both count two servers.
    assert_eq!(within("count", io.server_count()).await.expect("counts"), 2);
    assert_eq!(node.command("count").await, "count 2");

    // Each fetches the other's sockets.
    let fetched = within("fetch", io.of("").fetch_sockets()).await.expect("fetches");
    let node_socket = fetched.iter().find(|s| s.id() == on_node.sid).expect("node's socket");
    assert!(node_socket.rooms().contains(&"r".to_owned()), "{node_socket:?}");
    let line = node.command("fetch").await;
    let theirs: Value = serde_json::from_str(line.strip_prefix("fetched ").expect(&line)).expect("json");
    assert!(
        theirs
            .as_array()
            .expect("array")
            .iter()
            .any(|s| s["id"] == on_ours.sid.as_str()),
        "{theirs}"
    );

    // Server-side emits with answers, both ways.
    let answers = within("answers", io.server_side_emit("ping", ("x",)))
        .await
        .expect("answers");
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].args[0].get(), r#""node pong x""#);
    assert_eq!(node.command("ask ping y").await, r#"answers ["pong y"]"#);

    // Joins both ways: each join travels before the broadcast that shows
    // it (sharded: once the room's channel is subscribed).
    io.to(on_node.sid.clone()).sockets_join("vip").await.expect("joins");
    if let Some(url) = sharded {
        room_channel_subscribed(url, "vip", 1).await;
    }
    io.to("vip").emit("welcome", ()).expect("serializes");
    assert_eq!(on_node.text().await, r#"42["welcome"]"#);
    if let Some(url) = sharded {
        assert_eq!(node.command("joinonly lobby").await, "joined");
        // Both servers hold a member of lobby now.
        room_channel_subscribed(url, "lobby", 2).await;
        assert_eq!(node.command("to lobby in-room").await, "emitted");
        // node's cluster adapter joins its own sockets at once: its client
        // is in lobby too.
        assert_eq!(on_node.text().await, r#"42["in-room"]"#);
    } else {
        assert_eq!(node.command("join lobby").await, "joined");
    }
    assert_eq!(on_ours.text().await, r#"42["in-room"]"#);
    // (With the classic adapter node's own client misses it: node joins its
    // own sockets only when its request comes back from Redis, after its
    // local emit.)

    // Acknowledged broadcasts both ways: every client answers.
    let io = io.clone();
    let asked = tokio::spawn(async move {
        io.of("")
            .timeout(Duration::from_secs(3))
            .emit_with_ack("question", ("q",))
            .await
    });
    answer_question(&mut on_ours, "ours").await;
    answer_question(&mut on_node, "node's").await;
    let replies = within("the answers", asked).await.expect("runs").expect("answers");
    assert!(replies.is_complete(), "{replies:?}");
    assert_eq!(replies.replies.len(), 2, "{replies:?}");

    node.script.send("ack question").await;
    answer_question(&mut on_ours, "ours").await;
    answer_question(&mut on_node, "node's").await;
    assert_eq!(node.script.line("node's answers").await, r#"acked ["node's","ours"]"#);

    // node disconnects everyone, ours included.
    assert_eq!(node.command("disconnect").await, "disconnected");
    assert_eq!(on_ours.text().await, "41");
}

/// Reads the `question` event and answers its ack with `answer`.
async fn answer_question(client: &mut Client, answer: &str) {
    let text = client.text().await;
    let id = text
        .strip_prefix("42")
        .and_then(|rest| rest.strip_suffix(r#"["question","q"]"#))
        .unwrap_or_else(|| panic!("not the question: {text}"));
    client.send(&format!("43{id}[\"{answer}\"]")).await;
}
