use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::codec::legacy::RawJson;
use crate::core::{AckReplies, AdapterError, BroadcastPacket, EmitArgs, EncodedArgs, Hub, Target};
use crate::handler::{Ctx, RemoteSocket};

/// Targets a set of sockets of one namespace: all of them, or those in some
/// rooms, less those in others. Every operation goes through the server's
/// [`crate::Adapter`]: with a cluster adapter it reaches every server
/// unless [`BroadcastOperator::local`] says otherwise. Each packet is
/// encoded once per protocol and shared, and legacy and modern clients in
/// one room both get it.
///
/// ```
/// # async fn run(io: socketio::SocketIo) -> Result<(), Box<dyn std::error::Error>> {
/// io.of("/chat").to("lobby").except("muted").emit("said", ("hello",))?;
/// let members = io.of("/chat").to("lobby").fetch_sockets().await?;
/// io.of("/chat").to("lobby").sockets_join("archive").await?;
/// # let _ = members; Ok(()) }
/// ```
#[derive(Clone)]
pub struct BroadcastOperator {
    hub: Arc<Hub>,
    target: Target,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for BroadcastOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastOperator")
            .field("target", &self.target)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why an acknowledged broadcast failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BroadcastError {
    /// The arguments could not be serialized.
    #[error("could not serialize the arguments: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The other servers could not be asked.
    #[error(transparent)]
    Adapter(#[from] AdapterError),
}

impl BroadcastOperator {
    pub(crate) fn new(hub: Arc<Hub>, endpoint: &str) -> Self {
        Self {
            hub,
            target: Target::namespace(endpoint),
            timeout: None,
        }
    }

    /// Narrows to the members of `room` (several calls: any of the rooms).
    pub fn to(mut self, room: impl Into<String>) -> Self {
        self.target.rooms.push(room.into());
        self
    }

    /// Leaves out the members of `room`, or the socket whose id it is
    /// (several calls: all of them).
    pub fn except(mut self, room: impl Into<String>) -> Self {
        self.target.except.push(room.into());
        self
    }

    /// This server's sockets only, even in a cluster.
    pub fn local(mut self) -> Self {
        self.target.flags.local = true;
        self
    }

    /// Skips sockets whose transport cannot take the packet right now
    /// (a polling client between polls) instead of queueing it.
    pub fn volatile(mut self) -> Self {
        self.target.flags.volatile = true;
        self
    }

    /// How long [`BroadcastOperator::emit_with_ack`] waits for answers
    /// (default: the server's `ack_timeout`).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Emits an event to every target. Returns once it is queued here and
    /// handed to the adapter for the other servers.
    pub fn emit<A: EmitArgs>(&self, name: &str, args: A) -> Result<(), serde_json::Error> {
        let args = EncodedArgs::new(&args)?;
        self.broadcast(BroadcastPacket::Event {
            name: name.to_owned(),
            args,
        });
        Ok(())
    }

    /// Sends a text message to every target.
    pub fn send(&self, text: impl Into<String>) {
        self.broadcast(BroadcastPacket::Message(text.into()));
    }

    /// Sends a JSON message to every target.
    pub fn send_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), serde_json::Error> {
        self.broadcast(BroadcastPacket::Json(RawJson::from_serialize(value)?));
        Ok(())
    }

    fn broadcast(&self, packet: BroadcastPacket) {
        self.hub.adapter().broadcast(self.hub.local(), &packet, &self.target);
    }

    /// Emits an event to every target, each asked for an acknowledgement;
    /// resolves once every socket reached answered or the timeout passed,
    /// with the answers that came ([`AckReplies::is_complete`] tells).
    pub async fn emit_with_ack<A: EmitArgs>(&self, name: &str, args: A) -> Result<AckReplies, BroadcastError> {
        let packet = BroadcastPacket::Event {
            name: name.to_owned(),
            args: EncodedArgs::new(&args)?,
        };
        let timeout = self.timeout.unwrap_or(self.hub.config.ack_timeout);
        let replies = self
            .hub
            .adapter()
            .broadcast_with_ack(self.hub.local(), &packet, &self.target, timeout);
        Ok(replies.await?)
    }

    /// The sockets targeted right now, on every server.
    pub async fn fetch_sockets(&self) -> Result<Vec<RemoteSocket>, AdapterError> {
        let sockets = self.hub.adapter().fetch_sockets(self.hub.local(), &self.target).await?;
        Ok(sockets
            .into_iter()
            .map(|data| RemoteSocket::new(self.hub.clone(), data))
            .collect())
    }

    /// How many sockets are targeted right now, on every server.
    pub async fn count(&self) -> Result<usize, AdapterError> {
        Ok(self
            .hub
            .adapter()
            .fetch_sockets(self.hub.local(), &self.target)
            .await?
            .len())
    }

    /// Makes every target join `room`.
    pub async fn sockets_join(&self, room: impl Into<String>) -> Result<(), AdapterError> {
        let rooms = [room.into()];
        self.hub
            .adapter()
            .add_sockets(self.hub.local(), &self.target, &rooms)
            .await
    }

    /// Makes every target leave `room`.
    pub async fn sockets_leave(&self, room: impl Into<String>) -> Result<(), AdapterError> {
        let rooms = [room.into()];
        self.hub
            .adapter()
            .del_sockets(self.hub.local(), &self.target, &rooms)
            .await
    }

    /// Disconnects every target; `close` ends its whole session (every
    /// namespace), as the main namespace's disconnect always does.
    pub async fn disconnect_sockets(&self, close: bool) -> Result<(), AdapterError> {
        self.hub
            .adapter()
            .disconnect_sockets(self.hub.local(), &self.target, close)
            .await
    }
}

/// Where the typed emit methods generated by `#[socketio::emits]` send:
/// one connection ([`Ctx`]) or a group ([`BroadcastOperator`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not something to emit to",
    label = "typed emit methods send through one connection or a group of them",
    note = "emit through a `Ctx` (one connection) or a `BroadcastOperator` (`cx.to(\"room\")`, `io.of(\"/chat\")`)"
)]
pub trait EmitTarget {
    /// Emits `name` with `args`; a serialization failure is logged.
    fn emit_args<A: EmitArgs>(&self, name: &str, args: A);
}

impl EmitTarget for Ctx {
    fn emit_args<A: EmitArgs>(&self, name: &str, args: A) {
        self.emit(name, args);
    }
}

impl EmitTarget for BroadcastOperator {
    fn emit_args<A: EmitArgs>(&self, name: &str, args: A) {
        if let Err(error) = self.emit(name, args) {
            tracing::error!(event = name, %error, "broadcast dropped: arguments do not serialize");
        }
    }
}
