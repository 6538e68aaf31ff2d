//! The packets of `socket.io-msgpack-parser` 3 (Socket.IO protocol 5 with
//! MessagePack instead of JSON). Pure: no I/O.
//!
//! Each packet is one MessagePack map, `{type, nsp, data, id?}`, sent as
//! one binary Engine.IO message. Bytes travel inline as MessagePack `bin`,
//! so there are no attachments and no BINARY_EVENT/BINARY_ACK types.
//!
//! The rest of the server speaks JSON with attachment placeholders
//! ([`RawJson`](crate::codec::legacy::RawJson), [`crate::EncodedArgs`]), so this codec translates: a
//! decoded packet's arguments are JSON texts whose `bin` values became
//! `{"_placeholder":true,"num":N}`, with the bytes returned beside them in
//! walk order; the encoders take the same JSON and attachments and write
//! the bytes back inline. MessagePack values map to JSON as node's decoder
//! (`notepack.io`) and `JSON.stringify` would see them: `undefined` map
//! values are left out and become `null` in arrays, integral floats are
//! integers, non-finite floats `null`, timestamps (extension 0, 8 bytes)
//! ISO 8601 strings, other extensions `[type, bytes]`; map keys must be
//! strings or integers (written as their decimal text).
//!
//! ```
//! use socketio::codec::socketio::{Packet, msgpack};
//! use socketio::bytes::Bytes;
//!
//! let wire = msgpack::encode_event("/", Some(7), "sum", "[1,2]", &[]).unwrap();
//! let (packet, attachments) = msgpack::decode(&Bytes::from(wire)).unwrap();
//! let Packet::Event { name, id, args, .. } = &packet else { panic!() };
//! assert_eq!((name.as_str(), *id, args.len()), ("sum", Some(7), 2));
//! assert!(attachments.is_empty());
//! ```

mod decode;
mod encode;

pub use decode::decode;
pub use encode::{
    encode, encode_ack, encode_connect, encode_connect_error, encode_connect_with_pid, encode_disconnect, encode_event,
};

/// The member that makes an object an attachment placeholder.
const PLACEHOLDER_KEY: &str = "_placeholder";

/// serde_json's nesting limit, so no client can make the decoder recurse deeper.
const MAX_DEPTH: usize = 128;

/// The packet types this parser knows (BINARY_EVENT and BINARY_ACK are
/// never used: bytes are inline).
const CONNECT: u64 = 0;
const DISCONNECT: u64 = 1;
const EVENT: u64 = 2;
const ACK: u64 = 3;
const CONNECT_ERROR: u64 = 4;

#[cfg(test)]
mod tests;
