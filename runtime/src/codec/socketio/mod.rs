//! Socket.IO protocol 5 (socket.io 3.x and 4.x): the packets carried inside
//! Engine.IO messages, `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`.
//! Pure: no I/O.
//!
//! Texts here are the Socket.IO packet alone; on the wire each one travels as
//! an Engine.IO message (`4` in front: `42["chat","hi"]`). [`msgpack`] is
//! the same protocol in `socket.io-msgpack-parser`'s encoding.

pub mod msgpack;
mod packet;

pub use packet::{
    DecodeError, INVALID_NAMESPACE, NOT_AUTHORIZED, Packet, RESERVED_EVENTS, ack_len, args_with_offset, encode_ack,
    encode_connect, encode_connect_error, encode_connect_v4, encode_connect_with_pid, encode_disconnect,
    encode_error_v4, encode_event, placeholder, write_ack,
};
