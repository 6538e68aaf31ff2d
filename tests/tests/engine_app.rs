//! A bare Engine.IO application (`SocketIoBuilder::engine`) over long
//! polling: a POST is answered once the application handled its messages,
//! so the next poll carries every reply, as node's synchronous handlers
//! give; an application that stops reading holds a POST only briefly.

mod common;

use std::time::Duration;

use common::engineio::{handshake, path};
use common::http::{get, post};
use socketio::engine::{Incoming, Socket};

/// Echoes each message after some asynchronous work of its own.
async fn slow_echo(socket: Socket, mut incoming: Incoming) {
    while let Some(message) = incoming.recv().await {
        for _ in 0..50 {
            tokio::task::yield_now().await;
        }
        socket.send(message);
    }
}

/// Reads one message, then never asks for another.
async fn stuck(_socket: Socket, mut incoming: Incoming) {
    let _first = incoming.recv().await;
    std::future::pending::<()>().await;
}

#[tokio::test]
async fn the_poll_after_a_post_carries_every_reply() {
    let server = common::start(|b| b.engine("/slow", slow_echo)).await;
    let (sid, _) = handshake(server.addr, "/slow").await;
    let at = path("/slow", Some(&sid));
    for round in 0..5 {
        let body = format!("4a{round}\x1e4b{round}\x1ebAQID\x1e4c{round}");
        assert_eq!(post(server.addr, &at, &body).await.text(), "ok");
        assert_eq!(get(server.addr, &at).await.text(), body, "round {round}");
    }
}

#[tokio::test]
async fn an_application_that_stops_reading_does_not_cost_the_session() {
    let server = common::start(|b| {
        b.engine("/stuck", stuck)
            .ping_interval(Duration::from_millis(300))
            .ping_timeout(Duration::from_millis(400))
    })
    .await;
    let (sid, _) = handshake(server.addr, "/stuck").await;
    let at = path("/stuck", Some(&sid));
    // The second message is never handled; the POST is answered anyway.
    assert_eq!(post(server.addr, &at, "4one\x1e4two").await.text(), "ok");
    // The session lives on through several heartbeats.
    for _ in 0..3 {
        assert_eq!(get(server.addr, &at).await.text(), "2");
        assert_eq!(post(server.addr, &at, "3").await.text(), "ok");
    }
}
