//! [`ShardedRedisAdapter`]: the connection, the rooms it listens to, and
//! how its messages travel (the [`Transport`]); what they say is the
//! cluster core's.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use fred::clients::SubscriberClient;
use fred::prelude::{Client, ClientLike, EventInterface};
use rmpv::Value as Mp;
use socketio::{Adapter, AdapterError, BroadcastPacket, Local, Target};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::adapter::lock;
use crate::channels::wire_nsp;
use crate::cluster::answers::Reply;
use crate::cluster::{Member, Transport, messages, requester};
use crate::config::{Error, RedisConfig};
use crate::count::{self, Numsub};
use crate::inbox;
use crate::publisher::Publisher;
use crate::sharded::channels::ShardChannels;
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
            .field("uid", &self.inner.member.uid)
            .field("key", &self.inner.config.key)
            .field("mode", &self.inner.config.subscription_mode)
            .finish_non_exhaustive()
    }
}

/// What the adapter's clones, its tasks and its requests share.
pub(crate) struct Inner {
    pub(crate) config: RedisConfig,
    pub(crate) member: Member,
    pub(crate) channels: ShardChannels,
    pub(crate) publisher: Publisher,
    client: Client,
    subscriber: SubscriberClient,
    /// Namespaces served (node's names).
    namespaces: Mutex<HashSet<String>>,
    pub(crate) subscriptions: Arc<Subscriptions>,
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
            member: Member::new(config.requests_timeout),
            channels: ShardChannels::new(&config.key, config.subscription_mode),
            config,
            publisher,
            client,
            subscriber: subscriber.clone(),
            namespaces: Mutex::new(HashSet::new()),
            subscriptions: subscriptions.clone(),
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
        &self.inner.member.uid
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
            .want_fixed(endpoint, self.channels.room(&nsp, &self.member.uid));
    }

    /// Publishes a message about namespace `nsp` (node's name) on `channel`.
    fn publish(&self, channel: String, kind: u8, nsp: &str, data: Mp) -> bool {
        self.publisher
            .publish(channel, messages::encode(kind, &self.member.uid, nsp, Some(data)))
    }
}

/// Every message goes over `SPUBLISH`: a broadcast to one room on its
/// room's channel when the mode says so, anything else on the namespace's
/// base channel, answers on the requester's.
impl Transport for Inner {
    const QUEUE_FULL: &'static str = "the Redis publish queue is full";

    fn member(&self) -> &Member {
        &self.member
    }

    fn publish_to_all(&self, kind: u8, nsp: &str, rooms: &[String], data: Mp) -> bool {
        self.publish(self.channels.broadcast(nsp, rooms, false), kind, nsp, data)
    }

    fn publish_request(&self, kind: u8, nsp: &str, data: Mp) -> bool {
        // Always the base channel: every server answers.
        self.publish(self.channels.base(nsp), kind, nsp, data)
    }

    /// `PUBSUB SHARDNUMSUB KEY#/#`, summed over every master: every server
    /// (node's or ours), this one included, whatever the namespace.
    async fn count_servers(&self, _nsp: &str, deadline: Instant) -> Result<usize, AdapterError> {
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

    /// Answers to `requester` go to its response channel.
    fn reply(&self, requester: &str, nsp: &str) -> Reply {
        Reply {
            publisher: self.publisher.clone(),
            channel: self.channels.room(nsp, requester),
            uid: self.member.uid.clone(),
            nsp: nsp.to_owned(),
            encode: messages::encode,
        }
    }

    fn accepts(&self, nsp: &str, channel: Option<&str>) -> bool {
        lock(&self.namespaces).contains(nsp) && channel.is_some_and(|channel| self.channels.belongs_to(channel, nsp))
    }

    /// Listens on the channels of `rooms` this server now holds (by the
    /// subscription mode's rule).
    fn rooms_joined<'r>(&self, endpoint: &str, rooms: impl IntoIterator<Item = &'r String>) {
        let nsp = wire_nsp(endpoint);
        for room in rooms {
            if self.channels.listens_to_room(room) {
                self.subscriptions
                    .want_room(endpoint, room, self.channels.room(nsp, room));
            }
        }
    }

    fn rooms_left(&self, endpoint: &str) {
        if self.config.subscription_mode != crate::SubscriptionMode::Static {
            self.subscriptions.recheck(endpoint);
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

impl Adapter for ShardedRedisAdapter {
    fn init(&self, local: Local) {
        let _ = self.inner.member.local.set(local);
    }

    fn add_namespace(&self, _local: &Local, namespace: &str) {
        self.inner.add_namespace(namespace);
    }

    fn broadcast(&self, local: &Local, packet: &BroadcastPacket, target: &Target) {
        requester::broadcast(&*self.inner, local, packet, target);
    }

    requester::cluster_hooks!();
}
