//! Two of our servers with the sharded adapter, on a real three-master
//! Redis Cluster (a standalone Redis 7 for the faults): every adapter
//! operation reaches the other server's sockets, room channels follow the
//! rooms, and faults leave the local side working.

mod common;

use std::time::{Duration, Instant};

use common::{Client, Packet, Redis, ShardedNode, eventually, raw, within};
use fred::prelude::{ClientLike, PubsubInterface};
use socketio::bytes::Bytes;
use socketio_redis::{RedisConfig, SubscriptionMode};
use socketio_tests::RedisCluster;

async fn two_nodes(url: &str) -> (ShardedNode, ShardedNode) {
    (
        ShardedNode::start(RedisConfig::new(url)).await,
        ShardedNode::start(RedisConfig::new(url)).await,
    )
}

/// The shard channels with a subscriber on each master, by port.
async fn shard_channels(cluster: &RedisCluster) -> Vec<(u16, Vec<String>)> {
    let mut all = Vec::new();
    for port in &cluster.ports {
        let node = raw(&format!("redis://127.0.0.1:{port}")).await;
        let mut channels: Vec<String> = node.pubsub_shardchannels("socket.io#*").await.expect("lists");
        channels.sort();
        all.push((*port, channels));
        let _ = node.quit().await;
    }
    all
}

#[tokio::test]
async fn broadcasts_reach_both_servers_through_room_channels_on_several_shards() {
    let cluster = RedisCluster::start().await;
    let (a, b) = two_nodes(&cluster.url()).await;
    let rooms = ["r", "news", "sport", "weather", "music"];
    let mut on_a = Client::in_rooms(a.addr, &rooms).await;
    let mut on_b = Client::in_rooms(b.addr, &rooms).await;
    let mut muted = Client::in_rooms(b.addr, &["r", "muted"]).await;
    let mut outside = Client::connect(b.addr).await;
    within("B subscribed", b.adapter.ready()).await;

    // Each room's channel on the shard its slot names: the five rooms
    // land on more than one master.
    let channels = shard_channels(&cluster).await;
    let holding: Vec<_> = channels
        .iter()
        .filter(|(_, list)| rooms.iter().any(|r| list.contains(&format!("socket.io#/#{r}#"))))
        .collect();
    assert!(holding.len() >= 2, "{channels:?}");

    a.io.to("r").except("muted").emit("news", ("x", 1)).expect("serializes");
    a.io.to("sport").emit("goal", ()).expect("serializes");
    a.io.of("")
        .except(on_a.sid.clone())
        .emit("others", ())
        .expect("serializes");
    a.io.of("").emit("marker", ()).expect("serializes");
    assert_eq!(
        on_a.until_marker().await,
        [r#"42["news","x",1]"#, r#"42["goal"]"#, r#"42["marker"]"#]
    );
    // One server's messages on different channels (shards) keep no common
    // order: compare sets.
    let mut got = on_b.until_marker().await;
    got.sort();
    let mut expected = vec![
        r#"42["goal"]"#,
        r#"42["marker"]"#,
        r#"42["news","x",1]"#,
        r#"42["others"]"#,
    ];
    expected.sort();
    if got.len() < expected.len() {
        // The marker may overtake a room message from another shard.
        for _ in got.len()..expected.len() {
            got.push(on_b.text().await);
        }
        got.sort();
    }
    assert_eq!(got, expected);
    let mut muted_got = muted.until_marker().await;
    muted_got.sort();
    assert_eq!(muted_got, [r#"42["marker"]"#, r#"42["others"]"#]);
    assert_eq!(outside.until_marker().await, [r#"42["others"]"#, r#"42["marker"]"#]);

    // Binary through msgpack `bin`, volatile too; out as an attachment.
    a.io.to("weather")
        .volatile()
        .emit("bin", (Bytes::from_static(b"\x01\x02"),))
        .expect("serializes");
    assert_eq!(on_b.text().await, r#"451-["bin",{"_placeholder":true,"num":0}]"#);
    assert_eq!(on_b.packet().await, Packet::Binary(vec![1, 2]));
    assert_eq!(on_a.text().await, r#"451-["bin",{"_placeholder":true,"num":0}]"#);
    assert_eq!(on_a.packet().await, Packet::Binary(vec![1, 2]));

    // A room emptied here is left: its channel goes.
    on_b.send(r#"421["leave","music"]"#).await;
    assert_eq!(on_b.text().await, "431[]");
    on_a.send(r#"421["leave","music"]"#).await;
    assert_eq!(on_a.text().await, "431[]");
    eventually("the music channel dropped", || async {
        shard_channels(&cluster)
            .await
            .iter()
            .all(|(_, list)| !list.contains(&"socket.io#/#music#".to_owned()))
    })
    .await;
}

#[tokio::test]
async fn fetch_join_leave_and_disconnect_reach_the_other_server() {
    let cluster = RedisCluster::start().await;
    let (a, b) = two_nodes(&cluster.url()).await;
    let on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;
    within("B subscribed", b.adapter.ready()).await;

    let mut fetched = within("fetch", a.io.to("r").fetch_sockets()).await.expect("fetches");
    fetched.sort_by(|x, y| x.id().cmp(y.id()));
    let mut ids = vec![on_a.sid.clone(), on_b.sid.clone()];
    ids.sort();
    assert_eq!(fetched.iter().map(|s| s.id().to_owned()).collect::<Vec<_>>(), ids);
    assert!(
        fetched.iter().all(|s| s.rooms().contains(&"r".to_owned())),
        "{fetched:?}"
    );

    a.io.to(on_b.sid.clone()).sockets_join("vip").await.expect("joins");
    // The join and a broadcast to "vip" travel on different channels: wait
    // until B applied the join and listens on vip's channel.
    eventually("B's socket in vip", || async {
        let found = a.io.to("vip").fetch_sockets().await.unwrap_or_default();
        found.iter().any(|s| s.id() == on_b.sid)
    })
    .await;
    within("B subscribed", b.adapter.ready()).await;
    a.io.to("vip").emit("welcome", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["welcome"]"#);

    a.io.to("vip").sockets_leave("r").await.expect("leaves");
    eventually("B's socket out of r", || async {
        let found = a.io.to("r").fetch_sockets().await.unwrap_or_default();
        found.len() == 1
    })
    .await;

    a.io.to(on_b.sid.clone())
        .disconnect_sockets(false)
        .await
        .expect("disconnects");
    assert_eq!(on_b.text().await, "41");
}

#[tokio::test]
async fn count_server_side_emit_and_acknowledged_broadcasts() {
    let cluster = RedisCluster::start().await;
    let (a, b) = two_nodes(&cluster.url()).await;
    common::scenarios::count_and_server_side_emit(&a.io, &b.io).await;
    common::scenarios::acknowledged_broadcast(&a.io, a.addr, b.addr).await;

    // A third server killed outright (SIGKILL, no goodbye) stops being
    // counted as soon as Redis sees its connection close: here a
    // `redis-cli SSUBSCRIBE` of the main base channel, as a server's
    // subscriber connection; only the master owning the channel's slot
    // keeps it (the others answer MOVED and it exits).
    let mut listeners = Vec::new();
    for port in &cluster.ports {
        let child = tokio::process::Command::new("redis-cli")
            .args(["-p", &port.to_string(), "SSUBSCRIBE", "socket.io#/#"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-cli runs");
        listeners.push(child);
    }
    eventually("a third server counted", || async {
        a.io.server_count().await == Ok(3)
    })
    .await;
    for child in &mut listeners {
        child.kill().await.expect("kills");
    }
    eventually("the count back to 2", || async { b.io.server_count().await == Ok(2) }).await;
}

#[tokio::test]
async fn a_legacy_length_id_has_its_channel_and_a_modern_one_the_base_channel() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis.url()).await;
    let on_b = Client::connect(b.addr).await;
    within("B subscribed", b.adapter.ready()).await;
    let node = raw(&redis.url()).await;
    let mut channels: Vec<String> = node.pubsub_shardchannels("socket.io#*").await.expect("lists");
    channels.sort();
    // Modern socket ids are 20 long: no channel of their own.
    assert_eq!(on_b.sid.chars().count(), 20);
    assert!(!channels.iter().any(|c| c.contains(&on_b.sid)), "{channels:?}");
    let mut on_b = on_b;
    // A 32-character room (a legacy session id's length) has a channel,
    // and a message to it arrives there.
    let legacy_like = "0123456789abcdef0123456789abcdef";
    on_b.send(&format!(r#"421["join","{legacy_like}"]"#)).await;
    assert_eq!(on_b.text().await, "431[]");
    within("B subscribed", b.adapter.ready()).await;
    let channel = format!("socket.io#/#{legacy_like}#");
    let counted: Vec<fred::prelude::Value> = node.pubsub_shardnumsub(channel.as_str()).await.expect("counts");
    assert_eq!(counted.get(1).and_then(fred::prelude::Value::as_u64), Some(1));
    a.io.to(legacy_like).emit("legacy", ()).expect("serializes");
    a.io.to(on_b.sid.clone()).emit("modern", ()).expect("serializes");
    let mut got = vec![on_b.text().await, on_b.text().await];
    got.sort();
    assert_eq!(got, [r#"42["legacy"]"#, r#"42["modern"]"#]);
}

#[tokio::test]
async fn with_redis_gone_local_operations_answer_in_time_and_it_heals() {
    let mut redis = Redis::start().await;
    let mut config = RedisConfig::new(redis.url());
    config.requests_timeout = Duration::from_secs(1);
    let a = ShardedNode::start(config.clone()).await;
    let b = ShardedNode::start(config).await;
    let mut on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;
    within("B subscribed", b.adapter.ready()).await;

    redis.stop().await;
    a.io.to("r").emit("still", ()).expect("serializes");
    assert_eq!(on_a.text().await, r#"42["still"]"#);
    let started = Instant::now();
    let fetched = a.io.to("r").fetch_sockets().await.expect("answers with the local part");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    let started = Instant::now();
    assert!(a.io.server_count().await.is_err());
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    let answers = a.io.server_side_emit("ping", ("x",)).await;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(
        matches!(&answers, Ok(list) if list.is_empty()) || answers.is_err(),
        "{answers:?}"
    );

    let _redis = Redis::start_on(redis.port).await;
    // The room channel comes back: broadcast until one arrives (each try
    // bounded).
    let healed = async {
        loop {
            a.io.to("r").emit("again", ()).expect("serializes");
            match tokio::time::timeout(Duration::from_millis(200), on_b.text()).await {
                Ok(text) => return text,
                Err(_) => continue,
            }
        }
    };
    let text = tokio::time::timeout(Duration::from_secs(10), healed)
        .await
        .expect("the cluster heals within 10 s");
    assert_eq!(text, r#"42["again"]"#);
    eventually("both counted again", || async { a.io.server_count().await == Ok(2) }).await;
}

#[tokio::test]
async fn garbage_on_the_shard_channels_breaks_nothing() {
    let cluster = RedisCluster::start().await;
    let (a, b) = two_nodes(&cluster.url()).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;
    within("B subscribed", b.adapter.ready()).await;

    let publisher = raw(&cluster.url()).await;
    let response = format!("socket.io#/#{}#", a.adapter.uid());
    let garbage: [(&str, &[u8]); 11] = [
        ("socket.io#/#", b"\xc1"),
        ("socket.io#/#", b"{broken"),
        ("socket.io#/#", b"{\"type\":99,\"uid\":\"x\",\"nsp\":\"/\"}"),
        ("socket.io#/#", b"{\"type\":3,\"uid\":\"x\",\"nsp\":\"/\",\"data\":{}}"),
        (
            "socket.io#/#",
            b"{\"type\":9,\"uid\":\"x\",\"nsp\":\"/\",\"data\":{\"packet\":[1]}}",
        ),
        (
            "socket.io#/#",
            b"{\"type\":7,\"uid\":\"x\",\"nsp\":\"/other\",\"data\":{\"requestId\":\"q\",\"opts\":{}}}",
        ),
        ("socket.io#/#r#", b"\x92\x01\x02"),
        (
            "socket.io#/#r#",
            b"\x84\xa4type\x03\xa4data\x80\xa3uid\xa1x\xa3nsp\xa1/",
        ),
        (&response, b"{\"type\":8,\"data\":{\"requestId\":7}}"),
        (
            &response,
            b"{\"type\":11,\"data\":{\"requestId\":\"nobody\",\"clientCount\":3}}",
        ),
        ("socket.io#/#", b"{\"type\":2,\"uid\":\"x\",\"nsp\":\"/\"}"),
    ];
    for (channel, payload) in garbage {
        let _: i64 = publisher
            .spublish(channel, Bytes::from_static(payload))
            .await
            .expect("publishes");
    }
    a.io.to("r").emit("marker", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["marker"]"#);
    assert_eq!(within("count", b.io.server_count()).await.expect("counts"), 2);
    let fetched = within("fetch", a.io.of("").fetch_sockets()).await.expect("fetches");
    assert_eq!(fetched.len(), 1, "{fetched:?}");
}

#[tokio::test]
async fn static_mode_uses_base_channels_and_dynamic_private_gives_socket_ids_theirs() {
    let redis = Redis::start().await;
    let node = raw(&redis.url()).await;
    let room_channels = |channels: Vec<String>, ids: &[&str]| -> Vec<String> {
        channels
            .into_iter()
            .filter(|c| c.starts_with("socket.io#/#") && c != "socket.io#/#")
            .filter(|c| !ids.iter().any(|id| c == &format!("socket.io#/#{id}#")))
            .collect()
    };

    let mut fixed = RedisConfig::new(redis.url());
    fixed.subscription_mode = SubscriptionMode::Static;
    let (a, b) = (ShardedNode::start(fixed.clone()).await, ShardedNode::start(fixed).await);
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;
    within("B subscribed", b.adapter.ready()).await;
    let channels: Vec<String> = node.pubsub_shardchannels("socket.io#*").await.expect("lists");
    let extra = room_channels(channels, &[a.adapter.uid(), b.adapter.uid()]);
    assert!(extra.is_empty(), "static mode subscribed {extra:?}");
    a.io.to("r").emit("on-base", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["on-base"]"#);
    drop((a, b, on_b));

    let mut private = RedisConfig::new(redis.url());
    private.key = "private".to_owned();
    private.subscription_mode = SubscriptionMode::DynamicPrivate;
    let (a, b) = (
        ShardedNode::start(private.clone()).await,
        ShardedNode::start(private).await,
    );
    let mut on_b = Client::connect(b.addr).await;
    within("B subscribed", b.adapter.ready()).await;
    let channel = format!("private#/#{}#", on_b.sid);
    let counted: Vec<fred::prelude::Value> = node.pubsub_shardnumsub(channel.as_str()).await.expect("counts");
    assert_eq!(
        counted.get(1).and_then(fred::prelude::Value::as_u64),
        Some(1),
        "{channel}"
    );
    a.io.to(on_b.sid.clone()).emit("just-you", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["just-you"]"#);
}
