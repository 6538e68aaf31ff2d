//! The four workloads. Every reply is checked: a wrong or missing ack, a
//! lost or reordered broadcast, a failed connect counts as an error, never
//! as a number.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

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

fn echo_args(seq: u64) -> String {
    format!("{seq},\"x\",{{\"k\":[1,2,3]}}")
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

/// Acked echo: `connections` clients keep `inflight` acked `echo` events
/// outstanding each for `duration`.
pub async fn echo(config: &Config) -> Result<Value, Error> {
    let clients = connect_all(config, config.connections).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let window = Window::open(config.pid);
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::spawn(echo_client(client, config.inflight, stop.clone(), config.drain)))
        .collect();
    tokio::time::sleep(config.duration).await;
    stop.store(true, Ordering::Release);
    let (seconds, cpu) = window.close();
    let (mut done, mut errors, mut latencies) = (0u64, 0u64, Latencies::default());
    for task in tasks {
        let (count, failed, lat) = task.await.map_err(|e| Error::Protocol(e.to_string()))?;
        done += count;
        errors += failed;
        latencies.extend(lat);
    }
    let mut out = base(config, "echo");
    out.insert("connections".into(), json!(config.connections));
    out.insert("inflight".into(), json!(config.inflight));
    out.insert("seconds".into(), json!(seconds));
    out.insert("msgs".into(), json!(done));
    out.insert("msgs_per_sec".into(), json!(done as f64 / seconds));
    out.insert("server_cpu".into(), json!(cpu));
    out.insert("msgs_per_cpu_sec".into(), json!(per_cpu(done as f64, cpu)));
    out.insert("p50_us".into(), json!(latencies.percentile(50.0)));
    out.insert("p99_us".into(), json!(latencies.percentile(99.0)));
    out.insert("p999_us".into(), json!(latencies.percentile(99.9)));
    out.insert("errors".into(), json!(errors));
    Ok(Value::Object(out))
}

fn per_cpu(count: f64, cpu: f64) -> Option<f64> {
    (cpu > 0.0).then(|| count / cpu)
}

/// One echo client: (acks counted in the window, errors, latencies).
async fn echo_client(
    mut client: Client,
    inflight: usize,
    stop: Arc<AtomicBool>,
    drain: Duration,
) -> (u64, u64, Latencies) {
    let mut latencies = Latencies::default();
    let mut pending: std::collections::VecDeque<(u64, Instant)> = std::collections::VecDeque::new();
    let (mut next, mut done, mut errors) = (1u64, 0u64, 0u64);
    for _ in 0..inflight {
        if client.emit("echo", &echo_args(next), Some(next)).await.is_err() {
            return (done, errors + 1, latencies);
        }
        pending.push_back((next, Instant::now()));
        next += 1;
    }
    let mut deadline: Option<tokio::time::Instant> = None;
    while !pending.is_empty() {
        let stopping = stop.load(Ordering::Acquire);
        if stopping && deadline.is_none() {
            deadline = Some(tokio::time::Instant::now() + drain);
        }
        let received = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, client.recv_batched()).await {
                Ok(received) => received,
                Err(_) => break,
            },
            None => client.recv_batched().await,
        };
        let Ok(Incoming::Ack(id, args)) = received else {
            if received.is_err() {
                break;
            }
            continue;
        };
        // Acks come back in order on one connection.
        let Some(position) = pending.iter().position(|(want, _)| *want == id) else {
            errors += 1;
            continue;
        };
        let (_, sent) = pending.remove(position).unwrap_or((id, Instant::now()));
        if !same_args(&args, &echo_args(id)) {
            errors += 1;
        }
        if !stopping {
            done += 1;
            latencies.record(sent.elapsed().as_micros());
            if client.emit("echo", &echo_args(next), Some(next)).await.is_err() {
                break;
            }
            pending.push_back((next, Instant::now()));
            next += 1;
        }
    }
    errors += pending.len() as u64;
    client.close().await;
    (done, errors, latencies)
}

/// Broadcast fan-out: `connections` subscribers in one room, one publisher
/// keeping `inflight` acked `publish` events outstanding.
pub async fn fanout(config: &Config) -> Result<Value, Error> {
    let mut subscribers = connect_all(config, config.connections).await?;
    for (i, subscriber) in subscribers.iter_mut().enumerate() {
        subscriber.emit("join", "\"bench\"", Some(1)).await?;
        match subscriber.recv_batched().await? {
            Incoming::Ack(1, _) => {}
            other => return Err(Error::Protocol(format!("subscriber {i}: join answered {other:?}"))),
        }
    }
    let mut publisher = Client::connect(&config.addr, config.protocol, config.transport).await?;
    let clock = Instant::now();
    let published = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let receivers: Vec<_> = subscribers
        .into_iter()
        .map(|subscriber| {
            tokio::spawn(subscribe(
                subscriber,
                clock,
                published.clone(),
                stop.clone(),
                config.drain,
            ))
        })
        .collect();
    let window = Window::open(config.pid);
    let publishing = {
        let (published, stop, inflight) = (published.clone(), stop.clone(), config.inflight);
        tokio::spawn(async move {
            let mut outstanding = 0usize;
            let mut seq = 0u64;
            loop {
                while outstanding < inflight && !stop.load(Ordering::Acquire) {
                    let payload = format!("\"bench\",\"{seq}:{}\"", clock.elapsed().as_micros());
                    if publisher.emit("publish", &payload, Some(seq + 1)).await.is_err() {
                        return;
                    }
                    seq += 1;
                    published.store(seq, Ordering::Release);
                    outstanding += 1;
                }
                if outstanding == 0 {
                    return;
                }
                match publisher.recv_batched().await {
                    Ok(Incoming::Ack(..)) => outstanding -= 1,
                    Ok(Incoming::Event(..)) => {}
                    Err(_) => return,
                }
            }
        })
    };
    tokio::time::sleep(config.duration).await;
    stop.store(true, Ordering::Release);
    let _ = publishing.await;
    let (seconds, cpu) = window.close();
    let total = published.load(Ordering::Acquire);
    let (mut deliveries, mut errors, mut latencies) = (0u64, 0u64, Latencies::default());
    for receiver in receivers {
        let (got, failed, lat) = receiver.await.map_err(|e| Error::Protocol(e.to_string()))?;
        deliveries += got;
        errors += failed;
        latencies.extend(lat);
    }
    let mut out = base(config, "fanout");
    out.insert("subscribers".into(), json!(config.connections));
    out.insert("inflight".into(), json!(config.inflight));
    out.insert("seconds".into(), json!(seconds));
    out.insert("published".into(), json!(total));
    out.insert("deliveries".into(), json!(deliveries));
    out.insert("deliveries_per_sec".into(), json!(deliveries as f64 / seconds));
    out.insert("server_cpu".into(), json!(cpu));
    out.insert("deliveries_per_cpu_sec".into(), json!(per_cpu(deliveries as f64, cpu)));
    out.insert("p50_us".into(), json!(latencies.percentile(50.0)));
    out.insert("p99_us".into(), json!(latencies.percentile(99.0)));
    out.insert("p999_us".into(), json!(latencies.percentile(99.9)));
    out.insert("errors".into(), json!(errors));
    Ok(Value::Object(out))
}

/// One subscriber: every `news` in order, none missing once publishing stops.
async fn subscribe(
    mut client: Client,
    clock: Instant,
    published: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    drain: Duration,
) -> (u64, u64, Latencies) {
    let mut latencies = Latencies::default();
    let (mut expected, mut errors) = (0u64, 0u64);
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        if stop.load(Ordering::Acquire) {
            if expected >= published.load(Ordering::Acquire) {
                break;
            }
            deadline.get_or_insert_with(|| tokio::time::Instant::now() + drain);
        }
        let received = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, client.recv()).await {
                Ok(received) => received,
                Err(_) => break,
            },
            // Wake now and then to notice the end of publishing.
            None => match tokio::time::timeout(Duration::from_millis(100), client.recv()).await {
                Ok(received) => received,
                Err(_) => continue,
            },
        };
        match received {
            Ok(Incoming::Event(name, args)) if name == "news" => {
                let Some((seq, sent)) = args
                    .trim_start_matches("[\"")
                    .trim_end_matches("\"]")
                    .split_once(':')
                    .and_then(|(seq, sent)| Some((seq.parse::<u64>().ok()?, sent.parse::<u128>().ok()?)))
                else {
                    errors += 1;
                    continue;
                };
                if seq != expected {
                    errors += 1;
                }
                expected = seq + 1;
                latencies.record(clock.elapsed().as_micros().saturating_sub(sent));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let total = published.load(Ordering::Acquire);
    errors += total.saturating_sub(expected);
    client.close().await;
    (expected.min(total), errors, latencies)
}

/// Idle sessions: connect `connections` websocket clients, then read the
/// server's resident memory per session.
pub async fn idle(config: &Config) -> Result<Value, Error> {
    let pid = config.pid.ok_or_else(|| Error::Usage("idle needs --pid".into()))?;
    let before = rss_bytes(pid);
    let clients = connect_all(config, config.connections).await?;
    // Keep them alive: heartbeats are answered by reading.
    let alive: Vec<_> = clients
        .into_iter()
        .map(|mut client| tokio::spawn(async move { while client.recv().await.is_ok() {} }))
        .collect();
    // Let the server settle (allocator, timers) before reading its memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_bytes(pid);
    for task in &alive {
        task.abort();
    }
    let mut out = base(config, "idle");
    out.insert("sessions".into(), json!(config.connections));
    out.insert("rss_before".into(), json!(before));
    out.insert("rss_after".into(), json!(after));
    out.insert(
        "bytes_per_session".into(),
        json!(after.saturating_sub(before) as f64 / config.connections as f64),
    );
    out.insert("errors".into(), json!(0));
    Ok(Value::Object(out))
}

/// Connect rate: `inflight` loops each connecting (handshake, transport,
/// connected packet) and closing, for `duration`.
pub async fn connect_rate(config: &Config) -> Result<Value, Error> {
    let stop = Arc::new(AtomicBool::new(false));
    let window = Window::open(config.pid);
    let loops: Vec<_> = (0..config.inflight)
        .map(|_| {
            let (config, stop) = (config.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut done, mut errors, mut latencies) = (0u64, 0u64, Latencies::default());
                while !stop.load(Ordering::Acquire) {
                    let started = Instant::now();
                    match Client::connect(&config.addr, config.protocol, config.transport).await {
                        Ok(client) => {
                            latencies.record(started.elapsed().as_micros());
                            done += 1;
                            client.close().await;
                        }
                        Err(_) => errors += 1,
                    }
                }
                (done, errors, latencies)
            })
        })
        .collect();
    tokio::time::sleep(config.duration).await;
    stop.store(true, Ordering::Release);
    let (seconds, cpu) = window.close();
    let (mut done, mut errors, mut latencies) = (0u64, 0u64, Latencies::default());
    for task in loops {
        let (d, e, l) = task.await.map_err(|e| Error::Protocol(e.to_string()))?;
        done += d;
        errors += e;
        latencies.extend(l);
    }
    let mut out = base(config, "connect");
    out.insert("concurrency".into(), json!(config.inflight));
    out.insert("seconds".into(), json!(seconds));
    out.insert("connects".into(), json!(done));
    out.insert("connects_per_sec".into(), json!(done as f64 / seconds));
    out.insert("server_cpu".into(), json!(cpu));
    out.insert("connects_per_cpu_sec".into(), json!(per_cpu(done as f64, cpu)));
    out.insert("p50_us".into(), json!(latencies.percentile(50.0)));
    out.insert("p99_us".into(), json!(latencies.percentile(99.0)));
    out.insert("errors".into(), json!(errors));
    Ok(Value::Object(out))
}
