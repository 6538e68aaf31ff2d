//! The admin UI's protocol (`@socket.io/admin-ui` 0.5), driven the way the
//! UI drives it, with the real socket.io-client 4 on `/admin`: login with
//! basic auth and a session id, config, all sockets, socket and room news
//! for 0.9 and modern clients alike, events received and sent, server
//! stats, and the UI's commands; a read-only UI's commands do nothing.

mod common;

use std::time::Duration;

use common::{TestServer, start};
use serde_json::{Value, json};
use socketio::admin::AdminUi;
use socketio_tests::NodeClient;

/// A server whose admin UI wants `admin` / `secret`.
async fn server(ui: impl FnOnce(AdminUi) -> AdminUi) -> TestServer {
    // The lowest cost bcrypt allows: the test checks the protocol, not bcrypt.
    let hash = bcrypt::hash("secret", 4).expect("hashes");
    let ui = ui(AdminUi::new()
        .basic_auth("admin", hash)
        .server_id("test-server")
        .stats_interval(Duration::from_millis(200)));
    start(move |builder| builder.admin_ui(ui)).await
}

fn url(server: &TestServer) -> String {
    format!("http://{}", server.addr)
}

/// The UI: socket.io-client 4 on `/` and `/admin`, logged in.
async fn admin(server: &TestServer, auth: Value) -> NodeClient {
    let mut ui = NodeClient::connect_modern(&url(server), 4, "websocket", json!({})).await;
    ui.expect_connect("").await;
    ui.of_with_auth("/admin", auth).await;
    ui
}

/// Waits for the UI's event `name` whose arguments satisfy `pred`.
async fn news(ui: &mut NodeClient, name: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let report = ui
        .expect(&format!("{name} on /admin"), |r| {
            r["ev"] == "event"
                && r["ns"] == "/admin"
                && r["name"] == name
                && r["args"].as_array().is_some_and(|args| pred(args))
        })
        .await;
    report["args"].as_array().cloned().unwrap_or_default()
}

async fn sid_of(client: &mut NodeClient) -> String {
    client.emit_ack("", "whoami", vec![]).await[0]["sid"]
        .as_str()
        .expect("sid")
        .to_owned()
}

#[tokio::test]
async fn the_ui_logs_in_sees_both_families_and_drives_their_sockets() {
    let server = server(|ui| ui).await;

    // A wrong password is refused; the right one gets a session id.
    let mut wrong = admin(&server, json!({"username": "admin", "password": "nope"})).await;
    wrong.expect_connect_error("/admin").await;
    let mut ui = admin(&server, json!({"username": "admin", "password": "secret"})).await;
    let session = ui.expect_event("/admin", "session").await;
    let session = session[0].as_str().expect("a session id").to_owned();
    let config = ui.expect_event("/admin", "config").await;
    let features = config[0]["supportedFeatures"].as_array().expect("features").clone();
    for feature in [
        "EMIT",
        "JOIN",
        "LEAVE",
        "DISCONNECT",
        "MJOIN",
        "AGGREGATED_EVENTS",
        "ALL_EVENTS",
    ] {
        assert!(features.contains(&json!(feature)), "{feature} in {features:?}");
    }
    let all = ui.expect_event("/admin", "all_sockets").await;
    let ui_own = all[0].as_array().expect("sockets");
    assert!(
        ui_own
            .iter()
            .any(|s| s["nsp"] == "/admin" && s["transport"] == "websocket"),
        "the UI sees itself: {ui_own:?}"
    );

    // A 0.9 client over xhr-polling and a modern one over polling.
    let mut old = NodeClient::connect(&url(&server), "xhr-polling", None).await;
    old.expect_connect("").await;
    let old_id = sid_of(&mut old).await;
    let mut new = NodeClient::connect_modern(&url(&server), 4, "polling", json!({})).await;
    new.expect_connect("").await;
    let new_id = sid_of(&mut new).await;
    let connected = news(&mut ui, "socket_connected", |a| a[0]["id"] == new_id.as_str()).await;
    assert_eq!(connected[0]["nsp"], "/");
    assert_eq!(connected[0]["transport"], "polling");
    assert_eq!(connected[0]["rooms"], json!([new_id]));
    assert!(connected[0]["handshake"]["headers"].is_object());
    assert!(connected[1].as_str().is_some_and(|t| t.ends_with('Z')), "a date");
    // A 0.9 client picks its transport after the handshake: the UI hears it.
    news(&mut ui, "socket_connected", |a| a[0]["id"] == old_id.as_str()).await;
    news(&mut ui, "socket_updated", |a| {
        a[0]["id"] == old_id.as_str() && a[0]["transport"] == "xhr-polling"
    })
    .await;

    // Events both ways, as the UI's development mode shows them.
    old.emit_ack("", "echo", vec![json!("hi"), json!(2)]).await;
    let received = news(&mut ui, "event_received", |a| {
        a[1] == old_id.as_str() && a[2][0] == "echo"
    })
    .await;
    assert_eq!(received[0], "/");
    assert_eq!(received[2], json!(["echo", "hi", 2]));
    let sent = news(&mut ui, "event_sent", |a| a[1] == old_id.as_str() && a[2][0] == "echo").await;
    assert_eq!(sent[2], json!(["echo", "hi", 2]));

    // Commands: the legacy socket joins a room, the UI is told; then it
    // leaves; the modern one is disconnected.
    ui.emit("/admin", "join", vec![json!("/"), json!("r1"), json!(old_id)])
        .await;
    news(&mut ui, "room_joined", |a| a[1] == "r1" && a[2] == old_id.as_str()).await;
    assert!(
        old.emit_ack("", "whoami", vec![]).await[0]["sid"] == old_id.as_str(),
        "still connected"
    );
    ui.emit("/admin", "leave", vec![json!("/"), json!("r1"), json!(old_id)])
        .await;
    news(&mut ui, "room_left", |a| a[1] == "r1" && a[2] == old_id.as_str()).await;
    ui.emit("/admin", "_disconnect", vec![json!("/"), json!(true), json!(new_id)])
        .await;
    new.expect_disconnect("").await;
    let gone = news(&mut ui, "socket_disconnected", |a| a[1] == new_id.as_str()).await;
    assert_eq!(gone[0], "/");
    assert!(gone[2].is_string(), "a reason: {gone:?}");
    // emit to a room of the namespace.
    old.emit_ack("", "join", vec![json!("news")]).await;
    ui.emit(
        "/admin",
        "emit",
        vec![json!("/"), json!("news"), json!("flash"), json!({"a": 1})],
    )
    .await;
    assert_eq!(old.expect_event("", "flash").await, [json!({"a": 1})]);

    // Server stats: who, how many, which namespaces.
    let stats = news(&mut ui, "server_stats", |a| a[0]["clientsCount"].as_u64() >= Some(2)).await;
    assert_eq!(stats[0]["serverId"], "test-server");
    assert_eq!(stats[0]["pid"], std::process::id());
    let namespaces = stats[0]["namespaces"].as_array().expect("namespaces");
    assert!(
        namespaces
            .iter()
            .any(|n| n["name"] == "/" && n["socketsCount"].as_u64() >= Some(1))
    );
    assert!(namespaces.iter().any(|n| n["name"] == "/admin"));

    // The session id lets the UI back in without the password.
    let mut again = admin(&server, json!({"sessionId": session})).await;
    again.expect_event("/admin", "config").await;
    let mut forged = admin(&server, json!({"sessionId": "forged"})).await;
    forged.expect_connect_error("/admin").await;
}

#[tokio::test]
async fn a_readonly_ui_watches_but_its_commands_do_nothing() {
    let server = server(|ui| ui.readonly(true)).await;
    let mut ui = admin(&server, json!({"username": "admin", "password": "secret"})).await;
    let config = ui.expect_event("/admin", "config").await;
    assert_eq!(
        config[0]["supportedFeatures"],
        json!(["AGGREGATED_EVENTS", "ALL_EVENTS"])
    );
    let mut client = NodeClient::connect_modern(&url(&server), 4, "websocket", json!({})).await;
    client.expect_connect("").await;
    let id = sid_of(&mut client).await;
    ui.emit("/admin", "_disconnect", vec![json!("/"), json!(true), json!(id)])
        .await;
    ui.emit("/admin", "join", vec![json!("/"), json!("r"), json!(id)]).await;
    // Had either been done, the client would be gone or in `r` by now: the
    // UI's packets are handled in order, before its next ones.
    ui.emit("/admin", "emit", vec![json!("/"), json!(id), json!("never")])
        .await;
    client.emit_ack("", "join", vec![json!("mine")]).await;
    let joined = news(&mut ui, "room_joined", |a| a[2] == id.as_str()).await;
    assert_eq!(joined[1], "mine", "the first room it joined is its own choice");
    assert_eq!(sid_of(&mut client).await, id, "still connected");
    assert!(!client.seen(|r| r["name"] == "never"));
}

/// Two servers through one real Redis: the UI on one sees the sockets,
/// news and stats of both, and its commands reach the other's sockets.
#[tokio::test]
async fn through_redis_the_ui_on_one_server_sees_and_drives_the_other() {
    let redis = socketio_tests::RedisServer::start().await;
    let mut servers = Vec::new();
    for name in ["a", "b"] {
        let adapter = socketio_redis::RedisAdapter::new(socketio_redis::RedisConfig::new(redis.url()))
            .await
            .expect("Redis");
        let ui = AdminUi::new()
            .server_id(name)
            .stats_interval(Duration::from_millis(200));
        let for_builder = adapter.clone();
        let server = start(move |builder| builder.admin_ui(ui).adapter(for_builder)).await;
        adapter.ready().await;
        servers.push(server);
    }
    let (a, b) = (&servers[0], &servers[1]);

    // A 0.9 client and a modern one on b, then the UI on a.
    let mut old = NodeClient::connect(&url(b), "websocket", None).await;
    old.expect_connect("").await;
    let old_id = sid_of(&mut old).await;
    let mut new = NodeClient::connect_modern(&url(b), 4, "websocket", json!({})).await;
    new.expect_connect("").await;
    let new_id = sid_of(&mut new).await;
    let mut ui = admin(a, json!({})).await;
    let all = ui.expect_event("/admin", "all_sockets").await;
    let sockets = all[0].as_array().expect("sockets");
    for (id, transport) in [(&old_id, "websocket"), (&new_id, "websocket")] {
        assert!(
            sockets
                .iter()
                .any(|s| s["id"] == id.as_str() && s["transport"] == transport && s["nsp"] == "/"),
            "{id} on b is listed with its transport: {sockets:?}"
        );
    }
    // Both servers report their stats to the one UI.
    news(&mut ui, "server_stats", |s| s[0]["serverId"] == "a").await;
    news(&mut ui, "server_stats", |s| s[0]["serverId"] == "b").await;

    // News from b: an event its 0.9 client sends.
    old.emit_ack("", "echo", vec![json!("from b")]).await;
    news(&mut ui, "event_received", |e| {
        e[1] == old_id.as_str() && e[2][0] == "echo"
    })
    .await;

    // Commands from a reach b's sockets.
    ui.emit("/admin", "join", vec![json!("/"), json!("vip"), json!(old_id)])
        .await;
    news(&mut ui, "room_joined", |r| r[1] == "vip" && r[2] == old_id.as_str()).await;
    ui.emit("/admin", "_disconnect", vec![json!("/"), json!(true), json!(new_id)])
        .await;
    new.expect_disconnect("").await;
    news(&mut ui, "socket_disconnected", |d| d[1] == new_id.as_str()).await;
}
