//! A minimal Socket.IO 0.9 client written against the wire format, for the
//! transports no real client reaches here (htmlfile needs ActiveX,
//! flashsocket needs Flash) and to run one scenario list over all five.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use md5::{Digest, Md5};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::http::{self, packets, request};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    WebSocket,
    /// The flashsocket path spoken as hixie-76, as the 0.9 client's Flash object does.
    FlashSocket,
    HtmlFile,
    XhrPolling,
    JsonpPolling,
}

impl Wire {
    pub const ALL: [Wire; 5] = [
        Wire::WebSocket,
        Wire::FlashSocket,
        Wire::HtmlFile,
        Wire::XhrPolling,
        Wire::JsonpPolling,
    ];

    /// Whether the client receives by long-polling (xhr-polling, jsonp-polling).
    pub fn polls(self) -> bool {
        matches!(self, Wire::XhrPolling | Wire::JsonpPolling)
    }

    pub fn name(self) -> &'static str {
        match self {
            Wire::WebSocket => "websocket",
            Wire::FlashSocket => "flashsocket",
            Wire::HtmlFile => "htmlfile",
            Wire::XhrPolling => "xhr-polling",
            Wire::JsonpPolling => "jsonp-polling",
        }
    }
}

pub struct RawClient {
    pub sid: String,
    wire: Wire,
    addr: SocketAddr,
    incoming: mpsc::UnboundedReceiver<String>,
    outgoing: mpsc::UnboundedSender<String>,
    backlog: VecDeque<String>,
}

/// The JavaScript string literal of a jsonp or htmlfile call, decoded.
pub fn js_argument(text: &str, prefix: &str, suffix: &str) -> String {
    let inner = text
        .strip_prefix(prefix)
        .and_then(|t| t.strip_suffix(suffix))
        .unwrap_or_else(|| panic!("not a call: {text:?}"));
    serde_json::from_str(inner).unwrap_or_else(|e| panic!("not a string literal ({e}): {inner:?}"))
}

fn hixie_key(number: u32, spaces: u32) -> String {
    let product = u64::from(number) * u64::from(spaces);
    let digits = product.to_string();
    let mut key = String::from("x");
    for (i, digit) in digits.chars().enumerate() {
        key.push(digit);
        if (i as u32) < spaces {
            key.push(' ');
        }
    }
    key.push_str("%!");
    key
}

async fn read_head<R: tokio::io::AsyncRead + Unpin>(reader: &mut BufReader<R>) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.expect("head line");
        if line == "\r\n" || line.is_empty() {
            return head;
        }
        head.push_str(&line);
    }
}

impl RawClient {
    pub async fn connect(addr: SocketAddr, wire: Wire) -> RawClient {
        Self::connect_with(addr, wire, false).await
    }

    /// `abort_polls`: now and then a held poll is abandoned mid-way (the
    /// connection dropped), as a browser does when a page navigates.
    pub async fn connect_with(addr: SocketAddr, wire: Wire, abort_polls: bool) -> RawClient {
        let sid = http::handshake(addr).await;
        Self::attach(addr, wire, sid, abort_polls)
    }

    /// Handshakes with `query` (e.g. `k=v`) on the handshake URL.
    pub async fn connect_query(addr: SocketAddr, wire: Wire, query: &str) -> RawClient {
        let sid = http::handshake_query(addr, query).await;
        Self::attach(addr, wire, sid, false)
    }

    /// Opens the transport of an already handshaken session.
    pub fn attach(addr: SocketAddr, wire: Wire, sid: String, abort_polls: bool) -> RawClient {
        let (in_tx, incoming) = mpsc::unbounded_channel();
        let (outgoing, out_rx) = mpsc::unbounded_channel();
        match wire {
            Wire::WebSocket => tokio::spawn(websocket(addr, sid.clone(), in_tx, out_rx)),
            Wire::FlashSocket => tokio::spawn(hixie76(addr, sid.clone(), in_tx, out_rx)),
            Wire::HtmlFile => tokio::spawn(htmlfile(addr, sid.clone(), in_tx, out_rx)),
            Wire::XhrPolling | Wire::JsonpPolling => {
                tokio::spawn(polling(addr, sid.clone(), wire, in_tx, out_rx, abort_polls))
            }
        };
        RawClient {
            sid,
            wire,
            addr,
            incoming,
            outgoing,
            backlog: VecDeque::new(),
        }
    }

    pub fn send(&self, packet: &str) {
        self.outgoing.send(packet.to_owned()).expect("transport task alive");
    }

    /// The next packet matching `pred` (others wait in a backlog).
    pub async fn expect(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        if let Some(i) = self.backlog.iter().position(|p| pred(p)) {
            return self.backlog.remove(i).expect("in range");
        }
        loop {
            let packet = tokio::time::timeout(Duration::from_secs(20), self.incoming.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{}: no {what} within 20 s; backlog {:?}",
                        self.wire.name(),
                        self.backlog
                    )
                })
                .unwrap_or_else(|| {
                    panic!(
                        "{}: transport ended before {what}; backlog {:?}",
                        self.wire.name(),
                        self.backlog
                    )
                });
            if pred(&packet) {
                return packet;
            }
            self.backlog.push_back(packet);
        }
    }

    /// The next packet equal to `packet`.
    pub async fn expect_packet(&mut self, packet: &str) {
        self.expect(packet, |p| p == packet).await;
    }

    /// Whether a packet matching `pred` arrived and was not taken yet; after
    /// a round trip, a packet queued before it would be here.
    pub fn seen(&self, pred: impl Fn(&str) -> bool) -> bool {
        self.backlog.iter().any(|p| pred(p))
    }

    /// Everything not taken yet, in arrival order, once the transport ended.
    pub async fn expect_closed(&mut self) -> Vec<String> {
        loop {
            match tokio::time::timeout(Duration::from_secs(20), self.incoming.recv()).await {
                Ok(Some(packet)) => self.backlog.push_back(packet),
                Ok(None) => return self.backlog.drain(..).collect(),
                Err(_) => panic!(
                    "{}: the transport did not end within 20 s; backlog {:?}",
                    self.wire.name(),
                    self.backlog
                ),
            }
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

type In = mpsc::UnboundedSender<String>;
type Out = mpsc::UnboundedReceiver<String>;

/// Delivers packets, answering heartbeats like the real client.
fn deliver(incoming: &In, outgoing_echo: &mpsc::UnboundedSender<String>, packet: String) -> bool {
    if packet == "2::" {
        let _ = outgoing_echo.send("2::".to_owned());
        return true;
    }
    incoming.send(packet).is_ok()
}

async fn websocket(addr: SocketAddr, sid: String, incoming: In, mut outgoing: Out) {
    let mut socket = http::websocket(addr, &sid).await;
    loop {
        tokio::select! {
            packet = outgoing.recv() => match packet {
                Some(packet) => if socket.send(Message::Text(packet.into())).await.is_err() { return },
                None => return,
            },
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let text = text.as_str().to_owned();
                    if text == "2::" {
                        let _ = socket.send(Message::Text("2::".into())).await;
                    } else if incoming.send(text).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}

async fn hixie76(addr: SocketAddr, sid: String, incoming: In, mut outgoing: Out) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    // Split first: the reader's buffer may already hold the first frame.
    let (read_half, mut write_half) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    let (n1, n2, key3) = (777_007_u32, 31_337_u32, *b"Tm[K T2u");
    let request = format!(
        "GET /socket.io/1/flashsocket/{sid} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\
         Origin: http://flash.example\r\nSec-WebSocket-Key1: {}\r\nSec-WebSocket-Key2: {}\r\n\r\n",
        hixie_key(n1, 3),
        hixie_key(n2, 5)
    );
    write_half.write_all(request.as_bytes()).await.expect("write");
    write_half.write_all(&key3).await.expect("write");
    let head = read_head(&mut reader).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut answer = [0u8; 16];
    reader.read_exact(&mut answer).await.expect("challenge answer");
    let mut hasher = Md5::new();
    hasher.update(n1.to_be_bytes());
    hasher.update(n2.to_be_bytes());
    hasher.update(key3);
    assert_eq!(
        answer,
        <[u8; 16]>::from(hasher.finalize()),
        "the server proved it read the challenge"
    );
    let (echo_tx, mut echo_rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        loop {
            let packet = tokio::select! {
                p = outgoing.recv() => p,
                p = echo_rx.recv() => p,
            };
            let Some(packet) = packet else { return };
            let mut frame = vec![0u8];
            frame.extend_from_slice(packet.as_bytes());
            frame.push(0xFF);
            if write_half.write_all(&frame).await.is_err() {
                return;
            }
        }
    });
    loop {
        let mut kind = [0u8; 1];
        if reader.read_exact(&mut kind).await.is_err() || kind[0] != 0 {
            return;
        }
        let mut frame = Vec::new();
        if reader.read_until(0xFF, &mut frame).await.is_err() || frame.last() != Some(&0xFF) {
            return;
        }
        frame.pop();
        let packet = String::from_utf8(frame).expect("UTF-8 frame");
        if !deliver(&incoming, &echo_tx, packet) {
            return;
        }
    }
}

/// Sends `packet` (one packet or a framed payload) the way `wire` posts.
pub async fn post(addr: SocketAddr, sid: &str, wire: Wire, packet: &str) {
    let reply = match wire {
        Wire::JsonpPolling => {
            let literal = serde_json::to_string(packet).expect("string");
            let body: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("d", &literal)
                .finish();
            request(
                addr,
                "POST",
                &format!("/socket.io/1/jsonp-polling/{sid}?t=1&i=0"),
                &[("Content-Type", "application/x-www-form-urlencoded")],
                body.as_bytes(),
            )
            .await
        }
        other => http::post(addr, &format!("/socket.io/1/{}/{sid}", other.name()), packet).await,
    };
    assert_eq!(reply.status, 200, "POST {packet:?}: {}", reply.text());
}

/// Sends each outgoing packet in its own POST, in order.
fn poster(addr: SocketAddr, sid: String, wire: Wire, mut outgoing: Out) -> mpsc::UnboundedSender<String> {
    let (echo_tx, mut echo_rx) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        loop {
            let packet = tokio::select! {
                p = outgoing.recv() => p,
                p = echo_rx.recv() => p,
            };
            let Some(packet) = packet else { return };
            post(addr, &sid, wire, &packet).await;
            if packet == "0::" {
                // Gone: a heartbeat answer still in flight has no session to go to.
                return;
            }
        }
    });
    echo_tx
}

/// One long-poll of xhr-polling or jsonp-polling: its payload, unwrapped.
pub async fn poll(addr: SocketAddr, sid: &str, wire: Wire) -> String {
    match wire {
        Wire::JsonpPolling => {
            let reply = http::get(addr, &format!("/socket.io/1/jsonp-polling/{sid}?t=1&i=3")).await;
            assert_eq!(reply.header("content-type"), Some("text/javascript; charset=UTF-8"));
            js_argument(&reply.text(), "io.j[3](", ");")
        }
        Wire::XhrPolling => http::get(addr, &format!("/socket.io/1/xhr-polling/{sid}")).await.text(),
        other => panic!("{} does not poll", other.name()),
    }
}

async fn polling(addr: SocketAddr, sid: String, wire: Wire, incoming: In, outgoing: Out, abort_polls: bool) {
    let echo = poster(addr, sid.clone(), wire, outgoing);
    let mut polls: u64 = 0;
    loop {
        polls += 1;
        if abort_polls && polls % 3 == 0 {
            // Start a poll and hang up on it after a few milliseconds.
            let path = match wire {
                Wire::JsonpPolling => format!("/socket.io/1/jsonp-polling/{sid}?t=1&i=3"),
                _ => format!("/socket.io/1/xhr-polling/{sid}"),
            };
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await.expect("write");
            let mut first = [0u8; 1];
            let mut raw = Vec::new();
            match tokio::time::timeout(Duration::from_millis(polls % 7 + 1), stream.read(&mut first)).await {
                Ok(Ok(n)) => raw.extend_from_slice(&first[..n]),
                Ok(Err(_)) => continue,
                Err(_) => {
                    // Hang up (FIN). Whatever the server already sent is
                    // still read, as a browser's network stack would; the
                    // server must take nothing for a poll it saw abandoned.
                    let _ = stream.shutdown().await;
                }
            }
            let _ = stream.read_to_end(&mut raw).await;
            let reply = String::from_utf8_lossy(&raw).into_owned();
            let Some((_, body)) = reply.split_once("\r\n\r\n") else {
                continue;
            };
            let body = if wire == Wire::JsonpPolling {
                js_argument(body, "io.j[3](", ");")
            } else {
                body.to_owned()
            };
            for packet in packets(&body) {
                if packet != "8::" && !deliver(&incoming, &echo, packet) {
                    return;
                }
            }
            continue;
        }
        let body = poll(addr, &sid, wire).await;
        if body == "7:::1+0" {
            let _ = incoming.send(body);
            return;
        }
        for packet in packets(&body) {
            if packet != "8::" && !deliver(&incoming, &echo, packet) {
                return;
            }
        }
    }
}

async fn htmlfile(addr: SocketAddr, sid: String, incoming: In, outgoing: Out) {
    let echo = poster(addr, sid.clone(), Wire::HtmlFile, outgoing);
    let stream = TcpStream::connect(addr).await.expect("connect");
    let mut reader = BufReader::new(stream);
    let request = format!("GET /socket.io/1/htmlfile/{sid}?t=1 HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    reader.get_mut().write_all(request.as_bytes()).await.expect("write");
    let head = read_head(&mut reader).await.to_ascii_lowercase();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(head.contains("content-type: text/html; charset=utf-8"), "{head}");
    let mut first = true;
    loop {
        let mut size_line = String::new();
        if reader.read_line(&mut size_line).await.unwrap_or(0) == 0 {
            return;
        }
        let size = usize::from_str_radix(size_line.trim(), 16).expect("chunk size");
        if size == 0 {
            return;
        }
        let mut chunk = vec![0u8; size + 2];
        reader.read_exact(&mut chunk).await.expect("chunk");
        chunk.truncate(size);
        let chunk = String::from_utf8(chunk).expect("UTF-8 chunk");
        if first {
            assert!(
                chunk.len() >= 256 && chunk.starts_with("<html><body><script>"),
                "prologue: {chunk:?}"
            );
            first = false;
            continue;
        }
        let payload = js_argument(&chunk, "<script>_(", ");</script>");
        for packet in packets(&payload) {
            if !deliver(&incoming, &echo, packet) {
                return;
            }
        }
    }
}
