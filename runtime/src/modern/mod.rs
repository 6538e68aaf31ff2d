//! Socket.IO protocols 4 and 5 on top of Engine.IO 3 and 4: the tenant of
//! the engine's endpoint. Namespaces map onto the same endpoint table,
//! handlers and lifecycle as legacy endpoints, and their connections share
//! rooms with legacy ones.
//!
//! May use: `engine`, `core`, `codec`.

mod encode;
mod session;

pub(crate) use session::SocketIoTenant;
