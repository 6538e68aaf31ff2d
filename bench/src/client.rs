//! The load generator's clients: just enough of each protocol to emit
//! events, read acks and events, and answer heartbeats. Legacy 0.9 over
//! websocket and xhr-polling, Engine.IO 4 / Socket.IO 5 over websocket and
//! polling (and over websocket with `socket.io-msgpack-parser` packets),
//! and a raw websocket for the echo ceiling.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use socketio::codec::socketio::{Packet, msgpack};

use crate::Error;
use crate::http::HttpConn;

/// Which protocol a server is spoken to in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Socket.IO 0.9.
    Legacy,
    /// Engine.IO 4 + Socket.IO 5.
    Modern,
    /// Engine.IO 4 + Socket.IO 5 with `socket.io-msgpack-parser` packets
    /// (websocket only).
    Msgpack,
    /// A bare websocket echo.
    Raw,
}

impl std::str::FromStr for Protocol {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "legacy" => Ok(Protocol::Legacy),
            "modern" => Ok(Protocol::Modern),
            "msgpack" => Ok(Protocol::Msgpack),
            "raw" => Ok(Protocol::Raw),
            other => Err(Error::Usage(format!("unknown protocol {other}"))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    WebSocket,
    Polling,
}

impl std::str::FromStr for Transport {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "websocket" => Ok(Transport::WebSocket),
            "polling" | "xhr-polling" => Ok(Transport::Polling),
            other => Err(Error::Usage(format!("unknown transport {other}"))),
        }
    }
}

/// What the server said, heartbeats already answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// An ack: its id and the JSON array of its arguments.
    Ack(u64, String),
    /// An event: its name and the JSON text of its arguments (legacy: the
    /// array; modern: the array after the name).
    Event(String, String),
}

type Ws = WebSocketStream<TcpStream>;

/// One connected client, either transport.
#[derive(Debug)]
pub enum Client {
    Ws {
        protocol: Protocol,
        socket: Box<Ws>,
    },
    Polling {
        protocol: Protocol,
        out: mpsc::UnboundedSender<String>,
        incoming: mpsc::UnboundedReceiver<String>,
    },
}

async fn ws_connect(addr: &str, path: &str) -> Result<Ws, Error> {
    let stream = crate::source::connect(addr).await?;
    let (socket, _) = tokio_tungstenite::client_async(format!("ws://{addr}{path}"), stream).await?;
    Ok(socket)
}

async fn legacy_handshake(addr: &str) -> Result<String, Error> {
    let mut http = HttpConn::connect(addr).await?;
    let (status, body) = http.get("/socket.io/1/").await?;
    let body = String::from_utf8_lossy(&body).into_owned();
    if status != 200 {
        return Err(Error::Protocol(format!("legacy handshake: {status} {body}")));
    }
    Ok(body.split(':').next().unwrap_or_default().to_owned())
}

impl Client {
    /// Connects and waits until the main namespace is connected.
    pub async fn connect(addr: &str, protocol: Protocol, transport: Transport) -> Result<Client, Error> {
        match (protocol, transport) {
            (Protocol::Raw, _) => Ok(Client::Ws {
                protocol,
                socket: Box::new(ws_connect(addr, "/").await?),
            }),
            (Protocol::Legacy, Transport::WebSocket) => {
                let sid = legacy_handshake(addr).await?;
                let mut client = Client::Ws {
                    protocol,
                    socket: Box::new(ws_connect(addr, &format!("/socket.io/1/websocket/{sid}")).await?),
                };
                client.expect_text("1::").await?;
                Ok(client)
            }
            (Protocol::Modern | Protocol::Msgpack, Transport::WebSocket) => {
                let mut client = Client::Ws {
                    protocol,
                    socket: Box::new(ws_connect(addr, "/socket.io/?EIO=4&transport=websocket").await?),
                };
                client.expect_prefix("0{").await?;
                if protocol == Protocol::Msgpack {
                    let connect = Packet::Connect {
                        namespace: "/".into(),
                        auth: None,
                    };
                    let connect = msgpack::encode(&connect, &[]).map_err(|e| Error::Protocol(e.to_string()))?;
                    client.send_binary(connect).await?;
                    client.flush().await?;
                } else {
                    client.send_now("40".to_owned()).await?;
                }
                client.expect_prefix("40").await?;
                Ok(client)
            }
            (Protocol::Msgpack, Transport::Polling) => {
                Err(Error::Usage("the msgpack client speaks websocket only".into()))
            }
            (Protocol::Legacy, Transport::Polling) => {
                let sid = legacy_handshake(addr).await?;
                let path = format!("/socket.io/1/xhr-polling/{sid}");
                let mut client = polling(addr, protocol, path).await?;
                client.expect_text("1::").await?;
                Ok(client)
            }
            (Protocol::Modern, Transport::Polling) => {
                let mut http = HttpConn::connect(addr).await?;
                let (_, body) = http.get("/socket.io/?EIO=4&transport=polling").await?;
                let body = String::from_utf8_lossy(&body).into_owned();
                let open: serde_json::Value = serde_json::from_str(body.strip_prefix('0').unwrap_or(&body))
                    .map_err(|e| Error::Protocol(format!("modern handshake: {e}: {body}")))?;
                let sid = open["sid"].as_str().unwrap_or_default().to_owned();
                let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
                let mut client = polling(addr, protocol, path).await?;
                client.send_now("40".to_owned()).await?;
                client.expect_prefix("40").await?;
                Ok(client)
            }
        }
    }

    /// Queues one packet's text as the protocol frames it; a websocket
    /// writes it at the next [`Client::flush`], so that a burst costs one
    /// write, as a busy real client's does.
    pub async fn send_raw(&mut self, text: String) -> Result<(), Error> {
        match self {
            Client::Ws { socket, .. } => Ok(socket.feed(Message::Text(text.into())).await?),
            Client::Polling { out, .. } => out.send(text).map_err(|_| Error::Closed),
        }
    }

    /// Queues one binary message (a msgpack packet), as [`Client::send_raw`].
    async fn send_binary(&mut self, data: Vec<u8>) -> Result<(), Error> {
        match self {
            Client::Ws { socket, .. } => Ok(socket.feed(Message::Binary(data.into())).await?),
            Client::Polling { .. } => Err(Error::Usage("binary over polling".into())),
        }
    }

    /// Writes whatever [`Client::send_raw`] queued.
    pub async fn flush(&mut self) -> Result<(), Error> {
        match self {
            Client::Ws { socket, .. } => Ok(socket.flush().await?),
            Client::Polling { .. } => Ok(()),
        }
    }

    /// Sends and writes at once.
    async fn send_now(&mut self, text: String) -> Result<(), Error> {
        self.send_raw(text).await?;
        self.flush().await
    }

    /// The next ack or event: what already arrived first; only when nothing
    /// has, the queued packets are written and the wait begins.
    pub async fn recv_batched(&mut self) -> Result<Incoming, Error> {
        use futures_util::FutureExt;
        if let Some(ready) = self.recv().now_or_never() {
            return ready;
        }
        self.flush().await?;
        self.recv().await
    }

    /// Emits `name` with `args` (a JSON array's inside, no brackets), asking
    /// for ack `id` if given. On a raw websocket, sends `id|args`.
    pub async fn emit(&mut self, name: &str, args: &str, id: Option<u64>) -> Result<(), Error> {
        if self.protocol() == Protocol::Msgpack {
            let packet = msgpack::encode_event("/", id, name, &format!("[{args}]"), &[])
                .map_err(|e| Error::Protocol(e.to_string()))?;
            return self.send_binary(packet).await;
        }
        let text = match (self.protocol(), id) {
            (Protocol::Raw, id) => format!("{}|{args}", id.unwrap_or(0)),
            (Protocol::Legacy, Some(id)) => format!("5:{id}+::{{\"name\":\"{name}\",\"args\":[{args}]}}"),
            (Protocol::Legacy, None) => format!("5:::{{\"name\":\"{name}\",\"args\":[{args}]}}"),
            (Protocol::Modern, Some(id)) => format!("42{id}[\"{name}\",{args}]"),
            (Protocol::Modern, None) => format!("42[\"{name}\",{args}]"),
            (Protocol::Msgpack, _) => unreachable!("written above"),
        };
        self.send_raw(text).await
    }

    fn protocol(&self) -> Protocol {
        match self {
            Client::Ws { protocol, .. } | Client::Polling { protocol, .. } => *protocol,
        }
    }

    /// The next packet text, heartbeats answered. A msgpack packet is
    /// read as the JSON packet it stands for (`43{id}[...]`), so the rest
    /// of the client is the same for both parsers.
    async fn next_text(&mut self) -> Result<String, Error> {
        loop {
            let (protocol, text) = match self {
                Client::Ws { protocol, socket } => match socket.next().await {
                    Some(Ok(Message::Text(text))) => (*protocol, text.as_str().to_owned()),
                    Some(Ok(Message::Binary(data))) if *protocol == Protocol::Msgpack => {
                        let (packet, _) = msgpack::decode(&data).map_err(|e| Error::Protocol(e.to_string()))?;
                        (*protocol, format!("4{}", packet.encode()))
                    }
                    Some(Ok(Message::Close(_))) | None => return Err(Error::Closed),
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => return Err(error.into()),
                },
                Client::Polling { protocol, incoming, .. } => (*protocol, incoming.recv().await.ok_or(Error::Closed)?),
            };
            match (protocol, text.as_str()) {
                (Protocol::Legacy, "2::") => self.send_now("2::".to_owned()).await?,
                (Protocol::Legacy, "8::") => {}
                (Protocol::Modern | Protocol::Msgpack, "2") => self.send_now("3".to_owned()).await?,
                (Protocol::Modern | Protocol::Msgpack, "6") => {}
                _ => return Ok(text),
            }
        }
    }

    async fn expect_text(&mut self, want: &str) -> Result<(), Error> {
        let got = self.next_text().await?;
        if got == want {
            Ok(())
        } else {
            Err(Error::Protocol(format!("expected {want}, got {got}")))
        }
    }

    async fn expect_prefix(&mut self, want: &str) -> Result<(), Error> {
        let got = self.next_text().await?;
        if got.starts_with(want) {
            Ok(())
        } else {
            Err(Error::Protocol(format!("expected {want}…, got {got}")))
        }
    }

    /// The next ack or event.
    pub async fn recv(&mut self) -> Result<Incoming, Error> {
        loop {
            let text = self.next_text().await?;
            if let Some(incoming) = parse(self.protocol(), &text) {
                return Ok(incoming);
            }
        }
    }

    pub async fn close(self) {
        if let Client::Ws { mut socket, .. } = self {
            let _ = (*socket).close(None).await;
        }
    }
}

/// Reads an ack or an event out of a packet; `None` for anything else.
pub fn parse(protocol: Protocol, text: &str) -> Option<Incoming> {
    match protocol {
        Protocol::Raw => {
            let (id, rest) = text.split_once('|')?;
            Some(Incoming::Ack(id.parse().ok()?, format!("[{rest}]")))
        }
        Protocol::Legacy => {
            if let Some(rest) = text.strip_prefix("6:::") {
                let (id, args) = rest.split_once('+')?;
                return Some(Incoming::Ack(id.parse().ok()?, args.to_owned()));
            }
            let body = text.strip_prefix("5:::")?;
            // {"name":"news","args":[...]}: cut without a full parse.
            let rest = body.strip_prefix("{\"name\":\"")?;
            let (name, rest) = rest.split_once('"')?;
            let args = rest.strip_prefix(",\"args\":")?.strip_suffix('}')?;
            Some(Incoming::Event(name.to_owned(), args.to_owned()))
        }
        Protocol::Modern | Protocol::Msgpack => {
            if let Some(rest) = text.strip_prefix("43") {
                let split = rest.find('[')?;
                return Some(Incoming::Ack(rest[..split].parse().ok()?, rest[split..].to_owned()));
            }
            let rest = text.strip_prefix("42[\"")?;
            let (name, rest) = rest.split_once('"')?;
            let args = rest.strip_prefix(',').unwrap_or(rest).strip_suffix(']')?;
            Some(Incoming::Event(name.to_owned(), format!("[{args}]")))
        }
    }
}

/// A polling client: one keep-alive connection holds polls, another posts
/// what is queued, batched into one payload per request, as real clients do.
async fn polling(addr: &str, protocol: Protocol, path: String) -> Result<Client, Error> {
    let (out, mut to_post) = mpsc::unbounded_channel::<String>();
    let (deliver, incoming) = mpsc::unbounded_channel::<String>();
    let mut poller = HttpConn::connect(addr).await?;
    let mut poster = HttpConn::connect(addr).await?;
    let poll_path = path.clone();
    tokio::spawn(async move {
        loop {
            let Ok((200, body)) = poller.get(&poll_path).await else {
                return;
            };
            let Ok(body) = std::str::from_utf8(&body) else { return };
            for packet in split_payload(protocol, body) {
                if deliver.send(packet).is_err() {
                    return;
                }
            }
        }
    });
    tokio::spawn(async move {
        while let Some(first) = to_post.recv().await {
            let mut batch = vec![first];
            while let Ok(more) = to_post.try_recv() {
                batch.push(more);
            }
            let body = match protocol {
                Protocol::Legacy => {
                    let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
                    socketio::codec::legacy::encode_payload(&refs)
                }
                _ => batch.join("\x1e"),
            };
            if !matches!(poster.request("POST", &path, Bytes::from(body)).await, Ok((200, _))) {
                return;
            }
        }
    });
    Ok(Client::Polling {
        protocol,
        out,
        incoming,
    })
}

fn split_payload(protocol: Protocol, body: &str) -> Vec<String> {
    match protocol {
        Protocol::Legacy => socketio::codec::legacy::decode_payload(body, usize::MAX)
            .map(|packets| packets.into_iter().map(str::to_owned).collect())
            .unwrap_or_default(),
        _ => body.split('\x1e').map(str::to_owned).collect(),
    }
}
