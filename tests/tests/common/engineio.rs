//! Raw Engine.IO 3 and 4 probes: polling requests and websockets by hand,
//! for what no client library does on purpose.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::http::{get, post};

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
    let mut got = Vec::new();
    loop {
        let reply = get(addr, at).await;
        if reply.status == 400 {
            return got;
        }
        assert_eq!(reply.status, 200, "{}", reply.text());
        got.extend(reply.text().split('\x1e').map(str::to_owned));
    }
}

/// [`poll_until_gone`] for a protocol 3 session (length-prefixed bodies).
pub async fn poll_v3_until_gone(addr: SocketAddr, at: &str) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let reply = get(addr, at).await;
        if reply.status == 400 {
            return got;
        }
        assert_eq!(reply.status, 200, "{}", reply.text());
        got.extend(v3_packets(&reply.text()));
    }
}
