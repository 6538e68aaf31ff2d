//! Engine.IO, protocols 3 and 4, on the server: sessions with their queues
//! and heartbeats, the polling and websocket transports, and the upgrade
//! from one to the other. Socket.IO v4/v5 sits on it; it also serves on its
//! own (see [`crate::SocketIoBuilder::engine`]).

mod config;
mod driver;
mod frame;
mod polling;
mod registry;
pub(crate) mod route;
mod session;
mod socket;
mod websocket;

pub(crate) use config::EngineConfig;
pub(crate) use frame::Frame;
pub(crate) use registry::{App, AppFn, Engine};
pub(crate) use session::{CloseReason, EngineSession};
pub use socket::{Incoming, Message, Socket};

/// The Engine.IO protocol revision a client speaks (`EIO=` in its URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Engine.IO 3: socket.io-client 1.x and 2.x. The client pings.
    V3,
    /// Engine.IO 4: socket.io-client 3.x and 4.x. The server pings.
    V4,
}
