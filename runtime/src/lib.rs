//! socketio: Socket.IO servers from ordinary Rust structs.
//!
//! Speaks the Socket.IO 0.7–0.9 protocol ("protocol 1") that TornadIO2
//! served, over websocket and xhr-polling. One value of a [`Handler`] type
//! serves one connection on one endpoint; its callbacks run in arrival
//! order. Mount [`SocketIo::service`] in an existing hyper/axum app, or run
//! it standalone with [`Server`].

pub mod codec;
mod handler;
mod server;
mod session;
mod transport;

#[doc(hidden)]
pub mod __private {
    pub use crate::private::*;
}
mod private;

pub use handler::{
    AckError, AckResponse, AckSender, BroadcastOperator, ConnectionInfo, Ctx, DispatchError, EmitArgs, EmitTarget,
    Endpoint, EndpointResolver, Event, Handler, Message, Reply,
};
pub use server::{AllowedOrigins, PeerAddr, Server, Settings, SocketIo, SocketIoBuilder, SocketIoService};
pub use session::{ConnectionsByTransport, StatsSnapshot};
pub use transport::{Body, Transport, UnknownTransport};

pub use codec::legacy::RawJson;
/// The `http` crate, for header names and types in settings.
pub use http;
pub use socketio_macros::{emits, event, handler};

/// The README's examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
