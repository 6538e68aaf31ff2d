//! Wire codecs: pure functions from text to packets and back, with no I/O,
//! so protocol families can sit side by side and be fuzzed.

pub mod engineio;
pub mod legacy;
pub mod socketio;
