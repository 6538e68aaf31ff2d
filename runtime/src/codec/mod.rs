//! Wire codecs: pure functions from text to packets and back, with no I/O,
//! so protocol families can sit side by side and be fuzzed. Public for
//! tools and fuzzers; a server never needs them directly.
//!
//! May use: serde, serde_json and bytes only. Every wire string the server
//! sends is written here.

pub(crate) mod binary;
mod decimal;
pub mod engineio;
pub mod legacy;
pub mod socketio;
