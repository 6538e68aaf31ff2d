use std::time::Duration;

use http::HeaderName;

use crate::legacy::Transport;
use crate::modern::Parser;

/// Which page origins may talk to the server (checked on every HTTP request
/// that carries an `Origin` header).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllowedOrigins {
    /// Any origin, as TornadIO2 and socket.io 0.9 allow by default.
    #[default]
    Any,
    /// Only these exact origins (`scheme://host[:port]`).
    List(Vec<String>),
}

impl AllowedOrigins {
    pub(crate) fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedOrigins::Any => true,
            AllowedOrigins::List(list) => list.iter().any(|allowed| allowed == origin),
        }
    }
}

/// Every setting of a server, with its default next to it. Build one with
/// `Settings::default()` and change fields, or use the builder methods of
/// [`crate::SocketIoBuilder`].
///
/// ```
/// use socketio::{AllowedOrigins, Settings};
///
/// let mut settings = Settings::default();
/// settings.allowed_origins = AllowedOrigins::List(vec!["https://app.example".into()]);
/// settings.max_http_body = 64 * 1024;
/// # #[derive(Default)] struct Main;
/// # impl socketio::Handler for Main {}
/// let io = socketio::SocketIo::builder(Main::default).settings(settings).build();
/// assert_eq!(io.settings().max_http_body, 65536);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// The URL prefix (`/socket.io/1/...`). Default `socket.io`.
    pub resource: String,
    /// Enabled transports, in the order the handshake advertises them.
    /// Default: every implemented transport.
    pub transports: Vec<Transport>,
    /// Time between server heartbeats. Default 25 s (socket.io 0.9; TornadIO2 used 12 s).
    pub heartbeat_interval: Duration,
    /// Announced in the handshake; a client silent for this long is dropped. Default 60 s.
    pub heartbeat_timeout: Duration,
    /// Announced in the handshake; a session with no transport bound for
    /// this long is closed. Default 60 s.
    pub close_timeout: Duration,
    /// How long a long-poll is held before an empty `8::` answer. Default 20 s.
    pub polling_duration: Duration,
    /// Page origins allowed to connect. Default: any.
    pub allowed_origins: AllowedOrigins,
    /// A header holding the client address, set by a trusted reverse proxy
    /// (e.g. `x-forwarded-for`; its first address is used). Default: none,
    /// the TCP peer address is used.
    pub trusted_proxy_header: Option<HeaderName>,
    /// Live sessions at most; more handshakes get 503. Default 100 000.
    pub max_sessions: usize,
    /// Largest request body accepted (larger: 413). Default 1 MiB.
    pub max_http_body: usize,
    /// Largest websocket message or frame (larger: close 1009). Default 1 MiB.
    pub max_websocket_message: usize,
    /// Most packets in one framed payload (more: refused). Default 1000.
    pub max_packets_per_payload: usize,
    /// Most packets queued for one client (reaching it closes the session). Default 10 000.
    pub max_queue_packets: usize,
    /// Most bytes queued for one client (reaching it closes the session). Default 16 MiB.
    pub max_queue_bytes: usize,
    /// Most endpoints one session may connect besides the main one. Default 64.
    pub max_endpoints_per_session: usize,
    /// Events queued for one connection's handler before the reader waits. Default 1024.
    pub handler_queue: usize,
    /// How long `emit_with_ack` waits by default. Default 30 s.
    pub ack_timeout: Duration,
    /// Acked emits waiting on one connection at most. Default 1024.
    pub max_pending_acks: usize,
    /// How long graceful shutdown lets clients drain and close hooks run. Default 10 s.
    pub shutdown_timeout: Duration,
    /// The Flash policy server's port, started by [`crate::Server`] when
    /// `flashsocket` is enabled; `None` disables it. Default 10843 (843,
    /// Flash's first choice, needs root).
    pub flash_policy_port: Option<u16>,
    /// How long the policy server waits for a request. Default 5 s.
    pub flash_policy_timeout: Duration,
    /// Handshaken sessions that no transport has bound yet, at most; more
    /// handshakes get 503. Default 10 000.
    pub max_pending_handshakes: usize,
    /// How long a handshake waits for its first transport before the
    /// session is dropped. Default 30 s (socket.io 0.9).
    pub handshake_expiry: Duration,
    /// How long [`crate::Server`] waits for a request's headers before it
    /// drops the connection (slowloris). Default 10 s. A mounted service
    /// leaves this to the host server.
    pub header_read_timeout: Duration,
    /// Largest request head (request line and headers together) accepted;
    /// a larger one is answered 431 Request Header Fields Too Large and
    /// the connection closed. Default 16 KiB, node's `maxHeaderSize`.
    /// [`crate::Server`] also caps its read buffer near it (hyper takes no
    /// less than 8 KiB); a mounted service checks the head it is given.
    pub max_header_bytes: usize,
    /// Most request headers accepted; more are answered 431 and the
    /// connection closed. Default 100, hyper's own cap.
    pub max_headers: usize,
    /// Serve the counters in Prometheus' text format at this exact path
    /// (e.g. `/metrics`). Default: off.
    pub metrics_path: Option<String>,
    /// Serve Socket.IO 0.7–0.9 clients (`/{resource}/1/...`). Default on.
    pub legacy_protocol: bool,
    /// Serve Engine.IO 3/4 clients (`/{resource}/?EIO=...`: socket.io-client
    /// 1.x to 4.x). Default on.
    pub modern_protocol: bool,
    /// Engine.IO: time between server pings (protocol 4), or announced to
    /// the client, which pings (protocol 3). Default 25 s, as socket.io 4.
    pub ping_interval: Duration,
    /// Engine.IO: how long a pong (v4) or the next ping (v3) may take
    /// before the session is closed. Default 20 s, as socket.io 4.
    pub ping_timeout: Duration,
    /// Engine.IO: largest polling body or websocket message, announced as
    /// `maxPayload`. Default 1 MB, as socket.io 4's `maxHttpBufferSize`.
    pub max_payload: usize,
    /// Engine.IO: most packets in one polling response; the rest stay
    /// queued, in order, for the next poll. Default 16: python-engineio 4
    /// refuses a payload of more and drops the connection. A response also
    /// stays within `max_payload` bytes, unless one packet alone is larger.
    pub max_packets_per_poll: usize,
    /// Socket.IO: most binary attachments in one event or ack (more closes
    /// the connection). Default 10, as socket.io 4.
    pub max_attachments: usize,
    /// Socket.IO: a client that connects no namespace within this time after
    /// its Engine.IO handshake is dropped. Default 45 s, as socket.io 4.
    pub connect_timeout: Duration,
    /// Socket.IO: how protocol 5 packets are encoded, for every namespace
    /// of this server (node's `parser` option): [`Parser::Json`] (the
    /// default, socket.io's own) or [`Parser::Msgpack`]
    /// (`socket.io-msgpack-parser` 3). Handlers, typed binding, acks and
    /// broadcasts are the same either way; clients must use the same
    /// parser. socket.io 2 and 0.9 clients are unaffected.
    pub parser: Parser,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            resource: "socket.io".to_owned(),
            transports: Transport::all(),
            heartbeat_interval: Duration::from_secs(25),
            heartbeat_timeout: Duration::from_secs(60),
            close_timeout: Duration::from_secs(60),
            polling_duration: Duration::from_secs(20),
            allowed_origins: AllowedOrigins::Any,
            trusted_proxy_header: None,
            max_sessions: 100_000,
            max_http_body: 1 << 20,
            max_websocket_message: 1 << 20,
            max_packets_per_payload: 1000,
            max_queue_packets: 10_000,
            max_queue_bytes: 16 << 20,
            max_endpoints_per_session: 64,
            handler_queue: 1024,
            ack_timeout: Duration::from_secs(30),
            max_pending_acks: 1024,
            shutdown_timeout: Duration::from_secs(10),
            flash_policy_port: Some(10843),
            flash_policy_timeout: Duration::from_secs(5),
            max_pending_handshakes: 10_000,
            handshake_expiry: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_headers: 100,
            metrics_path: None,
            legacy_protocol: true,
            modern_protocol: true,
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            max_payload: 1_000_000,
            max_packets_per_poll: 16,
            connect_timeout: Duration::from_secs(45),
            max_attachments: 10,
            parser: Parser::Json,
        }
    }
}

impl Settings {
    pub(crate) fn core_config(&self) -> crate::core::CoreConfig {
        crate::core::CoreConfig {
            max_sessions: self.max_sessions,
            heartbeat_interval: self.heartbeat_interval,
            connect_timeout: self.connect_timeout,
            max_attachments: self.max_attachments,
            heartbeat_timeout: self.heartbeat_timeout,
            close_timeout: self.close_timeout,
            max_queue_packets: self.max_queue_packets.max(1),
            max_queue_bytes: self.max_queue_bytes.max(1),
            inbox_capacity: self.handler_queue.max(1),
            max_endpoints_per_session: self.max_endpoints_per_session,
            max_packets_per_payload: self.max_packets_per_payload.max(1),
            ack_timeout: self.ack_timeout,
            max_pending_acks: self.max_pending_acks,
            max_pending_handshakes: self.max_pending_handshakes,
            handshake_expiry: self.handshake_expiry,
        }
    }

    pub(crate) fn engine_config(&self, stats: &std::sync::Arc<crate::core::Stats>) -> crate::engine::EngineConfig {
        crate::engine::EngineConfig {
            stats: stats.clone(),
            ping_interval: self.ping_interval,
            ping_timeout: self.ping_timeout,
            max_payload: self.max_payload,
            max_packets_per_payload: self.max_packets_per_payload.max(1),
            max_packets_per_poll: self.max_packets_per_poll.max(1),
            limits: crate::core::Limits {
                max_packets: self.max_queue_packets.max(1),
                max_bytes: self.max_queue_bytes.max(1),
            },
            upgrade_timeout: std::time::Duration::from_secs(10),
            max_sessions: self.max_sessions,
        }
    }

    /// The handshake body after the session id: `:heartbeat:close:transports`.
    pub(crate) fn handshake_tail(&self) -> String {
        let transports: Vec<&str> = self.transports.iter().map(|t| t.name()).collect();
        format!(
            ":{}:{}:{}",
            self.heartbeat_timeout.as_secs().max(1),
            self.close_timeout.as_secs().max(1),
            transports.join(",")
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{AllowedOrigins, Settings};
    use crate::Transport;

    /// The defaults the documentation promises, each in one place.
    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::default();
        assert_eq!(s.resource, "socket.io");
        assert_eq!(s.transports, Transport::all());
        assert_eq!(
            (
                s.heartbeat_interval,
                s.heartbeat_timeout,
                s.close_timeout,
                s.polling_duration
            ),
            (
                Duration::from_secs(25),
                Duration::from_secs(60),
                Duration::from_secs(60),
                Duration::from_secs(20)
            )
        );
        assert!(matches!(s.allowed_origins, AllowedOrigins::Any));
        assert!(s.trusted_proxy_header.is_none());
        assert_eq!((s.max_sessions, s.max_pending_handshakes), (100_000, 10_000));
        assert_eq!((s.max_http_body, s.max_websocket_message), (1 << 20, 1 << 20));
        assert_eq!(s.max_packets_per_payload, 1000);
        assert_eq!((s.max_queue_packets, s.max_queue_bytes), (10_000, 16 << 20));
        assert_eq!(s.max_endpoints_per_session, 64);
        assert_eq!((s.handler_queue, s.max_pending_acks), (1024, 1024));
        assert_eq!(s.ack_timeout, Duration::from_secs(30));
        assert_eq!(s.shutdown_timeout, Duration::from_secs(10));
        assert_eq!(s.flash_policy_port, Some(10843));
        assert_eq!(s.flash_policy_timeout, Duration::from_secs(5));
        assert_eq!(s.handshake_expiry, Duration::from_secs(30));
        assert_eq!(s.header_read_timeout, Duration::from_secs(10));
        assert_eq!((s.max_header_bytes, s.max_headers), (16 * 1024, 100));
        assert!(s.metrics_path.is_none());
        assert!(s.legacy_protocol && s.modern_protocol);
        assert_eq!(
            (s.ping_interval, s.ping_timeout),
            (Duration::from_secs(25), Duration::from_secs(20))
        );
        assert_eq!((s.max_payload, s.max_packets_per_poll), (1_000_000, 16));
        assert_eq!(s.connect_timeout, Duration::from_secs(45));
        assert_eq!(s.max_attachments, 10);
        assert_eq!(s.parser, crate::Parser::Json);
        assert_eq!(
            s.handshake_tail(),
            ":60:60:websocket,flashsocket,htmlfile,xhr-polling,jsonp-polling"
        );
    }
}
