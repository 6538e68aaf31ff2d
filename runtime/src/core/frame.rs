use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// One encoded packet, ready for any transport of its family: a text
/// packet, or a binary one (Engine.IO attachments). Cheap to clone, so a
/// broadcast encodes once per family and shares the bytes with every
/// member's outbox. A legacy session's frames are text by construction:
/// its encoder makes no other kind.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    Text(Utf8Bytes),
    Binary(Bytes),
}

impl Frame {
    pub(crate) fn len(&self) -> usize {
        match self {
            Frame::Text(text) => text.len(),
            Frame::Binary(data) => data.len(),
        }
    }

    pub(crate) fn text(text: String) -> Self {
        Frame::Text(Utf8Bytes::from(text))
    }

    pub(crate) const fn fixed(text: &'static str) -> Self {
        Frame::Text(Utf8Bytes::from_static(text))
    }

    /// The text of a text frame; `""` for binary data, which no text
    /// framing can carry.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Frame::Text(text) => text.as_str(),
            Frame::Binary(_) => "",
        }
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Frame::Text(text) => std::fmt::Debug::fmt(text.as_str(), f),
            Frame::Binary(data) => write!(f, "<{} bytes>", data.len()),
        }
    }
}

/// One packet encoded for one protocol revision: its frames, in order (a
/// modern binary packet is a text frame and its attachments). Cloned into
/// every outbox of a broadcast.
#[derive(Clone, Debug)]
pub(crate) enum Encoded {
    One(Frame),
    Many(std::sync::Arc<[Frame]>),
}
