//! `RedisEmitter`, a process that is not a server, reaches the clients of
//! two of our servers on one Redis: rooms, except rooms, namespaces,
//! binary, join/leave/disconnect and server-side emits.

mod common;

use common::{Client, Node, Packet, Redis, config, within};
use socketio::SocketIo;
use socketio::bytes::Bytes;
use socketio_redis::{Error, RedisAdapter, RedisEmitter};
use tokio::sync::mpsc;

#[tokio::test]
async fn emits_reach_both_servers_with_rooms_except_rooms_and_binary() {
    let redis = Redis::start().await;
    let (a, b) = (Node::start(config(&redis)).await, Node::start(config(&redis)).await);
    let mut on_a = Client::in_rooms(a.addr, &["r"]).await;
    let mut on_b = Client::in_rooms(b.addr, &["r"]).await;
    let mut muted = Client::in_rooms(b.addr, &["r", "muted"]).await;
    let mut outside = Client::connect(a.addr).await;
    let emitter = RedisEmitter::new(config(&redis)).await.expect("connects");

    emitter
        .to("r")
        .except("muted")
        .emit("news", ("x", 1))
        .await
        .expect("publishes");
    emitter
        .except(on_a.sid.clone())
        .emit("others", ())
        .await
        .expect("publishes");
    emitter.emit("marker", ()).await.expect("publishes");

    assert_eq!(on_a.until_marker().await, [r#"42["news","x",1]"#, r#"42["marker"]"#]);
    assert_eq!(
        on_b.until_marker().await,
        [r#"42["news","x",1]"#, r#"42["others"]"#, r#"42["marker"]"#]
    );
    assert_eq!(muted.until_marker().await, [r#"42["others"]"#, r#"42["marker"]"#]);
    assert_eq!(outside.until_marker().await, [r#"42["others"]"#, r#"42["marker"]"#]);

    // Two rooms: the base channel, each socket once.
    emitter.to("r").to("muted").emit("both", ()).await.expect("publishes");
    assert_eq!(muted.text().await, r#"42["both"]"#);
    assert_eq!(on_b.text().await, r#"42["both"]"#);

    // Binary travels as msgpack `bin` and reaches the client as an attachment.
    emitter
        .to(on_b.sid.clone())
        .emit("bin", (Bytes::from_static(b"\x01\x02"),))
        .await
        .expect("publishes");
    assert_eq!(on_b.text().await, r#"451-["bin",{"_placeholder":true,"num":0}]"#);
    assert_eq!(on_b.packet().await, Packet::Binary(vec![1, 2]));

    // Reserved names are refused before anything is sent, as in node.
    let refused = emitter.emit("disconnect", ()).await;
    assert!(
        matches!(refused, Err(Error::ReservedEvent(ref name)) if name == "disconnect"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_namespace_gets_only_its_own_emits() {
    let redis = Redis::start().await;
    let (a, b) = (Node::start(config(&redis)).await, Node::start(config(&redis)).await);
    let mut chat_a = Client::connect_to(a.addr, "/chat").await;
    let mut chat_b = Client::connect_to(b.addr, "/chat").await;
    let mut main_b = Client::connect(b.addr).await;
    let emitter = RedisEmitter::new(config(&redis)).await.expect("connects");
    let chat = emitter.of("chat");
    assert_eq!(chat.namespace(), "/chat");

    chat.emit("in-chat", ("hi",)).await.expect("publishes");
    emitter.emit("marker", ()).await.expect("publishes");
    assert_eq!(chat_a.text().await, r#"42/chat,["in-chat","hi"]"#);
    assert_eq!(chat_b.text().await, r#"42/chat,["in-chat","hi"]"#);
    // The main namespace's client saw nothing before the marker.
    assert_eq!(main_b.until_marker().await, [r#"42["marker"]"#]);

    chat.to(chat_b.sid.clone())
        .disconnect_sockets(false)
        .await
        .expect("publishes");
    assert_eq!(chat_b.text().await, "41/chat,");
}

#[tokio::test]
async fn join_leave_and_disconnect_reach_both_servers() {
    let redis = Redis::start().await;
    let (a, b) = (Node::start(config(&redis)).await, Node::start(config(&redis)).await);
    let mut on_a = Client::connect(a.addr).await;
    let mut on_b = Client::connect(b.addr).await;
    let mut bystander = Client::connect(b.addr).await;
    let emitter = RedisEmitter::new(config(&redis)).await.expect("connects");

    // Requests and broadcasts reach each server in the order published.
    emitter
        .to(on_a.sid.clone())
        .sockets_join("vip")
        .await
        .expect("publishes");
    emitter
        .to(on_b.sid.clone())
        .sockets_join("vip")
        .await
        .expect("publishes");
    emitter.to("vip").emit("welcome", ()).await.expect("publishes");
    emitter.emit("marker", ()).await.expect("publishes");
    assert_eq!(on_a.until_marker().await, [r#"42["welcome"]"#, r#"42["marker"]"#]);
    assert_eq!(on_b.until_marker().await, [r#"42["welcome"]"#, r#"42["marker"]"#]);
    assert_eq!(bystander.until_marker().await, [r#"42["marker"]"#]);
    let rooms = within("all rooms", a.io.all_rooms("")).await.expect("rooms");
    assert!(rooms.contains(&"vip".to_owned()), "{rooms:?}");

    emitter
        .to(on_b.sid.clone())
        .sockets_leave("vip")
        .await
        .expect("publishes");
    emitter.to("vip").emit("still-vip", ()).await.expect("publishes");
    emitter.emit("marker", ()).await.expect("publishes");
    assert_eq!(on_a.until_marker().await, [r#"42["still-vip"]"#, r#"42["marker"]"#]);
    assert_eq!(on_b.until_marker().await, [r#"42["marker"]"#]);

    // Everyone in "vip" (only the client on A now) but nobody else.
    emitter.to("vip").disconnect_sockets(false).await.expect("publishes");
    assert_eq!(on_a.text().await, "41");
    emitter.emit("marker", ()).await.expect("publishes");
    assert_eq!(on_b.until_marker().await, [r#"42["marker"]"#]);

    // With `close`, the whole connection goes.
    emitter.disconnect_sockets(true).await.expect("publishes");
    assert_eq!(on_b.text().await, "41");
    // Engine.IO's close packet, then the websocket ends.
    assert_eq!(on_b.text().await, "1");
    assert_eq!(on_b.packet().await, Packet::Closed);
}

/// A server whose `tell` server-event handler reports what it got.
async fn listening_server(redis: &Redis) -> (SocketIo, mpsc::UnboundedReceiver<(String, u32)>) {
    let adapter = RedisAdapter::new(config(redis)).await.expect("connects");
    let (tx, rx) = mpsc::unbounded_channel();
    let io = SocketIo::builder(common::Member::default)
        .flash_policy_port(None)
        .on_server_event("tell", move |(text, n): (String, u32)| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((text, n));
            }
        })
        .adapter(adapter.clone())
        .build();
    within("the subscriptions", adapter.ready()).await;
    (io, rx)
}

#[tokio::test]
async fn server_side_emit_reaches_every_servers_handlers() {
    let redis = Redis::start().await;
    let (_a, mut told_a) = listening_server(&redis).await;
    let (b, mut told_b) = listening_server(&redis).await;
    let emitter = RedisEmitter::new(config(&redis)).await.expect("connects");

    emitter.server_side_emit("tell", ("hello", 7)).await.expect("publishes");
    assert_eq!(
        within("A's handler", told_a.recv()).await,
        Some(("hello".to_owned(), 7))
    );
    assert_eq!(
        within("B's handler", told_b.recv()).await,
        Some(("hello".to_owned(), 7))
    );
    // The emitter is no server: the servers count only themselves.
    assert_eq!(within("count", b.server_count()).await.expect("counts"), 2);
}
