//! Driving a socket.io-client 4 through connection state recovery
//! (`shared/conformance-cluster.md`, section 5): bring it up to date, break
//! its transport, bring it back, read what it gets.

use serde_json::{Value, json};
use socketio_tests::NodeClient;

/// A socket.io-client 4 that does not reconnect on its own (the test says
/// when), connected to `/`, with its socket id.
pub async fn modern(url: &str, transport: &str) -> (NodeClient, String) {
    modern_with(url, transport, json!({})).await
}

/// [`modern`] with client options (`{"parser": "msgpack"}`).
pub async fn modern_with(url: &str, transport: &str, options: Value) -> (NodeClient, String) {
    let mut client = NodeClient::connect_modern(url, 4, transport, options).await;
    let connect = client
        .expect("connect on /", |r| r["ev"] == "connect" && r["ns"] == "")
        .await;
    assert_eq!(connect["recovered"], false, "a first connection is not a recovery");
    let who = client.emit_ack("", "whoami", vec![]).await;
    assert_eq!(who[0]["recovered"], false);
    let sid = who[0]["sid"].as_str().expect("sid").to_owned();
    assert_eq!(connect["id"], sid.as_str());
    (client, sid)
}

/// An event's arguments without its offset, and the offset (which every
/// recoverable event carries as its last argument).
pub fn split_offset(mut args: Vec<Value>) -> (Vec<Value>, String) {
    let offset = args.pop().and_then(|o| o.as_str().map(str::to_owned));
    (args, offset.expect("an offset as the last argument"))
}

/// Brings `client` up to date: a broadcast from `other` that it receives
/// after everything before it (which is dropped), giving it an offset.
pub async fn sync(client: &mut NodeClient, other: &mut NodeClient, sid: &str) {
    let marker = format!("sync {sid}");
    other.emit_ack("", "broadcast", vec![json!(marker)]).await;
    events_until(client, &marker).await;
    let state = client
        .command_and_expect(json!({"op": "recovery_state"}), "recovery_state")
        .await;
    assert!(state["pid"].is_string() && state["offset"].is_string(), "{state}");
}

/// Brings the client up to date, drops its transport and waits until the
/// server let its socket go (a fetch of its id finds nothing).
pub async fn drop_and_wait_gone(client: &mut NodeClient, sid: &str, asker: &mut NodeClient) {
    sync(client, asker, sid).await;
    client.command(json!({"op": "drop"})).await;
    client.expect_disconnect("").await;
    loop {
        let found = asker.emit_ack("", "fetch_room", vec![json!(sid)]).await;
        if found[0].as_array().is_some_and(Vec::is_empty) {
            break;
        }
    }
}

/// Reconnects and returns the CONNECT's report (`id`, `recovered`).
pub async fn reconnect(client: &mut NodeClient) -> Value {
    client.command(json!({"op": "reconnect"})).await;
    client
        .expect("connect on / again", |r| r["ev"] == "connect" && r["ns"] == "")
        .await
}

/// [`reconnect`] to another server of the cluster, at `url`.
pub async fn reconnect_to(client: &mut NodeClient, url: &str) -> Value {
    client.command(json!({"op": "reconnect", "url": url})).await;
    client
        .expect("connect on / at the other server", |r| {
            r["ev"] == "connect" && r["ns"] == ""
        })
        .await
}

/// The events `client` receives, in order, up to and including the
/// broadcast `marker`: name, arguments without offset, offset.
pub async fn events_until(client: &mut NodeClient, marker: &str) -> Vec<(String, Vec<Value>, String)> {
    let mut seen = Vec::new();
    loop {
        let report = client.expect("an event", |r| r["ev"] == "event" && r["ns"] == "").await;
        let name = report["name"].as_str().expect("name").to_owned();
        let (args, offset) = split_offset(report["args"].as_array().cloned().unwrap_or_default());
        let done = name == "broadcast" && args == [json!(marker)];
        seen.push((name, args, offset));
        if done {
            return seen;
        }
    }
}

/// A command to the client and the report it answers with.
pub trait Drive {
    async fn command_and_expect(&mut self, command: Value, ev: &str) -> Value;
}

impl Drive for NodeClient {
    async fn command_and_expect(&mut self, command: Value, ev: &str) -> Value {
        self.command(command).await;
        self.expect(ev, |r| r["ev"] == ev).await
    }
}

/// What `sender` sends while the socket `id` (in room `r`) is away: to its
/// id, to a room it is not in, to its room, volatile (never replayed by
/// ours), to everyone.
pub async fn send_while_away(sender: &mut NodeClient, id: &str) {
    sender.emit_ack("", "to_room", vec![json!(id), json!("direct")]).await;
    sender
        .emit_ack("", "to_room", vec![json!("elsewhere"), json!("not yours")])
        .await;
    sender.emit_ack("", "to_room", vec![json!("r"), json!("room")]).await;
    sender.emit_ack("", "volatile_broadcast", vec![json!("volatile")]).await;
    sender.emit_ack("", "broadcast", vec![json!("all")]).await;
}

/// Makes the client come back with `pid` and `offset` in place of its own
/// (each left as it is when `None`): a tampered or foreign session.
pub async fn set_recovery_state(client: &mut NodeClient, pid: Option<&str>, offset: Option<&str>) {
    let mut state = json!({"op": "recovery_state"});
    if let Some(pid) = pid {
        state["pid"] = json!(pid);
    }
    if let Some(offset) = offset {
        state["offset"] = json!(offset);
    }
    client.command_and_expect(state, "recovery_state").await;
}
