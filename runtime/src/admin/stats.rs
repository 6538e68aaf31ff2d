//! `server_stats`, as each server sends it to the UI on a timer: who it is,
//! its client counts, its namespaces, and what moved since the last one
//! (node's aggregated events, per second).

use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use serde_json::{Value, json};

use crate::admin::serialize::node_namespace;
use crate::admin::{AdminUi, time};
use crate::core::{Hub, StatsSnapshot};

pub(crate) struct Ticker {
    hub: Weak<Hub>,
    server_id: String,
    hostname: String,
    started: Instant,
    /// The counters at the last tick, for the deltas.
    last: Mutex<StatsSnapshot>,
}

/// The machine's name, as node's `os.hostname()`.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

impl Ticker {
    pub(crate) fn new(hub: &Arc<Hub>, ui: &AdminUi) -> Self {
        let hostname = hostname();
        Self {
            hub: Arc::downgrade(hub),
            server_id: ui.server_id.clone().unwrap_or_else(|| hostname.clone()),
            hostname,
            started: Instant::now(),
            last: Mutex::new(hub.stats.snapshot()),
        }
    }

    pub(crate) fn stats(&self) -> Value {
        let Some(hub) = self.hub.upgrade() else {
            return Value::Null;
        };
        let now = hub.stats.snapshot();
        let last = std::mem::replace(&mut *self.last.lock().unwrap_or_else(|p| p.into_inner()), now.clone());
        let second = time::this_second_ms();
        let mut aggregated = Vec::new();
        for (kind, count) in [
            ("rawConnection", now.sessions_total.saturating_sub(last.sessions_total)),
            (
                "packetsIn",
                now.packets_recv_total.saturating_sub(last.packets_recv_total),
            ),
            (
                "packetsOut",
                now.packets_sent_total.saturating_sub(last.packets_sent_total),
            ),
            ("bytesIn", now.bytes_recv_total.saturating_sub(last.bytes_recv_total)),
            ("bytesOut", now.bytes_sent_total.saturating_sub(last.bytes_sent_total)),
        ] {
            if count > 0 {
                aggregated.push(json!({ "timestamp": second, "type": kind, "count": count }));
            }
        }
        let held = &now.connections_by_transport;
        let namespaces: Vec<Value> = hub
            .rooms
            .namespaces()
            .into_iter()
            .map(|(name, sockets)| json!({ "name": node_namespace(&name), "socketsCount": sockets }))
            .collect();
        json!({
            "serverId": self.server_id,
            "hostname": self.hostname,
            "pid": std::process::id(),
            "uptime": self.started.elapsed().as_secs_f64(),
            "clientsCount": now.active_sessions,
            // Held long-polling requests of either family: a polling client
            // holds one almost all the time.
            "pollingClientsCount": held.polling + held.xhr_polling + held.jsonp_polling + held.htmlfile,
            "aggregatedEvents": aggregated,
            "namespaces": namespaces,
        })
    }
}
