//! A node script (node's adapters, servers and emitter), driven line by
//! line: a command on its stdin, its answer a line on its stdout.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long one line may take.
const WAIT: Duration = Duration::from_secs(5);

/// One running node script; killed when dropped.
#[derive(Debug)]
pub struct NodeScript {
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl NodeScript {
    /// Runs `script` of the folder `js` with `args`; `package` is the node
    /// package it needs (installed in `js` by scripts/setup).
    pub fn start(js: &str, script: &str, package: &str, args: &[String]) -> NodeScript {
        assert!(
            Path::new(js).join("node_modules").join(package).is_dir(),
            "run scripts/setup: it installs the node packages of {js}"
        );
        let mut child = Command::new("node")
            .arg(script)
            .args(args)
            .current_dir(js)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        NodeScript {
            _child: child,
            stdin,
            stdout,
        }
    }

    /// The next line it writes (`what` names it if none comes).
    pub async fn line(&mut self, what: &str) -> String {
        tokio::time::timeout(WAIT, self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .expect("reads")
            .expect("node exited early")
    }

    /// Sends one line, without waiting for an answer.
    pub async fn send(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("writes");
    }

    /// Sends one command; its one line of answer.
    pub async fn command(&mut self, line: &str) -> String {
        self.send(line).await;
        self.line(line).await
    }

    /// Awaits its `listening PORT` line: where it serves.
    pub async fn listening(&mut self) -> SocketAddr {
        let line = self.line("node to listen").await;
        let port: u16 = line
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected: {line}"));
        SocketAddr::from(([127, 0, 0, 1], port))
    }
}
