use bytes::Bytes;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// One encoded Engine.IO packet: a text packet with its type digit (`4hi`,
/// `2`), or the data of a binary message. Cheap to clone, so a broadcast
/// encodes once.
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
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Frame::Text(text) => std::fmt::Debug::fmt(text.as_str(), f),
            Frame::Binary(data) => write!(f, "<{} bytes>", data.len()),
        }
    }
}

pub(crate) const PING: Frame = Frame::fixed("2");
pub(crate) const NOOP: Frame = Frame::fixed("6");
pub(crate) const CLOSE: Frame = Frame::fixed("1");
