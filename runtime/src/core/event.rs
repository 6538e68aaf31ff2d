use std::sync::Arc;

use bytes::Bytes;

use crate::codec::legacy::{MessageId, RawJson};
use crate::core::{Connection, EmitArgs, EncodedArgs, no_attachments};

/// A message from the client: type 3 (text) or type 4 (JSON). Exhaustive:
/// these are the only two message packets the protocol has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Plain text, as sent by the client's `send()`.
    Text(String),
    /// One JSON value, kept as its exact text, as sent by `json.send()`.
    Json(RawJson),
}

/// An event from the client: a name and positional arguments, each kept as
/// its exact JSON text so nothing is lost before a handler binds it.
#[derive(Debug)]
pub struct Event {
    /// The event name.
    pub name: String,
    /// The arguments, in order.
    pub args: Vec<RawJson>,
    pub(crate) ack: Option<MessageId>,
    pub(crate) ack_sender: Option<AckSender>,
    /// The binary attachments that placeholders in the arguments index.
    pub(crate) attachments: Arc<[Bytes]>,
}

impl Event {
    /// Builds an event as the runtime would hand it to a handler (useful in tests).
    pub fn new(name: impl Into<String>, args: Vec<RawJson>) -> Self {
        Self {
            name: name.into(),
            args,
            ack: None,
            ack_sender: None,
            attachments: no_attachments(),
        }
    }

    /// Whether the client waits for an answer with data.
    pub fn wants_ack(&self) -> bool {
        self.ack.is_some_and(|id| id.wants_data)
    }

    /// Takes over answering the client's ack, to answer later (after
    /// awaiting something else, or from another task). The handler's own
    /// [`Reply`] is then not sent. `None` if the client asked for no ack.
    pub fn take_ack(&mut self) -> Option<AckSender> {
        let sender = self.ack_sender.take()?;
        if let Some(id) = sender.id {
            sender.connection.claim_ack(id.id);
        }
        Some(sender)
    }
}

/// Answers one client ack, once. Dropping it unanswered sends nothing (the
/// client's callback is never called), as in socket.io.
pub struct AckSender {
    connection: Arc<Connection>,
    id: Option<MessageId>,
}

impl std::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckSender")
            .field("id", &self.id.map(|id| id.id))
            .finish_non_exhaustive()
    }
}

impl AckSender {
    pub(crate) fn new(connection: Arc<Connection>, id: MessageId) -> Self {
        Self {
            connection,
            id: Some(id),
        }
    }

    /// A sender that answers nothing, for `connection`.
    pub(crate) fn detached_for(connection: Arc<Connection>) -> Self {
        Self { connection, id: None }
    }

    /// Whether the client waits for this answer.
    pub fn is_requested(&self) -> bool {
        self.id.is_some()
    }

    /// Answers with `reply`.
    pub fn send(self, reply: Reply) {
        let Some(id) = self.id else { return };
        self.connection.answer_ack(id, reply);
    }

    /// Answers with `args` (a tuple of `Serialize` values, a `Vec`, ...).
    pub fn send_args<A: EmitArgs>(self, args: A) -> Result<(), serde_json::Error> {
        self.send(Reply::with_args(args)?);
        Ok(())
    }
}

/// What an event handler answers the client's ack with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub(crate) args: Option<EncodedArgs>,
}

impl Reply {
    /// An acknowledgement without arguments (`()`).
    pub fn empty() -> Self {
        Self { args: None }
    }

    /// An acknowledgement carrying `args` (a tuple of `Serialize` values, a
    /// `Vec`, or raw JSON values).
    pub fn with_args<A: EmitArgs>(args: A) -> Result<Self, serde_json::Error> {
        Ok(Self {
            args: Some(EncodedArgs::new(&args)?),
        })
    }

    /// The JSON array text of the arguments, if any (bytes in it are
    /// binary-attachment placeholders).
    pub fn args_json(&self) -> Option<&str> {
        self.args.as_ref().map(|args| args.json.as_str())
    }
}

/// Why an acknowledged emit produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AckError {
    /// The client did not answer within the timeout.
    #[error("the client did not acknowledge within {0:?}")]
    Timeout(std::time::Duration),
    /// The connection closed before the client answered.
    #[error("the connection closed before the client acknowledged")]
    Closed,
    /// Too many acknowledgements are already pending on this connection.
    #[error("too many pending acknowledgements on this connection")]
    TooManyPending,
    /// The client's answer did not fit the expected type.
    #[error("the client's answer does not fit: {0}")]
    BadAnswer(String),
    /// The arguments could not be serialized.
    #[error("could not serialize the arguments: {0}")]
    Serialize(String),
}
