//! What an observer of this server (the admin UI) hears: sockets coming and
//! going, room changes, and the events each socket receives and is sent.
//! The core calls it from the one lifecycle and the one room table, so both
//! protocol families report alike. Calls are synchronous and must not
//! block: an observer queues what it wants to do.

use std::sync::Arc;

use crate::codec::legacy::RawJson;
use crate::core::{Connection, EncodedArgs};

pub(crate) trait Monitor: Send + Sync + 'static {
    /// A connection's open hook accepted it.
    fn socket_connected(&self, connection: &Arc<Connection>);
    /// A connection that was open closed, for `reason` (node's words).
    fn socket_disconnected(&self, connection: &Connection, reason: &'static str);
    /// `id` joined `room` of `namespace` (its own room is implicit, never told).
    fn room_joined(&self, namespace: &str, room: &str, id: &str);
    fn room_left(&self, namespace: &str, room: &str, id: &str);
    /// An event from the client, before its handler runs.
    fn event_received(&self, connection: &Connection, name: &str, args: &[RawJson]);
    /// An event sent to this one socket (broadcasts are not told per socket,
    /// as in node).
    fn event_sent(&self, connection: &Connection, name: &str, args: &EncodedArgs);
    /// A session's transport changed (a modern client's upgrade).
    fn transport_changed(&self, connection: &Connection);
}
