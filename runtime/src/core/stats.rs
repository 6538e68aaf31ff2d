//! Counters of what the server does, like TornadIO2's stats: live sessions
//! and bound transports (with their peaks), and packets, bytes and new
//! connections per second averaged over a moving window.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::Serialize;

const CARRIERS: usize = 6;
/// Seconds in the moving averages (TornadIO2 used 10 one-second samples).
pub(crate) const WINDOW: usize = 10;

/// What carries a session's packets right now, as the counters tell them
/// apart: the five 0.9 transports, and Engine.IO's long-polling (an
/// Engine.IO websocket counts as a websocket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carrier {
    WebSocket,
    FlashSocket,
    HtmlFile,
    XhrPolling,
    JsonpPolling,
    EnginePolling,
}

fn slot(carrier: Carrier) -> usize {
    carrier as usize
}

/// Shared by every session of a server, of both protocol families.
#[derive(Default)]
pub(crate) struct Stats {
    active_sessions: AtomicUsize,
    max_sessions: AtomicUsize,
    sessions_total: AtomicU64,
    bound: [AtomicUsize; CARRIERS],
    max_connections: AtomicUsize,
    connections_total: AtomicU64,
    packets_in: AtomicU64,
    packets_out: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    samples: Mutex<Samples>,
}

#[derive(Default)]
struct Samples {
    /// Counter totals at each of the last `WINDOW + 1` seconds.
    history: VecDeque<[u64; 5]>,
}

fn raise_max(max: &AtomicUsize, value: usize) {
    max.fetch_max(value, Ordering::Relaxed);
}

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stats")
            .field("active_sessions", &self.active_sessions)
            .finish_non_exhaustive()
    }
}

impl Stats {
    /// Counts a new session unless `limit` live sessions (of either protocol
    /// family) already exist; one atomic step, so racing handshakes cannot
    /// overshoot it.
    pub(crate) fn reserve_session(&self, limit: usize) -> bool {
        let reserved = self
            .active_sessions
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |live| {
                (live < limit).then_some(live + 1)
            });
        match reserved {
            Ok(before) => {
                raise_max(&self.max_sessions, before + 1);
                true
            }
            Err(_) => false,
        }
    }

    /// A reserved session went into service.
    pub(crate) fn session_opened(&self) {
        self.sessions_total.fetch_add(1, Ordering::Relaxed);
    }

    /// A reserved session ended, or was refused before it opened.
    pub(crate) fn session_closed(&self) {
        self.active_sessions.fetch_sub(1, Ordering::AcqRel);
    }

    pub(crate) fn transport_bound(&self, carrier: Carrier) {
        self.bound[slot(carrier)].fetch_add(1, Ordering::Relaxed);
        let total: usize = self.bound.iter().map(|b| b.load(Ordering::Relaxed)).sum();
        raise_max(&self.max_connections, total);
        self.connections_total.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn transport_unbound(&self, carrier: Carrier) {
        self.bound[slot(carrier)].fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn received(&self, packets: usize, bytes: usize) {
        self.packets_in.fetch_add(packets as u64, Ordering::Relaxed);
        self.bytes_in.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn sent(&self, packets: usize, bytes: usize) {
        self.packets_out.fetch_add(packets as u64, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    fn totals(&self) -> [u64; 5] {
        [
            self.connections_total.load(Ordering::Relaxed),
            self.packets_out.load(Ordering::Relaxed),
            self.packets_in.load(Ordering::Relaxed),
            self.bytes_out.load(Ordering::Relaxed),
            self.bytes_in.load(Ordering::Relaxed),
        ]
    }

    /// Takes this second's sample (called once a second by the stats ticker).
    pub(crate) fn tick(&self) {
        let totals = self.totals();
        let mut samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        samples.history.push_back(totals);
        while samples.history.len() > WINDOW + 1 {
            samples.history.pop_front();
        }
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        let samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        let rate = |index: usize| -> f64 {
            match (samples.history.front(), samples.history.back()) {
                (Some(first), Some(last)) if samples.history.len() > 1 => {
                    (last[index] - first[index]) as f64 / (samples.history.len() - 1) as f64
                }
                _ => 0.0,
            }
        };
        let by_transport = |carrier: Carrier| self.bound[slot(carrier)].load(Ordering::Relaxed);
        StatsSnapshot {
            active_sessions: self.active_sessions.load(Ordering::Relaxed),
            max_sessions: self.max_sessions.load(Ordering::Relaxed),
            active_connections: self.bound.iter().map(|b| b.load(Ordering::Relaxed)).sum(),
            max_connections: self.max_connections.load(Ordering::Relaxed),
            connections_ps: rate(0),
            packets_sent_ps: rate(1),
            packets_recv_ps: rate(2),
            bytes_sent_ps: rate(3),
            bytes_recv_ps: rate(4),
            connections_by_transport: ConnectionsByTransport {
                websocket: by_transport(Carrier::WebSocket),
                flashsocket: by_transport(Carrier::FlashSocket),
                htmlfile: by_transport(Carrier::HtmlFile),
                xhr_polling: by_transport(Carrier::XhrPolling),
                jsonp_polling: by_transport(Carrier::JsonpPolling),
                polling: by_transport(Carrier::EnginePolling),
            },
            sessions_total: self.sessions_total.load(Ordering::Relaxed),
            connections_total: self.connections_total.load(Ordering::Relaxed),
            packets_sent_total: self.packets_out.load(Ordering::Relaxed),
            packets_recv_total: self.packets_in.load(Ordering::Relaxed),
            bytes_sent_total: self.bytes_out.load(Ordering::Relaxed),
            bytes_recv_total: self.bytes_in.load(Ordering::Relaxed),
        }
    }
}

/// Transports bound right now, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ConnectionsByTransport {
    /// Open RFC 6455 or hixie-76 sockets on the websocket path.
    pub websocket: usize,
    /// Open sockets on the flashsocket path.
    pub flashsocket: usize,
    /// Open htmlfile streams.
    pub htmlfile: usize,
    /// Held xhr-polling requests.
    pub xhr_polling: usize,
    /// Held jsonp-polling requests.
    pub jsonp_polling: usize,
    /// Held Engine.IO long-polling requests (socket.io-client 1.x to 4.x).
    pub polling: usize,
}

/// A reading of the server's counters. The first seven fields are
/// TornadIO2's `stats.dump()`; rates are per second over the last 10 s.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// Live sessions.
    pub active_sessions: usize,
    /// The most live sessions seen at once.
    pub max_sessions: usize,
    /// Transports bound to sessions right now (a held poll, an open socket).
    pub active_connections: usize,
    /// The most transports bound at once.
    pub max_connections: usize,
    /// New transport bindings per second.
    pub connections_ps: f64,
    /// Packets delivered to clients per second.
    pub packets_sent_ps: f64,
    /// Packets received from clients per second.
    pub packets_recv_ps: f64,
    /// Packet bytes delivered per second.
    pub bytes_sent_ps: f64,
    /// Payload bytes received per second.
    pub bytes_recv_ps: f64,
    /// Bound transports by kind.
    pub connections_by_transport: ConnectionsByTransport,
    /// Sessions opened since start.
    pub sessions_total: u64,
    /// Transport bindings made since start.
    pub connections_total: u64,
    /// Packets delivered since start.
    pub packets_sent_total: u64,
    /// Packets received since start.
    pub packets_recv_total: u64,
    /// Packet bytes delivered since start.
    pub bytes_sent_total: u64,
    /// Payload bytes received since start.
    pub bytes_recv_total: u64,
}

impl StatsSnapshot {
    /// The snapshot in Prometheus' text exposition format.
    pub fn to_prometheus(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            out.push_str(&format!(
                "# HELP socketio_{name} {help}\n# TYPE socketio_{name} {kind}\n"
            ));
            out.push_str(&format!("socketio_{name} {value}\n"));
        };
        metric(
            "active_sessions",
            "gauge",
            "Live Socket.IO sessions.",
            self.active_sessions.to_string(),
        );
        metric(
            "max_sessions",
            "gauge",
            "Most live sessions seen.",
            self.max_sessions.to_string(),
        );
        metric(
            "max_connections",
            "gauge",
            "Most bound transports seen.",
            self.max_connections.to_string(),
        );
        metric(
            "sessions_total",
            "counter",
            "Sessions opened.",
            self.sessions_total.to_string(),
        );
        metric(
            "connections_total",
            "counter",
            "Transport bindings made.",
            self.connections_total.to_string(),
        );
        metric(
            "packets_sent_total",
            "counter",
            "Packets delivered to clients.",
            self.packets_sent_total.to_string(),
        );
        metric(
            "packets_received_total",
            "counter",
            "Packets received from clients.",
            self.packets_recv_total.to_string(),
        );
        metric(
            "bytes_sent_total",
            "counter",
            "Packet bytes delivered to clients.",
            self.bytes_sent_total.to_string(),
        );
        metric(
            "bytes_received_total",
            "counter",
            "Payload bytes received from clients.",
            self.bytes_recv_total.to_string(),
        );
        for (name, help, value) in [
            (
                "connections_per_second",
                "New transport bindings per second, over 10 s.",
                self.connections_ps,
            ),
            (
                "packets_sent_per_second",
                "Packets delivered per second, over 10 s.",
                self.packets_sent_ps,
            ),
            (
                "packets_received_per_second",
                "Packets received per second, over 10 s.",
                self.packets_recv_ps,
            ),
            (
                "bytes_sent_per_second",
                "Packet bytes delivered per second, over 10 s.",
                self.bytes_sent_ps,
            ),
            (
                "bytes_received_per_second",
                "Payload bytes received per second, over 10 s.",
                self.bytes_recv_ps,
            ),
        ] {
            metric(name, "gauge", help, value.to_string());
        }
        out.push_str("# HELP socketio_active_connections Transports bound right now.\n# TYPE socketio_active_connections gauge\n");
        let c = &self.connections_by_transport;
        for (name, value) in [
            ("websocket", c.websocket),
            ("flashsocket", c.flashsocket),
            ("htmlfile", c.htmlfile),
            ("xhr-polling", c.xhr_polling),
            ("jsonp-polling", c.jsonp_polling),
            ("polling", c.polling),
        ] {
            out.push_str(&format!(
                "socketio_active_connections{{transport=\"{name}\"}} {value}\n"
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Stats;

    #[test]
    fn sessions_are_reserved_up_to_the_limit_and_released() {
        let stats = Stats::default();
        assert!(stats.reserve_session(2));
        assert!(stats.reserve_session(2));
        assert!(!stats.reserve_session(2), "the limit holds");
        stats.session_closed();
        assert!(stats.reserve_session(2), "a closed session makes room");
        let snapshot = stats.snapshot();
        assert_eq!((snapshot.active_sessions, snapshot.max_sessions), (2, 2));
    }

    #[test]
    fn rates_average_the_last_ten_seconds() {
        let stats = Stats::default();
        assert_eq!(stats.snapshot().packets_recv_ps, 0.0, "no sample yet");
        stats.tick();
        // Twelve seconds of 10 packets (100 bytes) in and 2 out each: the
        // window holds the last ten.
        for second in 0..12u64 {
            stats.received(10, 100);
            stats.sent(2, 20 + second as usize);
            stats.transport_bound(super::Carrier::XhrPolling);
            stats.tick();
        }
        let snapshot = stats.snapshot();
        assert_eq!(snapshot.packets_recv_ps, 10.0);
        assert_eq!(snapshot.bytes_recv_ps, 100.0);
        assert_eq!(snapshot.packets_sent_ps, 2.0);
        assert_eq!(
            snapshot.bytes_sent_ps,
            20.0 + 6.5,
            "bytes 22..=31 over the last ten seconds"
        );
        assert_eq!(snapshot.connections_ps, 1.0);
        assert_eq!(snapshot.packets_recv_total, 120);
        assert_eq!(snapshot.connections_by_transport.xhr_polling, 12);
        let text = snapshot.to_prometheus();
        assert!(
            text.contains(
                "# TYPE socketio_packets_received_per_second gauge\nsocketio_packets_received_per_second 10\n"
            ),
            "{text}"
        );
        assert!(text.contains("socketio_bytes_sent_per_second 26.5\n"), "{text}");
    }
}
