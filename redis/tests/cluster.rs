//! Two of our servers, one Redis: every adapter operation reaches the
//! other server's sockets, and faults (Redis gone, garbage on the
//! channels) leave the local side working.

mod common;

use std::time::{Duration, Instant};

use common::{Client, Node, Packet, Redis, ack_id, config, within};
use fred::prelude::{ClientLike, PubsubInterface};
use socketio::bytes::Bytes;

async fn two_nodes(redis: &Redis) -> (Node, Node) {
    (Node::start(config(redis)).await, Node::start(config(redis)).await)
}

#[tokio::test]
async fn a_broadcast_reaches_both_servers_with_rooms_and_except_rooms() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis).await;
    let mut on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;
    let mut muted = Client::in_rooms(b.addr, &["r", "muted"]).await;
    let mut outside = Client::connect(b.addr).await;

    a.io.to("r").except("muted").emit("news", ("x", 1)).expect("serializes");
    a.io.of("")
        .except(on_a.sid.clone())
        .emit("others", ())
        .expect("serializes");
    a.io.of("").emit("marker", ()).expect("serializes");

    assert_eq!(on_a.until_marker().await, [r#"42["news","x",1]"#, r#"42["marker"]"#]);
    assert_eq!(
        on_b.until_marker().await,
        [r#"42["news","x",1]"#, r#"42["others"]"#, r#"42["marker"]"#]
    );
    assert_eq!(muted.until_marker().await, [r#"42["others"]"#, r#"42["marker"]"#]);
    assert_eq!(outside.until_marker().await, [r#"42["others"]"#, r#"42["marker"]"#]);

    // Binary goes through msgpack `bin` and comes out as an attachment.
    a.io.to("r")
        .emit("bin", (Bytes::from_static(b"\x01\x02"),))
        .expect("serializes");
    assert_eq!(on_b.text().await, r#"451-["bin",{"_placeholder":true,"num":0}]"#);
    assert_eq!(on_b.packet().await, Packet::Binary(vec![1, 2]));
}

#[tokio::test]
async fn fetch_join_and_disconnect_reach_the_other_server() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis).await;
    let on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;

    let mut fetched = within("fetch", a.io.to("r").fetch_sockets()).await.expect("fetches");
    fetched.sort_by(|x, y| x.id().cmp(y.id()));
    let mut ids = vec![on_a.sid.clone(), on_b.sid.clone()];
    ids.sort();
    assert_eq!(fetched.iter().map(|s| s.id().to_owned()).collect::<Vec<_>>(), ids);
    assert!(
        fetched.iter().all(|s| s.rooms().contains(&"r".to_owned())),
        "{fetched:?}"
    );

    // The join request and the broadcast travel in order: when B's client
    // gets the broadcast to "vip", B applied the join.
    a.io.to(on_b.sid.clone()).sockets_join("vip").await.expect("joins");
    a.io.to("vip").emit("welcome", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["welcome"]"#);
    let rooms = within("all rooms", a.io.all_rooms("")).await.expect("rooms");
    assert!(
        rooms.contains(&"vip".to_owned()) && rooms.contains(&"r".to_owned()),
        "{rooms:?}"
    );

    a.io.to(on_b.sid.clone())
        .disconnect_sockets(false)
        .await
        .expect("disconnects");
    assert_eq!(on_b.text().await, "41");
}

#[tokio::test]
async fn server_count_and_server_side_emit_with_answers() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis).await;
    common::scenarios::count_and_server_side_emit(&a.io, &b.io).await;
}

#[tokio::test]
async fn an_acknowledged_broadcast_collects_answers_from_both_servers() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis).await;
    let mut on_a = Client::connect(a.addr).await;
    let mut on_b = Client::connect(b.addr).await;

    let io = a.io.clone();
    let asked = tokio::spawn(async move {
        io.of("")
            .timeout(Duration::from_secs(4))
            .emit_with_ack("question", ("q",))
            .await
    });
    for (client, answer) in [(&mut on_a, "from-a"), (&mut on_b, "from-b")] {
        let text = client.text().await;
        assert!(text.ends_with(r#"["question","q"]"#), "{text}");
        client.send(&format!("43{}[\"{answer}\"]", ack_id(&text))).await;
    }
    let replies = within("the answers", asked).await.expect("runs").expect("answers");
    assert!(replies.is_complete(), "{replies:?}");
    let mut got: Vec<String> = replies.replies.iter().map(|r| r.args[0].get().to_owned()).collect();
    got.sort();
    assert_eq!(got, [r#""from-a""#, r#""from-b""#]);
}

#[tokio::test]
async fn a_binary_answer_from_the_other_server_stays_binary() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis).await;
    let mut on_b = Client::connect(b.addr).await;

    let io = a.io.clone();
    let asked = tokio::spawn(async move {
        io.of("")
            .timeout(Duration::from_secs(4))
            .emit_with_ack("file?", ())
            .await
    });
    let text = on_b.text().await;
    assert!(text.ends_with(r#"["file?"]"#), "{text}");
    // BINARY_ACK: the placeholder in the text, the bytes in a binary frame.
    on_b.send(&format!(
        r#"461-{}[{{"name":"f","data":{{"_placeholder":true,"num":0}}}}]"#,
        ack_id(&text)
    ))
    .await;
    on_b.send_binary(vec![0xde, 0xad, 0x00]).await;

    let replies = within("the answer", asked).await.expect("runs").expect("answers");
    assert!(replies.is_complete(), "{replies:?}");
    assert_eq!(replies.replies.len(), 1, "{replies:?}");
    let answer = &replies.replies[0].args[0];
    assert_eq!(answer.get(), r#"{"name":"f","data":{"_placeholder":true,"num":0}}"#);
    #[derive(serde::Deserialize)]
    struct File {
        data: Bytes,
    }
    assert_eq!(
        answer.deserialize::<File>().expect("binds").data,
        Bytes::from_static(b"\xde\xad\x00")
    );
}

#[tokio::test]
async fn with_redis_gone_local_operations_still_answer_in_time() {
    let mut redis = Redis::start().await;
    let mut config = config(&redis);
    config.requests_timeout = Duration::from_secs(1);
    config.publish_queue = 1;
    let a = Node::start(config.clone()).await;
    let _b = Node::start(config).await;
    let mut on_a = Client::in_rooms(a.addr, &["r"]).await;

    redis.stop().await;
    a.io.to("r").emit("still", ()).expect("serializes");
    assert_eq!(on_a.text().await, r#"42["still"]"#);

    let started = Instant::now();
    let fetched = a.io.to("r").fetch_sockets().await.expect("answers with the local part");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!(
        fetched.iter().map(|s| s.id().to_owned()).collect::<Vec<_>>(),
        [on_a.sid.clone()]
    );
    assert!(within("count", a.io.server_count()).await.is_err());

    // One message in the queue and one being published at most: the
    // third is refused at once instead of piling up.
    let mut refused = 0;
    for _ in 0..3 {
        if let Err(error) = a.io.to("r").sockets_join("more").await {
            assert!(matches!(error, socketio::AdapterError::Unavailable(_)), "{error}");
            refused += 1;
        }
    }
    assert!(refused >= 1, "nothing refused");
    // The local part was applied all the same.
    let rooms = within("rooms", a.io.all_rooms("")).await.expect("rooms");
    assert!(rooms.contains(&"more".to_owned()), "{rooms:?}");
}

#[tokio::test]
async fn garbage_on_the_channels_breaks_nothing_and_emitters_are_heard() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;

    let raw = fred::prelude::Builder::from_config(fred::prelude::Config::from_url(&redis.url()).expect("url"))
        .build()
        .expect("client");
    raw.init().await.expect("connects");
    let garbage: [(&str, &[u8]); 10] = [
        ("socket.io#/#", b"\xc1"),
        ("socket.io#/#", b"{\"not\":\"msgpack\"}"),
        ("socket.io#/#", b"\x93\xa1x\x80\x80"),
        ("socket.io#/#r#", b"\x92\x01\x02"),
        ("socket.io-request#/#", b"{broken"),
        ("socket.io-request#/#", b"{\"type\":99}"),
        ("socket.io-request#/#", b"{\"type\":6,\"data\":[1]}"),
        ("socket.io-request#/#", b"\x81\xa4type\x07"),
        ("socket.io-response#/#", b"\x00\x01"),
        ("socket.io-response#/#", b"{\"requestId\":7}"),
    ];
    for (channel, payload) in garbage {
        let _: i64 = raw
            .publish(channel, Bytes::from_static(payload))
            .await
            .expect("publishes");
    }

    // What @socket.io/redis-emitter sends: uid "emitter", opts in its order.
    let emitted = rmp_serde::to_vec_named(&(
        "emitter",
        serde_json::json!({"type": 2, "data": ["from-emitter", {"k": 1}], "nsp": "/"}),
        serde_json::json!({"rooms": ["r"], "flags": {}, "except": []}),
    ))
    .expect("encodes");
    let _: i64 = raw
        .publish("socket.io#/#r#", Bytes::from(emitted))
        .await
        .expect("publishes");
    assert_eq!(on_b.text().await, r#"42["from-emitter",{"k":1}]"#);

    // An emitter's join request has no uid, and is applied.
    let join = br#"{"type":2,"opts":{"rooms":["r"],"except":[]},"rooms":["joined"]}"#;
    let _: i64 = raw
        .publish("socket.io-request#/#", Bytes::from_static(join))
        .await
        .expect("publishes");
    a.io.to("joined").emit("marker", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["marker"]"#);
    assert_eq!(within("count", b.io.server_count()).await.expect("counts"), 2);
}

#[tokio::test]
async fn after_redis_restarts_the_cluster_heals_by_itself() {
    let mut redis = Redis::start().await;
    let (a, b) = two_nodes(&redis).await;
    let mut on_b = Client::connect(b.addr).await;

    redis.stop().await;
    let _redis = Redis::start_on(redis.port).await;

    // Nothing tells when both clients reconnected and renewed their
    // subscriptions, so broadcast until one arrives (each try bounded).
    let healed = async {
        loop {
            a.io.of("").emit("again", ()).expect("serializes");
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
    // The request channels may come back a moment after the patterns.
    let counted = async {
        while a.io.server_count().await != Ok(2) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), counted)
        .await
        .expect("both servers counted again within 10 s");
}

#[tokio::test]
async fn a_namespace_other_than_the_main_one_has_channels_of_its_own() {
    let redis = Redis::start().await;
    let (a, b) = two_nodes(&redis).await;
    let mut chat_on_b = Client::connect_to(b.addr, "/chat").await;
    let mut main_on_b = Client::connect(b.addr).await;

    a.io.of("/chat").emit("in-chat", ()).expect("serializes");
    a.io.of("").emit("marker", ()).expect("serializes");
    assert_eq!(chat_on_b.text().await, r#"42/chat,["in-chat"]"#);
    assert_eq!(main_on_b.text().await, r#"42["marker"]"#);

    let fetched = within("fetch", a.io.of("/chat").fetch_sockets())
        .await
        .expect("fetches");
    assert_eq!(
        fetched.iter().map(|s| s.id().to_owned()).collect::<Vec<_>>(),
        [chat_on_b.sid.clone()]
    );
    assert_eq!(fetched[0].namespace(), "/chat");
}

#[tokio::test]
async fn in_a_redis_cluster_the_count_sums_every_master() {
    let cluster = socketio_tests::RedisCluster::start().await;
    let url = cluster.url();
    let (a, b) = (
        Node::start(socketio_redis::RedisConfig::new(url.clone())).await,
        Node::start(socketio_redis::RedisConfig::new(url)).await,
    );
    // Each server's subscriber connection sits on one master (picked by
    // its client id): only the sum over every master counts both.
    assert_eq!(within("count", a.io.server_count()).await.expect("counts"), 2);
    assert_eq!(within("count", b.io.server_count()).await.expect("counts"), 2);
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;
    a.io.to("r").emit("across", ()).expect("serializes");
    assert_eq!(on_b.text().await, r#"42["across"]"#);
}
