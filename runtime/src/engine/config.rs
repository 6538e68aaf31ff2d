use std::time::Duration;

/// What every Engine.IO session of one server shares.
#[derive(Debug, Clone)]
pub(crate) struct EngineConfig {
    pub(crate) ping_interval: Duration,
    pub(crate) ping_timeout: Duration,
    /// Largest polling body or websocket message, announced as `maxPayload`.
    pub(crate) max_payload: usize,
    pub(crate) max_packets_per_payload: usize,
    /// Most packets in one polling response (the rest wait for the next).
    pub(crate) max_packets_per_poll: usize,
    /// Outbound queue bounds: a client that stops reading is dropped.
    pub(crate) limits: crate::core::Limits,
    /// How long an upgrading websocket may take between probe and upgrade.
    pub(crate) upgrade_timeout: Duration,
    /// Live sessions of every protocol family together.
    pub(crate) max_sessions: usize,
    /// The server's counters, shared with every other endpoint.
    pub(crate) stats: std::sync::Arc<crate::core::Stats>,
}
