//! The adapter seam: every broadcast and every room membership change goes
//! through one [`Adapter`], so that a cluster of servers can share them.
//! The default, [`InMemoryAdapter`], is one server on its own: it does
//! exactly what [`Local`] does.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::codec::legacy::RawJson;
use crate::core::rooms::Selector;
use crate::core::{AckResponse, CloseReason, Connection, Encoded, EncodedArgs, Hub, Outgoing};

/// What an adapter operation answers, later: it may wait for other servers.
pub type AdapterFuture<T> = Pin<Box<dyn Future<Output = Result<T, AdapterError>> + Send>>;

/// The client answers of an acknowledged broadcast, as they come.
pub type AckStream = Pin<Box<dyn futures_util::Stream<Item = AckResponse> + Send>>;

/// Why an operation that involves other servers failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdapterError {
    /// The other servers did not all answer in time.
    #[error("the other servers did not answer within {0:?}")]
    Timeout(Duration),
    /// The cluster cannot be reached (its broker is down, say).
    #[error("the cluster is unreachable: {0}")]
    Unavailable(String),
}

/// Which sockets an operation reaches: those of `namespace` in any of
/// `rooms` (all of them when empty), less those in any of `except` (a
/// socket id there leaves out that socket).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Target {
    /// The namespace; `""` is the main one (`/`).
    pub namespace: String,
    /// Rooms to reach; empty: every socket of the namespace.
    pub rooms: Vec<String>,
    /// Rooms (or socket ids) to leave out.
    pub except: Vec<String>,
    /// How to deliver.
    pub flags: Flags,
}

impl Target {
    /// Every socket of `namespace` (`""` is the main one).
    pub fn namespace(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            ..Self::default()
        }
    }

    fn selector(&self) -> Selector<'_> {
        Selector {
            rooms: &self.rooms,
            except: &self.except,
        }
    }
}

/// How a broadcast is delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Flags {
    /// This server's sockets only, even in a cluster.
    pub local: bool,
    /// Dropped for a socket whose transport cannot take it right now,
    /// instead of queued.
    pub volatile: bool,
}

/// What a broadcast sends, before each protocol family encodes it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum BroadcastPacket {
    /// An event with its arguments.
    Event {
        /// The event name.
        name: String,
        /// The arguments, serialized once.
        args: EncodedArgs,
    },
    /// A text message (legacy packet 3; a `message` event for modern clients).
    Message(String),
    /// A JSON message (legacy packet 4; a `message` event for modern clients).
    Json(RawJson),
}

impl BroadcastPacket {
    fn outgoing(&self, ack: Option<u64>) -> Outgoing<'_> {
        match self {
            BroadcastPacket::Event { name, args } => Outgoing::Event { ack, name, args },
            BroadcastPacket::Message(text) => Outgoing::Message(text),
            BroadcastPacket::Json(json) => Outgoing::Json(json),
        }
    }
}

/// One socket as an operation across servers reports it; serialized as
/// node's servers send it (`id`, `handshake`, `rooms`, `data`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct SocketData {
    /// Its id.
    pub id: String,
    /// Its namespace; `""` is the main one. Not on the wire: a request is
    /// about one namespace.
    #[serde(skip)]
    pub namespace: String,
    /// The rooms it is in, sorted (its own id among them).
    #[serde(default)]
    pub rooms: Vec<String>,
    /// How it connected.
    #[serde(default)]
    pub handshake: Handshake,
    /// What its handler attached (`Ctx::set_data`; node's `socket.data`),
    /// `{}` when nothing.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// How a socket connected, as node's `socket.handshake` has it.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Handshake {
    /// The request headers (lower-case names).
    #[serde(default)]
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// When, as an HTTP date.
    #[serde(default)]
    pub time: String,
    /// The client's address.
    #[serde(default)]
    pub address: String,
    /// Whether the request named an origin (a cross-domain page).
    #[serde(default)]
    pub xdomain: bool,
    /// Whether it came over TLS (as far as this server can tell).
    #[serde(default)]
    pub secure: bool,
    /// When, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub issued: u64,
    /// The request's URL (empty: this server does not keep it).
    #[serde(default)]
    pub url: String,
    /// The query parameters (the handshake's and the namespace's).
    #[serde(default)]
    pub query: serde_json::Map<String, serde_json::Value>,
    /// The auth payload of a modern client's CONNECT (`{}` if none).
    #[serde(default)]
    pub auth: serde_json::Value,
}

/// The client answers of an acknowledged broadcast.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AckReplies {
    /// The answers that came in time, in the order they came.
    pub replies: Vec<AckResponse>,
    /// How many sockets the broadcast reached (each could answer once).
    pub expected: usize,
}

impl AckReplies {
    /// Whether every socket reached answered in time.
    pub fn is_complete(&self) -> bool {
        self.replies.len() == self.expected
    }
}

/// Carries broadcasts, room membership and requests between the servers
/// of a cluster. Each method has the behaviour of one server on its own as
/// its default, through [`Local`]: an adapter for a cluster does that and
/// also tells the other servers (which apply it with their own `Local`).
///
/// The names follow node's `socket.io-adapter`: `broadcast`,
/// `broadcastWithAck`, `addAll`/`del`/`delAll`, `fetchSockets`,
/// `addSockets`/`delSockets`, `disconnectSockets`, `serverSideEmit`,
/// `serverCount`, `allRooms`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a socketio adapter",
    note = "implement `socketio::Adapter` (every method has a single-server default)"
)]
pub trait Adapter: Send + Sync + 'static {
    /// Called once, when the server is built, with its local side; an
    /// adapter for a cluster starts listening to the others here.
    fn init(&self, local: Local) {
        let _ = local;
    }

    /// This server serves `namespace` (called at build for the static
    /// ones, at the first socket for the others); a cluster adapter
    /// subscribes to its channels here.
    fn add_namespace(&self, local: &Local, namespace: &str) {
        let _ = (local, namespace);
    }

    /// Sends `packet` to every socket `target` picks. Returns at once;
    /// what one server sends reaches each socket in the order sent.
    fn broadcast(&self, local: &Local, packet: &BroadcastPacket, target: &Target) {
        local.broadcast(packet, target);
    }

    /// [`Adapter::broadcast`], each socket asked for an acknowledgement;
    /// resolves once all answered or `timeout` passed.
    fn broadcast_with_ack(
        &self,
        local: &Local,
        packet: &BroadcastPacket,
        target: &Target,
        timeout: Duration,
    ) -> AdapterFuture<AckReplies> {
        let (expected, answers) = local.broadcast_with_ack(packet, target, timeout);
        Box::pin(async move {
            let replies = futures_util::StreamExt::collect(answers).await;
            Ok(AckReplies { replies, expected })
        })
    }

    /// A socket of this server entered `namespace`, and with it the room
    /// named by its own id (which [`Local`] keeps without a join). The
    /// rooms themselves are already in place; an adapter that listens per
    /// room starts listening for this one here.
    fn add_socket(&self, local: &Local, namespace: &str, sid: &Arc<str>) {
        let _ = (local, namespace, sid);
    }

    /// A socket of this server joined `rooms`.
    fn add_all(&self, local: &Local, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
        local.join(namespace, sid, rooms);
    }

    /// A socket of this server left `rooms`.
    fn del(&self, local: &Local, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
        local.leave(namespace, sid, rooms);
    }

    /// A socket of this server left its namespace (and every room in it).
    fn del_all(&self, local: &Local, namespace: &str, sid: &Arc<str>) {
        local.remove(namespace, sid);
    }

    /// The sockets `target` picks, on every server.
    fn fetch_sockets(&self, local: &Local, target: &Target) -> AdapterFuture<Vec<SocketData>> {
        let sockets = local.fetch_sockets(target);
        Box::pin(async move { Ok(sockets) })
    }

    /// Makes the sockets `target` picks, on every server, join `rooms`.
    fn add_sockets(&self, local: &Local, target: &Target, rooms: &[String]) -> AdapterFuture<()> {
        local.add_sockets(target, rooms);
        Box::pin(async { Ok(()) })
    }

    /// Makes the sockets `target` picks, on every server, leave `rooms`.
    fn del_sockets(&self, local: &Local, target: &Target, rooms: &[String]) -> AdapterFuture<()> {
        local.del_sockets(target, rooms);
        Box::pin(async { Ok(()) })
    }

    /// Disconnects the sockets `target` picks, on every server; `close`
    /// ends their whole session, not only that namespace.
    fn disconnect_sockets(&self, local: &Local, target: &Target, close: bool) -> AdapterFuture<()> {
        local.disconnect_sockets(target, close);
        Box::pin(async { Ok(()) })
    }

    /// Sends an event to the other servers (not to clients); resolves to
    /// their answers. One server on its own has nobody to tell.
    fn server_side_emit(&self, local: &Local, name: &str, args: &EncodedArgs) -> AdapterFuture<Vec<AckResponse>> {
        let _ = (local, name, args);
        Box::pin(async { Ok(Vec::new()) })
    }

    /// How many servers the cluster has, this one included.
    fn server_count(&self) -> AdapterFuture<usize> {
        Box::pin(async { Ok(1) })
    }

    /// Every room of `namespace` with a member, on every server, sorted.
    fn all_rooms(&self, local: &Local, namespace: &str) -> AdapterFuture<Vec<String>> {
        let rooms = local.all_rooms(namespace);
        Box::pin(async move { Ok(rooms) })
    }
}

/// One server on its own: every operation is [`Local`]'s. The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct InMemoryAdapter;

impl Adapter for InMemoryAdapter {}

/// The sockets of this server, as an [`Adapter`] applies operations to
/// them (its own, and those other servers send). Cheap to clone.
#[derive(Clone)]
pub struct Local {
    hub: Weak<Hub>,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local").finish_non_exhaustive()
    }
}

impl Local {
    pub(crate) fn new(hub: Weak<Hub>) -> Self {
        Self { hub }
    }

    fn select(&self, target: &Target) -> Vec<Arc<Connection>> {
        match self.hub.upgrade() {
            Some(hub) => hub.rooms.select(&target.namespace, target.selector()),
            None => Vec::new(),
        }
    }

    /// Sends `packet` to this server's sockets that `target` picks, encoded
    /// once per protocol revision. Returns how many it reached.
    pub fn broadcast(&self, packet: &BroadcastPacket, target: &Target) -> usize {
        let connections = self.select(target);
        let outgoing = packet.outgoing(None);
        let mut encoded = EncodeOnce::default();
        let mut reached = 0;
        for connection in &connections {
            if target.flags.volatile && !connection.session().is_writable() {
                continue;
            }
            if let Some(frames) = encoded.get(connection, &outgoing) {
                connection.push(frames.clone());
                reached += 1;
            }
        }
        reached
    }

    /// [`Local::broadcast`], each socket asked for an acknowledgement:
    /// how many sockets it reached (each may answer once), and their
    /// answers as they come, until all came or `timeout` passed. A server
    /// answering another's request reports the count at once, then each
    /// answer.
    pub fn broadcast_with_ack(
        &self,
        packet: &BroadcastPacket,
        target: &Target,
        timeout: Duration,
    ) -> (usize, AckStream) {
        let mut waiting = Vec::new();
        for connection in self.select(target) {
            if target.flags.volatile && !connection.session().is_writable() {
                continue;
            }
            // Ack ids differ per connection, so each is encoded on its own.
            let Ok((id, answer)) = connection.register_ack() else {
                continue;
            };
            connection.send(packet.outgoing(Some(id)));
            waiting.push((connection, id, answer));
        }
        let expected = waiting.len();
        let deadline = tokio::time::Instant::now() + timeout;
        let answers: futures_util::stream::FuturesUnordered<_> = waiting
            .into_iter()
            .map(|(connection, id, answer)| async move {
                let answer = tokio::time::timeout_at(deadline, answer).await;
                if answer.is_err() {
                    connection.cancel_ack(id);
                }
                answer.ok().and_then(Result::ok)
            })
            .collect();
        let stream = futures_util::StreamExt::filter_map(answers, std::future::ready);
        (expected, Box::pin(stream))
    }

    /// Adds a socket of this server to `rooms` (nothing if it already left).
    pub fn join(&self, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
        if let Some(hub) = self.hub.upgrade() {
            let monitor = hub.monitor();
            hub.rooms.join(namespace, sid, rooms, |room| {
                if let Some(monitor) = monitor {
                    monitor.room_joined(namespace, room, sid);
                }
            });
        }
    }

    /// Removes a socket of this server from `rooms`.
    pub fn leave(&self, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
        if let Some(hub) = self.hub.upgrade() {
            let monitor = hub.monitor();
            hub.rooms.leave(namespace, sid, rooms, |room| {
                if let Some(monitor) = monitor {
                    monitor.room_left(namespace, room, sid);
                }
            });
        }
    }

    /// Removes a socket of this server from its namespace and its rooms.
    pub fn remove(&self, namespace: &str, sid: &Arc<str>) {
        if let Some(hub) = self.hub.upgrade() {
            let left = hub.rooms.remove_member(namespace, sid);
            if let Some(monitor) = hub.monitor() {
                for room in &left {
                    monitor.room_left(namespace, room, sid);
                }
            }
        }
    }

    /// This server's sockets that `target` picks.
    pub fn fetch_sockets(&self, target: &Target) -> Vec<SocketData> {
        let Some(hub) = self.hub.upgrade() else {
            return Vec::new();
        };
        self.select(target)
            .into_iter()
            .map(|connection| SocketData {
                id: connection.sid().to_string(),
                namespace: target.namespace.clone(),
                rooms: hub.rooms.rooms_of(&target.namespace, connection.sid()),
                handshake: connection.info().handshake(),
                data: Self::data_of(&hub, &connection),
            })
            .collect()
    }

    /// What a fetch reports as a socket's `data`: its handler's, and with
    /// an admin UI watching, `_admin` (its client id and transport) as
    /// node's admin UI puts it there, for any server's UI to read.
    fn data_of(hub: &Hub, connection: &Connection) -> serde_json::Value {
        let mut data = connection
            .data()
            .and_then(|data| serde_json::from_str(data.get()).ok())
            .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
        if hub.monitor().is_some()
            && let serde_json::Value::Object(map) = &mut data
        {
            let session = connection.session().sid();
            let client_id: String = session.chars().take(12).collect();
            map.insert(
                "_admin".to_owned(),
                serde_json::json!({ "clientId": client_id, "transport": connection.transport() }),
            );
        }
        data
    }

    /// Makes this server's sockets that `target` picks join `rooms`.
    pub fn add_sockets(&self, target: &Target, rooms: &[String]) {
        for connection in self.select(target) {
            self.join(&target.namespace, connection.sid(), rooms);
        }
    }

    /// Makes this server's sockets that `target` picks leave `rooms`.
    pub fn del_sockets(&self, target: &Target, rooms: &[String]) {
        for connection in self.select(target) {
            self.leave(&target.namespace, connection.sid(), rooms);
        }
    }

    /// Disconnects this server's sockets that `target` picks; `close` ends
    /// their whole session.
    pub fn disconnect_sockets(&self, target: &Target, close: bool) {
        for connection in self.select(target) {
            if close {
                connection.session().close(CloseReason::ServerClose);
            } else {
                connection.close();
            }
        }
    }

    /// Runs this server's handler of the server-side event `name` on
    /// `namespace` (see `SocketIoBuilder::on_server_event`); resolves to
    /// its answer. `None` when this server has no handler for it.
    pub fn server_side_event(
        &self,
        namespace: &str,
        name: &str,
        args: Vec<RawJson>,
    ) -> Option<impl Future<Output = Option<EncodedArgs>> + Send + 'static> {
        let handler = self.hub.upgrade()?.server_event(namespace, name)?;
        Some(handler(args))
    }

    /// This server's rooms of `namespace` with a member, sorted.
    pub fn all_rooms(&self, namespace: &str) -> Vec<String> {
        match self.hub.upgrade() {
            Some(hub) => hub.rooms.all_rooms(namespace),
            None => Vec::new(),
        }
    }
}

/// A broadcast's packet, encoded at most once per protocol revision.
#[derive(Default)]
struct EncodeOnce(Vec<(crate::Protocol, Option<Encoded>)>);

impl EncodeOnce {
    fn get(&mut self, connection: &Connection, outgoing: &Outgoing<'_>) -> Option<&Encoded> {
        let protocol = connection.protocol();
        let index = match self.0.iter().position(|(p, _)| *p == protocol) {
            Some(index) => index,
            None => {
                let encoded = connection.session().encode(outgoing, connection.endpoint());
                self.0.push((protocol, encoded));
                self.0.len() - 1
            }
        };
        self.0[index].1.as_ref()
    }
}
