//! [`RedisStreamsAdapter`]: the requester's side of every operation, the
//! connections, and the namespaces it listens for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use fred::clients::SubscriberClient;
use fred::prelude::{Client, ClientLike, EventInterface, PubsubInterface};
use rmpv::Value as Mp;
use socketio::{
    AckReplies, AckResponse, Adapter, AdapterError, AdapterFuture, BroadcastPacket, ConnectionStateRecovery,
    EncodedArgs, Local, PersistedSession, RestoredSession, SocketData, Target,
};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::adapter::{lock, random_id};
use crate::channels::wire_nsp;
use crate::config::Error;
use crate::count::{self, Numsub};
use crate::inbox;
use crate::message;
use crate::pending::{Requests, Waiting, collect_acks};
use crate::publisher::Publisher;
use crate::requests::Body;
use crate::sharded::messages::{self, kind, map};
use crate::streams::appender::Appender;
use crate::streams::config::StreamsConfig;
use crate::streams::{entry, reader};

/// A [`socketio::Adapter`] that makes this server one of a cluster through
/// a Redis stream, in the wire format of node's
/// `@socket.io/redis-streams-adapter` 0.3: node servers using it are
/// members of the same cluster. What every server must see (broadcasts,
/// remote join / leave / disconnect) is appended to the stream, which each
/// server reads from where it left off, so a server that loses Redis for a
/// while misses nothing still in the stream; requests and their answers
/// (fetch sockets, server-side emit, acknowledged broadcasts) go over
/// pub/sub. The stream also lets a client's session be restored on any
/// server ([`RedisStreamsAdapter::store_session`],
/// [`RedisStreamsAdapter::take_session`]).
///
/// Cheap to clone: keep a clone to await [`RedisStreamsAdapter::ready`]
/// after giving one to [`socketio::SocketIoBuilder::adapter`].
///
/// ```no_run
/// # #[derive(Default)] struct Main;
/// # impl socketio::Handler for Main {}
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use socketio_redis::{RedisStreamsAdapter, StreamsConfig};
///
/// let adapter = RedisStreamsAdapter::new(StreamsConfig::new("redis://127.0.0.1:6379")).await?;
/// let io = socketio::SocketIo::builder(Main::default).adapter(adapter.clone()).build();
/// adapter.ready().await;
/// io.of("").emit("hello", ("every server",))?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStreamsAdapter {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisStreamsAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStreamsAdapter")
            .field("uid", &self.inner.uid)
            .field("stream_name", &self.inner.config.stream_name)
            .finish_non_exhaustive()
    }
}

/// What the adapter's clones, its tasks and its requests share.
pub(crate) struct Inner {
    pub(crate) config: StreamsConfig,
    /// This server's id on the wire; its messages carry it, and its answer
    /// channels are named by it.
    pub(crate) uid: String,
    pub(crate) appender: Appender,
    pub(crate) publisher: Publisher,
    pub(crate) client: Client,
    subscriber: SubscriberClient,
    readers: Vec<Client>,
    /// Set by [`Adapter::init`]; messages before it have no sockets to reach.
    pub(crate) local: OnceLock<Local>,
    /// The server's connection state recovery settings (set with `local`):
    /// when on, the stream keeps recoverable broadcasts and Redis the
    /// sessions, instead of the server's memory.
    pub(crate) recovery: OnceLock<Option<ConnectionStateRecovery>>,
    /// Namespaces (node's names) listened for, each with whether its
    /// channels are subscribed.
    namespaces: Mutex<HashMap<String, watch::Receiver<bool>>>,
    pub(crate) requests: Arc<Requests>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// The clients' connection tasks; they end when the clients quit.
    _connections: Vec<fred::types::ConnectHandle>,
}

impl RedisStreamsAdapter {
    /// Connects to Redis (one connection appends and asks, one subscribes,
    /// one per stream reads), notes where the stream ends, and subscribes
    /// to the main namespace's channels; fails when Redis cannot be reached
    /// now. After that, lost connections come back by themselves and
    /// reading resumes where it stopped.
    pub async fn new(config: StreamsConfig) -> Result<Self, Error> {
        let mut builder = config.client_builder()?;
        let receive_queue = config.receive_queue.max(1);
        builder.with_performance_config(|performance| performance.broadcast_channel_capacity = receive_queue);
        let client = builder.build()?;
        let subscriber = builder.build_subscriber_client()?;
        let mut connections = vec![client.init().await?, subscriber.init().await?];
        let streams = config.streams();
        let mut readers = Vec::with_capacity(streams.len());
        let mut offsets = Vec::with_capacity(streams.len());
        for stream in &streams {
            let reader = builder.build()?;
            connections.push(reader.init().await?);
            offsets.push(reader::last_id(&reader, stream).await?);
            readers.push(reader);
        }
        let resubscribe = subscriber.manage_subscriptions();
        let messages = subscriber.message_rx();
        let (publisher, publishing) =
            Publisher::start(client.clone(), config.publish_queue, config.requests_timeout, false);
        let (appender, appending) = Appender::start(
            client.clone(),
            config.publish_queue,
            config.max_len,
            config.requests_timeout,
        );
        let inner = Arc::new(Inner {
            uid: format!("{}{}", random_id(), random_id()),
            config,
            appender,
            publisher,
            client,
            subscriber,
            readers: readers.clone(),
            local: OnceLock::new(),
            recovery: OnceLock::new(),
            namespaces: Mutex::new(HashMap::new()),
            requests: Arc::new(Requests::default()),
            tasks: Mutex::new(vec![resubscribe, publishing, appending]),
            _connections: connections,
        });
        let mut tasks = vec![tokio::spawn(inbox::receive(Arc::downgrade(&inner), messages))];
        for ((reader, stream), offset) in readers.into_iter().zip(streams).zip(offsets) {
            tasks.push(tokio::spawn(reader::run(
                Arc::downgrade(&inner),
                reader,
                stream,
                offset,
                inner.config.read_count.max(1),
                inner.config.block_time,
                inner.config.requests_timeout,
            )));
        }
        lock(&inner.tasks).extend(tasks);
        // The main namespace always exists, and `server_count` counts the
        // subscribers of its public channel.
        inner.subscribe("");
        let adapter = Self { inner };
        adapter.ready().await;
        Ok(adapter)
    }

    /// Resolves once the request channels of every namespace known so far
    /// are subscribed (as Redis confirms): await it after building the
    /// server and before saying it listens, so no request from another
    /// server is missed. (The stream needs no waiting: it is read from
    /// where it ended when the adapter was made.) While Redis is
    /// unreachable it waits; bound it with `tokio::time::timeout` if that
    /// matters.
    pub async fn ready(&self) {
        let waiting: Vec<_> = lock(&self.inner.namespaces).values().cloned().collect();
        for mut done in waiting {
            // An error: the adapter is gone, nothing to wait for.
            let _ = done.wait_for(|done| *done).await;
        }
    }

    /// This server's uid on the wire (12 alphanumerics).
    pub fn uid(&self) -> &str {
        &self.inner.uid
    }
}

impl Inner {
    /// Subscribes to a namespace's public channel and this server's answer
    /// channel (once), in the background.
    fn subscribe(&self, endpoint: &str) {
        let nsp = wire_nsp(endpoint).to_owned();
        let mut namespaces = lock(&self.namespaces);
        if namespaces.contains_key(&nsp) {
            return;
        }
        let (done, waiting) = watch::channel(false);
        namespaces.insert(nsp.clone(), waiting);
        drop(namespaces);
        let (subscriber, client) = (self.subscriber.clone(), self.client.clone());
        let own = self.config.private_channel(&nsp, &self.uid);
        let channels = vec![self.config.public_channel(&nsp), own.clone()];
        let timeout = self.config.requests_timeout;
        let task = tokio::spawn(async move {
            loop {
                let subscribed = async {
                    let failed = |e: fred::error::Error| AdapterError::Unavailable(e.to_string());
                    subscriber.subscribe(channels.clone()).await.map_err(failed)?;
                    // A SUBSCRIBE resolves once written; this server's own
                    // channel counts a subscriber once Redis applied it.
                    loop {
                        let deadline = Instant::now() + timeout;
                        match count::subscribers(&client, &own, Numsub::Classic, deadline, timeout).await {
                            Ok(n) if n >= 1 => break,
                            Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                            Err(error) => return Err(error),
                        }
                    }
                    Ok::<(), AdapterError>(())
                };
                match subscribed.await {
                    Ok(()) => {
                        let _ = done.send(true);
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(%nsp, %error, "subscribing to Redis failed; retrying in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        lock(&self.tasks).push(task);
    }

    /// Whether this server serves namespace `nsp` (node's name).
    pub(crate) fn serves(&self, nsp: &str) -> bool {
        lock(&self.namespaces).contains_key(nsp)
    }

    /// Appends a message every server must see to namespace `nsp`'s stream.
    fn append(&self, kind: u8, nsp: &str, data: &Mp) -> bool {
        let fields = entry::fields(kind, &self.uid, nsp, Some(data));
        self.appender.append(self.config.stream_of(nsp), fields)
    }

    /// Whether connection state recovery is on (then the stream's entry ids
    /// are the offsets clients keep).
    pub(crate) fn recovers(&self) -> bool {
        self.recovery.get().is_some_and(Option::is_some)
    }

    /// Publishes a request to every server of namespace `nsp` (msgpack, as
    /// node's streams adapter reads its channels).
    fn request(&self, kind: u8, nsp: &str, data: Mp) -> bool {
        let payload = encode_msgpack(kind, &self.uid, nsp, Some(data));
        self.publisher.publish(self.config.public_channel(nsp), payload)
    }

    /// The subscribers of namespace `nsp`'s public channel: every server
    /// serving it (node's or ours), this one included.
    async fn count_servers(&self, nsp: &str, deadline: Instant) -> Result<usize, AdapterError> {
        let channel = self.config.public_channel(nsp);
        count::subscribers(
            &self.client,
            &channel,
            Numsub::Classic,
            deadline,
            self.config.requests_timeout,
        )
        .await
    }

    /// How many other servers should answer a request; 0 (and a log) when
    /// Redis cannot tell, so the caller answers with what it has.
    async fn others(&self, nsp: &str, deadline: Instant) -> usize {
        match self.count_servers(nsp, deadline).await {
            Ok(servers) => servers.saturating_sub(1),
            Err(error) => {
                tracing::warn!(%error, "cannot count the other servers: answering with this server's part");
                0
            }
        }
    }
}

/// A message `{type, data, uid, nsp}` in msgpack: what node's streams
/// adapter publishes and reads on its channels.
pub(crate) fn encode_msgpack(kind: u8, uid: &str, nsp: &str, data: Option<Mp>) -> Vec<u8> {
    message::encode(&messages::value(kind, uid, nsp, data))
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (client, subscriber, readers) = (self.client.clone(), self.subscriber.clone(), self.readers.clone());
            runtime.spawn(async move {
                let _ = subscriber.quit().await;
                let _ = client.quit().await;
                for reader in readers {
                    // Blocked in XREAD: quitting would wait for it.
                    reader.force_reconnection().await.ok();
                    let _ = reader.quit().await;
                }
            });
        }
    }
}

/// Node's `opts`: rooms, except, and flags.
fn opts(target: &Target, flags: Vec<(&str, Mp)>) -> Mp {
    message::opts_value(&target.rooms, &target.except, flags)
}

fn unavailable(what: &str) -> AdapterError {
    AdapterError::Unavailable(format!("{what}: the Redis queue is full"))
}

fn done(sent: bool, what: &'static str) -> AdapterFuture<()> {
    Box::pin(async move { if sent { Ok(()) } else { Err(unavailable(what)) } })
}

fn timeout_ms(timeout: Duration) -> Mp {
    Mp::from(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))
}

impl Adapter for RedisStreamsAdapter {
    fn init(&self, local: Local) {
        let _ = self.inner.recovery.set(local.recovery());
        let _ = self.inner.local.set(local);
    }

    fn add_namespace(&self, _local: &Local, namespace: &str) {
        self.inner.subscribe(namespace);
    }

    fn broadcast(&self, local: &Local, packet: &BroadcastPacket, target: &Target) {
        if self.inner.recovers() {
            self.broadcast_recoverable(local, packet, target);
            return;
        }
        // Local delivery never waits for (or depends on) Redis.
        local.broadcast_at(packet, target, None);
        if let Some(data) = self.broadcast_data(packet, target) {
            self.inner.append(kind::BROADCAST, wire_nsp(&target.namespace), &data);
        }
    }

    fn broadcast_with_ack(
        &self,
        local: &Local,
        packet: &BroadcastPacket,
        target: &Target,
        timeout: Duration,
    ) -> AdapterFuture<AckReplies> {
        let deadline = Instant::now() + timeout;
        let (reached, acks) = local.broadcast_with_ack(packet, target, timeout);
        let mut pending: Option<Waiting> = None;
        let nsp = wire_nsp(&target.namespace).to_owned();
        if !target.flags.local {
            match message::packet_data(packet) {
                Ok(data) => {
                    let waiting = self.inner.requests.register();
                    let mut flags = vec![("timeout", timeout_ms(timeout))];
                    if target.flags.volatile {
                        flags.push(("volatile", Mp::Boolean(true)));
                    }
                    let data = map(vec![
                        ("packet", message::packet_value(&nsp, data)),
                        ("requestId", Mp::from(waiting.id.as_str())),
                        ("opts", opts(target, flags)),
                    ]);
                    // Not in the stream: its answers could not reach a
                    // server that reads it later (node's "ephemeral").
                    if self.inner.request(kind::BROADCAST, &nsp, data) {
                        pending = Some(waiting);
                    }
                }
                Err(error) => tracing::warn!(%error, "acknowledged broadcast not sent to other servers"),
            }
        }
        let inner = self.inner.clone();
        Box::pin(async move {
            let servers = match &pending {
                Some(_) => inner.count_servers(&nsp, deadline).await.unwrap_or(1),
                None => 1,
            };
            Ok(collect_acks(reached, acks, pending, servers, deadline).await)
        })
    }

    fn fetch_sockets(&self, local: &Local, target: &Target) -> AdapterFuture<Vec<SocketData>> {
        let mut sockets = local.fetch_sockets(target);
        if target.flags.local {
            return Box::pin(async move { Ok(sockets) });
        }
        let deadline = Instant::now() + self.inner.config.requests_timeout;
        let mut waiting = self.inner.requests.register();
        let nsp = wire_nsp(&target.namespace).to_owned();
        let data = map(vec![
            (
                "opts",
                opts(
                    target,
                    vec![("timeout", timeout_ms(self.inner.config.requests_timeout))],
                ),
            ),
            ("requestId", Mp::from(waiting.id.as_str())),
        ]);
        let sent = self.inner.request(kind::FETCH_SOCKETS, &nsp, data);
        let (inner, namespace) = (self.inner.clone(), target.namespace.clone());
        Box::pin(async move {
            let others = if sent { inner.others(&nsp, deadline).await } else { 0 };
            for body in waiting.gather(others, deadline).await {
                let Body::Sockets(list) = body else { continue };
                for raw in list {
                    match serde_json::from_str::<SocketData>(raw.get()) {
                        Ok(mut socket) => {
                            socket.namespace = namespace.clone();
                            sockets.push(socket);
                        }
                        Err(error) => tracing::debug!(%error, "skipped a socket another server described"),
                    }
                }
            }
            Ok(sockets)
        })
    }

    fn add_sockets(&self, local: &Local, target: &Target, rooms: &[String]) -> AdapterFuture<()> {
        local.add_sockets(target, rooms);
        self.remote_rooms(target, rooms, kind::SOCKETS_JOIN)
    }

    fn del_sockets(&self, local: &Local, target: &Target, rooms: &[String]) -> AdapterFuture<()> {
        local.del_sockets(target, rooms);
        self.remote_rooms(target, rooms, kind::SOCKETS_LEAVE)
    }

    fn disconnect_sockets(&self, local: &Local, target: &Target, close: bool) -> AdapterFuture<()> {
        local.disconnect_sockets(target, close);
        if target.flags.local {
            return Box::pin(async { Ok(()) });
        }
        let nsp = wire_nsp(&target.namespace);
        let data = map(vec![("opts", opts(target, Vec::new())), ("close", Mp::Boolean(close))]);
        done(self.inner.append(kind::DISCONNECT_SOCKETS, nsp, &data), "disconnect")
    }

    fn server_side_emit(&self, _local: &Local, name: &str, args: &EncodedArgs) -> AdapterFuture<Vec<AckResponse>> {
        let deadline = Instant::now() + self.inner.config.requests_timeout;
        let packet = match message::from_json(args.json(), args.attachments()) {
            Ok(Mp::Array(mut items)) => {
                items.insert(0, Mp::from(name));
                Mp::Array(items)
            }
            Ok(_) => return Box::pin(async { Err(AdapterError::Unavailable("arguments are not an array".into())) }),
            Err(error) => return Box::pin(async move { Err(AdapterError::Unavailable(error)) }),
        };
        let mut waiting = self.inner.requests.register();
        let data = map(vec![("requestId", Mp::from(waiting.id.as_str())), ("packet", packet)]);
        // Published now, so dropping the future still sends the event.
        let sent = self.inner.request(kind::SERVER_SIDE_EMIT, "/", data);
        let inner = self.inner.clone();
        Box::pin(async move {
            if !sent {
                return Err(unavailable("server-side emit"));
            }
            let others = inner.others("/", deadline).await;
            let answers = waiting.gather(others, deadline).await;
            Ok(answers
                .into_iter()
                .filter_map(|body| match body {
                    Body::Answer(answer) => Some(answer),
                    _ => None,
                })
                .collect())
        })
    }

    fn server_count(&self) -> AdapterFuture<usize> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let deadline = Instant::now() + inner.config.requests_timeout;
            inner.count_servers("/", deadline).await
        })
    }

    // `all_rooms`: node's cluster adapter has no message for it, so this
    // server's rooms (the default).

    fn persist_session(&self, _local: &Local, session: PersistedSession) {
        let Some(Some(recovery)) = self.inner.recovery.get() else {
            return;
        };
        let (adapter, ttl) = (self.clone(), recovery.max_disconnection_duration);
        // Sent at once: a client that comes back finds it, on any server.
        tokio::spawn(async move {
            if let Err(error) = adapter.store_session(&session, ttl).await {
                tracing::warn!(%error, sid = %session.sid, "session not stored: its client cannot recover");
            }
        });
    }

    fn restore_session(
        &self,
        _local: &Local,
        namespace: &str,
        pid: &str,
        offset: &str,
    ) -> AdapterFuture<Option<RestoredSession>> {
        let adapter = self.clone();
        let (namespace, pid, offset) = (namespace.to_owned(), pid.to_owned(), offset.to_owned());
        let cap = self
            .inner
            .recovery
            .get()
            .and_then(Option::as_ref)
            .map_or(usize::MAX, |recovery| recovery.max_missed_packets);
        Box::pin(async move {
            let restored = adapter.take_session(&namespace, &pid, &offset).await?;
            // Over the cap: a new socket, as with the server's own store.
            Ok(restored.filter(|restored| restored.missed.len() <= cap))
        })
    }
}

impl RedisStreamsAdapter {
    /// Node's `{packet, opts}` of a broadcast for the other servers; `None`
    /// when it stays here (`local`) or cannot be put in msgpack (logged).
    fn broadcast_data(&self, packet: &BroadcastPacket, target: &Target) -> Option<Mp> {
        if target.flags.local {
            return None;
        }
        let data = match message::packet_data(packet) {
            Ok(data) => data,
            Err(error) => {
                tracing::warn!(%error, "broadcast not sent to other servers");
                return None;
            }
        };
        let nsp = wire_nsp(&target.namespace);
        let flags = if target.flags.volatile {
            vec![("volatile", Mp::Boolean(true))]
        } else {
            Vec::new()
        };
        Some(map(vec![
            ("packet", message::packet_value(nsp, data)),
            ("opts", opts(target, flags)),
        ]))
    }

    /// A broadcast with connection state recovery on, as node's cluster
    /// adapter makes it: in the stream first, then delivered here with its
    /// entry id as its offset (when it is recoverable: an event, neither
    /// volatile nor local). Every broadcast waits its turn, so what this
    /// server sends keeps its order.
    fn broadcast_recoverable(&self, local: &Local, packet: &BroadcastPacket, target: &Target) {
        let recoverable = matches!(packet, BroadcastPacket::Event { .. }) && !target.flags.volatile;
        let (local, packet, target) = (local.clone(), packet.clone(), target.clone());
        let data = self.broadcast_data(&packet, &target);
        let Some(data) = data else {
            self.inner.appender.in_turn(Box::new(move |_| {
                local.broadcast_at(&packet, &target, None);
            }));
            return;
        };
        let nsp = wire_nsp(&target.namespace);
        let fields = entry::fields(kind::BROADCAST, &self.inner.uid, nsp, Some(&data));
        let stream = self.inner.config.stream_of(nsp);
        self.inner.appender.append_then(
            stream,
            fields,
            Box::new(move |id| {
                let offset = id.as_deref().filter(|_| recoverable);
                local.broadcast_at(&packet, &target, offset);
            }),
        );
    }

    /// Tells the other servers (through the stream) to make their sockets
    /// `target` picks join (or leave) `rooms`; ours already did.
    fn remote_rooms(&self, target: &Target, rooms: &[String], kind: u8) -> AdapterFuture<()> {
        if target.flags.local {
            return Box::pin(async { Ok(()) });
        }
        let nsp = wire_nsp(&target.namespace);
        let data = map(vec![
            ("opts", opts(target, Vec::new())),
            ("rooms", Mp::Array(rooms.iter().map(|r| Mp::from(r.as_str())).collect())),
        ]);
        done(self.inner.append(kind, nsp, &data), "sockets join/leave")
    }
}
