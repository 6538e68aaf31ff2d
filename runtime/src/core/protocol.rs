/// The Socket.IO protocol revision a connection speaks; the server serves
/// all three from the same handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// Socket.IO 0.7–0.9 (`/socket.io/1/...`), every transport from websocket
    /// to jsonp-polling.
    Legacy,
    /// Socket.IO protocol 4 over Engine.IO 3: socket.io-client 1.x and 2.x.
    V4,
    /// Socket.IO protocol 5 over Engine.IO 4: socket.io-client 3.x and 4.x.
    V5,
}

impl Protocol {
    pub(crate) fn is_modern(self) -> bool {
        self != Protocol::Legacy
    }
}
