//! The `conformance` example as a child process, for tests that check the
//! program users actually run.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Example {
    pub child: Child,
    pub url: String,
    /// Everything else the example printed after its first line.
    pub lines: tokio::sync::mpsc::UnboundedReceiver<String>,
}

impl Example {
    /// The crosssite example's Socket.IO address, from its second line.
    pub async fn io_addr(&mut self) -> std::net::SocketAddr {
        let line = self.lines.recv().await.expect("a second line");
        let addr = line
            .strip_prefix("socket.io on ")
            .and_then(|l| l.split(';').next())
            .expect("socket.io on ADDR");
        addr.parse().expect("address")
    }

    /// The server process's resident memory, in MiB.
    pub fn rss_mib(&self) -> f64 {
        let pid = self.child.id().unwrap_or_default();
        let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
        let pages: f64 = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0.0);
        pages * 4096.0 / (1024.0 * 1024.0)
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.url.trim_start_matches("http://").parse().expect("address")
    }
}

fn example_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("debug/examples").join(name)
}

pub async fn start() -> Example {
    start_with(&[]).await
}

/// Starts the conformance example with extra environment variables.
pub async fn start_with(env: &[(&str, &str)]) -> Example {
    start_example("conformance", env).await
}

/// Builds every example once per test process, so no test runs a program
/// older than its source (`cargo test` builds examples only as tests).
/// Same features as the workspace build: a no-op when nothing changed.
async fn build_examples() {
    static BUILT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    BUILT
        .get_or_init(|| async {
            let status = Command::new(env!("CARGO"))
                .args(["build", "--quiet", "--workspace", "--examples"])
                .status()
                .await
                .expect("cargo");
            assert!(status.success(), "building the examples failed");
        })
        .await;
}

/// Runs example `name` with `args` to its end (a command, not a server).
pub async fn run_example(name: &str, args: &[&str]) -> std::process::Output {
    build_examples().await;
    Command::new(example_binary(name))
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| panic!("run the {name} example: {e}"))
}

/// Starts example `name` on a free port; it prints `listening on ADDR` first.
pub async fn start_example(name: &str, env: &[(&str, &str)]) -> Example {
    start_example_with(name, env, |_| {}).await
}

/// [`start_example`] with the command adjusted first (e.g. its own process group).
pub async fn start_example_with(name: &str, env: &[(&str, &str)], adjust: impl FnOnce(&mut Command)) -> Example {
    build_examples().await;
    let binary = example_binary(name);
    let mut command = Command::new(&binary);
    adjust(&mut command);
    let mut child = command
        .env("PORT", "0")
        .env("FLASH_POLICY_PORT", "0")
        .env("HEARTBEAT_INTERVAL", "1")
        .env("HEARTBEAT_TIMEOUT", "5")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start the {name} example: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines.next_line().await.expect("read").expect("a first line");
    // Keep reading what it prints, so it never writes to a closed pipe.
    let (tx, rest) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = tx.send(line);
        }
    });
    let addr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    Example {
        child,
        url: format!("http://{addr}"),
        lines: rest,
    }
}
