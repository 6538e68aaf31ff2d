use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::Protocol;
use crate::codec::legacy::RawJson;
use crate::core::{AckError, AckResponse, AckSender, Connection, ConnectionInfo, EmitArgs, EncodedArgs, Outgoing};
use crate::handler::BroadcastOperator;

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
///         let _ = cx.to(table.as_str()).emit("seated", (cx.sid(),));
///         let answer = cx.emit_with_ack("ready?", ()).await?;
///         let (ready,): (bool,) = answer.parse().map_err(|e| AckError::BadAnswer(e.to_string()))?;
///         Ok(if ready { "go".into() } else { "wait".into() })
///     }
/// }
/// ```
#[derive(Clone)]
pub struct Ctx {
    connection: Arc<Connection>,
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

    #[cfg_attr(not(feature = "admin-ui"), allow(dead_code))] // Used by the admin UI only.
    pub(crate) fn connection(&self) -> &Arc<Connection> {
        &self.connection
    }

    /// The socket id: the session id for a legacy client (one for every
    /// endpoint); one of its own per namespace for a modern client, as in
    /// node. The socket is always in the room of this name.
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
        let args = crate::core::write_args_json(&args)?;
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
        self.connection.close();
    }

    /// Adds this connection to `room` (rooms are per endpoint). Once the
    /// connection is closed this does nothing.
    pub fn join(&self, room: &str) {
        let connection = &self.connection;
        connection
            .hub()
            .join(connection.endpoint(), connection.sid(), &[room.to_owned()]);
    }

    /// Removes this connection from `room`.
    pub fn leave(&self, room: &str) {
        let connection = &self.connection;
        connection
            .hub()
            .leave(connection.endpoint(), connection.sid(), &[room.to_owned()]);
    }

    /// Attaches `data` to this socket (node's `socket.data`): what
    /// `fetch_sockets` on any server of the cluster reads.
    pub fn set_data<T: Serialize + ?Sized>(&self, data: &T) -> Result<(), serde_json::Error> {
        self.connection.set_data(serde_json::value::to_raw_value(data)?);
        Ok(())
    }

    /// What [`Ctx::set_data`] attached, read as `T`; `None` if nothing.
    pub fn data<T: serde::de::DeserializeOwned>(&self) -> Result<Option<T>, serde_json::Error> {
        self.connection
            .data()
            .map(|data| serde_json::from_str(data.get()))
            .transpose()
    }

    /// The rooms this connection is in, sorted (its own id among them).
    pub fn rooms(&self) -> Vec<String> {
        let connection = &self.connection;
        connection.hub().rooms.rooms_of(connection.endpoint(), connection.sid())
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

impl AckSender {
    /// A sender for an event that asked for no ack: answering does nothing.
    pub fn detached(cx: &Ctx) -> Self {
        Self::detached_for(cx.connection.clone())
    }
}
