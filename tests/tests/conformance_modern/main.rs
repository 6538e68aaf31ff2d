//! Every rule of the modern conformance contract
//! (`shared/conformance-modern.md`) against the `conformance_modern` example
//! process: raw HTTP and WebSocket probes for the wire-level rules, the real
//! `socket.io-client@4` in node for the client scenarios (section 5), then a
//! clean exit on SIGTERM. Timers are shortened through the example's
//! environment where a rule waits on one; rules stated in milliseconds
//! ("within 500 ms") are checked as behaviour, never as elapsed time.

mod client;
#[path = "../common/mod.rs"]
mod common;
mod engine_io;
mod msgpack;
mod process;
mod socket_io;

use std::net::{Ipv4Addr, SocketAddr};

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use common::engineio::{
    assert_client_close_ends_a_held_poll_with_a_noop, handshake, next_binary, next_message, next_text,
    overlapping_polls, path, poll_packets, poll_until_gone, send_binary, send_text, spawn_get, try_websocket,
    until_closed, websocket,
};
use common::example::{Example, start_example, start_example_with};
use common::http::{get, post, request};
use socketio_tests::NodeClient;

const BASES: [&str; 2] = ["/engine.io", "/socket.io"];
const PLACEHOLDERS: &str = r#"{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}"#;

async fn server(env: &[(&str, &str)]) -> Example {
    start_example("conformance_modern", env).await
}

/// Pings far apart, for probes whose held polls must not end with a ping.
async fn quiet_server() -> Example {
    server(&[("PING_INTERVAL_MS", "20000"), ("PING_TIMEOUT_MS", "20000")]).await
}

/// The open packet's fields other than `sid`, which must be a string.
fn open_fields(open: &Value) -> Value {
    let mut open = open.clone();
    let object = open.as_object_mut().expect("an object");
    assert!(object.remove("sid").is_some_and(|sid| sid.is_string()), "{open}");
    open
}

/// The body of a CONNECT reply after `prefix`: exactly `{"sid":"<string>"}`.
fn assert_connect_reply(reply: &str, prefix: &str) {
    let body = reply
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{reply:?} is not a CONNECT reply {prefix}"));
    let body: Value = serde_json::from_str(body).expect("JSON");
    let object = body.as_object().expect("an object");
    assert_eq!(object.len(), 1, "only `sid` (no `pid`): {body}");
    assert!(object["sid"].is_string(), "{body}");
}

/// A websocket on `/socket.io/` past its open packet.
async fn socket_io_ws(addr: SocketAddr) -> common::engineio::Ws {
    let mut ws = websocket(addr, "/socket.io", None).await;
    let open = next_text(&mut ws).await.expect("the open packet");
    assert!(open.starts_with("0{"), "{open}");
    ws
}

/// A websocket with `/` connected, its CONNECT reply and auth event read.
async fn connected_ws(addr: SocketAddr) -> common::engineio::Ws {
    let mut ws = socket_io_ws(addr).await;
    send_text(&mut ws, "40").await;
    assert_connect_reply(&next_text(&mut ws).await.expect("connect"), "40");
    assert_eq!(next_text(&mut ws).await.as_deref(), Some(r#"42["auth",{}]"#));
    ws
}

/// A polling session on `/socket.io/` with `/` connected: its poll path.
async fn connected_polling(addr: SocketAddr) -> String {
    let (sid, _) = handshake(addr, "/socket.io").await;
    let at = path("/socket.io", Some(&sid));
    assert_eq!(post(addr, &at, "40").await.text(), "ok");
    let got = poll_packets(addr, &at, 2).await;
    assert_connect_reply(&got[0], "40");
    assert_eq!(got[1], r#"42["auth",{}]"#);
    at
}
