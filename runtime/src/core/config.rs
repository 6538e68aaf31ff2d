use std::time::Duration;

use crate::core::Limits;

/// The settings sessions of both families run by: a copy of the relevant
/// part of the server's `Settings`, so the core does not depend on the
/// server layer.
#[derive(Debug, Clone)]
pub(crate) struct CoreConfig {
    /// Live sessions of every family together, at most.
    pub(crate) max_sessions: usize,
    pub(crate) heartbeat_interval: Duration,
    /// Socket.IO v4/v5: time to connect a namespace after the Engine.IO handshake.
    pub(crate) connect_timeout: Duration,
    /// Socket.IO v4/v5: most binary attachments in one packet.
    pub(crate) max_attachments: usize,
    pub(crate) heartbeat_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) max_queue_packets: usize,
    pub(crate) max_queue_bytes: usize,
    pub(crate) inbox_capacity: usize,
    pub(crate) max_endpoints_per_session: usize,
    pub(crate) max_packets_per_payload: usize,
    pub(crate) ack_timeout: Duration,
    pub(crate) max_pending_acks: usize,
    pub(crate) max_pending_handshakes: usize,
    pub(crate) handshake_expiry: Duration,
    /// Connection state recovery, when on.
    pub(crate) recovery: Option<crate::core::ConnectionStateRecovery>,
}

impl CoreConfig {
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            max_packets: self.max_queue_packets,
            max_bytes: self.max_queue_bytes,
        }
    }
}
