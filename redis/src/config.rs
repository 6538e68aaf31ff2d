//! What a [`crate::RedisAdapter`] (or [`crate::ShardedRedisAdapter`]) is
//! configured with, and its errors.

use std::time::Duration;

/// How a [`crate::RedisAdapter`] or a [`crate::ShardedRedisAdapter`]
/// reaches Redis and names its channels. A [`crate::RedisEmitter`] uses
/// `url`, `key` and `requests_timeout` of it.
///
/// ```
/// use std::time::Duration;
///
/// let mut config = socketio_redis::RedisConfig::new("redis://127.0.0.1:6379");
/// config.requests_timeout = Duration::from_secs(2);
/// assert_eq!(config.key, "socket.io");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisConfig {
    /// Where Redis is: `redis://host:port` (`redis://:password@host/db`
    /// too), or `redis-cluster://host:port?node=host2:port2` for a Redis
    /// Cluster. Default `redis://127.0.0.1:6379`.
    pub url: String,
    /// The channel prefix, node's `key` option; every server of one cluster
    /// must use the same. Default `"socket.io"`.
    pub key: String,
    /// How long a request to the other servers (fetch sockets, all rooms,
    /// server-side emit, server count) waits for their answers, node's
    /// `requestsTimeout`. Default 5 s.
    pub requests_timeout: Duration,
    /// Answer requests on the requester's own response channel instead of
    /// the shared one, node's `publishOnSpecificResponseChannel`. Default
    /// `false`. Either way this adapter listens on both.
    pub publish_on_specific_response_channel: bool,
    /// How many messages may wait to be published while Redis is slow or
    /// away; past that, broadcasts to other servers are dropped (and
    /// logged), so memory stays bounded. Default 4096.
    pub publish_queue: usize,
    /// How many received messages may wait for this server to handle them
    /// before the oldest are lost (and logged). Default 4096.
    pub receive_queue: usize,
    /// Which room channels a [`crate::ShardedRedisAdapter`] listens on,
    /// node's `subscriptionMode`; the classic adapter ignores it. Default
    /// [`SubscriptionMode::Dynamic`].
    pub subscription_mode: SubscriptionMode,
}

/// How many shard channels a [`crate::ShardedRedisAdapter`] uses per
/// namespace, node's `subscriptionMode`. Every server of one cluster should
/// use the same: the mode also picks the channel a broadcast goes on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriptionMode {
    /// Two channels per namespace (`KEY#NSP#` and this server's response
    /// channel); every broadcast goes on `KEY#NSP#`. Suits many dynamic
    /// namespaces.
    Static,
    /// Also one channel per room this server holds, except rooms whose
    /// name is 20 characters long (node's socket ids): a broadcast to
    /// exactly one such room, without acknowledgements, goes on that
    /// room's channel only, so only the servers holding it hear it.
    #[default]
    Dynamic,
    /// [`SubscriptionMode::Dynamic`] with a channel for every room,
    /// socket ids included: suits much one-to-one messaging.
    DynamicPrivate,
}

impl RedisConfig {
    /// The defaults, with Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379".to_owned(),
            key: "socket.io".to_owned(),
            requests_timeout: Duration::from_secs(5),
            publish_on_specific_response_channel: false,
            publish_queue: 4096,
            receive_queue: 4096,
            subscription_mode: SubscriptionMode::default(),
        }
    }
}

impl RedisConfig {
    /// Asks the Redis at `url` whether it is a node of a Redis Cluster
    /// (`INFO cluster`: `cluster_enabled:1`) and if so makes `url` a
    /// `redis-cluster://` URL of that node, from which the client finds the
    /// others: a deployment may then name any node of a cluster, or a
    /// standalone Redis, with one `redis://` URL. A `redis-cluster://` URL
    /// stays as it is.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), socketio_redis::Error> {
    /// let config = socketio_redis::RedisConfig::new("redis://127.0.0.1:7000")
    ///     .detect_cluster()
    ///     .await?;
    /// let adapter = socketio_redis::ShardedRedisAdapter::new(config).await?;
    /// # Ok(()) }
    /// ```
    pub async fn detect_cluster(mut self) -> Result<Self, Error> {
        use fred::prelude::ClientLike;
        let redis = fred::prelude::Config::from_url(&self.url).map_err(|e| Error::Url(e.to_string()))?;
        if redis.server.is_clustered() {
            return Ok(self);
        }
        let client = self.client_builder()?.build()?;
        client.init().await?;
        let info: Result<String, _> = client.info(Some(fred::types::InfoKind::Cluster)).await;
        let _ = client.quit().await;
        if info?.lines().any(|line| line.trim() == "cluster_enabled:1") {
            self.url = match self.url.split_once("://") {
                Some((_, rest)) => format!("redis-cluster://{rest}"),
                None => format!("redis-cluster://{}", self.url),
            };
        }
        Ok(self)
    }

    /// A client builder for `url` that reconnects forever (from 100 ms,
    /// doubling up to 2 s between attempts) and gives up on a command or a
    /// connection attempt after `requests_timeout`, so nothing piles up in
    /// the client while Redis is away.
    pub(crate) fn client_builder(&self) -> Result<fred::prelude::Builder, Error> {
        use fred::prelude::{Builder, Config, ReconnectPolicy};
        let redis = Config::from_url(&self.url).map_err(|e| Error::Url(e.to_string()))?;
        let mut builder = Builder::from_config(redis);
        let timeout = self.requests_timeout;
        builder
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .with_performance_config(|performance| performance.default_command_timeout = timeout)
            .with_connection_config(|connection| connection.connection_timeout = timeout);
        Ok(builder)
    }
}

/// Why a [`crate::RedisAdapter`] could not start, or a
/// [`crate::RedisEmitter`] could not start or send.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL does not parse.
    #[error("invalid Redis URL: {0}")]
    Url(String),
    /// Redis could not be reached, or refused a command.
    #[error("Redis: {0}")]
    Redis(#[from] fred::error::Error),
    /// The arguments of an emit do not serialize.
    #[error("arguments do not serialize: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The arguments of an emit do not make a message.
    #[error("arguments do not encode: {0}")]
    Encode(String),
    /// An emitter was asked to emit an event name clients reserve
    /// (`connect`, `connect_error`, `disconnect`, `disconnecting`,
    /// `newListener`, `removeListener`).
    #[error("\"{0}\" is a reserved event name")]
    ReservedEvent(String),
}
