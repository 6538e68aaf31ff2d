//! Raw HTTP/1.1 and WebSocket probes, for what no client exercises.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a fresh connection (`Connection: close`), read to the end.
pub async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write head");
    stream.write_all(body).await.expect("write body");
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut raw))
        .await
        .expect("response within 30 s")
        .expect("read");
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of head");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .expect("status line")
        .split(' ')
        .nth(1)
        .expect("status")
        .parse()
        .expect("code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).expect("hex").trim(), 16).expect("size");
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[], b"").await
}

pub async fn post(addr: SocketAddr, path: &str, body: &str) -> Reply {
    request(
        addr,
        "POST",
        path,
        &[("Content-Type", "text/plain;charset=UTF-8")],
        body.as_bytes(),
    )
    .await
}

/// Handshakes and returns the session id.
pub async fn handshake(addr: SocketAddr) -> String {
    handshake_query(addr, "").await
}

/// Handshakes with `query` on the URL and returns the session id.
pub async fn handshake_query(addr: SocketAddr, query: &str) -> String {
    let path = if query.is_empty() {
        "/socket.io/1/".to_owned()
    } else {
        format!("/socket.io/1/?{query}")
    };
    let reply = get(addr, &path).await;
    assert_eq!(reply.status, 200, "handshake: {}", reply.text());
    reply.text().split(':').next().expect("sid").to_owned()
}

pub fn xhr(sid: &str) -> String {
    format!("/socket.io/1/xhr-polling/{sid}")
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

pub async fn websocket(addr: SocketAddr, sid: &str) -> Ws {
    let request = format!("ws://{addr}/socket.io/1/websocket/{sid}")
        .into_client_request()
        .expect("request");
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket connect");
    socket
}

/// The next text frame, skipping heartbeats when `skip_heartbeats`.
pub async fn next_text(socket: &mut Ws, skip_heartbeats: bool) -> Option<String> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("frame within 20 s");
        match message {
            Some(Ok(Message::Text(text))) if skip_heartbeats && text.as_str() == "2::" => continue,
            Some(Ok(Message::Text(text))) => return Some(text.as_str().to_owned()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

pub async fn send_text(socket: &mut Ws, text: &str) {
    socket.send(Message::Text(text.into())).await.expect("send");
}

/// Splits a polling body into packets (framed or single).
pub fn packets(body: &str) -> Vec<String> {
    socketio::codec::legacy::decode_payload(body, usize::MAX)
        .expect("valid payload")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The packets of a polling body other than heartbeats: a loaded machine
/// may let the heartbeat interval pass between two requests of a test.
pub fn packets_without_heartbeats(body: &str) -> Vec<String> {
    packets(body).into_iter().filter(|p| p != "2::").collect()
}

/// Frames packets as a client would.
pub fn frame(packets: &[&str]) -> String {
    socketio::codec::legacy::encode_payload(packets)
}

/// Polls until `count` packets other than heartbeats arrived (each poll is
/// held until there is something), and returns them in arrival order.
pub async fn poll_packets(addr: SocketAddr, sid: &str, count: usize) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < count {
        let body = get(addr, &xhr(sid)).await.text();
        if body != "8::" {
            got.extend(packets_without_heartbeats(&body));
        }
    }
    got
}
