//! Packets whose text never varies, as the server sends them.

/// Disconnect of the whole session (`0::`).
pub const DISCONNECT: &str = "0::";
/// Connect of the main endpoint, the first packet of a session (`1::`).
pub const CONNECT: &str = "1::";
/// The server's heartbeat (`2::`).
pub const HEARTBEAT: &str = "2::";
/// What a poll answers when its hold expires with nothing to say (`8::`).
pub const NOOP: &str = "8::";
/// The body of an accepted polling POST.
pub const POSTED: &str = "1";
/// "That session does not exist; start over", as the 0.9 client handles it:
/// an error packet with reason `client not handshaken` and advice `reconnect`.
pub const NOT_HANDSHAKEN: &str = "7:::1+0";
