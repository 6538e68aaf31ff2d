//! The sharded adapter: node's `@socket.io/redis-adapter` 8
//! `createShardedAdapter` (Redis 7 `SSUBSCRIBE`/`SPUBLISH`), whose messages
//! are those of node's `ClusterAdapter` (socket.io-adapter 2.5).
//!
//! # Channels (`KEY` the prefix, `NSP` node's namespace name)
//!
//! - `KEY#NSP#`: every server of the namespace listens; requests and
//!   broadcasts go here. `PUBSUB SHARDNUMSUB KEY#/#`, summed over every
//!   master, is the server count.
//! - `KEY#NSP#UID#`: server `UID`'s response channel; answers go here.
//! - `KEY#NSP#ROOM#`: a broadcast to exactly one room, without
//!   acknowledgements, goes on its room's channel instead when the mode
//!   says so: `dynamic` (the default) unless the name is 20 UTF-16 units
//!   long (node's socket ids), `dynamic-private` always, `static` never. A
//!   server listens on the channel of each room it holds by the same rule;
//!   our legacy session ids (32 hex digits) are not 20 long, so in
//!   `dynamic` mode a server listens on `KEY#NSP#SID#` for each legacy
//!   socket it holds, where node's servers send to them.
//!
//! # Messages
//!
//! Node's `ClusterAdapter` messages (the `cluster` module's source docs),
//! on the channels above: requests, broadcasts, and remote join / leave /
//! disconnect on `KEY#NSP#` (a broadcast on its room's channel as said),
//! answers on the requester's. The server count is `PUBSUB SHARDNUMSUB
//! KEY#/#`, in node too, so a server killed outright stops being counted
//! as soon as Redis sees its connection close.

pub(crate) mod adapter;
mod channels;
mod subscriptions;
