use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;

use tokio_util::task::TaskTracker;

use crate::core::{Backpressure, CloseReason};
use crate::engine::{Data, Socket};

/// One message as the transport read it: a websocket's text is lent (the
/// Socket.IO reader decodes it in place, no copy), a polling payload's is
/// already owned.
pub(crate) enum Received<'a> {
    Text(Cow<'a, str>),
    Binary(Bytes),
}

impl From<Received<'_>> for Data {
    fn from(received: Received<'_>) -> Self {
        match received {
            Received::Text(text) => Data::Text(text.into_owned()),
            Received::Binary(data) => Data::Binary(data),
        }
    }
}

/// What serves an Engine.IO endpoint's sessions: Socket.IO, or a bare
/// application. The engine knows nothing else of it.
pub(crate) trait Tenant: Send + Sync + 'static {
    /// A session opened: its reader. Tasks it starts go on `tasks`, which
    /// graceful shutdown awaits.
    fn open(&self, socket: Socket, tasks: &TaskTracker) -> std::sync::Arc<dyn Reader>;
}

/// Reads one session's messages, in the transport's own task.
pub(crate) trait Reader: Send + Sync + 'static {
    /// A message from the client; a busy reader hands back the wait for
    /// room, which the transport awaits (that slows the client down).
    fn receive(&self, data: Received<'_>) -> Option<Backpressure>;
    /// A wait until every message received so far has been handled; a
    /// POST is answered after it, so the next poll carries the replies (as
    /// node's synchronous message handlers give). `None`: nothing to wait for.
    fn settled(&self) -> Option<Backpressure> {
        None
    }
    /// The session closed, for `reason`; called once.
    fn closed(&self, reason: CloseReason);
    /// The session's websocket took over from polling.
    fn upgraded(&self) {}
    /// How long after the handshake `deadline_passed` is due, if at all.
    fn deadline(&self) -> Option<Duration> {
        None
    }
    fn deadline_passed(&self) {}
    /// The application closes the session the tenant's way (Socket.IO
    /// tells each namespace first); `false`: the engine just closes it.
    fn close(&self) -> bool {
        false
    }
}
