//! [`RedisEmitter`]: the cluster's sockets reached from a process that is
//! not a server, as node's `@socket.io/redis-emitter` 5 does.

use std::sync::Arc;

use fred::prelude::{Client, ClientLike, PubsubInterface};
use rmpv::Value as Mp;
use serde::Serialize;
use serde_json::value::RawValue;
use socketio::{EmitArgs, EncodedArgs};

use crate::channels::Channels;
use crate::config::{Error, RedisConfig};
use crate::message;
use crate::requests::kind;

/// The uid node's emitter writes in every message; servers never take it
/// for their own, so every server handles what an emitter sends.
const UID: &str = "emitter";

/// Event names a client reserves; node's emitter refuses them too.
const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Sends to the sockets of a cluster of servers that use a
/// [`crate::RedisAdapter`] (or node's `@socket.io/redis-adapter` with
/// `createAdapter`) from any process, a server or not: a worker, a CLI, a
/// web backend. It writes exactly what node's `@socket.io/redis-emitter` 5
/// writes (uid `"emitter"`, plain `PUBLISH`), so the servers cannot tell
/// the two apart.
///
/// An emitter only publishes: it subscribes to nothing and gets no answers,
/// so there are no acknowledgements, and the servers do not count it in
/// [`socketio::SocketIo::server_count`]. Each call resolves once Redis
/// took the message (the servers then get it in the order published).
///
/// [`of`](Self::of), [`to`](Self::to), [`except`](Self::except) and
/// [`volatile`](Self::volatile) return a new emitter and leave this one as
/// it was; clones share one Redis connection, closed when the last is
/// dropped.
///
/// ```no_run
/// # async fn run() -> Result<(), socketio_redis::Error> {
/// use socketio_redis::{RedisConfig, RedisEmitter};
///
/// let emitter = RedisEmitter::new(RedisConfig::new("redis://127.0.0.1:6379")).await?;
/// emitter.emit("news", ("to every socket of the main namespace",)).await?;
/// emitter.of("/chat").to("room1").except("muted").emit("message", ("hi", 1)).await?;
/// emitter.to("room1").sockets_join("room2").await?;
/// emitter.of("/chat").server_side_emit("reload", ()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisEmitter {
    connection: Arc<Connection>,
    /// Node's namespace name, with its leading `/`.
    nsp: String,
    rooms: Vec<String>,
    except: Vec<String>,
    volatile: bool,
}

impl std::fmt::Debug for RedisEmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisEmitter")
            .field("nsp", &self.nsp)
            .field("rooms", &self.rooms)
            .field("except", &self.except)
            .field("volatile", &self.volatile)
            .finish_non_exhaustive()
    }
}

/// The Redis client the clones share.
struct Connection {
    client: Client,
    channels: Channels,
    _connection: fred::types::ConnectHandle,
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.client.clone();
            runtime.spawn(async move {
                let _ = client.quit().await;
            });
        }
    }
}

impl RedisEmitter {
    /// Connects to Redis at [`RedisConfig::url`], for the main namespace
    /// `/`, publishing on the channels of [`RedisConfig::key`] (the servers'
    /// key). Fails when Redis cannot be reached now; after that, a lost
    /// connection is re-established by itself, and a call made while Redis
    /// is away fails after [`RedisConfig::requests_timeout`].
    pub async fn new(config: RedisConfig) -> Result<Self, Error> {
        let client = config.client_builder()?.build()?;
        let handle = client.init().await?;
        Ok(Self {
            connection: Arc::new(Connection {
                client,
                channels: Channels::new(&config.key),
                _connection: handle,
            }),
            nsp: "/".to_owned(),
            rooms: Vec::new(),
            except: Vec::new(),
            volatile: false,
        })
    }

    /// An emitter for the namespace `nsp` (`"/chat"`; `"chat"` gets its
    /// leading slash as in node, and `""` is the main namespace `/`),
    /// without rooms, except rooms or flags.
    pub fn of(&self, nsp: &str) -> Self {
        let nsp = if nsp.starts_with('/') {
            nsp.to_owned()
        } else {
            format!("/{nsp}")
        };
        Self {
            connection: self.connection.clone(),
            nsp,
            rooms: Vec::new(),
            except: Vec::new(),
            volatile: false,
        }
    }

    /// Targets the sockets in `room` too (a socket id is a room): with no
    /// room, every socket of the namespace is targeted.
    pub fn to(&self, room: impl Into<String>) -> Self {
        let mut next = self.clone();
        let room = room.into();
        if !next.rooms.contains(&room) {
            next.rooms.push(room);
        }
        next
    }

    /// Leaves out the sockets in `room`.
    pub fn except(&self, room: impl Into<String>) -> Self {
        let mut next = self.clone();
        let room = room.into();
        if !next.except.contains(&room) {
            next.except.push(room);
        }
        next
    }

    /// Emits are volatile: a socket whose connection cannot take the
    /// packet now misses it (node's `volatile` flag).
    pub fn volatile(&self) -> Self {
        Self {
            volatile: true,
            ..self.clone()
        }
    }

    /// The namespace this emitter targets, node's name (`/`, `/chat`).
    pub fn namespace(&self) -> &str {
        &self.nsp
    }

    /// Emits `name` with `args` (a tuple of `Serialize` values, see
    /// [`socketio::EmitArgs`]; bytes travel as msgpack `bin`, so clients
    /// get binary attachments) to the targeted sockets of every server.
    /// A name clients reserve (`connect`, `disconnect`, …) is refused with
    /// [`Error::ReservedEvent`], as in node.
    pub async fn emit<A: EmitArgs>(&self, name: &str, args: A) -> Result<(), Error> {
        if RESERVED_EVENTS.contains(&name) {
            return Err(Error::ReservedEvent(name.to_owned()));
        }
        let data = event_data(name, &args)?;
        let flags = if self.volatile {
            vec![(Mp::from("volatile"), Mp::Boolean(true))]
        } else {
            Vec::new()
        };
        let strings = |list: &[String]| Mp::Array(list.iter().map(|r| Mp::from(r.as_str())).collect());
        // Node's emitter writes the options in this order.
        let opts = Mp::Map(vec![
            (Mp::from("rooms"), strings(&self.rooms)),
            (Mp::from("flags"), Mp::Map(flags)),
            (Mp::from("except"), strings(&self.except)),
        ]);
        let channel = self.connection.channels.broadcast(&self.nsp, &self.rooms);
        self.publish(channel, message::encode_broadcast(UID, &self.nsp, data, opts))
            .await
    }

    /// Makes the targeted sockets of every server join `room`.
    pub async fn sockets_join(&self, room: impl Into<String>) -> Result<(), Error> {
        self.rooms_request(kind::REMOTE_JOIN, room.into()).await
    }

    /// Makes the targeted sockets of every server leave `room`.
    pub async fn sockets_leave(&self, room: impl Into<String>) -> Result<(), Error> {
        self.rooms_request(kind::REMOTE_LEAVE, room.into()).await
    }

    /// Disconnects the targeted sockets of every server; with `close`, their
    /// whole connection (every namespace) is closed too.
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), Error> {
        let request = Disconnect {
            kind: kind::REMOTE_DISCONNECT,
            opts: self.opts(),
            close,
        };
        self.request(&request).await
    }

    /// Emits `name` with `args` to the servers' own handlers of this
    /// namespace ([`socketio::SocketIoBuilder::on_server_event`]), on every
    /// server. Without answers, as in node's emitter: the servers see no
    /// request id and send none. Rooms and except rooms do not apply; bytes
    /// travel as node's `{"type":"Buffer","data":[..]}` JSON, as node's
    /// emitter sends them.
    pub async fn server_side_emit<A: EmitArgs>(&self, name: &str, args: A) -> Result<(), Error> {
        let data = message::to_plain_json(&Mp::Array(event_data(name, &args)?)).map_err(Error::Encode)?;
        let data = RawValue::from_string(data)?;
        let request = ServerSideEmit {
            uid: UID,
            kind: kind::SERVER_SIDE_EMIT,
            data: &data,
        };
        self.request(&request).await
    }

    async fn rooms_request(&self, kind: u8, room: String) -> Result<(), Error> {
        let request = Rooms {
            kind,
            opts: self.opts(),
            rooms: [room],
        };
        self.request(&request).await
    }

    fn opts(&self) -> Opts<'_> {
        Opts {
            rooms: &self.rooms,
            except: &self.except,
        }
    }

    async fn request<T: Serialize>(&self, request: &T) -> Result<(), Error> {
        let channel = self.connection.channels.request(&self.nsp);
        self.publish(channel, serde_json::to_vec(request)?).await
    }

    async fn publish(&self, channel: String, payload: Vec<u8>) -> Result<(), Error> {
        self.connection.client.publish::<i64, _, _>(channel, payload).await?;
        Ok(())
    }
}

/// `[name, ...args]`, binary as msgpack `bin`.
fn event_data<A: EmitArgs + ?Sized>(name: &str, args: &A) -> Result<Vec<Mp>, Error> {
    let args = EncodedArgs::new(args)?;
    let mut data = vec![Mp::from(name)];
    match message::from_json(args.json(), args.attachments()).map_err(Error::Encode)? {
        Mp::Array(items) => data.extend(items),
        _ => return Err(Error::Encode("arguments are not an array".to_owned())),
    }
    Ok(data)
}

/// `{"rooms":[..],"except":[..]}`.
#[derive(Serialize)]
struct Opts<'a> {
    rooms: &'a [String],
    except: &'a [String],
}

/// `{"type":2|3,"opts":{..},"rooms":[..]}`: no uid, no requestId.
#[derive(Serialize)]
struct Rooms<'a> {
    #[serde(rename = "type")]
    kind: u8,
    opts: Opts<'a>,
    rooms: [String; 1],
}

/// `{"type":4,"opts":{..},"close":false}`.
#[derive(Serialize)]
struct Disconnect<'a> {
    #[serde(rename = "type")]
    kind: u8,
    opts: Opts<'a>,
    close: bool,
}

/// `{"uid":"emitter","type":6,"data":[name,..args]}`.
#[derive(Serialize)]
struct ServerSideEmit<'a> {
    uid: &'a str,
    #[serde(rename = "type")]
    kind: u8,
    data: &'a RawValue,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_node_emitters_json() {
        let (rooms, except) = (vec!["a".to_owned()], vec!["b".to_owned()]);
        let opts = || Opts {
            rooms: &rooms,
            except: &except,
        };
        let join = Rooms {
            kind: kind::REMOTE_JOIN,
            opts: opts(),
            rooms: ["r".to_owned()],
        };
        assert_eq!(
            serde_json::to_string(&join).expect("json"),
            r#"{"type":2,"opts":{"rooms":["a"],"except":["b"]},"rooms":["r"]}"#
        );
        let disconnect = Disconnect {
            kind: kind::REMOTE_DISCONNECT,
            opts: opts(),
            close: false,
        };
        assert_eq!(
            serde_json::to_string(&disconnect).expect("json"),
            r#"{"type":4,"opts":{"rooms":["a"],"except":["b"]},"close":false}"#
        );
        let data = event_data("ev", &(socketio::bytes::Bytes::from_static(b"\x01"), 2)).expect("data");
        assert_eq!(data, [Mp::from("ev"), Mp::Binary(vec![1]), Mp::from(2)]);
        let data = RawValue::from_string(message::to_plain_json(&Mp::Array(data)).expect("json")).expect("raw");
        let emit = ServerSideEmit {
            uid: UID,
            kind: kind::SERVER_SIDE_EMIT,
            data: &data,
        };
        assert_eq!(
            serde_json::to_string(&emit).expect("json"),
            r#"{"uid":"emitter","type":6,"data":["ev",{"type":"Buffer","data":[1]},2]}"#
        );
    }
}
