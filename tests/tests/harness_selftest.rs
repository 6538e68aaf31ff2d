//! The client harness itself, with no server: a real `socket.io-client@0.9.16`
//! pointed at a closed port reports a failure the Rust side can await.

use serde_json::{Value, json};
use socketio_tests::NodeClient;

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// Connects to a closed port over `transport` and checks what the client
/// reports. The handshake is always an XHR GET, whatever the transport, so
/// the refusal shows up before any transport is tried: one `error` on the
/// main namespace whose reason is the node error's stack (`status` 503 in the
/// client's XMLHttpRequest shim), and nothing else — no `connect_failed`, no
/// `disconnect` (the client never was connected).
async fn refused(transport: &str) {
    let port = closed_port();
    let mut client = NodeClient::connect(&format!("http://127.0.0.1:{port}"), transport, None).await;
    let error = client
        .expect("the refused handshake's error", |r| r["ev"] == "error")
        .await;
    assert_eq!(error["ns"], "", "{error}");
    let reason = error["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with(&format!("Error: connect ECONNREFUSED 127.0.0.1:{port}")),
        "unexpected reason: {reason:?}"
    );

    // The driver handles commands in order and reports in order, so its
    // `exit` report is a barrier: everything the client reported is in.
    client.command(json!({"op": "exit"})).await;
    client.expect("the driver's exit", |r| r["ev"] == "exit").await;
    assert!(!client.seen(|_: &Value| true), "unexpected reports over {transport}");
}

#[tokio::test]
async fn refused_handshake_over_xhr_polling_reports_an_error() {
    refused("xhr-polling").await;
}

#[tokio::test]
async fn refused_handshake_over_websocket_reports_an_error() {
    refused("websocket").await;
}

/// Reports that do not match stay in the backlog, in arrival order, for later
/// expectations; `seen` looks at the backlog without consuming it.
#[tokio::test]
async fn unmatched_reports_wait_in_the_backlog() {
    let port = closed_port();
    let mut client = NodeClient::connect(&format!("http://127.0.0.1:{port}"), "xhr-polling", None).await;
    // `seen` drains what has arrived into the backlog without consuming it.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !client.seen(|r| r["ev"] == "error") {
        assert!(tokio::time::Instant::now() < deadline, "no error report");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // `expect` searches the backlog first, skips the error and keeps it.
    client.command(json!({"op": "exit"})).await;
    client.expect("the driver's exit", |r| r["ev"] == "exit").await;
    assert!(client.seen(|r| r["ev"] == "error"), "seen must not consume");
    client.expect("the backlogged error", |r| r["ev"] == "error").await;
    assert!(!client.seen(|r| r["ev"] == "error"), "expect consumes");
}
