//! node's real `@socket.io/redis-emitter` 5 reaches the clients of our
//! servers, and our `RedisEmitter` publishes the very same bytes on the
//! very same channels for the same calls.

mod common;

use common::node::{self, NodeScript};
use common::{Client, Node, Packet, Redis, config, within};
use fred::prelude::{ClientLike, EventInterface, PubsubInterface};
use socketio::bytes::Bytes;
use socketio_redis::RedisEmitter;
use tokio::sync::broadcast;

/// `tests/js/node-emitter.js`.
struct NodeEmitter {
    script: NodeScript,
}

impl NodeEmitter {
    async fn start(redis_port: u16) -> NodeEmitter {
        let args = [redis_port.to_string()];
        let mut script = node::script("node-emitter.js", "@socket.io/redis-emitter", &args);
        assert_eq!(script.line("node to connect").await, "ready");
        NodeEmitter { script }
    }

    /// Runs one command; returns once its publish is done.
    async fn run(&mut self, command: serde_json::Value) {
        let line = self.script.command(&command.to_string()).await;
        assert_eq!(line, "done", "{command}");
    }
}

/// Every message published on the `socket.io` channels, as sent.
struct Tap {
    _client: fred::clients::SubscriberClient,
    messages: broadcast::Receiver<fred::types::Message>,
}

impl Tap {
    async fn start(redis: &Redis) -> Tap {
        let config = fred::prelude::Config::from_url(&redis.url()).expect("url");
        let client = fred::prelude::Builder::from_config(config)
            .build_subscriber_client()
            .expect("client");
        client.init().await.expect("connects");
        let messages = client.message_rx();
        client.psubscribe("socket.io*").await.expect("subscribes");
        Tap {
            _client: client,
            messages,
        }
    }

    /// The next message: its channel and bytes.
    async fn next(&mut self) -> (String, Vec<u8>) {
        let message = within("a published message", self.messages.recv())
            .await
            .expect("receives");
        let bytes = message.value.as_bytes().expect("bytes").to_vec();
        (message.channel.to_string(), bytes)
    }
}

#[tokio::test]
async fn node_emitter_reaches_our_clients_and_ours_publishes_the_same_bytes() {
    let redis = Redis::start().await;
    let (a, b) = (Node::start(config(&redis)).await, Node::start(config(&redis)).await);
    let mut on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;
    let mut muted = Client::in_rooms(b.addr, &["r", "muted"]).await;
    let mut chat_b = Client::connect_to(b.addr, "/chat").await;
    let mut tap = Tap::start(&redis).await;
    let mut node = NodeEmitter::start(redis.port).await;
    let ours = RedisEmitter::new(config(&redis)).await.expect("connects");

    // To a room, except a room: node first, then ours, same bytes.
    node.run(serde_json::json!({"op": "emit", "to": ["r"], "except": ["muted"], "event": "news", "args": ["x", 1, {"k": [true, null, 2.5]}]}))
        .await;
    let from_node = tap.next().await;
    ours.to("r")
        .except("muted")
        .emit("news", ("x", 1, serde_json::json!({"k": [true, null, 2.5]})))
        .await
        .expect("publishes");
    assert_eq!(tap.next().await, from_node);
    assert_eq!(from_node.0, "socket.io#/#r#");
    for client in [&mut on_a, &mut on_b] {
        for _ in 0..2 {
            assert_eq!(client.text().await, r#"42["news","x",1,{"k":[true,null,2.5]}]"#);
        }
    }

    // Binary, to everyone of the main namespace.
    node.run(serde_json::json!({"op": "emit", "event": "bin", "args": ["f"], "bin": [1, 2, 3]}))
        .await;
    let from_node = tap.next().await;
    ours.emit("bin", ("f", Bytes::from_static(&[1, 2, 3])))
        .await
        .expect("publishes");
    assert_eq!(tap.next().await, from_node);
    assert_eq!(from_node.0, "socket.io#/#");
    for client in [&mut on_a, &mut on_b, &mut muted] {
        for _ in 0..2 {
            assert_eq!(client.text().await, r#"451-["bin","f",{"_placeholder":true,"num":0}]"#);
            assert_eq!(client.packet().await, Packet::Binary(vec![1, 2, 3]));
        }
    }

    // Another namespace.
    node.run(serde_json::json!({"op": "emit", "nsp": "/chat", "event": "hi", "args": []}))
        .await;
    let from_node = tap.next().await;
    ours.of("/chat").emit("hi", ()).await.expect("publishes");
    assert_eq!(tap.next().await, from_node);
    assert_eq!(from_node.0, "socket.io#/chat#");
    assert_eq!(chat_b.text().await, r#"42/chat,["hi"]"#);
    assert_eq!(chat_b.text().await, r#"42/chat,["hi"]"#);

    // Join, leave, server-side emit and disconnect requests.
    let requests = [
        (
            serde_json::json!({"op": "join", "to": [on_a.sid], "room": "vip"}),
            ours.to(on_a.sid.clone()).sockets_join("vip").await,
        ),
        (
            serde_json::json!({"op": "leave", "to": ["r"], "except": ["muted"], "room": "old"}),
            ours.to("r").except("muted").sockets_leave("old").await,
        ),
        (
            serde_json::json!({"op": "serverSideEmit", "event": "tell", "args": ["x", 1]}),
            ours.server_side_emit("tell", ("x", 1)).await,
        ),
    ];
    let mut ours_published = Vec::new();
    for (_, result) in &requests {
        result.as_ref().expect("publishes");
        ours_published.push(tap.next().await);
    }
    for ((command, _), published) in requests.into_iter().zip(ours_published) {
        node.run(command.clone()).await;
        assert_eq!(tap.next().await, published, "{command}");
        assert_eq!(published.0, "socket.io-request#/#");
    }
    // node's join put on_a in "vip" (ours too): a broadcast there reaches it.
    node.run(serde_json::json!({"op": "emit", "to": ["vip"], "event": "vip", "args": []}))
        .await;
    assert_eq!(on_a.text().await, r#"42["vip"]"#);
    assert_eq!(tap.next().await.0, "socket.io#/#vip#");

    node.run(serde_json::json!({"op": "disconnect", "to": [on_b.sid], "close": false}))
        .await;
    let from_node = tap.next().await;
    assert_eq!(on_b.text().await, "41");
    ours.to(on_b.sid.clone())
        .disconnect_sockets(false)
        .await
        .expect("publishes");
    assert_eq!(tap.next().await, from_node);
    assert_eq!(
        String::from_utf8(from_node.1).expect("json"),
        format!(
            r#"{{"type":4,"opts":{{"rooms":["{}"],"except":[]}},"close":false}}"#,
            on_b.sid
        )
    );
}
