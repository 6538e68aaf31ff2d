//! A Redis adapter for [`socketio`]: several servers, one cluster.
//!
//! [`RedisAdapter`] implements [`socketio::Adapter`] over Redis
//! PUBLISH/SUBSCRIBE in the wire format of node's
//! `@socket.io/redis-adapter` 8 with `createAdapter` (the "classic"
//! adapter), so our servers, node socket.io 4 servers using that adapter,
//! and `@socket.io/redis-emitter` form one cluster:
//!
//! - broadcasts (rooms, except rooms, volatile) reach every server's
//!   sockets; binary arguments travel as msgpack `bin`;
//! - acknowledged broadcasts collect the answers of clients on every server;
//! - `fetch_sockets`, `sockets_join`/`sockets_leave`, `disconnect_sockets`,
//!   `all_rooms` reach every server's sockets;
//! - `server_side_emit` reaches the other servers' handlers
//!   ([`socketio::SocketIoBuilder::on_server_event`]) and collects their
//!   answers; `server_count` asks Redis (`PUBSUB NUMSUB`, summed over
//!   every master of a Redis Cluster).
//!
//! ```no_run
//! # #[derive(Default)] struct Main;
//! # impl socketio::Handler for Main {}
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use socketio_redis::{RedisAdapter, RedisConfig};
//!
//! let adapter = RedisAdapter::new(RedisConfig::new("redis://127.0.0.1:6379")).await?;
//! let io = socketio::SocketIo::builder(Main::default).adapter(adapter.clone()).build();
//! adapter.ready().await;
//! socketio::Server::new(io).bind(([0, 0, 0, 0], 3000).into()).run().await?;
//! # Ok(()) }
//! ```
//!
//! [`RedisEmitter`] reaches the same sockets from a process that is not a
//! server, as node's `@socket.io/redis-emitter` does.
//!
//! [`ShardedRedisAdapter`] is node's other form, `createShardedAdapter`:
//! Redis 7 sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`), which a Redis Cluster
//! spreads over its shards instead of copying every message to every
//! node; in the default [`SubscriptionMode::Dynamic`] a broadcast to one
//! room reaches only the servers holding it. Every operation above works
//! across servers except `all_rooms`, which node's sharded adapter has no
//! message for (this server's rooms only); the emitter speaks the classic
//! form only, as node's does. Its wire format is in the `sharded` module's
//! source docs.
//!
//! [`RedisStreamsAdapter`] is node's `@socket.io/redis-streams-adapter`
//! 0.3 (pinned and tested: 0.3.1): broadcasts and remote join / leave /
//! disconnect are appended to a Redis stream (`XADD ... MAXLEN ~`) that
//! every server reads from where it left off (`XREAD BLOCK`), so a server
//! that loses Redis for a moment misses nothing still in the stream;
//! requests and their answers go over pub/sub, the server count is the
//! subscribers of the main namespace's channel. Every operation above
//! works across servers except `all_rooms` (node's has no message for it).
//! Its settings are [`StreamsConfig`], node's option names in Rust
//! (`stream_name`, `stream_count`, `channel_prefix`, `max_len`,
//! `read_count`, `block_time`, `session_key_prefix`). It also stores and
//! restores sessions for connection state recovery in node's form
//! ([`RedisStreamsAdapter::store_session`],
//! [`RedisStreamsAdapter::take_session`]), so a session kept by one
//! server (ours or node's) comes back on another with the broadcasts it
//! missed: with the server's connection state recovery on
//! (`SocketIoBuilder::connection_state_recovery`), a client comes back to
//! any server of the cluster. Its wire format is in the `streams` module's
//! source docs.
//!
//! # When Redis is slow or away
//!
//! Everything local keeps working: a broadcast reaches this server's
//! sockets at once, and its copy for the others waits in a bounded queue
//! ([`RedisConfig::publish_queue`]; dropped and logged when full). A request
//! to the other servers answers within [`RedisConfig::requests_timeout`]
//! with what it has: `fetch_sockets` and `all_rooms` this server's part plus
//! the answers that came, `server_side_emit` the answers that came (a
//! warning is logged for the missing ones). `server_count` fails with
//! [`socketio::AdapterError::Unavailable`] (or `Timeout`) instead of
//! guessing. The connection comes back by itself, subscriptions included.
//! The same holds for [`ShardedRedisAdapter`] and
//! [`RedisStreamsAdapter`] (whose reader takes up the stream again at the
//! last entry it read).
//!
//! # The Redis client
//!
//! [`fred`]: a maintained async client whose subscriber client renews
//! every subscription after a reconnection by itself
//! (`manage_subscriptions`), which the pattern subscription per namespace
//! needs, and which speaks Redis Cluster (`redis-cluster://` URLs).
//!
//! # Differences from node
//!
//! - One uid per server, not one per namespace; the wire cannot tell.
//! - Our own join/leave/disconnect requests are applied locally at once
//!   and their echo dropped (node applies them through the echo).
//! - A request that times out answers with what came instead of failing.
//! - `server_side_emit` always asks for answers (node's listeners get an
//!   ack callback last) and waits for `server count - 1` of them, at most
//!   [`RedisConfig::requests_timeout`]; it is published at once, so
//!   dropping its future is a fire-and-forget emit.
//! - Text and JSON messages of the 0.9 protocol travel as node's
//!   `message` event.
//! - Streams: node's `heartbeatInterval`/`heartbeatTimeout` options are
//!   leftovers in 0.3 (it counts subscribers, as this one does);
//!   `useShardedPubSub` and `onlyPlaintext` are not offered (this adapter
//!   uses classic pub/sub, and finds binary cheaply). With several
//!   streams (`stream_count`), a namespace whose name hashes negative goes
//!   on a stream node never reads (`NAME--k`, from JS's `%`); this adapter
//!   reads those too. With connection state recovery on, a recoverable
//!   broadcast is delivered here once its `XADD` answered, with the entry
//!   id as its last argument, as node's; unlike node's, a restore skips
//!   volatile broadcasts, and while Redis fails packets go out at once
//!   without an offset instead of waiting.
//! - Sharded: a socket's own room has a channel when its id is not 20
//!   characters long (our 0.9 session ids: 32), in dynamic mode, since
//!   that is where node's servers send to it; node decides whether a room
//!   is a socket id by asking its sockets when subscribing and by the
//!   length when publishing. A broadcast to a room joined a moment ago
//!   may miss a server whose subscription to the room's channel is still
//!   on its way, in node too.
#![warn(missing_docs)]

mod adapter;
mod channels;
mod cluster;
mod config;
mod count;
mod emitter;
mod inbox;
mod message;
mod namespaces;
mod pending;
mod publisher;
mod receiver;
mod requests;
mod sharded;
mod streams;

pub use adapter::RedisAdapter;
pub use config::{Error, RedisConfig, SubscriptionMode};
pub use emitter::RedisEmitter;
pub use sharded::adapter::ShardedRedisAdapter;
pub use streams::adapter::RedisStreamsAdapter;
pub use streams::config::StreamsConfig;
