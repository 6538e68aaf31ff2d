//! [`RedisAdapter`]: the requester's side of every operation, and the
//! connection, subscriptions and bookkeeping they share.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use fred::clients::SubscriberClient;
use fred::prelude::{Client, ClientLike, EventInterface};
use rmpv::Value as Mp;
use serde::Serialize;
use serde_json::json;
use socketio::{
    AckReplies, AckResponse, Adapter, AdapterError, AdapterFuture, BroadcastPacket, EncodedArgs, Local, SocketData,
    Target,
};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::channels::{self, Channels, Kind, wire_nsp};
use crate::config::{Error, RedisConfig};
use crate::count::{self, Numsub};
use crate::inbox::{self, OnMessage};
use crate::message;
use crate::namespaces::{Namespaces, Subscription};
use crate::pending::{self, Requests};
use crate::publisher::Publisher;
use crate::requests::{self, Body, kind};

/// A [`socketio::Adapter`] that makes this server one of a cluster through
/// Redis PUBLISH/SUBSCRIBE, in the wire format of node's
/// `@socket.io/redis-adapter` 8 (`createAdapter`): node servers using it
/// and `@socket.io/redis-emitter` are members of the same cluster.
///
/// Cheap to clone: keep a clone to await [`RedisAdapter::ready`] after
/// giving one to [`socketio::SocketIoBuilder::adapter`].
///
/// ```no_run
/// # #[derive(Default)] struct Main;
/// # impl socketio::Handler for Main {}
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use socketio_redis::{RedisAdapter, RedisConfig};
///
/// let adapter = RedisAdapter::new(RedisConfig::new("redis://127.0.0.1:6379")).await?;
/// let io = socketio::SocketIo::builder(Main::default).adapter(adapter.clone()).build();
/// adapter.ready().await; // every namespace known so far is subscribed
/// io.of("").emit("hello", ("every server",))?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisAdapter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RedisAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdapter")
            .field("uid", &self.inner.uid)
            .field("key", &self.inner.config.key)
            .finish_non_exhaustive()
    }
}

/// What the adapter's clones, its receive loop and its requests share.
pub(crate) struct Inner {
    pub(crate) config: RedisConfig,
    /// This server's id on the wire; its own messages carry it.
    pub(crate) uid: String,
    pub(crate) channels: Channels,
    pub(crate) publisher: Publisher,
    client: Client,
    subscriber: SubscriberClient,
    /// Set by [`Adapter::init`]; messages before it have no sockets to reach.
    pub(crate) local: OnceLock<Local>,
    /// Namespaces (node's names) subscribed, each with whether it is done.
    namespaces: Namespaces,
    /// Requests of this server waiting for answers.
    requests: Arc<Requests>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// The clients' connection tasks; they end when the clients quit.
    _connections: [fred::types::ConnectHandle; 2],
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// 6 random alphanumerics: node's `uid2(6)`, for uids and request ids.
pub(crate) fn random_id() -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 6];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: the clock still tells servers apart.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        bytes = [0, 8, 16, 24, 3, 11].map(|shift| (nanos >> shift) as u8);
    }
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % 62]))
        .collect()
}

impl RedisAdapter {
    /// Connects to Redis (two connections: one publishes and asks, one
    /// subscribes) and subscribes to the main namespace's channels; fails
    /// when Redis cannot be reached now. After that, a lost connection is
    /// re-established (and every subscription renewed) by itself.
    pub async fn new(config: RedisConfig) -> Result<Self, Error> {
        let mut builder = config.client_builder()?;
        let receive_queue = config.receive_queue.max(1);
        builder.with_performance_config(|performance| performance.broadcast_channel_capacity = receive_queue);
        let client = builder.build()?;
        let subscriber = builder.build_subscriber_client()?;
        let connections = [client.init().await?, subscriber.init().await?];
        let resubscribe = subscriber.manage_subscriptions();
        let messages = subscriber.message_rx();
        let (publisher, publishing) =
            Publisher::start(client.clone(), config.publish_queue, config.requests_timeout, false);
        let inner = Arc::new(Inner {
            uid: random_id(),
            channels: Channels::new(&config.key),
            config,
            publisher,
            client,
            subscriber,
            local: OnceLock::new(),
            namespaces: Namespaces::default(),
            requests: Arc::new(Requests::default()),
            tasks: Mutex::new(vec![resubscribe, publishing]),
            _connections: connections,
        });
        let receiving = tokio::spawn(inbox::receive(Arc::downgrade(&inner), messages));
        lock(&inner.tasks).push(receiving);
        // The main namespace always exists, and `server_count` counts its
        // subscribers.
        inner.subscribe("");
        let adapter = Self { inner };
        adapter.ready().await;
        Ok(adapter)
    }

    /// Resolves once the channels of every namespace known so far are
    /// subscribed, as Redis confirms (a message on this server's own
    /// channel came through): await it after building the server and before
    /// saying it listens, so no broadcast from another server is missed.
    /// A namespace created later (dynamic) is subscribed in the background. While Redis
    /// is unreachable it waits (subscriptions are retried every second);
    /// bound it with `tokio::time::timeout` if that matters.
    pub async fn ready(&self) {
        self.inner.namespaces.ready().await;
    }

    /// This server's uid on the wire (6 alphanumerics).
    pub fn uid(&self) -> &str {
        &self.inner.uid
    }
}

impl Inner {
    /// Subscribes to a namespace's channels (once), in the background.
    fn subscribe(&self, endpoint: &str) {
        let nsp = wire_nsp(endpoint);
        let subscription = || Subscription {
            pattern: Some(self.channels.broadcast_pattern(nsp)),
            channels: vec![
                self.channels.request(nsp),
                self.channels.response(nsp),
                self.channels.response_to(nsp, &self.uid),
            ],
            own: self.channels.response_to(nsp, &self.uid),
        };
        let timeout = self.config.requests_timeout;
        if let Some(task) = self
            .namespaces
            .subscribe(nsp, subscription, &self.subscriber, &self.client, timeout)
        {
            lock(&self.tasks).push(task);
        }
    }

    fn dispatch(&self, channel: &str, payload: &[u8]) {
        let namespaces = self.namespaces.names();
        match self.channels.classify(channel, namespaces.iter().map(String::as_str)) {
            Some((nsp, Kind::Broadcast)) => self.on_broadcast(nsp, payload),
            Some((nsp, Kind::Request)) => self.on_request(nsp, payload),
            Some((_, Kind::Response)) => self.on_response(payload),
            None => tracing::debug!(%channel, "dropped a message on a channel of no namespace here"),
        }
    }

    fn on_response(&self, payload: &[u8]) {
        match requests::decode_response(payload) {
            // Responses on the shared channel are for every server's
            // requests: most ids are someone else's.
            Ok(response) => {
                self.requests.answer(&response.request_id, response.body);
            }
            Err(error) => tracing::debug!(%error, "dropped a malformed response"),
        }
    }

    /// Whether `request_id` is one of this server's own requests.
    pub(crate) fn is_own_request(&self, request_id: &str) -> bool {
        self.requests.is_own(request_id)
    }

    /// Publishes a request of namespace `nsp` (node's name).
    fn request(&self, nsp: &str, payload: Vec<u8>) -> bool {
        self.publisher.publish(self.channels.request(nsp), payload)
    }

    /// `PUBSUB NUMSUB` of the main request channel, summed over every
    /// master of a Redis Cluster: every server, this one included
    /// (emitters subscribe nothing and are not counted).
    async fn count_servers(&self, deadline: Instant) -> Result<usize, AdapterError> {
        let channel = self.channels.request("/");
        count::subscribers(
            &self.client,
            &channel,
            Numsub::Classic,
            deadline,
            self.config.requests_timeout,
        )
        .await
    }

    /// How many other servers should answer a request.
    async fn others(&self, deadline: Instant) -> usize {
        count::others(self.count_servers(deadline).await)
    }
}

impl OnMessage for Inner {
    fn on_message(&self, channel: &str, payload: &[u8]) {
        self.dispatch(channel, payload);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (client, subscriber) = (self.client.clone(), self.subscriber.clone());
            runtime.spawn(async move {
                let _ = subscriber.quit().await;
                let _ = client.quit().await;
            });
        }
    }
}

/// Node's `fetchSockets`/`allRooms`/join request opts.
fn opts_of(target: &Target) -> serde_json::Value {
    requests::json_opts(&target.rooms, &target.except)
}

/// `{uid, requestId, type: 6, data}` with `data` already JSON.
#[derive(Serialize)]
struct ServerSideEmit<'a> {
    uid: &'a str,
    #[serde(rename = "requestId")]
    request_id: &'a str,
    #[serde(rename = "type")]
    kind: u8,
    data: &'a serde_json::value::RawValue,
}

/// `[name, ...args]` as node's JSON requests carry it: binary as Buffer
/// objects.
fn event_json(name: &str, args: &EncodedArgs) -> Result<String, message::Malformed> {
    let Mp::Array(mut items) = message::from_json(args.json(), args.attachments())? else {
        return Err("arguments are not an array".to_owned());
    };
    items.insert(0, Mp::from(name));
    message::to_plain_json(&Mp::Array(items))
}

fn unavailable(what: &str) -> AdapterError {
    AdapterError::Unavailable(format!("{what}: the Redis publish queue is full"))
}

impl Adapter for RedisAdapter {
    fn init(&self, local: Local) {
        let _ = self.inner.local.set(local);
    }

    fn add_namespace(&self, _local: &Local, namespace: &str) {
        self.inner.subscribe(namespace);
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
        let opts = message::broadcast_opts(target, None);
        let payload = message::encode_broadcast(&self.inner.uid, nsp, data, opts);
        self.inner
            .publisher
            .publish(self.inner.channels.broadcast(nsp, &target.rooms), payload);
    }

    fn broadcast_with_ack(
        &self,
        local: &Local,
        packet: &BroadcastPacket,
        target: &Target,
        timeout: Duration,
    ) -> AdapterFuture<AckReplies> {
        let nsp = wire_nsp(&target.namespace);
        let send = |request_id: &str, packet, opts| {
            let payload = requests::broadcast_request(&self.inner.uid, request_id, packet, opts);
            self.inner.request(nsp, payload)
        };
        let inner = self.inner.clone();
        let count_servers = move |deadline| async move { inner.count_servers(deadline).await };
        pending::broadcast_with_ack(
            &self.inner.requests,
            local,
            packet,
            target,
            timeout,
            send,
            count_servers,
        )
    }

    fn fetch_sockets(&self, local: &Local, target: &Target) -> AdapterFuture<Vec<SocketData>> {
        let mut sockets = local.fetch_sockets(target);
        if target.flags.local {
            return Box::pin(async move { Ok(sockets) });
        }
        let deadline = Instant::now() + self.inner.config.requests_timeout;
        let mut pending = self.inner.requests.register();
        let nsp = wire_nsp(&target.namespace);
        let request = json!({
            "uid": self.inner.uid,
            "requestId": pending.id,
            "type": kind::REMOTE_FETCH,
            "opts": opts_of(target),
        });
        let sent = self.inner.request(nsp, requests::json(&request));
        let (inner, namespace) = (self.inner.clone(), target.namespace.clone());
        Box::pin(async move {
            let others = if sent { inner.others(deadline).await } else { 0 };
            sockets.extend(pending.gather_sockets(others, deadline, &namespace).await);
            Ok(sockets)
        })
    }

    fn add_sockets(&self, local: &Local, target: &Target, rooms: &[String]) -> AdapterFuture<()> {
        local.add_sockets(target, rooms);
        self.remote_rooms(target, rooms, kind::REMOTE_JOIN)
    }

    fn del_sockets(&self, local: &Local, target: &Target, rooms: &[String]) -> AdapterFuture<()> {
        local.del_sockets(target, rooms);
        self.remote_rooms(target, rooms, kind::REMOTE_LEAVE)
    }

    fn disconnect_sockets(&self, local: &Local, target: &Target, close: bool) -> AdapterFuture<()> {
        local.disconnect_sockets(target, close);
        if target.flags.local {
            return Box::pin(async { Ok(()) });
        }
        let request = json!({
            "uid": self.inner.uid,
            "type": kind::REMOTE_DISCONNECT,
            "opts": opts_of(target),
            "close": close,
        });
        let sent = self
            .inner
            .request(wire_nsp(&target.namespace), requests::json(&request));
        Box::pin(async move { if sent { Ok(()) } else { Err(unavailable("disconnect")) } })
    }

    fn server_side_emit(&self, _local: &Local, name: &str, args: &EncodedArgs) -> AdapterFuture<Vec<AckResponse>> {
        let deadline = Instant::now() + self.inner.config.requests_timeout;
        let data = match event_json(name, args) {
            Ok(data) => data,
            Err(error) => return Box::pin(async move { Err(AdapterError::Unavailable(error)) }),
        };
        let mut pending = self.inner.requests.register();
        let request = serde_json::value::RawValue::from_string(data).and_then(|data| {
            serde_json::to_vec(&ServerSideEmit {
                uid: &self.inner.uid,
                request_id: &pending.id,
                kind: kind::SERVER_SIDE_EMIT,
                data: &data,
            })
        });
        // Published now, so dropping the future still sends the event.
        let sent = match request {
            Ok(request) => self.inner.request("/", request),
            Err(error) => return Box::pin(async move { Err(AdapterError::Unavailable(error.to_string())) }),
        };
        let inner = self.inner.clone();
        Box::pin(async move {
            if !sent {
                return Err(unavailable("server-side emit"));
            }
            let others = inner.others(deadline).await;
            Ok(pending.gather_answers(others, deadline).await)
        })
    }

    fn server_count(&self) -> AdapterFuture<usize> {
        let inner = self.inner.clone();
        Box::pin(async move {
            let deadline = Instant::now() + inner.config.requests_timeout;
            inner.count_servers(deadline).await
        })
    }

    fn all_rooms(&self, local: &Local, namespace: &str) -> AdapterFuture<Vec<String>> {
        let mut rooms = local.all_rooms(namespace);
        let deadline = Instant::now() + self.inner.config.requests_timeout;
        let mut pending = self.inner.requests.register();
        let request = json!({
            "uid": self.inner.uid,
            "requestId": pending.id,
            "type": kind::ALL_ROOMS,
        });
        let sent = self.inner.request(wire_nsp(namespace), requests::json(&request));
        let inner = self.inner.clone();
        Box::pin(async move {
            let others = if sent { inner.others(deadline).await } else { 0 };
            for body in pending.gather(others, deadline).await {
                if let Body::Rooms(theirs) = body {
                    rooms.extend(theirs);
                }
            }
            rooms.sort();
            rooms.dedup();
            Ok(rooms)
        })
    }
}

impl RedisAdapter {
    /// Tells the other servers to make their sockets `target` picks join
    /// (or leave) `rooms`; ours already did. Node applies its own through
    /// the echo, which this adapter drops by uid.
    fn remote_rooms(&self, target: &Target, rooms: &[String], kind: u8) -> AdapterFuture<()> {
        if target.flags.local {
            return Box::pin(async { Ok(()) });
        }
        let request = json!({
            "uid": self.inner.uid,
            "type": kind,
            "opts": opts_of(target),
            "rooms": rooms,
        });
        let sent = self
            .inner
            .request(wire_nsp(&target.namespace), requests::json(&request));
        Box::pin(async move {
            if sent {
                Ok(())
            } else {
                Err(unavailable("sockets join/leave"))
            }
        })
    }
}

/// The endpoint name of node's namespace `nsp`.
pub(crate) fn endpoint(nsp: &str) -> &str {
    channels::endpoint(nsp)
}
