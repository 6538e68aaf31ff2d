//! The chat example's typings and its TypeScript client: the committed
//! `examples/chat/client/index.d.ts` is what the handler generates (and
//! `typings check` fails when it is not); the real `tsc` compiles a client
//! of every chat event against it and socket.io-client 4's type
//! definitions and refuses wrong ones; and the client the examples' build
//! compiled (`client/dist/chat.js`) chats with the running example in node.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::example::{run_example, start_example};
use common::tsc::{Wrong, check_programs, tsc_dir};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/chat/client")
}

#[tokio::test]
async fn the_committed_chat_typings_are_fresh_and_check_fails_on_stale_ones() {
    let output = run_example("chat", &["typings", "check"]).await;
    assert!(
        output.status.success(),
        "examples/chat/client/index.d.ts is stale: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A copy edited as if the handler had changed since it was written.
    let dir = tsc_dir("chat-stale");
    let dir_arg = dir.to_str().expect("utf-8 path");
    let written = run_example("chat", &["typings", "write", dir_arg]).await;
    assert!(written.status.success(), "{}", String::from_utf8_lossy(&written.stderr));
    let fresh = std::fs::read_to_string(dir.join("index.d.ts")).expect("written");
    assert_eq!(
        fresh,
        std::fs::read_to_string(client_dir().join("index.d.ts")).expect("committed")
    );
    std::fs::write(dir.join("index.d.ts"), fresh.replace("text: string", "text: number")).expect("edited");
    let checked = run_example("chat", &["typings", "check", dir_arg]).await;
    assert!(!checked.status.success(), "a stale file passed the check");
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(stderr.contains("index.d.ts is stale"), "{stderr}");
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}

const CHAT_PREAMBLE: &str = r#"import { io, Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "./index";
const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io("http://127.0.0.1:1", { autoConnect: false });
"#;

/// Every chat event, each way it can be called.
const CHAT_GOOD: &str = r#"
socket.emit("join", "alice", (taken) => { const nick: string = taken; void nick; });
socket.emit("join", { nick: "alice" }, (taken: string) => void taken);
async function join(): Promise<string> {
  return await socket.emitWithAck("join", "alice");
}
void join;
socket.emit("say", "hello");
socket.emit("say", { text: "hello" });
socket.on("joined", (nick, people) => void [nick.length, people.map((p) => p.toUpperCase())]);
socket.on("left", (nick: string, people: string[]) => void [nick, people]);
socket.on("said", (nick, text) => void [nick.length, text.length]);
"#;

#[tokio::test]
async fn tsc_compiles_a_client_of_every_chat_event_and_refuses_wrong_ones() {
    let dir = tsc_dir("chat");
    std::fs::copy(client_dir().join("index.d.ts"), dir.join("index.d.ts")).expect("typings copied");
    let wrong = [
        Wrong {
            line: r#"socket.emit("say", 42);"#,
            code: "TS2345",
            says: "Type 'number' is not assignable to type '{ text: string; }'.",
        },
        Wrong {
            line: r#"socket.emit("shout", "hi");"#,
            code: "TS2345",
            says: "Argument of type '\"shout\"' is not assignable to parameter of type '\"join\" | \"say\"'.",
        },
        // `join` answers, so its callback is required.
        Wrong {
            line: r#"socket.emit("join", "alice");"#,
            code: "TS2345",
            says: "Source has 1 element(s) but target requires 2.",
        },
        Wrong {
            line: r#"socket.emit("join", { nick: "alice" }, (taken: number) => void taken);"#,
            code: "TS2345",
            says: "Type 'string' is not assignable to type 'number'.",
        },
        Wrong {
            line: r#"socket.emit("join", "alice", (taken: number) => void taken);"#,
            code: "TS2345",
            says: "Argument of type '[\"alice\", (taken: number) => undefined]' is not assignable",
        },
        Wrong {
            line: r#"async function f(): Promise<number> { return await socket.emitWithAck("join", "alice"); }"#,
            code: "TS2322",
            says: "Type 'string' is not assignable to type 'number'.",
        },
        Wrong {
            line: r#"socket.emit("say", { txt: "hi" });"#,
            code: "TS2345",
            says: "'txt' does not exist in type '{ text: string; }'",
        },
        Wrong {
            line: r#"socket.on("said", (nick: string, text: string, when: number) => void [nick, text, when]);"#,
            code: "TS2345",
            says: "Target signature provides too few arguments.",
        },
        Wrong {
            line: r#"socket.on("joined", (nick, people) => void people.toUpperCase());"#,
            code: "TS2339",
            says: "Property 'toUpperCase' does not exist on type 'string[]'.",
        },
    ];
    check_programs(&dir, CHAT_PREAMBLE, CHAT_GOOD, &wrong);
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}

/// `node client/dist/chat.js URL NICK`: says what it reads, prints what it
/// hears as JSON lines.
struct TypedClient {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
}

impl TypedClient {
    fn start(url: &str, nick: &str) -> TypedClient {
        let script = client_dir().join("dist/chat.js");
        assert!(
            script.exists(),
            "{} is missing: the examples' build writes it",
            script.display()
        );
        let mut child = Command::new("node")
            .arg(&script)
            .args([url, nick])
            .current_dir(client_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs the chat client");
        let stdin = child.stdin.take();
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        TypedClient { child, stdin, lines }
    }

    /// The next line the client printed for `event`, earlier others skipped.
    async fn expect(&mut self, event: &str) -> Value {
        loop {
            let line = self
                .lines
                .next_line()
                .await
                .expect("read")
                .unwrap_or_else(|| panic!("the client ended before printing {event}"));
            let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            if value["event"] == event {
                return value;
            }
        }
    }

    async fn say(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(format!("{text}\n").as_bytes()).await.expect("said");
        stdin.flush().await.expect("flushed");
    }

    /// Closes stdin: the client disconnects and ends.
    async fn leave(&mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        self.child.wait().await.expect("the client ends")
    }
}

#[tokio::test]
async fn the_typed_client_chats_with_the_example_in_node() {
    let example = start_example("chat", &[]).await;

    let mut alice = TypedClient::start(&example.url, "alice");
    assert_eq!(alice.expect("join").await, json!({"event": "join", "taken": "alice"}));

    let mut bob = TypedClient::start(&example.url, "bob");
    assert_eq!(bob.expect("join").await, json!({"event": "join", "taken": "bob"}));
    assert_eq!(
        alice.expect("joined").await,
        json!({"event": "joined", "nick": "bob", "people": ["alice", "bob"]})
    );

    // Said in the keyword form, heard positionally.
    bob.say("hello").await;
    assert_eq!(
        alice.expect("said").await,
        json!({"event": "said", "nick": "bob", "text": "hello"})
    );

    // A taken nickname: the ack is "", and the client gives up.
    let mut impostor = TypedClient::start(&example.url, "alice");
    assert_eq!(impostor.expect("join").await, json!({"event": "join", "taken": ""}));
    assert_eq!(impostor.child.wait().await.expect("ended").code(), Some(1));

    assert!(bob.leave().await.success());
    assert_eq!(
        alice.expect("left").await,
        json!({"event": "left", "nick": "bob", "people": ["alice"]})
    );
    assert!(alice.leave().await.success());
}
