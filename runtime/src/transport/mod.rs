//! Transports move frames between a client and its session. They know the
//! HTTP and WebSocket shapes of each transport and nothing of events or
//! endpoints.

mod bind;
pub(crate) mod body;
pub(crate) mod hixie76;
pub(crate) mod htmlfile;
pub(crate) mod jsonp;
pub(crate) mod polling;
pub(crate) mod websocket;

pub use body::Body;
pub(crate) use body::{Refusal, empty, text};

use std::fmt;
use std::str::FromStr;

/// A Socket.IO 0.9 transport, by its wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// `websocket`: RFC 6455, or the hixie-76 draft of 2010-era browsers.
    WebSocket,
    /// `flashsocket`: the websocket transport as the 0.9 client's Flash
    /// fallback speaks it (hixie-76), with the Flash policy server.
    FlashSocket,
    /// `htmlfile`: one long streamed HTML response (old Internet Explorer).
    HtmlFile,
    /// `xhr-polling`: long-polling GET plus POST.
    XhrPolling,
    /// `jsonp-polling`: long-polling through `<script>` tags and form posts.
    JsonpPolling,
}

impl Transport {
    /// The name used in URLs and in the handshake's transport list.
    pub fn name(self) -> &'static str {
        match self {
            Transport::WebSocket => "websocket",
            Transport::FlashSocket => "flashsocket",
            Transport::HtmlFile => "htmlfile",
            Transport::XhrPolling => "xhr-polling",
            Transport::JsonpPolling => "jsonp-polling",
        }
    }

    /// Every transport, in the order the 0.9 client tries them.
    pub fn all() -> Vec<Transport> {
        vec![
            Transport::WebSocket,
            Transport::FlashSocket,
            Transport::HtmlFile,
            Transport::XhrPolling,
            Transport::JsonpPolling,
        ]
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not a transport this server implements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown transport `{0}`")]
pub struct UnknownTransport(pub String);

impl FromStr for Transport {
    type Err = UnknownTransport;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Transport::all()
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| UnknownTransport(name.to_owned()))
    }
}

/// What the 0.9 client understands as "that session does not exist; start over".
pub(crate) const NOT_HANDSHAKEN: &str = "7:::1+0";
