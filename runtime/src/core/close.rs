/// Why a session ended, in either protocol family. Logged; it decides
/// what the client is told, and whether anyone will come back for what is
/// still queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    /// The client said goodbye (legacy `0::` or `?disconnect`, Engine.IO close).
    ClientDisconnect,
    /// The application closed it.
    ServerClose,
    /// A handler panicked.
    HandlerPanic,
    /// The client missed its heartbeats (legacy) or pings/pongs (Engine.IO).
    HeartbeatTimeout,
    /// No transport was bound for the close timeout.
    CloseTimeout,
    /// No transport ever bound within the handshake expiry.
    HandshakeExpired,
    /// The client's websocket went away.
    TransportClosed,
    /// The client broke the protocol (bad packet, two polls at once).
    ProtocolError,
    /// The outbound queue reached its bound: the client is not reading.
    QueueFull,
    /// The server is shutting down.
    Shutdown,
}
