//! Socket.IO protocols 4 and 5 on top of Engine.IO 3 and 4: the tenant of
//! the engine's endpoint. Namespaces map onto the same endpoint table,
//! handlers and lifecycle as legacy endpoints, and their connections share
//! rooms with legacy ones.
//!
//! May use: `engine`, `core`, `codec`.

mod encode;
mod session;

pub(crate) use session::SocketIoTenant;

/// How Socket.IO packets are written on the wire of the modern family, as
/// node's `parser` server option chooses. One setting per server
/// ([`crate::Settings::parser`]): its clients must use the same parser.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Parser {
    /// socket.io's own JSON encoding (`socket.io-parser`): text packets,
    /// bytes as binary attachments after them. The default.
    #[default]
    Json,
    /// `socket.io-msgpack-parser` 3: each packet one MessagePack map in one
    /// binary Engine.IO message, bytes inline, no attachments (so
    /// `max_attachments` does not apply; `max_payload` bounds a packet).
    /// Fewer bytes for binary and integer-heavy data, a few more for small
    /// packets (the map's keys cost more than JSON's header). Clients set
    /// `parser: require("socket.io-msgpack-parser")`. Applies to Socket.IO
    /// protocol 5 (socket.io-client 3 and 4); socket.io 2 clients (Engine.IO
    /// 3), whose msgpack parser writes a different format, keep JSON, and
    /// the 0.9 protocol has no parser to choose.
    Msgpack,
}
