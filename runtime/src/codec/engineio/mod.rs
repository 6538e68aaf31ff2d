//! Engine.IO, the transport layer under Socket.IO 1.0 and later: packets
//! and the polling payloads of protocol 4 (`\x1e`-separated) and protocol 3
//! (length-prefixed: as text, lengths in UTF-16 units; as binary for clients
//! that take it, lengths in bytes). Pure: no I/O.
//!
pub mod fixed;
mod packet;
mod payload;

pub use packet::{DecodeError, Packet};
pub use payload::{
    PayloadError, decode_v3_binary_payload, decode_v3_payload, decode_v4_payload, encode_v3_binary_payload,
    encode_v3_payload, encode_v4_payload,
};
