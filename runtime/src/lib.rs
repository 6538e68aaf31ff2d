#![doc = include_str!("../../README.md")]
#![warn(missing_docs)]

mod binary;
pub mod codec;
pub mod engine;
mod handler;
mod modern;
mod protocol;
mod server;
mod session;
mod transport;

#[doc(hidden)]
pub mod __private {
    pub use crate::private::*;
}
mod private;

pub use handler::{
    AckError, AckResponse, AckSender, ArgsWriter, BroadcastOperator, ConnectionInfo, Ctx, DispatchError, EmitArgs,
    EmitTarget, Endpoint, EndpointResolver, Event, Handler, Message, Reply,
};
pub use server::{
    AllowedOrigins, PeerAddr, Server, Settings, SocketIo, SocketIoBuilder, SocketIoService, shutdown_signal,
};
pub use session::{ConnectionsByTransport, StatsSnapshot};
pub use transport::{Body, Transport, UnknownTransport};

/// The `bytes` crate (with its `serde` feature): `Bytes` arguments travel as
/// binary attachments to modern clients.
pub use bytes;
pub use codec::legacy::RawJson;
/// The `http` crate, for header names and types in settings.
pub use http;
pub use protocol::Protocol;
pub use socketio_macros::{emits, event, handler};
