//! The protocol-blind core under both protocol families: a session's
//! namespace connections and their one lifecycle, the sockets and rooms of
//! this server, the adapter seam where a cluster plugs in, the outbox that
//! holds a connection's outgoing frames, the counters, and the data a
//! handler sees (connection info, events, acks).
//!
//! May use: `codec` only. Knows no transport, no wire format (a family
//! encodes through [`SessionLink`]) and no handler type (it starts them
//! through a [`Spawner`]).

mod adapter;
mod args;
mod close;
mod config;
mod connection;
mod date;
mod event;
mod frame;
mod hub;
mod inbox;
mod info;
mod monitor;
mod namespaces;
mod outbox;
mod protocol;
mod recovery;
mod registry;
mod rooms;
mod stats;

pub use adapter::{
    AckReplies, AckStream, Adapter, AdapterError, AdapterFuture, BroadcastPacket, Flags, Handshake, InMemoryAdapter,
    Local, SocketData, Target,
};
pub use args::{AckResponse, ArgsWriter, EmitArgs, EncodedArgs};
pub(crate) use args::{no_attachments, write_args_json};
pub(crate) use close::{CloseReason, Departure};
pub(crate) use config::CoreConfig;
pub(crate) use connection::{Backpressure, Connection, ConnectionHandle, HandlerInput, Outgoing, SessionLink, Spawner};
#[cfg(feature = "admin-ui")]
pub(crate) use date::civil_from_days;
pub(crate) use date::http_date;
pub use event::{AckError, AckSender, Event, Message, Reply};
pub(crate) use frame::{Encoded, Frame};
pub(crate) use hub::{DynamicEndpointsFn, Endpoints, Hub, ServerEventFn};
pub(crate) use inbox::{Inbox, InboxReceiver, InboxSender, TrySendError, open as open_inbox};
pub use info::ConnectionInfo;
pub(crate) use info::SessionInfo;
pub(crate) use monitor::Monitor;
pub(crate) use namespaces::Namespaces;
pub(crate) use outbox::{Batch, Lent, Limits, Outbox, OutboxOwner, Take, lend, lend_at_most};
pub use protocol::Protocol;
pub use recovery::{ConnectionStateRecovery, MissedPacket, PersistedSession, RestoredSession};
pub(crate) use recovery::{SessionStore, is_recoverable};
pub(crate) use registry::{Registry, new_sid, new_socket_id};
pub(crate) use stats::{Carrier, Stats};
pub use stats::{ConnectionsByTransport, StatsSnapshot};
