//! [`RedisStreamsAdapter`]: the connections, the namespaces it listens
//! for, how its messages travel (the [`Transport`]; what they say is the
//! cluster core's), and broadcasts with connection state recovery on.

use std::sync::{Arc, Mutex, OnceLock};

use fred::clients::SubscriberClient;
use fred::prelude::{Client, ClientLike, EventInterface};
use rmpv::Value as Mp;
use socketio::{
    Adapter, AdapterError, AdapterFuture, BroadcastPacket, ConnectionStateRecovery, Local, PersistedSession,
    RestoredSession, Target,
};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::adapter::lock;
use crate::channels::wire_nsp;
use crate::cluster::answers::Reply;
use crate::cluster::messages::{self, kind};
use crate::cluster::{Member, Transport, requester};
use crate::config::Error;
use crate::count::{self, Numsub};
use crate::inbox;
use crate::message;
use crate::namespaces::{Namespaces, Subscription};
use crate::publisher::Publisher;
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
            .field("uid", &self.inner.member.uid)
            .field("stream_name", &self.inner.config.stream_name)
            .finish_non_exhaustive()
    }
}

/// What the adapter's clones, its tasks and its requests share.
pub(crate) struct Inner {
    pub(crate) config: StreamsConfig,
    pub(crate) member: Member,
    pub(crate) appender: Appender,
    pub(crate) publisher: Publisher,
    pub(crate) client: Client,
    subscriber: SubscriberClient,
    readers: Vec<Client>,
    /// The server's connection state recovery settings (set with `local`):
    /// when on, the stream keeps recoverable broadcasts and Redis the
    /// sessions, instead of the server's memory.
    pub(crate) recovery: OnceLock<Option<ConnectionStateRecovery>>,
    /// Namespaces (node's names) listened for, each with whether its
    /// channels are subscribed.
    namespaces: Namespaces,
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
            member: Member::new(config.requests_timeout),
            config,
            appender,
            publisher,
            client,
            subscriber,
            readers: readers.clone(),
            recovery: OnceLock::new(),
            namespaces: Namespaces::default(),
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
        self.inner.namespaces.ready().await;
    }

    /// This server's uid on the wire (12 alphanumerics).
    pub fn uid(&self) -> &str {
        &self.inner.member.uid
    }
}

impl Inner {
    /// Subscribes to a namespace's public channel and this server's answer
    /// channel (once), in the background.
    fn subscribe(&self, endpoint: &str) {
        let nsp = wire_nsp(endpoint);
        let subscription = || Subscription {
            pattern: None,
            channels: vec![
                self.config.public_channel(nsp),
                self.config.private_channel(nsp, &self.member.uid),
            ],
            own: self.config.private_channel(nsp, &self.member.uid),
        };
        let timeout = self.config.requests_timeout;
        if let Some(task) = self
            .namespaces
            .subscribe(nsp, subscription, &self.subscriber, &self.client, timeout)
        {
            lock(&self.tasks).push(task);
        }
    }

    /// Whether connection state recovery is on (then the stream's entry ids
    /// are the offsets clients keep).
    pub(crate) fn recovers(&self) -> bool {
        self.recovery.get().is_some_and(Option::is_some)
    }
}

/// What every server must apply goes in the stream (`XADD`); requests go
/// over pub/sub in msgpack, as node's streams adapter reads its channels,
/// answers on the requester's private channel.
impl Transport for Inner {
    const QUEUE_FULL: &'static str = "the Redis queue is full";

    fn member(&self) -> &Member {
        &self.member
    }

    fn publish_to_all(&self, kind: u8, nsp: &str, _rooms: &[String], data: Mp) -> bool {
        let fields = entry::fields(kind, &self.member.uid, nsp, Some(&data));
        self.appender.append(self.config.stream_of(nsp), fields)
    }

    /// Not in the stream: its answers could not reach a server that reads
    /// it later (node's "ephemeral").
    fn publish_request(&self, kind: u8, nsp: &str, data: Mp) -> bool {
        let payload = encode_msgpack(kind, &self.member.uid, nsp, Some(data));
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

    /// Answers to `requester` go to its private channel, in msgpack.
    fn reply(&self, requester: &str, nsp: &str) -> Reply {
        Reply {
            publisher: self.publisher.clone(),
            channel: self.config.private_channel(nsp, requester),
            uid: self.member.uid.clone(),
            nsp: nsp.to_owned(),
            encode: encode_msgpack,
        }
    }

    fn accepts(&self, nsp: &str, _channel: Option<&str>) -> bool {
        self.namespaces.contains(nsp)
    }

    /// A stream entry's id is its broadcast's offset, the last argument of
    /// a recoverable event when connection state recovery is on (as node's
    /// adapter adds it). Kept in the stream, not here.
    fn deliver(&self, local: &Local, packet: &BroadcastPacket, target: &Target, entry_id: Option<&str>) {
        let recoverable = matches!(packet, BroadcastPacket::Event { .. }) && !target.flags.volatile && self.recovers();
        local.broadcast_at(packet, target, entry_id.filter(|_| recoverable));
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

impl Adapter for RedisStreamsAdapter {
    fn init(&self, local: Local) {
        let _ = self.inner.recovery.set(local.recovery());
        let _ = self.inner.member.local.set(local);
    }

    fn add_namespace(&self, _local: &Local, namespace: &str) {
        self.inner.subscribe(namespace);
    }

    fn broadcast(&self, local: &Local, packet: &BroadcastPacket, target: &Target) {
        if self.inner.recovers() {
            self.broadcast_recoverable(local, packet, target);
        } else {
            requester::broadcast(&*self.inner, local, packet, target);
        }
    }

    requester::cluster_hooks!();

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
    /// A broadcast with connection state recovery on, as node's cluster
    /// adapter makes it: in the stream first, then delivered here with its
    /// entry id as its offset (when it is recoverable: an event, neither
    /// volatile nor local). Every broadcast waits its turn, so what this
    /// server sends keeps its order.
    fn broadcast_recoverable(&self, local: &Local, packet: &BroadcastPacket, target: &Target) {
        let recoverable = matches!(packet, BroadcastPacket::Event { .. }) && !target.flags.volatile;
        let (local, packet, target) = (local.clone(), packet.clone(), target.clone());
        let data = requester::broadcast_data(&packet, &target);
        let Some(data) = data else {
            self.inner.appender.in_turn(Box::new(move |_| {
                local.broadcast_at(&packet, &target, None);
            }));
            return;
        };
        let nsp = wire_nsp(&target.namespace);
        let fields = entry::fields(kind::BROADCAST, &self.inner.member.uid, nsp, Some(&data));
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
}
