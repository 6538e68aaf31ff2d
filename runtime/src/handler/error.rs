/// Why an event could not be handled. The runtime answers it with an error
/// packet on the connection's endpoint; the connection stays open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
