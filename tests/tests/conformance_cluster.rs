//! The cluster events of the `conformance` example (`shared/conformance-
//! cluster.md`, section 4) on one server without Redis, driven by the real
//! 0.9.16 client: each answers for this server alone, through the same
//! adapter operations a cluster uses.

mod common;

use common::example::start_with;
use serde_json::{Value, json};
use socketio_tests::NodeClient;

async fn client(url: &str) -> (NodeClient, String) {
    let mut c = NodeClient::connect(url, "websocket", None).await;
    c.expect_connect("").await;
    let who = c.emit_ack("", "whoami", vec![]).await;
    let sid = who[0]["sid"].as_str().expect("sid").to_owned();
    (c, sid)
}

#[tokio::test]
async fn the_cluster_events_answer_for_one_server_alone() {
    let example = start_with(&[("NODE_NAME", "alone"), ("REQUESTS_TIMEOUT_MS", "2000")]).await;
    let url = example.url.clone();
    let (mut a, a_id) = client(&url).await;
    let (mut b, b_id) = client(&url).await;

    assert_eq!(a.emit_ack("", "server_name", vec![]).await, [json!("alone")]);
    assert_eq!(a.emit_ack("", "cluster_count", vec![]).await, [json!(1)]);

    a.emit_ack("", "join", vec![json!("r")]).await;
    b.emit_ack("", "join", vec![json!("r")]).await;
    let mut expected = vec![
        json!({"id": a_id, "rooms": sorted(&[&a_id, "r"]), "server": "alone"}),
        json!({"id": b_id, "rooms": sorted(&[&b_id, "r"]), "server": "alone"}),
    ];
    expected.sort_by(|x, y| x["id"].as_str().cmp(&y["id"].as_str()));
    assert_eq!(
        a.emit_ack("", "fetch_room", vec![json!("r")]).await,
        [Value::Array(expected)]
    );

    // Everyone in `r` joins `s`; then leaves `r`.
    a.emit_ack("", "join_all", vec![json!("r"), json!("s")]).await;
    a.emit_ack("", "leave_all", vec![json!("s"), json!("r")]).await;
    let in_s = a.emit_ack("", "fetch_room", vec![json!("s")]).await;
    let rooms: Vec<&Value> = in_s[0].as_array().expect("array").iter().map(|s| &s["rooms"]).collect();
    assert_eq!(
        rooms,
        [
            &json!(sorted(&[&in_s_id(&in_s, 0), "s"])),
            &json!(sorted(&[&in_s_id(&in_s, 1), "s"]))
        ]
    );
    assert!(
        a.emit_ack("", "fetch_room", vec![json!("r")]).await[0]
            .as_array()
            .expect("array")
            .is_empty()
    );

    // Nobody else to ping.
    assert_eq!(a.emit_ack("", "server_ping", vec![json!("x")]).await, [json!([])]);

    // ask_room: both answer.
    a.reply_to("question", vec![json!("from a")]).await;
    b.reply_to("question", vec![json!("from b")]).await;
    assert_eq!(
        a.emit_ack("", "ask_room", vec![json!("s")]).await,
        [json!(["from a", "from b"])]
    );

    // disconnect_room: b is disconnected by the server.
    a.emit_ack("", "leave", vec![json!("s")]).await;
    a.emit_ack("", "disconnect_room", vec![json!("s")]).await;
    b.expect("b disconnected", |r| r["ev"] == "disconnect").await;
    assert_eq!(a.emit_ack("", "cluster_count", vec![]).await, [json!(1)], "a stays");
}

fn sorted(rooms: &[&str]) -> Vec<String> {
    let mut rooms: Vec<String> = rooms.iter().map(|r| (*r).to_owned()).collect();
    rooms.sort();
    rooms
}

fn in_s_id(fetched: &[Value], index: usize) -> String {
    fetched[0][index]["id"].as_str().expect("id").to_owned()
}

/// Two `conformance` servers through one real Redis (node's classic
/// adapter format), a 0.9.16 client on one and a socket.io-client 4 on the
/// other: sections 3 and 4 of the cluster contract across them.
#[tokio::test]
async fn two_servers_through_redis_serve_legacy_and_modern_clients_as_one() {
    let redis = socketio_tests::RedisServer::start().await;
    let env = |name: &'static str| [("REDIS_URL", redis.url()), ("NODE_NAME", name.to_owned())];
    let a_env = env("a");
    let b_env = env("b");
    let a = start_with(&a_env.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    let b = start_with(&b_env.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    let (mut old, old_id) = client(&a.url).await;
    let mut new = NodeClient::connect_modern(&b.url, 4, "websocket", json!({})).await;
    new.expect_connect("").await;
    let new_id = new.emit_ack("", "whoami", vec![]).await[0]["sid"]
        .as_str()
        .expect("sid")
        .to_owned();

    assert_eq!(old.emit_ack("", "cluster_count", vec![]).await, [json!(2)]);
    assert_eq!(new.emit_ack("", "server_name", vec![]).await, [json!("b")]);

    // A broadcast from either server reaches both clients, the sender included.
    old.emit("", "broadcast", vec![json!("from a")]).await;
    assert_eq!(old.expect_event("", "broadcast").await, [json!("from a")]);
    assert_eq!(new.expect_event("", "broadcast").await, [json!("from a")]);
    new.emit("", "broadcast", vec![json!("from b")]).await;
    assert_eq!(new.expect_event("", "broadcast").await, [json!("from b")]);
    assert_eq!(old.expect_event("", "broadcast").await, [json!("from b")]);

    // Rooms and a socket's own id across servers.
    old.emit_ack("", "join", vec![json!("r")]).await;
    new.emit_ack("", "join", vec![json!("r")]).await;
    let mut expected = vec![
        json!({"id": old_id, "rooms": sorted(&[&old_id, "r"]), "server": "a"}),
        json!({"id": new_id, "rooms": sorted(&[&new_id, "r"]), "server": "b"}),
    ];
    expected.sort_by(|x, y| x["id"].as_str().cmp(&y["id"].as_str()));
    assert_eq!(
        new.emit_ack("", "fetch_room", vec![json!("r")]).await,
        [Value::Array(expected)]
    );
    new.emit("", "to_room", vec![json!(old_id), json!("just you")]).await;
    assert_eq!(
        old.expect_event("", "room_msg").await,
        [json!(old_id), json!("just you")]
    );

    // Remote join, a server-side ping and acks from clients on both servers.
    new.emit_ack("", "join_all", vec![json!("r"), json!("s")]).await;
    let in_s = old.emit_ack("", "fetch_room", vec![json!("s")]).await;
    assert_eq!(in_s[0].as_array().expect("array").len(), 2, "{in_s:?}");
    let pinged = old.emit_ack("", "server_ping", vec![json!("x")]).await;
    assert_eq!(pinged, [json!(["b"])]);
    assert_eq!(new.expect_event("", "server_pinged").await, [json!("x")]);
    old.reply_to("question", vec![json!("old")]).await;
    new.reply_to("question", vec![json!("new")]).await;
    assert_eq!(
        new.emit_ack("", "ask_room", vec![json!("s")]).await,
        [json!(["new", "old"])]
    );

    // Disconnecting a room from b reaches the 0.9 client on a.
    new.emit_ack("", "leave", vec![json!("s")]).await;
    new.emit_ack("", "disconnect_room", vec![json!("s")]).await;
    old.expect("old disconnected by the other server", |r| r["ev"] == "disconnect")
        .await;

    // A server killed outright: the other stops counting it (Redis sees its
    // subscriptions go with its connection) and keeps working.
    let mut b = b;
    b.child.start_kill().expect("SIGKILL");
    b.child.wait().await.expect("it exits");
    let (mut late, _) = client(&a.url).await;
    let mut count = json!(2);
    for _ in 0..100 {
        count = late.emit_ack("", "cluster_count", vec![]).await[0].clone();
        if count == json!(1) {
            break;
        }
    }
    assert_eq!(count, json!(1), "the killed server is no longer counted");
    assert_eq!(late.emit_ack("", "server_ping", vec![json!("y")]).await, [json!([])]);
}

/// Two `conformance` servers with `ADAPTER=redis-sharded` on a real
/// three-master Redis Cluster (`REDIS_URL` names one node; the servers find
/// the others), a 0.9.16 client on one and a socket.io-client 4 on the
/// other: broadcasts, room messages (a legacy socket's own id included,
/// which travels on its own shard channel), fetches, counts and
/// server-side pings across them; a server killed outright stops being
/// counted.
#[tokio::test]
async fn two_sharded_servers_on_a_redis_cluster_serve_legacy_and_modern_clients_as_one() {
    let cluster = socketio_tests::RedisCluster::start().await;
    let env = |name: &'static str| {
        [
            ("REDIS_URL", cluster.node_url()),
            ("ADAPTER", "redis-sharded".to_owned()),
            ("NODE_NAME", name.to_owned()),
        ]
    };
    let (a_env, b_env) = (env("a"), env("b"));
    let a = start_with(&a_env.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    let b = start_with(&b_env.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    let (mut old, old_id) = client(&a.url).await;
    let mut new = NodeClient::connect_modern(&b.url, 4, "websocket", json!({})).await;
    new.expect_connect("").await;
    let new_id = new.emit_ack("", "whoami", vec![]).await[0]["sid"]
        .as_str()
        .expect("sid")
        .to_owned();
    assert_ne!(old_id.len(), 20, "a legacy id is not taken for a modern one");

    assert_eq!(old.emit_ack("", "cluster_count", vec![]).await, [json!(2)]);
    assert_eq!(new.emit_ack("", "cluster_count", vec![]).await, [json!(2)]);

    old.emit("", "broadcast", vec![json!("from a")]).await;
    assert_eq!(old.expect_event("", "broadcast").await, [json!("from a")]);
    assert_eq!(new.expect_event("", "broadcast").await, [json!("from a")]);
    new.emit("", "broadcast", vec![json!("from b")]).await;
    assert_eq!(new.expect_event("", "broadcast").await, [json!("from b")]);
    assert_eq!(old.expect_event("", "broadcast").await, [json!("from b")]);

    old.emit_ack("", "join", vec![json!("r")]).await;
    new.emit_ack("", "join", vec![json!("r")]).await;
    let mut expected = vec![
        json!({"id": old_id, "rooms": sorted(&[&old_id, "r"]), "server": "a"}),
        json!({"id": new_id, "rooms": sorted(&[&new_id, "r"]), "server": "b"}),
    ];
    expected.sort_by(|x, y| x["id"].as_str().cmp(&y["id"].as_str()));
    assert_eq!(
        old.emit_ack("", "fetch_room", vec![json!("r")]).await,
        [Value::Array(expected)]
    );
    // To a room (on its channel's shard), and to each socket's own id.
    new.emit("", "to_room", vec![json!("r"), json!("all of r")]).await;
    assert_eq!(old.expect_event("", "room_msg").await, [json!("r"), json!("all of r")]);
    assert_eq!(new.expect_event("", "room_msg").await, [json!("r"), json!("all of r")]);
    new.emit("", "to_room", vec![json!(old_id), json!("just you")]).await;
    assert_eq!(
        old.expect_event("", "room_msg").await,
        [json!(old_id), json!("just you")]
    );
    old.emit("", "to_room", vec![json!(new_id), json!("you too")]).await;
    assert_eq!(
        new.expect_event("", "room_msg").await,
        [json!(new_id), json!("you too")]
    );

    assert_eq!(old.emit_ack("", "server_ping", vec![json!("x")]).await, [json!(["b"])]);
    assert_eq!(new.expect_event("", "server_pinged").await, [json!("x")]);

    let mut b = b;
    b.child.start_kill().expect("SIGKILL");
    b.child.wait().await.expect("it exits");
    let mut count = json!(2);
    for _ in 0..100 {
        count = old.emit_ack("", "cluster_count", vec![]).await[0].clone();
        if count == json!(1) {
            break;
        }
    }
    assert_eq!(count, json!(1), "the killed server is no longer counted");
    assert_eq!(old.emit_ack("", "server_ping", vec![json!("y")]).await, [json!([])]);
}
