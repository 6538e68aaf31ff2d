#![doc = include_str!("../../README.md")]
#![warn(missing_docs)]

// The layers, each using only those listed before it (see ARCHITECTURE.md).
#[cfg(feature = "admin-ui")]
pub mod admin;
pub mod codec;
mod core;
pub mod engine;
mod handler;
mod legacy;
mod modern;
mod server;
mod transport;
#[cfg(feature = "typescript")]
pub mod typescript;

#[doc(hidden)]
pub mod __private {
    pub use crate::private::*;
}
mod private;

/// Expands to its input when socketio is built with the `typescript`
/// feature, to nothing otherwise: the macros wrap the typings they generate
/// in it, since a `#[cfg(feature)]` in generated code would test the
/// user's crate's features, not socketio's.
#[cfg(feature = "typescript")]
#[doc(hidden)]
#[macro_export]
macro_rules! __typings {
    ($($item:tt)*) => { $($item)* };
}

/// Without the `typescript` feature, typings are not compiled.
#[cfg(not(feature = "typescript"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __typings {
    ($($item:tt)*) => {};
}

pub use crate::core::{
    AckError, AckReplies, AckResponse, AckSender, AckStream, Adapter, AdapterError, AdapterFuture, ArgsWriter,
    BroadcastPacket, ConnectionInfo, ConnectionStateRecovery, ConnectionsByTransport, EmitArgs, EncodedArgs, Event,
    Flags, Handshake, InMemoryAdapter, Local, Message, MissedPacket, PersistedSession, Protocol, Reply,
    RestoredSession, SocketData, StatsSnapshot, Target,
};
pub use handler::{
    BroadcastError, BroadcastOperator, Ctx, DispatchError, EmitTarget, Endpoint, EndpointResolver, Handler,
    RemoteSocket,
};
pub use legacy::{Transport, UnknownTransport};
pub use modern::Parser;
pub use server::{
    AllowedOrigins, LISTEN_BACKLOG, PeerAddr, Server, Settings, SocketIo, SocketIoBuilder, SocketIoService, listen,
    listen_with_backlog, shutdown_signal,
};
pub use transport::Body;

/// The `http` crate, for header names and types in settings.
pub use ::http;
/// The `bytes` crate (with its `serde` feature): `Bytes` arguments travel as
/// binary attachments to modern clients.
pub use bytes;
pub use codec::legacy::RawJson;
pub use socketio_macros::{emits, event, handler};
