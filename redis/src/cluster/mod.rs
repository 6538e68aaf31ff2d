//! The core of the sharded and the streams adapters: node's
//! `ClusterAdapter` (socket.io-adapter 2.5), whose messages both speak.
//! What differs between them is only how a message travels
//! ([`Transport`]); what a request asks, how it is answered and what an
//! incoming message does are here, once.
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
//! ignored: both forms count servers as subscribers of a channel, as
//! node's do. Each response goes to the requester's own channel; a
//! requester waits for `server count - 1` answers (an acknowledged
//! broadcast: for every server's client count, then for as many answers)
//! until its timeout.

pub(crate) mod answers;
pub(crate) mod messages;
pub(crate) mod receiver;
pub(crate) mod requester;
mod transport;

pub(crate) use transport::{Member, Transport};
