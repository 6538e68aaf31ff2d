//! The streams adapter: node's `@socket.io/redis-streams-adapter` 0.3,
//! whose messages are those of node's `ClusterAdapter` (socket.io-adapter
//! 2.5; see the `cluster` module for their types and fields).
//!
//! # Where each message goes (`STREAM` the stream name, `PREFIX` the
//! channel prefix, `NSP` node's namespace name)
//!
//! - The stream `STREAM` (with `stream_count` N > 1: `STREAM-i`, `i` node's
//!   32-bit hash of `NSP` modulo N): what every server must apply, in order
//!   (BROADCAST without acknowledgements, SOCKETS_JOIN, SOCKETS_LEAVE,
//!   DISCONNECT_SOCKETS). `XADD STREAM MAXLEN ~ maxLen * uid U nsp NSP type
//!   T data D`: `T` in decimal, `D` the message's data as JSON text, or
//!   base64 of its msgpack when the type may carry binary (3, 8, 9, 10,
//!   12) and does. Each server reads with `XREAD BLOCK COUNT readCount`
//!   from the last id it saw, and skips its own entries (by `uid`) and
//!   those without `nsp`.
//! - `PREFIX#NSP#` (pub/sub): requests that need answers now (a BROADCAST
//!   with a `requestId`, FETCH_SOCKETS, SERVER_SIDE_EMIT), the whole
//!   message `{type, data, uid, nsp}` in msgpack. `PUBSUB NUMSUB
//!   PREFIX#/#` is the server count (node 0.3 has no heartbeats).
//! - `PREFIX#NSP#UID#` (pub/sub): answers to server `UID`, in msgpack.
//!
//! # Sessions
//!
//! `SET sessionKeyPrefix<pid> <base64 of msgpack {sid, pid, rooms, data}>
//! PX <max disconnection ms>`; a restore is `GETDEL` of it and `XRANGE
//! STREAM offset offset` (the offset must still be in the stream), then
//! `XRANGE` from the next id: each BROADCAST entry of the namespace whose
//! rooms/except reach the session's rooms is a missed packet, its entry id
//! its offset. A live broadcast's offset is its entry id as `XADD`
//! returns it: node awaits the `XADD` before its local delivery and
//! appends the id to the packet's arguments when recovery is on; readers
//! append the entry id they read.

pub(crate) mod adapter;
mod appender;
pub(crate) mod config;
mod entry;
mod reader;
mod receiver;
pub(crate) mod session;
