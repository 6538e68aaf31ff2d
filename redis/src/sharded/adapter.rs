//! [`ShardedRedisAdapter`]: the requester's side of every operation, the
//! connection, and the rooms it listens to.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use fred::clients::SubscriberClient;
use fred::prelude::{Client, ClientLike, EventInterface};
use rmpv::Value as Mp;
use socketio::{
    AckReplies, AckResponse, Adapter, AdapterError, AdapterFuture, BroadcastPacket, EncodedArgs, Local, SocketData,
    Target,
};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::adapter::{lock, random_id};
use crate::channels::wire_nsp;
use crate::config::{Error, RedisConfig};
use crate::count::{self, Numsub};
use crate::inbox;
use crate::message;
use crate::pending::{Requests, Waiting, collect_acks};
use crate::publisher::Publisher;
use crate::requests::Body;
use crate::sharded::channels::ShardChannels;
use crate::sharded::messages::{self, kind, map};
use crate::sharded::subscriptions::{self, Subscriptions};

/// A [`socketio::Adapter`] that makes this server one of a cluster through
/// Redis 7 sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`), in the wire format of
/// node's `@socket.io/redis-adapter` 8 `createShardedAdapter`: node
/// servers using it are members of the same cluster. Works on a Redis
/// Cluster (`redis-cluster://` URL: each channel lives on one shard) and
/// on a standalone Redis 7.
///
/// Cheap to clone: keep a clone to await [`ShardedRedisAdapter::ready`]
/// after giving one to [`socketio::SocketIoBuilder::adapter`].
///
/// ```no_run
/// # #[derive(Default)] struct Main;
/// # impl socketio::Handler for Main {}
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use socketio_redis::{RedisConfig, ShardedRedisAdapter};
///
/// let config = RedisConfig::new("redis-cluster://127.0.0.1:7000?node=127.0.0.1:7001");
/// let adapter = ShardedRedisAdapter::new(config).await?;
/// let io = socketio::SocketIo::builder(Main::default).adapter(adapter.clone()).build();
/// adapter.ready().await; // every channel wanted so far is subscribed
/// io.to("room1").emit("hello", ("the servers holding room1",))?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ShardedRedisAdapter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ShardedRedisAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardedRedisAdapter")
            .field("uid", &self.inner.uid)
            .field("key", &self.inner.config.key)
            .field("mode", &self.inner.config.subscription_mode)
            .finish_non_exhaustive()
    }
}

/// What the adapter's clones, its tasks and its requests share.
pub(crate) struct Inner {
    pub(crate) config: RedisConfig,
    /// This server's id on the wire; its messages carry it, and its
    /// response channels are named by it.
    pub(crate) uid: String,
    pub(crate) channels: ShardChannels,
    pub(crate) publisher: Publisher,
    client: Client,
    subscriber: SubscriberClient,
    /// Set by [`Adapter::init`]; messages before it have no sockets to reach.
    pub(crate) local: OnceLock<Local>,
    /// Namespaces served (node's names).
    namespaces: Mutex<HashSet<String>>,
    pub(crate) subscriptions: Arc<Subscriptions>,
    pub(crate) requests: Arc<Requests>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// The clients' connection tasks; they end when the clients quit.
    _connections: [fred::types::ConnectHandle; 2],
}

impl ShardedRedisAdapter {
    /// Connects to Redis (two connections per node: one publishes and
    /// asks, one subscribes) and subscribes to the main namespace's
    /// channels; fails when Redis cannot be reached now. After that, a lost
    /// connection is re-established (and every subscription renewed) by
    /// itself.
    pub async fn new(config: RedisConfig) -> Result<Self, Error> {
        let mut builder = config.client_builder()?;
        let receive_queue = config.receive_queue.max(1);
        builder.with_performance_config(|performance| performance.broadcast_channel_capacity = receive_queue);
        let client = builder.build()?;
        let subscriber = builder.build_subscriber_client()?;
        let connections = [client.init().await?, subscriber.init().await?];
        let messages = subscriber.message_rx();
        let reconnections = subscriber.reconnect_rx();
        let (publisher, publishing) =
            Publisher::start(client.clone(), config.publish_queue, config.requests_timeout, true);
        let subscriptions = Arc::new(Subscriptions::new());
        let inner = Arc::new(Inner {
            // Longer than a classic uid: a room of that name would share
            // this server's response channel.
            uid: format!("{}{}", random_id(), random_id()),
            channels: ShardChannels::new(&config.key, config.subscription_mode),
            config,
            publisher,
            client,
            subscriber: subscriber.clone(),
            local: OnceLock::new(),
            namespaces: Mutex::new(HashSet::new()),
            subscriptions: subscriptions.clone(),
            requests: Arc::new(Requests::default()),
            tasks: Mutex::new(vec![publishing]),
            _connections: connections,
        });
        let tasks = [
            tokio::spawn(inbox::receive(Arc::downgrade(&inner), messages)),
            tokio::spawn(subscriptions::run(
                Arc::downgrade(&inner),
                subscriptions.clone(),
                subscriber,
            )),
            tokio::spawn(renew(subscriptions, reconnections)),
        ];
        lock(&inner.tasks).extend(tasks);
        // The main namespace always exists, and `server_count` counts the
        // subscribers of its base channel.
        inner.add_namespace("");
        let adapter = Self { inner };
        adapter.ready().await;
        Ok(adapter)
    }

    /// Resolves once every channel wanted so far (each namespace's, and
    /// each room's this server holds) is subscribed: await it after
    /// building the server and before saying it listens, so no broadcast
    /// from another server is missed. Later ones (a room joined, a
    /// namespace created) are subscribed in the background at once. While
    /// Redis is unreachable it waits (subscriptions are retried every
    /// second); bound it with `tokio::time::timeout` if that matters.
    pub async fn ready(&self) {
        self.inner.subscriptions.settled().await;
    }

    /// This server's uid on the wire (12 alphanumerics).
    pub fn uid(&self) -> &str {
        &self.inner.uid
    }
}

/// After each reconnection (of any node), every channel again: Redis
/// forgets a connection's subscriptions with it.
async fn renew(subscriptions: Arc<Subscriptions>, mut reconnections: broadcast::Receiver<fred::types::config::Server>) {
    loop {
        match reconnections.recv().await {
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => subscriptions.renew_all(),
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

impl Inner {
    fn add_namespace(&self, endpoint: &str) {
        let nsp = wire_nsp(endpoint).to_owned();
        if !lock(&self.namespaces).insert(nsp.clone()) {
            return;
        }
        self.subscriptions.want_fixed(endpoint, self.channels.base(&nsp));
        self.subscriptions
            .want_fixed(endpoint, self.channels.room(&nsp, &self.uid));
    }

    /// Whether this server serves namespace `nsp` (node's name).
    pub(crate) fn serves(&self, nsp: &str) -> bool {
        lock(&self.namespaces).contains(nsp)
    }

    /// Listens on the channels of `rooms` this server now holds (by the
    /// subscription mode's rule).
    pub(crate) fn rooms_joined<'r>(&self, endpoint: &str, rooms: impl IntoIterator<Item = &'r String>) {
        let nsp = wire_nsp(endpoint);
        for room in rooms {
            if self.channels.listens_to_room(room) {
                self.subscriptions
                    .want_room(endpoint, room, self.channels.room(nsp, room));
            }
        }
    }

    /// Some room of `endpoint` may have emptied here.
    pub(crate) fn rooms_left(&self, endpoint: &str) {
        if self.config.subscription_mode != crate::SubscriptionMode::Static {
            self.subscriptions.recheck(endpoint);
        }
    }

    /// Publishes a message about namespace `nsp` (node's name) on `channel`.
    pub(crate) fn publish(&self, channel: String, kind: u8, nsp: &str, data: Option<Mp>) -> bool {
        self.publisher
            .publish(channel, messages::encode(kind, &self.uid, nsp, data))
    }

    /// Answers requester `uid` on its response channel.
    pub(crate) fn respond(&self, requester: &str, kind: u8, nsp: &str, data: Mp) {
        let channel = self.channels.room(nsp, requester);
        self.publish(channel, kind, nsp, Some(data));
    }

    /// `PUBSUB SHARDNUMSUB KEY#/#`, summed over every master: every server
    /// (node's or ours), this one included.
    async fn count_servers(&self, deadline: Instant) -> Result<usize, AdapterError> {
        let channel = self.channels.base("/");
        count::subscribers(
            &self.client,
            &channel,
            Numsub::Sharded,
            deadline,
            self.config.requests_timeout,
        )
        .await
    }

    /// How many other servers should answer a request; 0 (and a log) when
    /// Redis cannot tell, so the caller answers with what it has.
    async fn others(&self, deadline: Instant) -> usize {
        match self.count_servers(deadline).await {
            Ok(servers) => servers.saturating_sub(1),
            Err(error) => {
                tracing::warn!(%error, "cannot count the other servers: answering with this server's part");
                0
            }
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (client, subscriber) = (self.client.clone(), self.subscriber.clone());
            let channels = self.subscriptions.wanted();
            runtime.spawn(async move {
                // Quitting drops every subscription too; unsubscribing
                // first is what node's `close` does.
                for channel in channels {
                    let _ = fred::prelude::PubsubInterface::sunsubscribe(&subscriber, channel).await;
                }
                let _ = subscriber.quit().await;
                let _ = client.quit().await;
            });
        }
    }
}

/// Node's `opts`: rooms, except, and flags.
fn opts(target: &Target, flags: Vec<(&str, Mp)>) -> Mp {
    message::opts_value(&target.rooms, &target.except, flags)
}

fn unavailable(what: &str) -> AdapterError {
    AdapterError::Unavailable(format!("{what}: the Redis publish queue is full"))
}

fn done(sent: bool, what: &'static str) -> AdapterFuture<()> {
    Box::pin(async move { if sent { Ok(()) } else { Err(unavailable(what)) } })
}

impl Adapter for ShardedRedisAdapter {
    fn init(&self, local: Local) {
        let _ = self.inner.local.set(local);
    }

    fn add_namespace(&self, _local: &Local, namespace: &str) {
        self.inner.add_namespace(namespace);
    }

    fn add_socket(&self, _local: &Local, namespace: &str, sid: &Arc<str>) {
        self.inner.rooms_joined(namespace, [&sid.to_string()]);
    }

    fn add_all(&self, local: &Local, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
        local.join(namespace, sid, rooms);
        self.inner.rooms_joined(namespace, rooms);
    }

    fn del(&self, local: &Local, namespace: &str, sid: &Arc<str>, rooms: &[String]) {
        local.leave(namespace, sid, rooms);
        self.inner.rooms_left(namespace);
    }

    fn del_all(&self, local: &Local, namespace: &str, sid: &Arc<str>) {
        local.remove(namespace, sid);
        self.inner.rooms_left(namespace);
    }

    fn broadcast(&self, local: &Local, packet: &BroadcastPacket, target: &Target) {
        // Local delivery never waits for (or depends on) Redis.
        local.broadcast(packet, target);
        if target.flags.local {
            return;
        }
        let data = match message::packet_data(packet) {
            Ok(data) => data,
            Err(error) => {
                tracing::warn!(%error, "broadcast not sent to other servers");
                return;
            }
        };
        let nsp = wire_nsp(&target.namespace);
        let flags = if target.flags.volatile {
            vec![("volatile", Mp::Boolean(true))]
        } else {
            Vec::new()
        };
        let data = map(vec![
            ("packet", message::packet_value(nsp, data)),
            ("opts", opts(target, flags)),
        ]);
        let channel = self.inner.channels.broadcast(nsp, &target.rooms, false);
        self.inner.publish(channel, kind::BROADCAST, nsp, Some(data));
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
        if !target.flags.local {
            match message::packet_data(packet) {
                Ok(data) => {
                    let waiting = self.inner.requests.register();
                    let nsp = wire_nsp(&target.namespace);
                    let mut flags = vec![(
                        "timeout",
                        Mp::from(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)),
                    )];
                    if target.flags.volatile {
                        flags.push(("volatile", Mp::Boolean(true)));
                    }
                    let data = map(vec![
                        ("packet", message::packet_value(nsp, data)),
                        ("requestId", Mp::from(waiting.id.as_str())),
                        ("opts", opts(target, flags)),
                    ]);
                    // Always the base channel: every server reports a count.
                    let channel = self.inner.channels.broadcast(nsp, &target.rooms, true);
                    if self.inner.publish(channel, kind::BROADCAST, nsp, Some(data)) {
                        pending = Some(waiting);
                    }
                }
                Err(error) => tracing::warn!(%error, "acknowledged broadcast not sent to other servers"),
            }
        }
        let inner = self.inner.clone();
        Box::pin(async move {
            let servers = async {
                match &pending {
                    Some(_) => inner.count_servers(deadline).await.unwrap_or(1),
                    None => 1,
                }
            }
            .await;
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
        let nsp = wire_nsp(&target.namespace);
        let timeout = u64::try_from(self.inner.config.requests_timeout.as_millis()).unwrap_or(u64::MAX);
        let data = map(vec![
            ("opts", opts(target, vec![("timeout", Mp::from(timeout))])),
            ("requestId", Mp::from(waiting.id.as_str())),
        ]);
        let sent = self
            .inner
            .publish(self.inner.channels.base(nsp), kind::FETCH_SOCKETS, nsp, Some(data));
        let (inner, namespace) = (self.inner.clone(), target.namespace.clone());
        Box::pin(async move {
            let others = if sent { inner.others(deadline).await } else { 0 };
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
        // Wanted now, dropped by the recheck if no socket here joined.
        self.inner.rooms_joined(&target.namespace, rooms);
        self.inner.rooms_left(&target.namespace);
        self.remote_rooms(target, rooms, kind::SOCKETS_JOIN)
    }

    fn del_sockets(&self, local: &Local, target: &Target, rooms: &[String]) -> AdapterFuture<()> {
        local.del_sockets(target, rooms);
        self.inner.rooms_left(&target.namespace);
        self.remote_rooms(target, rooms, kind::SOCKETS_LEAVE)
    }

    fn disconnect_sockets(&self, local: &Local, target: &Target, close: bool) -> AdapterFuture<()> {
        local.disconnect_sockets(target, close);
        if target.flags.local {
            return Box::pin(async { Ok(()) });
        }
        let nsp = wire_nsp(&target.namespace);
        let data = map(vec![("opts", opts(target, Vec::new())), ("close", Mp::Boolean(close))]);
        let sent = self
            .inner
            .publish(self.inner.channels.base(nsp), kind::DISCONNECT_SOCKETS, nsp, Some(data));
        done(sent, "disconnect")
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
        let sent = self
            .inner
            .publish(self.inner.channels.base("/"), kind::SERVER_SIDE_EMIT, "/", Some(data));
        let inner = self.inner.clone();
        Box::pin(async move {
            if !sent {
                return Err(unavailable("server-side emit"));
            }
            let others = inner.others(deadline).await;
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
            inner.count_servers(deadline).await
        })
    }

    // `all_rooms`: node's cluster adapter asks no other server (it has no
    // message for it), so neither does this one: the default, this
    // server's rooms.
}

impl ShardedRedisAdapter {
    /// Tells the other servers to make their sockets `target` picks join
    /// (or leave) `rooms`; ours already did (and the echo is dropped).
    fn remote_rooms(&self, target: &Target, rooms: &[String], kind: u8) -> AdapterFuture<()> {
        if target.flags.local {
            return Box::pin(async { Ok(()) });
        }
        let nsp = wire_nsp(&target.namespace);
        let data = map(vec![
            ("opts", opts(target, Vec::new())),
            ("rooms", Mp::Array(rooms.iter().map(|r| Mp::from(r.as_str())).collect())),
        ]);
        let sent = self.inner.publish(self.inner.channels.base(nsp), kind, nsp, Some(data));
        done(sent, "sockets join/leave")
    }
}
