/// Why a session ended, in either protocol family. Logged; it decides
/// what the client is told, and whether anyone will come back for what is
/// still queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
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

impl CloseReason {
    /// The reason node's socket.io gives a socket's `disconnect` for it (what
    /// the admin UI shows).
    pub(crate) fn node_reason(self) -> &'static str {
        match self {
            CloseReason::ClientDisconnect => "client namespace disconnect",
            CloseReason::ServerClose => "server namespace disconnect",
            CloseReason::HandlerPanic | CloseReason::QueueFull => "forced close",
            CloseReason::HeartbeatTimeout => "ping timeout",
            CloseReason::CloseTimeout | CloseReason::HandshakeExpired | CloseReason::TransportClosed => {
                "transport close"
            }
            CloseReason::ProtocolError => "parse error",
            CloseReason::Shutdown => "server shutting down",
        }
    }
}

/// Why one namespace connection ended: the whole session's reason, or its
/// own disconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Departure {
    /// The client left this namespace only.
    ClientNamespace,
    /// The server closed this namespace connection only.
    ServerNamespace,
    Session(CloseReason),
}

impl Departure {
    pub(crate) fn node_reason(self) -> &'static str {
        match self {
            Departure::ClientNamespace => "client namespace disconnect",
            Departure::ServerNamespace => "server namespace disconnect",
            Departure::Session(reason) => reason.node_reason(),
        }
    }

    /// One byte, for a connection to keep: 0 is "not gone".
    pub(crate) fn code(self) -> u8 {
        match self {
            Departure::ClientNamespace => 1,
            Departure::ServerNamespace => 2,
            Departure::Session(reason) => 16 + reason as u8,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Departure> {
        const REASONS: [CloseReason; 10] = [
            CloseReason::ClientDisconnect,
            CloseReason::ServerClose,
            CloseReason::HandlerPanic,
            CloseReason::HeartbeatTimeout,
            CloseReason::CloseTimeout,
            CloseReason::HandshakeExpired,
            CloseReason::TransportClosed,
            CloseReason::ProtocolError,
            CloseReason::QueueFull,
            CloseReason::Shutdown,
        ];
        match code {
            1 => Some(Departure::ClientNamespace),
            2 => Some(Departure::ServerNamespace),
            _ => REASONS
                .iter()
                .find(|reason| 16 + **reason as u8 == code)
                .map(|reason| Departure::Session(*reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_departure_survives_its_code() {
        for reason in [
            CloseReason::ClientDisconnect,
            CloseReason::ServerClose,
            CloseReason::HandlerPanic,
            CloseReason::HeartbeatTimeout,
            CloseReason::CloseTimeout,
            CloseReason::HandshakeExpired,
            CloseReason::TransportClosed,
            CloseReason::ProtocolError,
            CloseReason::QueueFull,
            CloseReason::Shutdown,
        ] {
            let departure = Departure::Session(reason);
            assert_eq!(Departure::from_code(departure.code()), Some(departure));
        }
        for departure in [Departure::ClientNamespace, Departure::ServerNamespace] {
            assert_eq!(Departure::from_code(departure.code()), Some(departure));
        }
        assert_eq!(Departure::from_code(0), None);
    }
}
