use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::Protocol;
use crate::codec::legacy::RawJson;
use crate::handler::args::EncodedArgs;
use crate::handler::{AckError, AckResponse, ConnectionInfo, EmitArgs};
use crate::session::{CloseReason, Connection, Encoded, Hub, Outgoing};

/// A connection's handle to the world: send and emit to its client, wait
/// for the client's acks, join rooms, broadcast, close. Cheap to clone; a
/// clone may be moved into a spawned task and used after the callback
/// returns (sends after the connection closed are dropped).
///
/// ```
/// use socketio::{AckError, Ctx};
///
/// #[derive(Default)]
/// struct Game;
///
/// #[socketio::handler]
/// impl Game {
///     #[event]
///     async fn play(&self, cx: &Ctx, table: String) -> Result<String, AckError> {
///         cx.join(&table);
///         cx.to(table.as_str()).emit("seated", (cx.sid(),));
///         let answer = cx.emit_with_ack("ready?", ()).await?;
///         let (ready,): (bool,) = answer.parse().map_err(|e| AckError::BadAnswer(e.to_string()))?;
///         Ok(if ready { "go".into() } else { "wait".into() })
///     }
/// }
/// ```
#[derive(Clone)]
pub struct Ctx {
    pub(crate) connection: Arc<Connection>,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("sid", &self.sid())
            .field("endpoint", &self.endpoint())
            .finish()
    }
}

impl Ctx {
    pub(crate) fn new(connection: Arc<Connection>) -> Self {
        Self { connection }
    }

    /// The session id.
    pub fn sid(&self) -> &str {
        self.connection.sid()
    }

    /// The protocol revision the client speaks.
    pub fn protocol(&self) -> Protocol {
        self.connection.protocol()
    }

    /// The endpoint (namespace) of this connection; `""` for the main one.
    pub fn endpoint(&self) -> &str {
        self.connection.endpoint()
    }

    /// Who the client is: address, handshake query and cookies, headers.
    pub fn info(&self) -> &ConnectionInfo {
        self.connection.info()
    }

    /// Whether the connection is closed (sends are then dropped).
    pub fn is_closed(&self) -> bool {
        self.connection.is_closed()
    }

    /// Sends a text message (legacy packet type 3; a modern client gets a
    /// `message` event, as socket.io's `send` does).
    pub fn send(&self, text: impl Into<String>) {
        self.connection.send(Outgoing::Message(&text.into()));
    }

    /// Sends a JSON message (legacy packet type 4; a `message` event for a
    /// modern client).
    pub fn send_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), serde_json::Error> {
        self.send_raw_json(RawJson::from_serialize(value)?);
        Ok(())
    }

    /// Sends JSON text that is already encoded (TornadIO2's `force_json`).
    pub fn send_raw_json(&self, json: RawJson) {
        self.connection.send(Outgoing::Json(&json));
    }

    /// Emits an event with positional arguments: a tuple (`("a", 1)`,
    /// `(x,)`, `()`), or a slice/`Vec`/array. A value that cannot be
    /// serialized is logged and nothing is sent; [`Ctx::try_emit`] reports it.
    pub fn emit<A: EmitArgs>(&self, name: &str, args: A) {
        if let Err(error) = self.try_emit(name, args) {
            tracing::error!(event = name, %error, "emit dropped: arguments do not serialize");
        }
    }

    /// [`Ctx::emit`], returning the serialization error instead of logging it.
    pub fn try_emit<A: EmitArgs>(&self, name: &str, args: A) -> Result<(), serde_json::Error> {
        let args = EncodedArgs::new(&args)?;
        self.connection.send(Outgoing::Event {
            ack: None,
            name,
            args: &args,
        });
        Ok(())
    }

    /// Emits an event and waits for the client's acknowledgement, within the
    /// server's `ack_timeout`.
    pub async fn emit_with_ack<A: EmitArgs>(&self, name: &str, args: A) -> Result<AckResponse, AckError> {
        let timeout = self.connection.hub().config.ack_timeout;
        self.emit_with_ack_timeout(name, args, timeout).await
    }

    /// [`Ctx::emit_with_ack`] with an explicit timeout.
    pub async fn emit_with_ack_timeout<A: EmitArgs>(
        &self,
        name: &str,
        args: A,
        timeout: Duration,
    ) -> Result<AckResponse, AckError> {
        let args = crate::handler::write_args_json(&args)?;
        self.emit_json_with_ack_timeout(name, args, timeout).await
    }

    pub(crate) async fn emit_json_with_ack(&self, name: &str, args: EncodedArgs) -> Result<AckResponse, AckError> {
        let timeout = self.connection.hub().config.ack_timeout;
        self.emit_json_with_ack_timeout(name, args, timeout).await
    }

    async fn emit_json_with_ack_timeout(
        &self,
        name: &str,
        args: EncodedArgs,
        timeout: Duration,
    ) -> Result<AckResponse, AckError> {
        let (id, answer) = self.connection.register_ack()?;
        self.connection.send(Outgoing::Event {
            ack: Some(id),
            name,
            args: &args,
        });
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) => Err(AckError::Closed),
            Err(_) => {
                self.connection.cancel_ack(id);
                Err(AckError::Timeout(timeout))
            }
        }
    }

    /// Closes this connection from the server side: the main connection
    /// ends the whole session; another endpoint ends only itself.
    pub fn close(&self) {
        let owner = self.connection.owner();
        if self.endpoint().is_empty() {
            owner.close(CloseReason::ServerClose);
        } else {
            owner.close_endpoint(self.endpoint(), true);
        }
    }

    /// Adds this connection to `room` (rooms are per endpoint).
    pub fn join(&self, room: &str) {
        if !self.is_closed() {
            let connection = &self.connection;
            connection.hub().rooms.join(self.endpoint(), room, connection.sid());
        }
    }

    /// Removes this connection from `room`.
    pub fn leave(&self, room: &str) {
        let connection = &self.connection;
        connection.hub().rooms.leave(self.endpoint(), room, connection.sid());
    }

    /// The rooms this connection is in, sorted.
    pub fn rooms(&self) -> Vec<String> {
        let connection = &self.connection;
        connection.hub().rooms.rooms_of(self.endpoint(), connection.sid())
    }

    /// Every connection of this endpoint in `room`, this one included if it
    /// is a member.
    pub fn to(&self, room: impl Into<String>) -> BroadcastOperator {
        self.of(self.endpoint()).to(room)
    }

    /// Every connection of this endpoint except this one.
    pub fn broadcast(&self) -> BroadcastOperator {
        self.of(self.endpoint()).except(self.sid())
    }

    /// Every connection of `endpoint`, on any session.
    pub fn of(&self, endpoint: &str) -> BroadcastOperator {
        BroadcastOperator::new(self.connection.hub().clone(), endpoint)
    }
}

/// Targets a set of connections of one endpoint: all of them, or those in
/// some rooms, less one session. Each packet is encoded once per protocol
/// and shared, and legacy and modern clients in one room both get it.
#[derive(Clone)]
pub struct BroadcastOperator {
    hub: Arc<Hub>,
    endpoint: String,
    rooms: Vec<String>,
    except: Option<String>,
}

impl std::fmt::Debug for BroadcastOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastOperator")
            .field("endpoint", &self.endpoint)
            .field("rooms", &self.rooms)
            .field("except", &self.except)
            .finish()
    }
}

impl BroadcastOperator {
    pub(crate) fn new(hub: Arc<Hub>, endpoint: &str) -> Self {
        Self {
            hub,
            endpoint: endpoint.to_owned(),
            rooms: Vec::new(),
            except: None,
        }
    }

    /// Narrows to the members of `room` (several calls: any of the rooms).
    pub fn to(mut self, room: impl Into<String>) -> Self {
        self.rooms.push(room.into());
        self
    }

    /// Leaves out the connection of session `sid`.
    pub fn except(mut self, sid: impl Into<String>) -> Self {
        self.except = Some(sid.into());
        self
    }

    /// The number of connections targeted right now.
    pub fn count(&self) -> usize {
        self.hub
            .rooms
            .targets(&self.endpoint, &self.rooms, self.except.as_deref())
            .len()
    }

    /// Emits an event to every target. Returns how many were reached.
    pub fn emit<A: EmitArgs>(&self, name: &str, args: A) -> Result<usize, serde_json::Error> {
        let args = EncodedArgs::new(&args)?;
        Ok(self.push(Outgoing::Event {
            ack: None,
            name,
            args: &args,
        }))
    }

    /// Sends a text message to every target.
    pub fn send(&self, text: impl Into<String>) -> usize {
        self.push(Outgoing::Message(&text.into()))
    }

    /// Sends a JSON message to every target.
    pub fn send_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<usize, serde_json::Error> {
        Ok(self.push(Outgoing::Json(&RawJson::from_serialize(value)?)))
    }

    fn push(&self, outgoing: Outgoing<'_>) -> usize {
        let targets = self
            .hub
            .rooms
            .targets(&self.endpoint, &self.rooms, self.except.as_deref());
        // At most one encoding per protocol; a modern connect packet carries
        // the sid, but a broadcast never sends one.
        let mut encoded: Vec<(Protocol, Option<Encoded>)> = Vec::with_capacity(3);
        for connection in &targets {
            let protocol = connection.protocol();
            let frames = match encoded.iter().find(|(p, _)| *p == protocol) {
                Some((_, frames)) => frames.clone(),
                None => {
                    let frames = outgoing.encode(protocol, &self.endpoint, "");
                    encoded.push((protocol, frames.clone()));
                    frames
                }
            };
            if let Some(frames) = frames {
                connection.push(frames);
            }
        }
        targets.len()
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
