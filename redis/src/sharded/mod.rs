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
//! `{type, data, uid, nsp}`: JSON text, or msgpack (binary as `bin`) when
//! `data` holds binary and the type may (3, 8, 9, 10, 12). A message
//! starting with `{` is JSON.
//!
//! | type | name | `data` |
//! | --- | --- | --- |
//! | 3 | BROADCAST | `{packet, opts, requestId?}`; a `requestId` asks for acks |
//! | 4, 5 | SOCKETS_JOIN, SOCKETS_LEAVE | `{opts, rooms}` |
//! | 6 | DISCONNECT_SOCKETS | `{opts, close}` |
//! | 7 | FETCH_SOCKETS | `{opts, requestId}` |
//! | 8 | FETCH_SOCKETS_RESPONSE | `{requestId, sockets: [{id, handshake, rooms, data}]}` |
//! | 9 | SERVER_SIDE_EMIT | `{packet: [name, ...args], requestId?}` |
//! | 10 | SERVER_SIDE_EMIT_RESPONSE | `{requestId, packet}`: the first argument |
//! | 11 | BROADCAST_CLIENT_COUNT | `{requestId, clientCount}` |
//! | 12 | BROADCAST_ACK | `{requestId, packet}`: one client's first argument |
//!
//! `packet` in 3 is socket.io's `{type: 2, data: [event, ...args], nsp}`;
//! `opts` is `{rooms, except, flags}` (`flags.volatile`, and
//! `flags.timeout` in ms for acknowledged broadcasts). Types 1, 2 and 13
//! (heartbeats and goodbyes of node's heartbeat-counting adapters) are
//! ignored: the sharded adapter counts servers with `SHARDNUMSUB`, in node
//! too, so a server killed outright stops being counted as soon as Redis
//! sees its connection close. Each response goes to the requester's
//! response channel; a requester waits for `server count - 1` answers (an
//! acknowledged broadcast: for every server's client count, then for as
//! many answers) until its timeout.

pub(crate) mod adapter;
mod channels;
mod messages;
mod receiver;
mod subscriptions;
