use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A Debian `redis-server` of the calling test's own, killed when dropped
/// (`scripts/setup` installs it).
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    /// Where it listens, on 127.0.0.1.
    pub port: u16,
}

impl RedisServer {
    /// Starts one on a free port and waits until it accepts connections.
    pub async fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        RedisServer::start_on(port).await
    }

    /// Starts one on `port` (a restart on the port of one stopped).
    pub async fn start_on(port: u16) -> RedisServer {
        let mut child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server runs (scripts/setup installs it)");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let ready = async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("Ready to accept connections") {
                    return true;
                }
            }
            false
        };
        let ready = tokio::time::timeout(Duration::from_secs(20), ready).await;
        assert!(matches!(ready, Ok(true)), "redis-server did not start");
        // Keep reading, so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        RedisServer { child, port }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it and waits until it is gone.
    pub async fn stop(&mut self) {
        self.child.kill().await.expect("kills redis-server");
    }
}
