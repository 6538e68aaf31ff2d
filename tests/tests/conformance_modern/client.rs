//! Section 5: the real `socket.io-client@4` in node, over every transport;
//! and the same with `socket.io-msgpack-parser` against `PARSER=msgpack`
//! (section 1).

use super::*;

const TRANSPORTS: [&str; 3] = ["polling", "websocket", "upgrade"];

/// One set of node clients at a time: two sets in parallel on a loaded
/// machine (two cores shared) can outlast the driver's failsafe.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `parser`: the client's `parser` option (`msgpack`), or JSON.
async fn client_scenario(url: String, transport: &'static str, parser: Option<&'static str>) {
    let mut options = json!({"auth": {"token": "123"}});
    if let Some(parser) = parser {
        options["parser"] = json!(parser);
    }
    let mut c = NodeClient::connect_modern(&url, 4, transport, options).await;
    let main = c
        .expect("connect on /", |r| r["ev"] == "connect" && r["ns"] == "")
        .await;
    if transport == "upgrade" {
        c.expect("the upgrade", |r| r["ev"] == "upgrade" && r["transport"] == "websocket")
            .await;
    } else {
        assert_eq!(main["transport"], transport);
    }
    assert_eq!(
        c.expect_event("", "auth").await,
        [json!({"token": "123"})],
        "{transport}"
    );

    // /custom multiplexed on the same Engine.IO connection.
    c.of_with_auth("/custom", json!({"token": "abc"})).await;
    let custom = c
        .expect("connect on /custom", |r| r["ev"] == "connect" && r["ns"] == "/custom")
        .await;
    assert!(
        main["engine"].is_string() && custom["engine"] == main["engine"],
        "{main} {custom}"
    );
    assert_eq!(
        c.expect_event("/custom", "auth").await,
        [json!({"token": "abc"})],
        "{transport}"
    );

    // message-back, callback acks and emitWithAck.
    let args = vec![json!(1), json!("2"), json!({"3": [true]})];
    c.emit("", "message", args.clone()).await;
    assert_eq!(c.expect_event("", "message-back").await, args, "{transport}");
    assert_eq!(c.emit_ack("", "message-with-ack", args.clone()).await, args);
    assert_eq!(
        c.emit_with_ack_promise("", "message-with-ack", vec![json!({"k": "v"})])
            .await,
        json!({"k": "v"})
    );
    // Buffers at the top level, nested, in acks; 200 kB of each kind.
    let buffers = vec![
        json!({"$bytes": "010203"}),
        json!({"nested": [{"$bytes": "040506"}], "k": "v"}),
        json!({"$bytes": "ab".repeat(200_000)}),
        json!("z".repeat(200_000)),
    ];
    c.emit("", "message", buffers.clone()).await;
    assert_eq!(c.expect_event("", "message-back").await, buffers, "{transport}");
    assert_eq!(c.emit_ack("", "message-with-ack", buffers.clone()).await, buffers);
    // Fifty quick emits come back in order.
    for i in 0..50 {
        c.emit("", "message", vec![json!(i)]).await;
    }
    for i in 0..50 {
        assert_eq!(c.expect_event("", "message-back").await, [json!(i)], "{transport}");
    }
    // /custom has no event handlers: its ack never comes (the client's timer ends the wait).
    assert_eq!(
        c.emit_ack_timeout("/custom", "message-with-ack", vec![json!(1)], 300)
            .await,
        Err(()),
        "{transport}"
    );
    // An unknown namespace.
    c.of("/random").await;
    let refused = c.expect_connect_error("/random").await;
    assert_eq!(refused["message"], "Invalid namespace", "{transport}");
    // Leaving /custom keeps `/`.
    c.disconnect("/custom").await;
    c.expect_disconnect("/custom").await;
    assert_eq!(
        c.emit_ack("", "message-with-ack", vec![json!("after")]).await,
        [json!("after")]
    );
    // Several heartbeats (every 300 ms), answered by the client; still connected.
    c.expect("the third ping", |r| r["ev"] == "ping" && r["n"] == 3).await;
    assert_eq!(
        c.emit_ack("", "message-with-ack", vec![json!("alive")]).await,
        [json!("alive")]
    );
    assert!(!c.seen(|r| r["ev"] == "disconnect" && r["ns"] == ""), "{transport}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_io_client_4_passes_its_scenarios_over_every_transport() {
    let _one = ONE_AT_A_TIME.lock().await;
    let example = server(&[]).await;
    let scenarios = TRANSPORTS.map(|transport| tokio::spawn(client_scenario(example.url.clone(), transport, None)));
    for scenario in join_all(scenarios).await {
        scenario.expect("scenario");
    }
    // Without auth, the echo is `{}`.
    let mut c = NodeClient::connect_modern(&example.url, 4, "websocket", json!({})).await;
    c.expect_connect("").await;
    assert_eq!(c.expect_event("", "auth").await, [json!({})]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_io_client_4_with_the_msgpack_parser_passes_the_same_scenarios() {
    let _one = ONE_AT_A_TIME.lock().await;
    let example = server(&[("PARSER", "msgpack")]).await;
    let scenarios =
        TRANSPORTS.map(|transport| tokio::spawn(client_scenario(example.url.clone(), transport, Some("msgpack"))));
    for scenario in join_all(scenarios).await {
        scenario.expect("scenario");
    }
    let mut c = NodeClient::connect_modern(&example.url, 4, "websocket", json!({"parser": "msgpack"})).await;
    c.expect_connect("").await;
    assert_eq!(c.expect_event("", "auth").await, [json!({})]);
    // A JSON client cannot talk to it: its text CONNECT closes the session.
    let mut json_client = NodeClient::connect_modern(&example.url, 4, "websocket", json!({})).await;
    json_client
        .expect("the JSON client dropped", |r| {
            r["ev"] == "connect_error" || r["ev"] == "disconnect"
        })
        .await;
    assert!(!json_client.seen(|r| r["ev"] == "connect"));
}
