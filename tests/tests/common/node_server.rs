//! node socket.io 4 as a member of a Redis cluster
//! (`redis/tests/js/conformance-node.js`), beside our `conformance` servers.

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Where the node side of the cluster tests lives, with its packages.
pub fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../redis/tests/js")
}

/// Awaits `future`, failing the test after 20 s.
pub async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(20), future)
        .await
        .unwrap_or_else(|_| panic!("no {what} within 20 s"))
}

/// node socket.io 4 with one of node's Redis adapters, as a cluster member
/// (the environment of `conformance-node.js`: `REDIS_URL`, `ADAPTER`,
/// `REDIS_KEY`, `RECOVERY_MS`, ...).
pub struct NodeServer {
    pub child: Child,
    pub url: String,
}

impl NodeServer {
    /// Starts it and waits until it listens (it says so once subscribed).
    pub async fn start(env: &[(&str, String)]) -> NodeServer {
        let dir = js_dir();
        assert!(
            dir.join("node_modules/@socket.io/redis-adapter").is_dir(),
            "run scripts/setup: it installs the node packages of {}",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg("conformance-node.js")
            .current_dir(&dir)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let line = within("node to listen", lines.next_line())
            .await
            .expect("reads")
            .expect("the node server exited early");
        let addr = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        NodeServer {
            child,
            url: format!("http://{addr}"),
        }
    }
}
