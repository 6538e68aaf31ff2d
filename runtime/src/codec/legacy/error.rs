/// Why a packet could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer than the two `:` every packet has.
    #[error("missing `:` separator")]
    MissingSeparator,
    /// The type is not one digit from 0 to 8.
    #[error("unknown packet type `{0}`")]
    BadType(String),
    /// The message id is not a number (with an optional `+`).
    #[error("bad message id `{0}`")]
    BadId(String),
    /// The id in an ack's data is not a number.
    #[error("bad ack id `{0}`")]
    BadAckId(String),
    /// The data is not the JSON this packet type needs.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// An event whose JSON has no string `name`.
    #[error("event without a name")]
    EventWithoutName,
    /// An event whose `args` is there but is not an array (the protocol's
    /// only shape; `null` included).
    #[error("event args is not an array")]
    EventArgsNotArray,
    /// A message id on a packet type that carries none (connect,
    /// disconnect, heartbeat, ack, error, noop).
    #[error("packet type `{0}` takes no message id")]
    UnexpectedId(String),
}

/// Why a `\u{fffd}`-framed payload could not be split into packets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// A length field that is empty, not all digits, or too large.
    #[error("bad length field")]
    BadLength,
    /// The second `\u{fffd}` of a frame header is missing.
    #[error("unterminated length field")]
    UnterminatedLength,
    /// A length that runs past the end of the payload.
    #[error("frame runs past the end of the payload")]
    Truncated,
    /// A length that ends inside a surrogate pair.
    #[error("frame length splits a character")]
    SplitCharacter,
    /// Text after a complete frame that does not start with `\u{fffd}`.
    #[error("text after a frame that does not start a new frame")]
    TrailingData,
    /// More packets than allowed in one payload.
    #[error("more than {0} packets in one payload")]
    TooManyPackets(usize),
    /// No packet at all: every payload holds at least one.
    #[error("empty payload")]
    Empty,
}
