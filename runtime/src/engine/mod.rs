//! Engine.IO, protocols 3 and 4, on the server: sessions with their
//! outboxes and heartbeats, the polling and websocket transports, and the
//! upgrade from one to the other. A tenant reads what sessions
//! receive: Socket.IO (`modern`), or a bare application (see
//! [`crate::SocketIoBuilder::engine`]).
//!
//! May use: `core`, `http`, `codec`. Knows nothing of Socket.IO.

mod app;
mod config;
mod driver;
mod endpoint;
mod polling;
pub(crate) mod route;
mod session;
mod tenant;
mod websocket;

pub(crate) use app::{AppFn, AppTenant};
pub use app::{Data, Incoming, Socket};
pub(crate) use config::EngineConfig;
pub(crate) use endpoint::Engine;
pub(crate) use session::EngineSession;
pub(crate) use tenant::{Reader, Received, Tenant};

/// The Engine.IO protocol revision a client speaks (`EIO=` in its URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Version {
    /// Engine.IO 3: socket.io-client 1.x and 2.x. The client pings.
    V3,
    /// Engine.IO 4: socket.io-client 3.x and 4.x. The server pings.
    V4,
}
