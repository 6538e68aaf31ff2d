//! `rust_socketio` 0.6 (the most used Rust client; its async API) against
//! the `conformance` example over polling, websocket and polling upgraded
//! to websocket: acks, positional and keyword binding, binary both ways,
//! `/chat` with an auth payload, rooms and broadcasts, a burst that must
//! come back complete and in order, and the refused `/reject`.
//!
//! rust_socketio 0.6 has no way to answer a server's ack request (its
//! callbacks get no ack id), so the server-to-client direction is checked
//! as far as that client goes: the question arrives with its arguments.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::example::start;
use futures_util::FutureExt;
use rust_socketio::asynchronous::{Client, ClientBuilder};
use rust_socketio::{Event, Payload, TransportType};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// A bound on each wait, against hangs; every wait ends on an event.
const FAILSAFE: Duration = Duration::from_secs(20);

/// What a client received, in arrival order: (event name, payload).
type Inbox = mpsc::UnboundedReceiver<(String, Payload)>;

struct Rust {
    client: Client,
    inbox: Inbox,
}

async fn connect(url: &str, namespace: &str, transport: &TransportType, auth: Option<Value>) -> Rust {
    let (tx, inbox) = mpsc::unbounded_channel();
    let mut builder = ClientBuilder::new(url)
        .namespace(namespace)
        .transport_type(transport.clone())
        .reconnect(false)
        .on_any(move |event, payload, _| {
            let _ = tx.send((event.as_str().to_owned(), payload));
            async {}.boxed()
        });
    if let Some(auth) = auth {
        builder = builder.auth(auth);
    }
    let client = builder.connect().await.expect("rust_socketio connects");
    Rust { client, inbox }
}

impl Rust {
    /// The next event named `name`; others received before it are dropped.
    async fn next(&mut self, name: &str) -> Payload {
        let wait = async {
            loop {
                let (event, payload) = self.inbox.recv().await.expect("the client is open");
                if event == name {
                    return payload;
                }
            }
        };
        tokio::time::timeout(FAILSAFE, wait)
            .await
            .unwrap_or_else(|_| panic!("no {name} within {FAILSAFE:?}"))
    }

    /// Emits and waits for the server's ack.
    async fn call(&self, event: &str, data: impl Into<Payload>) -> Payload {
        self.call_parts(event, data, 1).await.remove(0)
    }

    /// Emits and waits for `parts` ack callbacks: rust_socketio calls back
    /// once with the JSON of a binary ack (placeholders in it), then once
    /// with its first attachment.
    async fn call_parts(&self, event: &str, data: impl Into<Payload>, parts: usize) -> Vec<Payload> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.client
            .emit_with_ack(event, data, FAILSAFE, move |payload, _| {
                let _ = tx.send(payload);
                async {}.boxed()
            })
            .await
            .expect("emits");
        let mut got = Vec::new();
        while got.len() < parts {
            let part = tokio::time::timeout(FAILSAFE, rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no ack of {event} within {FAILSAFE:?}"))
                .expect("acked");
            got.push(part);
        }
        got
    }

    async fn emit(&self, event: &str, data: impl Into<Payload>) {
        self.client.emit(event, data).await.expect("emits");
    }
}

fn text(values: Vec<Value>) -> Payload {
    Payload::Text(values)
}

/// How rust_socketio hands over an ack: its arguments as one JSON array.
fn acked(values: Vec<Value>) -> Payload {
    Payload::Text(vec![Value::Array(values)])
}

async fn scenarios(transport: TransportType) {
    let server = start().await;
    let url = server.url.clone();
    let mut a = connect(&url, "/", &transport, None).await;

    // Acks and the emitted echo, with JSON of every kind.
    let args = vec![json!("hi"), json!(1), json!({"x": [true], "b": null})];
    assert_eq!(a.call("echo", text(args.clone())).await, acked(args.clone()));
    assert_eq!(a.next("echo").await, text(args));
    // Positional and keyword binding.
    assert_eq!(
        a.call("sum", text(vec![json!(2), json!(3)])).await,
        acked(vec![json!(5)])
    );
    assert_eq!(a.call("sum", json!({"a": 2, "b": 3})).await, acked(vec![json!(5)]));
    // Binary, client to server and back, as an event.
    let blob = Bytes::from_static(&[1, 2, 3, 255]);
    a.emit("echo", blob.clone()).await;
    assert_eq!(a.next("echo").await, Payload::Binary(blob.clone()));
    // Binary in the server's ack (`blob` acks with the bytes reversed) and
    // in the event it emits back.
    let parts = a
        .call_parts("blob", json!({"name": "b", "data": [1, 2, 3, 255]}), 2)
        .await;
    // (rust_socketio cuts the placeholders out of the JSON part as text.)
    assert_eq!(parts[1], Payload::Binary(Bytes::from_static(&[255, 3, 2, 1])));
    assert!(
        matches!(&parts[0], Payload::Text(json) if json[0].to_string().contains(r#"\"name\":\"b\""#)),
        "{parts:?}"
    );
    assert_eq!(a.next("blob").await, Payload::Binary(blob.clone()));
    // rust_socketio 0.6 sends a binary emit that asks for an ack as a
    // BINARY_ACK packet (rust-socketio#422); like node, the server takes it
    // for an answer to nothing, drops it, and the session goes on.
    a.client
        .emit_with_ack("echo", blob, FAILSAFE, |_, _| async {}.boxed())
        .await
        .expect("emits");
    assert_eq!(
        a.call("sum", text(vec![json!(7), json!(8)])).await,
        acked(vec![json!(15)])
    );

    // `/chat` with an auth payload, which `whoami` reports as its query.
    let chat = connect(&url, "/chat", &transport, Some(json!({"token": "abc", "n": 1}))).await;
    let Payload::Text(who) = chat.call("whoami", text(vec![])).await else {
        panic!("whoami acks with JSON")
    };
    assert_eq!(who[0][0]["endpoint"], "/chat");
    assert_eq!(who[0][0]["query"], json!({"token": "abc", "n": 1}));
    assert_eq!(
        chat.call("sum", text(vec![json!(4), json!(5)])).await,
        acked(vec![json!(9)])
    );

    // Rooms and broadcasts with a second client.
    let mut b = connect(&url, "/", &transport, None).await;
    b.call("join", text(vec![json!("r")])).await;
    a.emit("to_room", text(vec![json!("r"), json!({"from": "a"})])).await;
    assert_eq!(b.next("room_msg").await, text(vec![json!("r"), json!({"from": "a"})]));
    a.call("join", text(vec![json!("r")])).await;
    b.emit("to_room", text(vec![json!("r"), json!("both")])).await;
    for client in [&mut a, &mut b] {
        // a's first room message is this one: it was outside `r` before.
        assert_eq!(client.next("room_msg").await, text(vec![json!("r"), json!("both")]));
    }
    b.emit("broadcast", text(vec![json!("all")])).await;
    for client in [&mut a, &mut b] {
        assert_eq!(client.next("broadcast").await, text(vec![json!("all")]));
    }

    // A burst: every echo back, in order.
    const BURST: usize = 300;
    for i in 0..BURST {
        b.emit("echo", text(vec![json!(i)])).await;
    }
    for i in 0..BURST {
        assert_eq!(b.next("echo").await, text(vec![json!(i)]), "echo {i} of the burst");
    }

    // `/reject`: refused with the server's message; the others go on.
    let (tx, mut errors) = mpsc::unbounded_channel();
    let refused = ClientBuilder::new(url.as_str())
        .namespace("/reject")
        .transport_type(transport.clone())
        .reconnect(false)
        .on(Event::Error, move |payload, _| {
            let _ = tx.send(payload);
            async {}.boxed()
        })
        .connect()
        .await
        .expect("the connection itself is accepted");
    let error = tokio::time::timeout(FAILSAFE, errors.recv())
        .await
        .expect("the refusal within the failsafe")
        .expect("reported");
    // rust_socketio reports a CONNECT_ERROR as text around the server's data.
    let Payload::Text(error) = error else {
        panic!("a text error: {error:?}")
    };
    let error = error[0].as_str().expect("a string").to_owned();
    assert!(
        error.starts_with("Received an ConnectError frame: ") && error.contains("Not authorized"),
        "{error}"
    );
    drop(refused);
    assert_eq!(
        a.call("sum", text(vec![json!(1), json!(1)])).await,
        acked(vec![json!(2)])
    );

    // The server's own ack request reaches the client with its arguments
    // (last: the connection's handler waits for an answer that rust_socketio
    // cannot give, and its events are handled one at a time, in order).
    a.emit("ask", text(vec![])).await;
    assert_eq!(a.next("question").await, text(vec![json!("how?")]));

    for client in [a.client, b.client, chat.client] {
        client.disconnect().await.expect("disconnects");
    }
}

#[tokio::test]
async fn rust_socketio_over_polling() {
    scenarios(TransportType::Polling).await;
}

#[tokio::test]
async fn rust_socketio_over_websocket() {
    scenarios(TransportType::Websocket).await;
}

#[tokio::test]
async fn rust_socketio_upgraded_to_websocket() {
    scenarios(TransportType::WebsocketUpgrade).await;
}
