//! Connection state recovery across a cluster
//! (`shared/conformance-cluster.md`, section 5, with `ADAPTER=redis-streams`):
//! two of our `conformance` servers and node socket.io 4 with
//! `@socket.io/redis-streams-adapter` 0.3.1 on one real `redis-server`. A
//! socket.io-client 4 loses its transport on one server, events reach it
//! directly, through its room and as broadcasts from clients of the other
//! servers while it is away, and it comes back to a different server: ours
//! to ours, ours to node's, node's to ours.

mod common;

use common::example::{Example, start_with};
use common::node_server::NodeServer;
use common::recovering::{
    Drive, drop_and_wait_gone, events_until, modern, reconnect_to, send_while_away, set_recovery_state, split_offset,
};
use serde_json::{Value, json};
use socketio_tests::{NodeClient, RedisServer};

/// Servers `a` and `b` (ours) and `n` (node) recovering through one stream.
struct Cluster {
    a: Example,
    b: Example,
    n: NodeServer,
    // Last: the servers go before their Redis.
    _redis: RedisServer,
}

impl Cluster {
    async fn start(recovery_ms: &str) -> Cluster {
        Self::start_with(recovery_ms, &[]).await
    }

    /// [`Cluster::start`] with more of the environment for our servers.
    async fn start_with(recovery_ms: &str, ours_env: &[(&str, &str)]) -> Cluster {
        let redis = RedisServer::start().await;
        let env = |name: &str| {
            vec![
                ("REDIS_URL", redis.url()),
                ("ADAPTER", "redis-streams".to_owned()),
                ("REDIS_KEY", "recovery".to_owned()),
                ("RECOVERY_MS", recovery_ms.to_owned()),
                ("NODE_NAME", name.to_owned()),
                ("REQUESTS_TIMEOUT_MS", "3000".to_owned()),
            ]
        };
        let ours = |name: &str| {
            let mut env = env(name);
            env.extend(ours_env.iter().map(|(k, v)| (*k, (*v).to_owned())));
            async move {
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                start_with(&env).await
            }
        };
        let a = ours("a").await;
        let b = ours("b").await;
        let n = NodeServer::start(&env("n")).await;
        Cluster { a, b, n, _redis: redis }
    }
}

/// The events `client` gets up to the broadcast `marker`, without offsets,
/// and whether every offset was a distinct stream entry id.
async fn missed_then(client: &mut NodeClient, marker: &str) -> Vec<(String, Vec<Value>)> {
    let seen = events_until(client, marker).await;
    let mut offsets: Vec<&String> = seen.iter().map(|(_, _, offset)| offset).collect();
    assert!(
        offsets.iter().all(|offset| is_entry_id(offset)),
        "offsets are stream entry ids: {seen:?}"
    );
    offsets.dedup();
    assert_eq!(offsets.len(), seen.len(), "an offset per packet: {seen:?}");
    seen.into_iter().map(|(name, args, _)| (name, args)).collect()
}

fn is_entry_id(offset: &str) -> bool {
    offset
        .split_once('-')
        .is_some_and(|(ms, seq)| ms.parse::<u64>().is_ok() && seq.parse::<u64>().is_ok())
}

/// The ids and `server` data of the sockets in `room`, as `asker`'s server
/// finds them across the cluster.
async fn fetch(asker: &mut NodeClient, room: &str) -> Vec<(String, String)> {
    let found = asker.emit_ack("", "fetch_room", vec![json!(room)]).await;
    found[0]
        .as_array()
        .expect("an array")
        .iter()
        .map(|s| {
            let id = s["id"].as_str().unwrap_or_default().to_owned();
            (id, s["server"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// A client first on `from` comes back to `to` with its id, rooms, data
/// and every packet sent while it was away, by clients of our server `b`
/// and of node's server, once each and in order.
async fn moves(from: &str, from_name: &str, to: &str, b: &str, n: &str) {
    let (mut moving, id) = modern(from, "websocket").await;
    let (mut on_b, _) = modern(b, "websocket").await;
    let (mut on_n, _) = modern(n, "websocket").await;
    moving.emit_ack("", "join", vec![json!("r")]).await;
    drop_and_wait_gone(&mut moving, &id, &mut on_b).await;

    // While it is away, from ours: to its id, to a room it is not in, to
    // its room, volatile (not replayed), to everyone; then from node's.
    send_while_away(&mut on_b, &id).await;
    // In the stream once b delivered it: node's come after.
    events_until(&mut on_b, "all").await;
    // Node's handlers do not ack: its broadcast after them, read back from
    // the stream by b, says they are in it.
    on_n.emit("", "to_room", vec![json!("r"), json!("from node")]).await;
    on_n.emit("", "to_room", vec![json!(id), json!("node direct")]).await;
    on_n.emit("", "broadcast", vec![json!("node done")]).await;
    events_until(&mut on_b, "node done").await;

    let connect = reconnect_to(&mut moving, to).await;
    assert_eq!(connect["recovered"], true, "{from} -> {to}: {connect}");
    assert_eq!(connect["id"], id.as_str(), "{from} -> {to}: the old socket id");
    on_b.emit_ack("", "broadcast", vec![json!("after")]).await;
    let mut expected = vec![
        ("room_msg".to_owned(), vec![json!(id), json!("direct")]),
        ("room_msg".to_owned(), vec![json!("r"), json!("room")]),
    ];
    // Node's adapter replays volatile broadcasts as well; ours does not.
    if to == n {
        expected.push(("broadcast".to_owned(), vec![json!("volatile")]));
    }
    expected.extend([
        ("broadcast".to_owned(), vec![json!("all")]),
        ("room_msg".to_owned(), vec![json!("r"), json!("from node")]),
        ("room_msg".to_owned(), vec![json!(id), json!("node direct")]),
        ("broadcast".to_owned(), vec![json!("node done")]),
        ("broadcast".to_owned(), vec![json!("after")]),
    ]);
    assert_eq!(
        missed_then(&mut moving, "after").await,
        expected,
        "{from} -> {to}: every missed packet once, in order, then the new one"
    );
    let who = moving.emit_ack("", "whoami", vec![]).await;
    assert_eq!(who[0]["sid"], id.as_str());
    assert_eq!(who[0]["recovered"], true);
    // Its room is back, on its new server, with the data of its first.
    assert_eq!(fetch(&mut on_n, "r").await, [(id.clone(), from_name.to_owned())]);
    // Its own echo is recoverable there too: an entry id as its offset.
    moving.emit_ack("", "echo", vec![json!(7)]).await;
    let (args, offset) = split_offset(moving.expect_event("", "echo").await);
    assert_eq!(args, [json!(7)]);
    assert!(is_entry_id(&offset), "{offset}");
}

#[tokio::test]
async fn messages_are_recoverable_like_events() {
    let c = Cluster::start("20000").await;
    let (mut client, _) = modern(&c.a.url, "websocket").await;
    // The welcome /chat's open hook sends.
    client.of("/chat").await;
    let (args, offset) = split_offset(client.expect_event("/chat", "message").await);
    assert_eq!(args, [json!("welcome /chat")]);
    assert!(is_entry_id(&offset), "{offset}");
}

#[tokio::test]
async fn a_client_of_ours_comes_back_to_our_other_server() {
    let c = Cluster::start("20000").await;
    moves(&c.a.url, "a", &c.b.url, &c.b.url, &c.n.url).await;
}

#[tokio::test]
async fn a_client_of_ours_comes_back_to_node() {
    let c = Cluster::start("20000").await;
    moves(&c.a.url, "a", &c.n.url, &c.b.url, &c.n.url).await;
}

#[tokio::test]
async fn a_client_of_node_comes_back_to_ours() {
    let c = Cluster::start("20000").await;
    moves(&c.n.url, "n", &c.a.url, &c.b.url, &c.n.url).await;
}

/// Comes back to `to` as a new socket that got nothing of what was sent
/// while it was away.
async fn comes_back_new(client: &mut NodeClient, old_id: &str, to: &str, other: &mut NodeClient, marker: &str) {
    let connect = reconnect_to(client, to).await;
    assert_eq!(connect["recovered"], false, "{connect}");
    assert_ne!(connect["id"], old_id, "a new socket id");
    other.emit_ack("", "broadcast", vec![json!(marker)]).await;
    assert_eq!(missed_then(client, marker).await.len(), 1, "nothing replayed");
}

#[tokio::test]
async fn a_session_is_restored_once_and_unknown_ones_not_at_all() {
    let c = Cluster::start("20000").await;
    let (mut b, _) = modern(&c.b.url, "websocket").await;

    // Restored once: a second client offering the same pid and offset
    // (a copy of the first) gets a new socket.
    let (mut first, first_id) = modern(&c.a.url, "websocket").await;
    drop_and_wait_gone(&mut first, &first_id, &mut b).await;
    let state = first
        .command_and_expect(json!({"op": "recovery_state"}), "recovery_state")
        .await;
    let connect = reconnect_to(&mut first, &c.b.url).await;
    assert_eq!(connect["recovered"], true, "{connect}");
    let (mut copy, copy_id) = modern(&c.a.url, "websocket").await;
    drop_and_wait_gone(&mut copy, &copy_id, &mut b).await;
    let tamper = json!({"op": "recovery_state", "pid": state["pid"], "offset": state["offset"]});
    copy.command_and_expect(tamper, "recovery_state").await;
    comes_back_new(&mut copy, &copy_id, &c.n.url, &mut b, "after copy").await;

    // An unknown pid, and an offset that is not in the stream.
    for (pid, offset) in [(Some("unknown-pid"), None), (None, Some("1-1"))] {
        let (mut a, a_id) = modern(&c.a.url, "websocket").await;
        drop_and_wait_gone(&mut a, &a_id, &mut b).await;
        b.emit_ack("", "to_room", vec![json!(a_id), json!("missed")]).await;
        set_recovery_state(&mut a, pid, offset).await;
        comes_back_new(&mut a, &a_id, &c.b.url, &mut b, "after tamper").await;
    }
}

#[tokio::test]
async fn past_the_duration_the_session_is_gone_from_redis() {
    let c = Cluster::start("1000").await;
    let (mut b, _) = modern(&c.b.url, "websocket").await;
    let (mut a, a_id) = modern(&c.a.url, "websocket").await;
    drop_and_wait_gone(&mut a, &a_id, &mut b).await;
    b.emit_ack("", "to_room", vec![json!(a_id), json!("missed")]).await;
    // The contract's "past": RECOVERY_MS + 1.5 s; nothing to await here.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    comes_back_new(&mut a, &a_id, &c.n.url, &mut b, "after").await;
}

#[tokio::test]
async fn over_its_missed_packets_cap_a_socket_comes_back_new_and_others_recover() {
    let c = Cluster::start_with("20000", &[("RECOVERY_MAX_MISSED", "2")]).await;
    let (mut b, _) = modern(&c.b.url, "websocket").await;
    let (mut busy, busy_id) = modern(&c.a.url, "websocket").await;
    let (mut calm, calm_id) = modern(&c.a.url, "websocket").await;
    drop_and_wait_gone(&mut busy, &busy_id, &mut b).await;
    drop_and_wait_gone(&mut calm, &calm_id, &mut b).await;
    for n in 0..3 {
        b.emit_ack("", "to_room", vec![json!(busy_id), json!(n)]).await;
    }
    b.emit_ack("", "to_room", vec![json!(calm_id), json!("one")]).await;
    comes_back_new(&mut busy, &busy_id, &c.b.url, &mut b, "after busy").await;
    let connect = reconnect_to(&mut calm, &c.b.url).await;
    assert_eq!(connect["recovered"], true, "{connect}");
    assert_eq!(connect["id"], calm_id.as_str());
    b.emit_ack("", "broadcast", vec![json!("after calm")]).await;
    assert_eq!(
        missed_then(&mut calm, "after calm").await,
        [
            ("room_msg".to_owned(), vec![json!(calm_id), json!("one")]),
            ("broadcast".to_owned(), vec![json!("after busy")]),
            ("broadcast".to_owned(), vec![json!("after calm")]),
        ]
    );
}
