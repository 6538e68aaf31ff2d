//! The real python-socketio 5 client (python-engineio 4, the most used
//! non-JS client) against the `conformance` example. python-engineio 4
//! refuses a polling payload of more than 16 packets and drops the
//! connection, so a burst shows whether the server bounds its responses.
//! `tests/py/scenarios.py` walks the rest of the conformance behaviour
//! (acks both ways, binding, binary, `/chat` with auth, rooms and
//! broadcasts, the refused `/reject`) over each transport mode.
//! `scripts/setup` installs the client into `tests/py/.venv`.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;

use common::example::start;

/// Runs `tests/py/SCRIPT` with `args` and returns what it printed on stdout.
async fn run_script(script: &str, args: &[&str]) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py");
    let python = dir.join(".venv/bin/python");
    let run = Command::new(&python)
        .arg(dir.join(script))
        .args(args)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the python client ends within 120 s")
        .unwrap_or_else(|e| panic!("run {} (scripts/setup installs it): {e}", python.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout.into_owned()
}

/// Runs `tests/py/burst.py` and returns the JSON line it prints.
async fn burst(url: &str, count: usize, transport: &str) -> Value {
    let stdout = run_script("burst.py", &[url, &count.to_string(), transport]).await;
    serde_json::from_str(stdout.lines().last().expect("a result line")).expect("JSON")
}

/// Runs `tests/py/scenarios.py` in `mode` (polling, websocket or upgrade)
/// and returns what the client saw, by check name.
async fn scenarios(url: &str, mode: &str) -> HashMap<String, Value> {
    let stdout = run_script("scenarios.py", &[url, mode]).await;
    let mut checks = HashMap::new();
    for line in stdout.lines() {
        let line: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        let name = line["check"].as_str().expect("a check name").to_owned();
        assert!(
            checks.insert(name, line["value"].clone()).is_none(),
            "{mode}: a check twice"
        );
    }
    checks
}

/// Runs the scenarios in `mode` against a fresh server and asserts every
/// check; `transport` is the one the client ends up on.
async fn assert_scenarios(mode: &str, transport: &str) {
    let server = start().await;
    let checks = scenarios(&server.url, mode).await;
    let expected = [
        ("transport", json!(transport)),
        // The client's `call`s, acked by the server.
        ("echo_ack", json!(["hi", 1, {"x": [true], "b": null}])),
        ("echo_event", json!(["hi", 1, {"x": [true], "b": null}])),
        ("echo_key_order", json!(["x", "b"])),
        ("sum_positional", json!(5)),
        ("sum_keyword", json!(5)),
        // The server's `ask`: `question`, acked by the client's handler.
        ("question", json!([["how?"]])),
        ("answer", json!(["because"])),
        // Bytes, reversed in the ack and back as an event.
        ("blob_ack", json!({"name": "b", "data": {"bytes": [255, 3, 2, 1]}})),
        ("blob_event", json!([{"bytes": [1, 2, 3, 255]}])),
        // `/chat` with an auth payload, which `whoami` reports as its query.
        (
            "chat_whoami",
            json!({"endpoint": "/chat", "query": {"token": "abc", "n": 1}}),
        ),
        ("chat_sum", json!(9)),
        // Rooms: `join` acks with no arguments; `to_room` reaches the
        // members, the sender only if it is one.
        ("b_join", Value::Null),
        ("b_room_from_a", json!(["r", {"from": "a"}])),
        ("a_room_while_outside", json!([])),
        ("a_room_from_b", json!(["r", "both"])),
        ("b_room_from_b", json!(["r", "both"])),
        // Broadcasts reach everyone on their namespace, the sender included.
        ("a_broadcast", json!(["one"])),
        ("b_broadcast", json!(["one"])),
        ("a_chat_broadcast", json!(["chat only"])),
        ("b_chat_broadcast", json!(["chat only"])),
        ("a_broadcast_after_chat", json!(["two"])),
        // `/reject`: connect_error, and the other clients go on.
        ("reject_connect_error", json!([{"message": "Not authorized"}])),
        ("reject_connected", json!(false)),
        ("after_reject", json!(2)),
        ("done", json!(true)),
    ];
    for (name, value) in &expected {
        assert_eq!(checks.get(*name), Some(value), "{mode}: check {name}");
    }
    assert_eq!(checks.len(), expected.len(), "{mode}: {checks:?}");
}

#[tokio::test]
async fn a_burst_of_emits_comes_back_whole_and_in_order_over_polling_and_websocket() {
    let server = start().await;
    for transport in ["polling", "websocket"] {
        let result = burst(&server.url, 300, transport).await;
        assert_eq!(result["dropped"], json!([]), "{transport}: the client was dropped");
        assert_eq!(result["complete"], true, "{transport}");
        assert_eq!(result["got"], json!((0..300).collect::<Vec<u32>>()), "{transport}");
    }
}

#[tokio::test]
async fn the_conformance_scenarios_pass_over_polling() {
    assert_scenarios("polling", "polling").await;
}

#[tokio::test]
async fn the_conformance_scenarios_pass_over_websocket() {
    assert_scenarios("websocket", "websocket").await;
}

#[tokio::test]
async fn the_conformance_scenarios_pass_over_polling_upgraded_to_websocket() {
    assert_scenarios("upgrade", "websocket").await;
}
