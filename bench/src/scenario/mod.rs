//! The five workloads, a file each (both fan-outs in one). Every reply is
//! checked: a wrong or missing ack, a lost or reordered broadcast, a failed
//! connect counts as an error, never as a number.

mod connect;
mod echo;
mod fanout;
mod idle;

pub use connect::connect_rate;
pub use echo::echo;
pub use fanout::{cluster_fanout, fanout};
pub use idle::idle;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::Error;
use crate::client::{Client, Incoming, Protocol, Transport};
use crate::measure::{Latencies, cpu_seconds, rss_bytes};

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: String,
    pub addr: String,
    pub pid: Option<u32>,
    pub protocol: Protocol,
    pub transport: Transport,
    pub connections: usize,
    pub inflight: usize,
    pub duration: Duration,
    /// How long stragglers may take after the window before they count as lost.
    pub drain: Duration,
    /// The cluster scenario's second server, and its process.
    pub addr2: Option<String>,
    pub pid2: Option<u32>,
    /// The cluster scenario's Redis process, whose CPU is reported apart.
    pub redis_pid: Option<u32>,
    /// Echo: bytes of the string argument; 0 for the small default
    /// arguments (`seq, "x", {"k":[1,2,3]}`).
    pub payload: usize,
    /// Idle: how long to read the server's CPU once every session is in.
    pub window: Duration,
    /// Idle: the server's heartbeat interval, as the script started it
    /// (only reported).
    pub ping_ms: Option<u64>,
}

/// How many connects run at once while a scenario sets up.
const CONNECT_CONCURRENCY: usize = 128;

async fn connect_all(config: &Config, count: usize) -> Result<Vec<Client>, Error> {
    futures_util::stream::iter(0..count)
        .map(|_| Client::connect(&config.addr, config.protocol, config.transport))
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Server CPU time over a window.
struct Window {
    pid: Option<u32>,
    started: Instant,
    cpu: f64,
}

impl Window {
    fn open(pid: Option<u32>) -> Self {
        Self {
            pid,
            started: Instant::now(),
            cpu: pid.map_or(0.0, cpu_seconds),
        }
    }

    /// Seconds elapsed and server CPU seconds used.
    fn close(&self) -> (f64, f64) {
        let cpu = self.pid.map_or(0.0, cpu_seconds) - self.cpu;
        (self.started.elapsed().as_secs_f64(), cpu)
    }
}

fn base(config: &Config, scenario: &str) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    out.insert("server".into(), json!(config.server));
    out.insert(
        "protocol".into(),
        json!(format!("{:?}", config.protocol).to_lowercase()),
    );
    out.insert(
        "transport".into(),
        json!(match config.transport {
            Transport::WebSocket => "websocket",
            Transport::Polling => "polling",
        }),
    );
    out.insert("scenario".into(), json!(scenario));
    out
}

fn per_cpu(count: f64, cpu: f64) -> Option<f64> {
    (cpu > 0.0).then(|| count / cpu)
}

/// Whether `got` (a JSON array) carries exactly `args`.
fn same_args(got: &str, args: &str) -> bool {
    if got.len() == args.len() + 2 && got.starts_with('[') && got.ends_with(']') && &got[1..got.len() - 1] == args {
        return true;
    }
    // Servers may format JSON differently; compare values.
    let parsed = |text: &str| serde_json::from_str::<Value>(text).ok();
    parsed(got).is_some_and(|got| Some(got) == parsed(&format!("[{args}]")))
}
