//! Two of our servers with the streams adapter on a real `redis-server`:
//! every adapter operation reaches the other server's sockets, Redis going
//! away leaves the local side working and misses nothing once back, and
//! garbage in the stream or on the channels breaks nothing.

mod common;

use std::time::{Duration, Instant};

use common::{Client, Packet, Redis, StreamsNode, eventually, raw, within};
use fred::prelude::{ClientLike, PubsubInterface, StreamsInterface};
use socketio::bytes::Bytes;
use socketio_redis::StreamsConfig;

async fn two_nodes(url: &str) -> (StreamsNode, StreamsNode) {
    (
        StreamsNode::start(StreamsConfig::new(url)).await,
        StreamsNode::start(StreamsConfig::new(url)).await,
    )
}

#[tokio::test]
async fn broadcasts_go_through_the_stream_in_node_form() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis.url()).await;
    let mut on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;
    let mut muted = Client::in_rooms(b.addr, &["r", "muted"]).await;
    let mut outside = Client::connect(b.addr).await;

    a.io.to("r").except("muted").emit("news", ("x", 1)).expect("serializes");
    a.io.of("")
        .except(on_a.sid.clone())
        .emit("others", ())
        .expect("serializes");
    a.io.of("").local().emit("local", ()).expect("serializes");
    a.io.of("").emit("marker", ()).expect("serializes");
    assert_eq!(
        on_a.until_marker().await,
        [r#"42["news","x",1]"#, r#"42["local"]"#, r#"42["marker"]"#]
    );
    // One stream: the other server sees them in the order sent.
    assert_eq!(
        on_b.until_marker().await,
        [r#"42["news","x",1]"#, r#"42["others"]"#, r#"42["marker"]"#]
    );
    assert_eq!(muted.until_marker().await, [r#"42["others"]"#, r#"42["marker"]"#]);
    assert_eq!(outside.until_marker().await, [r#"42["others"]"#, r#"42["marker"]"#]);

    // Binary: base64 msgpack in the entry; out as an attachment.
    a.io.to("r")
        .volatile()
        .emit("bin", (Bytes::from_static(b"\x01\x02"),))
        .expect("serializes");
    assert_eq!(on_b.text().await, r#"451-["bin",{"_placeholder":true,"num":0}]"#);
    assert_eq!(on_b.packet().await, Packet::Binary(vec![1, 2]));

    // The entries as node writes them: uid, nsp, type, data.
    let client = raw(&redis.url()).await;
    let entries: Vec<(String, Vec<(String, String)>)> = client
        .xrange("socket.io", "-", "+", None)
        .await
        .expect("reads the stream");
    let first = &entries[0].1;
    let names: Vec<&str> = first.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["uid", "nsp", "type", "data"]);
    assert_eq!(first[0].1, a.adapter.uid());
    assert_eq!((first[1].1.as_str(), first[2].1.as_str()), ("/", "3"));
    assert_eq!(
        first[3].1,
        r#"{"packet":{"type":2,"data":["news","x",1],"nsp":"/"},"opts":{"rooms":["r"],"except":["muted"],"flags":{}}}"#
    );
    // Local-only broadcasts stay out of the stream.
    assert_eq!(entries.len(), 4, "{entries:?}");
    let binary = &entries[3].1[3].1;
    assert!(!binary.starts_with('{'), "{binary}");
}

#[tokio::test]
async fn fetch_join_leave_and_disconnect_reach_the_other_server() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis.url()).await;
    let on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;

    let mut fetched = within("fetch", a.io.to("r").fetch_sockets()).await.expect("fetches");
    fetched.sort_by(|x, y| x.id().cmp(y.id()));
    let mut ids = vec![on_a.sid.clone(), on_b.sid.clone()];
    ids.sort();
    assert_eq!(fetched.iter().map(|s| s.id().to_owned()).collect::<Vec<_>>(), ids);

    a.io.to(on_b.sid.clone()).sockets_join("vip").await.expect("joins");
    // The join and the broadcast travel in the same stream, in order.
    a.io.to("vip").emit("welcome", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["welcome"]"#);

    a.io.to("vip").sockets_leave("r").await.expect("leaves");
    a.io.to("r").emit("to-r", ()).expect("serializes");
    a.io.to("vip").emit("to-vip", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["to-vip"]"#);
    let found = within("fetch", a.io.to("r").fetch_sockets()).await.expect("fetches");
    assert_eq!(found.len(), 1, "{found:?}");

    a.io.to(on_b.sid.clone())
        .disconnect_sockets(false)
        .await
        .expect("disconnects");
    assert_eq!(on_b.text().await, "41");
}

#[tokio::test]
async fn count_server_side_emit_and_acknowledged_broadcasts() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis.url()).await;
    common::scenarios::count_and_server_side_emit(&a.io, &b.io).await;
    common::scenarios::acknowledged_broadcast(&a.io, a.addr, b.addr).await;
    // No acknowledged broadcast in the stream (node keeps them out).
    let client = raw(&redis.url()).await;
    let entries: Vec<(String, Vec<(String, String)>)> = client
        .xrange("socket.io", "-", "+", None)
        .await
        .expect("reads the stream");
    assert!(entries.is_empty(), "{entries:?}");

    // A third server (a subscriber of the main public channel, as node's
    // are) is counted, and no longer once its connection goes.
    let third = raw(&redis.url()).await;
    third.subscribe("socket.io#/#").await.expect("subscribes");
    eventually("a third server counted", || async {
        a.io.server_count().await == Ok(3)
    })
    .await;
    let _ = third.quit().await;
    eventually("the count back to 2", || async { b.io.server_count().await == Ok(2) }).await;
}

#[tokio::test]
async fn with_redis_gone_local_works_and_the_stream_resumes() {
    let mut redis = Redis::start().await;
    let mut config = StreamsConfig::new(redis.url());
    config.requests_timeout = Duration::from_secs(1);
    config.block_time = Duration::from_millis(500);
    let a = StreamsNode::start(config.clone()).await;
    let b = StreamsNode::start(config).await;
    let mut on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;

    redis.stop().await;
    a.io.to("r").emit("still", ()).expect("serializes");
    assert_eq!(on_a.text().await, r#"42["still"]"#);
    let started = Instant::now();
    let fetched = a.io.to("r").fetch_sockets().await.expect("answers with the local part");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert!(a.io.server_count().await.is_err());

    let _redis = Redis::start_on(redis.port).await;
    // Reading and subscriptions come back: broadcast until one arrives
    // (each try bounded). The copy of "still" that waited in the publish
    // queue may go out first, once, and never after "again".
    let mut waited = 0;
    let healed = async {
        loop {
            a.io.to("r").emit("again", ()).expect("serializes");
            loop {
                match tokio::time::timeout(Duration::from_millis(300), on_b.text()).await {
                    Ok(text) if text == r#"42["still"]"# => waited += 1,
                    Ok(text) => return text,
                    Err(_) => break,
                }
            }
        }
    };
    let text = tokio::time::timeout(Duration::from_secs(10), healed)
        .await
        .expect("the cluster heals within 10 s");
    assert_eq!(text, r#"42["again"]"#);
    assert!(waited <= 1, "the queued broadcast came {waited} times");
    eventually("both counted again", || async { a.io.server_count().await == Ok(2) }).await;
}

/// The entry id a recoverable event carries as its last argument, if any.
fn offset_of(text: &str) -> Option<String> {
    let args: Vec<serde_json::Value> = serde_json::from_str(text.strip_prefix("42")?).ok()?;
    let last = args.last()?.as_str()?;
    let (ms, seq) = last.split_once('-')?;
    (ms.parse::<u64>().is_ok() && seq.parse::<u64>().is_ok()).then(|| last.to_owned())
}

#[tokio::test]
async fn with_recovery_on_broadcasts_carry_entry_ids_and_go_on_without_redis() {
    let mut redis = Redis::start().await;
    let mut config = StreamsConfig::new(redis.url());
    config.requests_timeout = Duration::from_secs(1);
    config.block_time = Duration::from_millis(500);
    let a = StreamsNode::recovering(config.clone()).await;
    let b = StreamsNode::recovering(config).await;
    let mut on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;

    // Up: the sender's own clients and the other server's get the entry id.
    let mut ids = Vec::new();
    for n in 0..3 {
        a.io.to("r").emit("up", (n,)).expect("serializes");
        let here = on_a.text().await;
        let there = on_b.text().await;
        assert!(here.starts_with(&format!(r#"42["up",{n},""#)), "{here}");
        let id = offset_of(&here).unwrap_or_else(|| panic!("an entry id: {here}"));
        assert_eq!(offset_of(&there), Some(id.clone()), "the same offset on both servers");
        ids.push(id);
    }
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| {
        id.split_once('-')
            .map(|(ms, seq)| (ms.parse::<u64>().ok(), seq.parse::<u64>().ok()))
    });
    sorted.dedup();
    assert_eq!(sorted, ids, "increasing ids, in the order sent");
    // Volatile and local ones are not in the stream's numbering.
    a.io.to("r").volatile().emit("volatile", ()).expect("serializes");
    assert_eq!(on_a.text().await, r#"42["volatile"]"#);
    a.io.to("r").local().emit("local", ()).expect("serializes");
    assert_eq!(on_a.text().await, r#"42["local"]"#);

    // Down: this server's clients still get everything, in order, without
    // an offset (those packets cannot be recovered).
    redis.stop().await;
    for n in 0..20 {
        a.io.to("r").emit("down", (n,)).expect("serializes");
    }
    for n in 0..20 {
        assert_eq!(on_a.text().await, format!(r#"42["down",{n}]"#));
    }

    // Back: offsets again.
    let _redis = Redis::start_on(redis.port).await;
    let healed = async {
        loop {
            a.io.to("r").emit("again", ()).expect("serializes");
            let text = on_a.text().await;
            if offset_of(&text).is_some() {
                return text;
            }
            assert_eq!(text, r#"42["again"]"#);
        }
    };
    let text = tokio::time::timeout(Duration::from_secs(15), healed)
        .await
        .expect("offsets come back within 15 s");
    assert!(text.starts_with(r#"42["again",""#), "{text}");
}

#[tokio::test]
async fn garbage_in_the_stream_and_on_the_channels_breaks_nothing() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis.url()).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;

    let client = raw(&redis.url()).await;
    let garbage: [&[(&str, &str)]; 8] = [
        &[("junk", "1")],
        &[("uid", "x"), ("nsp", "/"), ("type", "abc")],
        &[("uid", "x"), ("nsp", "/"), ("type", "3"), ("data", "{broken")],
        &[("uid", "x"), ("nsp", "/"), ("type", "3"), ("data", "@@not base64@@")],
        &[("uid", "x"), ("nsp", "/"), ("type", "3"), ("data", "{}")],
        &[("uid", "x"), ("nsp", "/"), ("type", "99")],
        &[
            ("uid", "x"),
            ("nsp", "/other"),
            ("type", "6"),
            ("data", r#"{"opts":{},"close":true}"#),
        ],
        &[("uid", "x"), ("nsp", "/"), ("type", "2")],
    ];
    for fields in garbage {
        let fields: Vec<(&str, &str)> = fields.to_vec();
        let _: String = client
            .xadd("socket.io", false, None, "*", fields)
            .await
            .expect("appends");
    }
    let channel = format!("socket.io#/#{}#", a.adapter.uid());
    for (channel, payload) in [
        ("socket.io#/#", &b"\xc1"[..]),
        ("socket.io#/#", b"{\"type\":3}"),
        ("socket.io#/#", b"\x84\xa4type\x03\xa4data\x80\xa3uid\xa1x\xa3nsp\xa1/"),
        (channel.as_str(), b"\x82\xa4type\x08\xa4data\x81\xa9requestId\x07"),
    ] {
        let _: i64 = client
            .publish(channel, Bytes::copy_from_slice(payload))
            .await
            .expect("publishes");
    }
    a.io.to("r").emit("marker", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["marker"]"#);
    assert_eq!(within("count", b.io.server_count()).await.expect("counts"), 2);
    let fetched = within("fetch", a.io.of("").fetch_sockets()).await.expect("fetches");
    assert_eq!(fetched.len(), 1, "{fetched:?}");
}
