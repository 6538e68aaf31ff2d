use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

/// How long any one expectation may wait before the test fails. A failsafe
/// against hangs, not a timing assertion: every wait ends on an event.
const FAILSAFE: Duration = Duration::from_secs(20);

/// One real `socket.io-client@0.9.16` (node build) in a child process,
/// driven through `tests/js/driver.js`.
pub struct NodeClient {
    _child: Child,
    stdin: ChildStdin,
    reports: mpsc::UnboundedReceiver<Value>,
    backlog: VecDeque<Value>,
    history: VecDeque<Value>,
    next_tag: u64,
    /// The transport asked for, checked on connect.
    transport: Option<String>,
}

impl std::fmt::Debug for NodeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeClient")
            .field("backlog", &self.backlog)
            .finish_non_exhaustive()
    }
}

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}

impl NodeClient {
    /// Starts a client and connects it to `base_url` over `transport`.
    pub async fn connect(base_url: &str, transport: &str, query: Option<&str>) -> NodeClient {
        Self::start(
            &["driver.js"],
            json!({"op": "connect", "url": base_url, "transport": transport, "query": query}),
        )
        .await
    }

    /// Like [`NodeClient::connect`], with the client's *browser* build in a
    /// headless Chromium page served from another origin (`browser.js`).
    pub async fn connect_in_browser(base_url: &str, transport: &str, query: Option<&str>) -> NodeClient {
        Self::start(
            &["browser.js"],
            json!({"op": "connect", "url": base_url, "transport": transport, "query": query}),
        )
        .await
    }

    /// A modern client: `socket.io-client@4` (`version` 4) or `@2` (2) in
    /// node, through `tests/js/modern-driver.js`. `transport` is `polling`,
    /// `websocket`, or `upgrade` (polling, then upgraded to websocket).
    pub async fn connect_modern(base_url: &str, version: u8, transport: &str, options: Value) -> NodeClient {
        let mut connect = json!({"op": "connect", "url": base_url, "transport": transport, "version": version});
        if let (Some(connect), Some(options)) = (connect.as_object_mut(), options.as_object()) {
            connect.extend(options.clone());
        }
        let mut client = Self::start(&["modern-driver.js"], connect).await;
        // An upgrading client may connect before or after its upgrade; the
        // test waits for the upgrade itself.
        if transport == "upgrade" {
            client.transport = None;
        }
        client
    }

    /// [`NodeClient::connect_modern`] with socket.io-client 4's *browser*
    /// build in a headless Chromium page served from another origin.
    pub async fn connect_modern_in_browser(base_url: &str, transport: &str, options: Value) -> NodeClient {
        let mut connect = json!({"op": "connect", "url": base_url, "transport": transport, "version": 4});
        if let (Some(connect), Some(options)) = (connect.as_object_mut(), options.as_object()) {
            connect.extend(options.clone());
        }
        let mut client = Self::start(&["browser.js", "modern"], connect).await;
        if transport == "upgrade" {
            client.transport = None;
        }
        client
    }

    /// Like [`NodeClient::connect`], with the client's `resource` option
    /// (the URL prefix, e.g. `app/socket.io`).
    pub async fn connect_with_resource(base_url: &str, transport: &str, resource: &str) -> NodeClient {
        Self::start(
            &["driver.js"],
            json!({"op": "connect", "url": base_url, "transport": transport, "resource": resource}),
        )
        .await
    }

    async fn start(command: &[&str], connect: Value) -> NodeClient {
        let script = command[0];
        let dir = js_dir();
        assert!(
            dir.join("node_modules/socket.io-client").is_dir(),
            "socket.io-client is not installed: run `npm ci --prefix tests/js` (./scripts/test does it)"
        );
        let mut child = Command::new("node")
            .arg(dir.join(script))
            .args(&command[1..])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Dropping the client kills the node driver. The browser driver
            // is not killed (that would orphan Chromium): dropping closes its
            // stdin, and it then closes its browser and exits.
            .kill_on_drop(script != "browser.js")
            .spawn()
            .expect("node must be installed to run the client tests");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, reports) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match serde_json::from_str::<Value>(&line) {
                    Ok(report) => {
                        if tx.send(report).is_err() {
                            break;
                        }
                    }
                    Err(_) => eprintln!("driver printed a non-JSON line: {line}"),
                }
            }
        });
        let transport = connect["transport"].as_str().map(str::to_owned);
        let mut client = NodeClient {
            _child: child,
            stdin,
            reports,
            backlog: VecDeque::new(),
            history: VecDeque::new(),
            next_tag: 0,
            transport,
        };
        client.expect("the driver to start", |r| r["ev"] == "ready").await;
        client.command(connect).await;
        client
    }

    /// Sends one raw command to the driver.
    pub async fn command(&mut self, command: Value) {
        let mut line = command.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.expect("driver stdin");
        self.stdin.flush().await.expect("driver stdin");
    }

    fn remember(&mut self, report: &Value) {
        if report["ev"] == "exception" {
            panic!("the driver reported an exception: {}", report["message"]);
        }
        self.history.push_back(report.clone());
        if self.history.len() > 30 {
            self.history.pop_front();
        }
    }

    /// Waits for the next report matching `pred`. Reports that do not match
    /// stay in a backlog that later calls search first, in arrival order.
    pub async fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(index).expect("index in range");
        }
        let deadline = tokio::time::Instant::now() + FAILSAFE;
        loop {
            match tokio::time::timeout_at(deadline, self.reports.recv()).await {
                Ok(Some(report)) => {
                    self.remember(&report);
                    if pred(&report) {
                        return report;
                    }
                    self.backlog.push_back(report);
                }
                Ok(None) => panic!(
                    "the driver exited while waiting for {what}; last reports: {:#?}",
                    self.history
                ),
                Err(_) => panic!("no {what} within {FAILSAFE:?}; last reports: {:#?}", self.history),
            }
        }
    }

    /// True if a matching report already arrived (it stays in the backlog).
    pub fn seen(&mut self, pred: impl Fn(&Value) -> bool) -> bool {
        while let Ok(report) = self.reports.try_recv() {
            self.remember(&report);
            self.backlog.push_back(report);
        }
        self.backlog.iter().any(pred)
    }

    pub async fn expect_connect(&mut self, ns: &str) {
        let report = self
            .expect(&format!("connect on {ns:?}"), |r| r["ev"] == "connect" && r["ns"] == ns)
            .await;
        if ns.is_empty()
            && let Some(transport) = &self.transport
        {
            assert_eq!(
                report["transport"],
                transport.as_str(),
                "the client connected over the transport asked for"
            );
        }
    }

    pub async fn expect_disconnect(&mut self, ns: &str) {
        self.expect(&format!("disconnect on {ns:?}"), |r| {
            r["ev"] == "disconnect" && r["ns"] == ns
        })
        .await;
    }

    /// Waits for the refusal of namespace `ns`; the client's report of it,
    /// with the server's `message`.
    pub async fn expect_connect_error(&mut self, ns: &str) -> Value {
        self.expect(&format!("connect_error on {ns:?}"), |r| {
            r["ev"] == "connect_error" && r["ns"] == ns
        })
        .await
    }

    /// Waits for event `name` on `ns` and returns its arguments.
    pub async fn expect_event(&mut self, ns: &str, name: &str) -> Vec<Value> {
        let report = self
            .expect(&format!("event {name:?} on {ns:?}"), |r| {
                r["ev"] == "event" && r["ns"] == ns && r["name"] == name
            })
            .await;
        report["args"].as_array().cloned().unwrap_or_default()
    }

    /// Waits for a message on `ns` and returns its data.
    pub async fn expect_message(&mut self, ns: &str) -> Value {
        self.expect(&format!("message on {ns:?}"), |r| r["ev"] == "message" && r["ns"] == ns)
            .await["data"]
            .take()
    }

    /// Opens endpoint `ns` on the same socket (`socket.of(ns)`).
    pub async fn of(&mut self, ns: &str) {
        self.command(json!({"op": "of", "ns": ns})).await;
    }

    pub async fn emit(&mut self, ns: &str, name: &str, args: Vec<Value>) {
        self.command(json!({"op": "emit", "ns": ns, "name": name, "args": args}))
            .await;
    }

    /// Emits with a callback and returns the arguments the server acked with.
    pub async fn emit_ack(&mut self, ns: &str, name: &str, args: Vec<Value>) -> Vec<Value> {
        self.next_tag += 1;
        let tag = format!("ack-{}", self.next_tag);
        self.command(json!({"op": "emit", "ns": ns, "name": name, "args": args, "ack": tag}))
            .await;
        let report = self
            .expect(&format!("the ack of {name:?}"), |r| r["ev"] == "ack" && r["tag"] == tag)
            .await;
        report["args"].as_array().cloned().unwrap_or_default()
    }

    pub async fn send(&mut self, ns: &str, text: &str) {
        self.command(json!({"op": "send", "ns": ns, "data": text})).await;
    }

    pub async fn send_json(&mut self, ns: &str, value: Value) {
        self.command(json!({"op": "json", "ns": ns, "data": value})).await;
    }

    /// From now on, reports every packet of these types (`"error"`, `"ack"`,
    /// ...) as the server sent it: `{"ev": "packet", "type", "ns", "raw"}`.
    /// The 0.9 client keeps only the error reasons it knows and drops acks
    /// it did not ask for, so their text is seen only here.
    pub async fn watch_packets(&mut self, types: &[&str]) {
        self.command(json!({"op": "watch", "types": types})).await;
    }

    /// Waits for a watched packet of type `kind` on `ns` and returns its text.
    pub async fn expect_packet(&mut self, ns: &str, kind: &str) -> String {
        let report = self
            .expect(&format!("a {kind} packet on {ns:?}"), |r| {
                r["ev"] == "packet" && r["type"] == kind && r["ns"] == ns
            })
            .await;
        report["raw"].as_str().unwrap_or_default().to_owned()
    }

    /// Answers every server event `name` that asks for an ack with `args`.
    pub async fn reply_to(&mut self, name: &str, args: Vec<Value>) {
        self.command(json!({"op": "reply", "name": name, "args": args})).await;
    }

    /// Saves a screenshot of the browser page (browser clients only).
    pub async fn screenshot(&mut self, path: &std::path::Path) {
        self.command(json!({"op": "screenshot", "path": path})).await;
        self.expect("the screenshot", |r| r["ev"] == "screenshot").await;
    }

    pub async fn disconnect(&mut self, ns: &str) {
        self.command(json!({"op": "disconnect", "ns": ns})).await;
    }

    /// Opens namespace `ns` with a modern client's `auth` payload.
    pub async fn of_with_auth(&mut self, ns: &str, auth: Value) {
        self.command(json!({"op": "of", "ns": ns, "auth": auth})).await;
    }

    /// A modern client's acked emit with a client-side timeout: `Ok(args)`,
    /// or `Err(())` when the client's timer fired first.
    pub async fn emit_ack_timeout(
        &mut self,
        ns: &str,
        name: &str,
        args: Vec<Value>,
        timeout_ms: u64,
    ) -> Result<Vec<Value>, ()> {
        self.next_tag += 1;
        let tag = self.next_tag;
        self.command(json!({"op": "emit", "ns": ns, "name": name, "args": args, "ack": tag, "timeout": timeout_ms}))
            .await;
        let report = self
            .expect(&format!("ack or timeout #{tag}"), |r| {
                (r["ev"] == "ack" || r["ev"] == "ack_timeout") && r["tag"] == tag
            })
            .await;
        if report["ev"] == "ack_timeout" {
            return Err(());
        }
        Ok(report["args"].as_array().cloned().unwrap_or_default())
    }

    /// A modern client's `emitWithAck` (a promise of the first ack argument).
    pub async fn emit_with_ack_promise(&mut self, ns: &str, name: &str, args: Vec<Value>) -> Value {
        self.next_tag += 1;
        let tag = self.next_tag;
        self.command(json!({"op": "emit_with_ack", "ns": ns, "name": name, "args": args, "ack": tag}))
            .await;
        let report = self
            .expect(&format!("emitWithAck #{tag}"), |r| r["ev"] == "ack" && r["tag"] == tag)
            .await;
        report["args"][0].clone()
    }
}
