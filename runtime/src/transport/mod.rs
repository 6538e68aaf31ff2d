//! What both protocol families share to move frames over HTTP: response bodies (with
//! frames lent until hyper takes them), request refusals, and websockets
//! (the RFC 6455 upgrade and the one loop that moves frames both ways).
//!
//! May use: `core`, `codec`. Knows no protocol family: each serves its
//! websockets through [`websocket::WsPeer`].

mod body;
mod burst_reader;
pub(crate) mod websocket;

pub use body::Body;
pub(crate) use body::{Refusal, empty, text, text_settling};
