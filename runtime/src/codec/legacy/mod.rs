//! The Socket.IO 0.7–0.9 wire format ("protocol 1"): packets and the
//! `\u{fffd}`-framed payload of polling transports.

mod error;
pub mod fixed;
mod packet;
mod payload;
mod raw_json;
mod script;

pub use error::{DecodeError, PayloadError};
pub use packet::{MessageId, Packet, encode_ack, encode_event, error_code, write_event_data};
pub use payload::{decode_payload, encode_payload, encode_payload_into, utf16_len};
pub(crate) use payload::{parse_length, split_utf16};
pub use raw_json::RawJson;
pub use script::{
    ScriptError, callback_index, decode_form_payload, htmlfile_chunk, htmlfile_prologue, js_string, jsonp_script,
};
