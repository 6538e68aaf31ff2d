use tokio_tungstenite::tungstenite::Utf8Bytes;

/// One encoded packet, ready for any transport. Cheap to clone, so a
/// broadcast encodes once and shares the bytes with every member's queue.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Frame(Utf8Bytes);

impl Frame {
    pub(crate) fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn into_utf8_bytes(self) -> Utf8Bytes {
        self.0
    }
}

impl From<String> for Frame {
    fn from(text: String) -> Self {
        Self(Utf8Bytes::from(text))
    }
}

impl From<&'static str> for Frame {
    fn from(text: &'static str) -> Self {
        Self(Utf8Bytes::from_static(text))
    }
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}
