//! The five 0.9 transports by their wire names.

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

impl Transport {
    /// How the counters tell this transport apart.
    pub(crate) fn carrier(self) -> crate::core::Carrier {
        use crate::core::Carrier;
        match self {
            Transport::WebSocket => Carrier::WebSocket,
            Transport::FlashSocket => Carrier::FlashSocket,
            Transport::HtmlFile => Carrier::HtmlFile,
            Transport::XhrPolling => Carrier::XhrPolling,
            Transport::JsonpPolling => Carrier::JsonpPolling,
        }
    }
}
