/// Why an event could not be handled. The runtime answers it with an error
/// packet on the connection's endpoint; the connection stays open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    /// No handler for this event name.
    #[error("unknown event `{0}`")]
    UnknownEvent(String),
    /// The arguments did not bind to the handler's parameters.
    #[error("event `{event}`: {message}")]
    BadArguments {
        /// The event name.
        event: String,
        /// What did not fit.
        message: String,
    },
    /// The handler reported a failure of its own.
    #[error("event `{event}` failed: {message}")]
    Failed {
        /// The event name.
        event: String,
        /// The handler's message.
        message: String,
    },
}

/// Why an acknowledged emit produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
