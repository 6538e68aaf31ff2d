//! Raw Engine.IO 3 and 4 probes: polling requests and websockets by hand,
//! for what no client library does on purpose.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::http::{Reply, get, post};

pub type Ws = super::http::Ws;

/// A guard against hangs, not a timing assertion: every wait ends on a frame.
const FAILSAFE: Duration = Duration::from_secs(20);

/// A polling URL of protocol `eio` under `base` (`/engine.io`, `/socket.io`).
pub fn path_eio(eio: u8, base: &str, sid: Option<&str>) -> String {
    match sid {
        Some(sid) => format!("{base}/?EIO={eio}&transport=polling&sid={sid}"),
        None => format!("{base}/?EIO={eio}&transport=polling"),
    }
}

pub fn path(base: &str, sid: Option<&str>) -> String {
    path_eio(4, base, sid)
}

/// A polling handshake: the sid and the open packet's JSON. Protocol 3
/// bodies are length-prefixed (`<n>:0{...}`).
pub async fn handshake_eio(addr: SocketAddr, eio: u8, base: &str) -> (String, Value) {
    let reply = get(addr, &path_eio(eio, base, None)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    let open = match eio {
        3 => v3_packets(&text).into_iter().next().expect("one packet"),
        _ => text,
    };
    let open: Value = serde_json::from_str(open.strip_prefix('0').expect("an open packet")).expect("JSON");
    (open["sid"].as_str().expect("sid").to_owned(), open)
}

pub async fn handshake(addr: SocketAddr, base: &str) -> (String, Value) {
    handshake_eio(addr, 4, base).await
}

/// The packets of a protocol 3 text payload (`6:4hello2:4x`).
pub fn v3_packets(body: &str) -> Vec<String> {
    socketio::codec::engineio::decode_v3_payload(body, usize::MAX)
        .expect("a protocol 3 payload")
        .iter()
        .map(socketio::codec::engineio::Packet::encode)
        .collect()
}

/// A protocol 3 text payload of `packets`.
pub fn v3_payload(packets: &[&str]) -> String {
    packets
        .iter()
        .map(|p| format!("{}:{p}", p.encode_utf16().count()))
        .collect()
}

/// Opens a websocket at `query` under `base`; the error when refused.
pub async fn try_websocket(
    addr: SocketAddr,
    base: &str,
    query: &str,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let request = format!("ws://{addr}{base}/?{query}")
        .into_client_request()
        .expect("request");
    tokio_tungstenite::connect_async(request).await.map(|(ws, _)| ws)
}

pub async fn websocket_eio(addr: SocketAddr, eio: u8, base: &str, sid: Option<&str>) -> Ws {
    let query = match sid {
        Some(sid) => format!("EIO={eio}&transport=websocket&sid={sid}"),
        None => format!("EIO={eio}&transport=websocket"),
    };
    try_websocket(addr, base, &query).await.expect("websocket")
}

pub async fn websocket(addr: SocketAddr, base: &str, sid: Option<&str>) -> Ws {
    websocket_eio(addr, 4, base, sid).await
}

/// The next message as it came; `None` once the server closed.
pub async fn next_message(ws: &mut Ws) -> Option<Message> {
    match tokio::time::timeout(FAILSAFE, ws.next())
        .await
        .expect("a frame (failsafe)")
    {
        Some(Ok(Message::Close(_)) | Err(_)) | None => None,
        Some(Ok(message)) => Some(message),
    }
}

/// The next text frame, answering pings; `None` once the server closed.
pub async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        match next_message(ws).await? {
            Message::Text(text) if text.as_str() == "2" => {
                ws.send(Message::Text("3".into())).await.ok()?;
            }
            Message::Text(text) => return Some(text.as_str().to_owned()),
            _ => {}
        }
    }
}

/// The next binary frame, answering pings.
pub async fn next_binary(ws: &mut Ws) -> Vec<u8> {
    loop {
        match next_message(ws).await {
            Some(Message::Binary(data)) => return data.to_vec(),
            Some(Message::Text(text)) if text.as_str() == "2" => {
                ws.send(Message::Text("3".into())).await.expect("pong");
            }
            other => panic!("expected a binary frame, got {other:?}"),
        }
    }
}

/// Reads until the server closes the socket; what it sent meanwhile.
pub async fn until_closed(ws: &mut Ws) -> Vec<Message> {
    let mut seen = Vec::new();
    while let Some(message) = next_message(ws).await {
        seen.push(message);
    }
    seen
}

pub async fn send_text(ws: &mut Ws, text: &str) {
    ws.send(Message::Text(text.into())).await.expect("send");
}

pub async fn send_binary(ws: &mut Ws, data: &[u8]) {
    ws.send(Message::Binary(data.to_vec().into())).await.expect("send");
}

/// Polls a protocol 4 session until `count` packets other than pings
/// arrived (each poll is held until there is something), answering every
/// ping; the packets in arrival order.
pub async fn poll_packets(addr: SocketAddr, at: &str, count: usize) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < count {
        let reply = get(addr, at).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        for packet in reply.text().split('\x1e') {
            if packet == "2" {
                assert_eq!(post(addr, at, "3").await.text(), "ok");
            } else {
                got.push(packet.to_owned());
            }
        }
    }
    got
}

/// Polls until the session is gone (400), answering nothing; every packet
/// the polls returned before.
pub async fn poll_until_gone(addr: SocketAddr, at: &str) -> Vec<String> {
    poll_until_gone_with(addr, at, |body| body.split('\x1e').map(str::to_owned).collect()).await
}

/// [`poll_until_gone`] for a protocol 3 session (length-prefixed bodies).
pub async fn poll_v3_until_gone(addr: SocketAddr, at: &str) -> Vec<String> {
    poll_until_gone_with(addr, at, v3_packets).await
}

async fn poll_until_gone_with(addr: SocketAddr, at: &str, packets: impl Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let reply = get(addr, at).await;
        if reply.status == 400 {
            return got;
        }
        assert_eq!(reply.status, 200, "{}", reply.text());
        got.extend(packets(&reply.text()));
    }
}

/// A GET sent in the background, which the server holds until it has
/// something to say.
pub fn spawn_get(addr: SocketAddr, at: &str) -> tokio::task::JoinHandle<Reply> {
    let at = at.to_owned();
    tokio::spawn(async move { get(addr, &at).await })
}

/// Two GETs at once on one session, their answers as (status, body) in
/// order: the refused one is second.
pub async fn overlapping_polls(addr: SocketAddr, at: &str) -> [(u16, String); 2] {
    let (a, b) = tokio::join!(get(addr, at), get(addr, at));
    let mut answers = [(a.status, a.text()), (b.status, b.text())];
    answers.sort();
    answers
}

/// The client's close packet ends a held poll with a noop, and a poll the
/// close overtook gets that noop too (as node's engine.io answers the
/// official suite's "forcefully closes the session"), never a 400.
pub async fn assert_client_close_ends_a_held_poll_with_a_noop(addr: SocketAddr) {
    // Whether the poll is held when the close comes or comes after it, it
    // is answered with the noop, and then the session is gone.
    for _ in 0..20 {
        let (sid, _) = handshake(addr, "/engine.io").await;
        let at = path("/engine.io", Some(&sid));
        let held = spawn_get(addr, &at);
        assert_eq!(post(addr, &at, "1").await.text(), "ok");
        let held = held.await.expect("held poll");
        assert_eq!((held.status, held.text()), (200, "6".to_owned()));
        assert_eq!(get(addr, &at).await.status, 400, "the session is gone");
    }
}
