use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{ChildStdin, Command};
use tokio::sync::mpsc;

/// Headless Chromium driving web pages as a user would (`tests/js/pages.js`):
/// open, type, click, wait for text, screenshot. Every call waits for the
/// browser to finish it and fails the test on an error.
pub struct Browser {
    stdin: ChildStdin,
    reports: mpsc::UnboundedReceiver<Value>,
    next_id: u64,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser").finish_non_exhaustive()
    }
}

impl Browser {
    pub async fn launch() -> Browser {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js");
        assert!(
            dir.join("node_modules/playwright-core").is_dir(),
            "run ./scripts/setup first"
        );
        let mut child = Command::new("node")
            .arg(dir.join("pages.js"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, reports) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let _child = child;
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(value) = serde_json::from_str::<Value>(&line)
                    && tx.send(value).is_err()
                {
                    break;
                }
            }
        });
        let mut browser = Browser {
            stdin,
            reports,
            next_id: 0,
        };
        let ready = browser.next_report().await;
        assert_eq!(ready["ev"], "ready", "{ready}");
        browser
    }

    async fn next_report(&mut self) -> Value {
        let report = tokio::time::timeout(Duration::from_secs(60), self.reports.recv())
            .await
            .expect("the browser answers within 60 s")
            .expect("the browser driver is running");
        assert_ne!(report["ev"], "exception", "browser: {}", report["message"]);
        report
    }

    async fn call(&mut self, mut command: Value) -> Value {
        self.next_id += 1;
        command["id"] = json!(self.next_id);
        let line = format!("{command}\n");
        self.stdin.write_all(line.as_bytes()).await.expect("browser stdin");
        loop {
            let report = self.next_report().await;
            if report["id"] == json!(self.next_id) {
                assert_eq!(report["ev"], "done", "{command}: {}", report["message"]);
                return report;
            }
        }
    }

    pub async fn open(&mut self, page: &str, url: &str) {
        self.call(json!({"op": "open", "page": page, "url": url})).await;
    }
    /// Closes a page (browsers allow only 6 connections per host, and
    /// every polling page holds one).
    pub async fn close(&mut self, page: &str) {
        self.call(json!({"op": "close", "page": page})).await;
    }
    pub async fn fill(&mut self, page: &str, selector: &str, text: &str) {
        self.call(json!({"op": "fill", "page": page, "selector": selector, "text": text}))
            .await;
    }
    pub async fn click(&mut self, page: &str, selector: &str) {
        self.call(json!({"op": "click", "page": page, "selector": selector}))
            .await;
    }
    /// Waits until the element's text contains `text`.
    pub async fn wait_text(&mut self, page: &str, selector: &str, text: &str) {
        self.call(json!({"op": "wait_text", "page": page, "selector": selector, "text": text}))
            .await;
    }
    pub async fn text(&mut self, page: &str, selector: &str) -> String {
        let report = self
            .call(json!({"op": "text", "page": page, "selector": selector}))
            .await;
        report["text"].as_str().unwrap_or_default().to_owned()
    }
    pub async fn eval(&mut self, page: &str, script: &str) -> Value {
        self.call(json!({"op": "eval", "page": page, "script": script})).await["value"].take()
    }
    pub async fn screenshot(&mut self, page: &str, path: &std::path::Path) {
        self.call(json!({"op": "screenshot", "page": page, "path": path})).await;
    }
}
