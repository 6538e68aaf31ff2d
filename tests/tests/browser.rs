//! The real socket.io-client 0.9.16 browser build in headless Chromium, on a
//! page served from another origin: websocket, xhr-polling (CORS with
//! credentials) and jsonp-polling (script tags and form posts).

mod common;

use serde_json::json;
use socketio_tests::NodeClient;

const TRANSPORTS: [&str; 3] = ["websocket", "xhr-polling", "jsonp-polling"];

async fn page(url: &str, transport: &str) -> NodeClient {
    let mut page = NodeClient::connect_in_browser(url, transport, Some("from=browser")).await;
    page.expect_connect("").await;
    page
}

#[tokio::test]
async fn browsers_connect_echo_bind_by_keyword_join_rooms_use_endpoints_and_disconnect() {
    let server = common::start_default().await;
    for transport in TRANSPORTS {
        let mut a = page(&server.url(), transport).await;
        let mut b = page(&server.url(), transport).await;
        // Echo with ack, data intact through the transport's escaping.
        let args = vec![
            json!("</script><script>alert(1)</script>"),
            json!({"q": "\"\\\u{2028}😀\u{fffd}"}),
            json!(1.5),
        ];
        assert_eq!(a.emit_ack("", "echo", args.clone()).await, args, "{transport}");
        assert_eq!(a.expect_event("", "echo").await, args, "{transport}");
        // Keyword-style event.
        assert_eq!(
            a.emit_ack("", "sum", vec![json!({"a": 20, "b": 22})]).await,
            [json!(42)],
            "{transport}"
        );
        // The handshake query arrived.
        let who = a.emit_ack("", "whoami", vec![]).await;
        assert_eq!(who[0]["query"], json!({"from": "browser"}), "{transport}");
        // Rooms and broadcast between two pages.
        b.emit_ack("", "join", vec![json!("blue")]).await;
        a.emit("", "to_room", vec![json!("blue"), json!("hi b")]).await;
        assert_eq!(
            b.expect_event("", "room_msg").await,
            [json!("blue"), json!("hi b")],
            "{transport}"
        );
        b.emit("", "broadcast", vec![json!("all")]).await;
        assert_eq!(a.expect_event("", "broadcast").await, [json!("all")], "{transport}");
        assert_eq!(b.expect_event("", "broadcast").await, [json!("all")], "{transport}");
        assert!(!a.seen(|r| r["name"] == "room_msg"), "{transport}");
        // An endpoint.
        a.of("/chat").await;
        a.expect_connect("/chat").await;
        assert_eq!(a.expect_message("/chat").await, json!("welcome /chat"), "{transport}");
        assert_eq!(
            a.emit_ack("/chat", "sum", vec![json!(1), json!(2)]).await,
            [json!(3)],
            "{transport}"
        );
        // Messages.
        a.send("", "text \u{2028} </script>").await;
        assert_eq!(
            a.expect_message("").await,
            json!("text \u{2028} </script>"),
            "{transport}"
        );
        // Disconnect: the server runs the close hooks.
        let sid = who[0]["sid"].as_str().expect("sid").to_owned();
        a.disconnect("").await;
        server.observed.wait_close(&sid, "").await;
        server.observed.wait_close(&sid, "/chat").await;
        assert_eq!(
            b.emit_ack("", "sum", vec![json!(1), json!(1)]).await,
            [json!(2)],
            "{transport}"
        );
    }
}
