//! The real python-socketio 5 client (python-engineio 4, the most used
//! non-JS client) against the `conformance` example. python-engineio 4
//! refuses a polling payload of more than 16 packets and drops the
//! connection, so a burst shows whether the server bounds its responses.
//! `scripts/setup` installs the client into `tests/py/.venv`.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;

use common::example::start;

/// Runs `tests/py/burst.py` and returns the JSON line it prints.
async fn burst(url: &str, count: usize, transport: &str) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py");
    let python = dir.join(".venv/bin/python");
    let run = Command::new(&python)
        .arg(dir.join("burst.py"))
        .args([url, &count.to_string(), transport])
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
    serde_json::from_str(stdout.lines().last().expect("a result line")).expect("JSON")
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
