//! The five workloads. Every reply is checked: a wrong or missing ack, a
//! lost or reordered broadcast, a failed connect counts as an error, never
//! as a number.

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

/// The arguments of echo number `seq`: the small default, or a string of
/// `filler` (the payload) after the number.
fn echo_args(seq: u64, filler: Option<&str>) -> String {
    match filler {
        None => format!("{seq},\"x\",{{\"k\":[1,2,3]}}"),
        Some(filler) => format!("{seq},\"{filler}\""),
    }
}

/// The string argument of a `payload`-byte echo; `None` for the default.
fn filler(payload: usize) -> Option<Arc<str>> {
    (payload > 0).then(|| "x".repeat(payload).into())
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
    let filler = filler(config.payload);
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|client| {
            tokio::spawn(echo_client(
                client,
                config.inflight,
                filler.clone(),
                stop.clone(),
                config.drain,
            ))
        })
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
    out.insert("payload".into(), json!(config.payload));
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
    filler: Option<Arc<str>>,
    stop: Arc<AtomicBool>,
    drain: Duration,
) -> (u64, u64, Latencies) {
    let mut latencies = Latencies::default();
    let mut pending: std::collections::VecDeque<(u64, Instant)> = std::collections::VecDeque::new();
    let (mut next, mut done, mut errors) = (1u64, 0u64, 0u64);
    for _ in 0..inflight {
        if client
            .emit("echo", &echo_args(next, filler.as_deref()), Some(next))
            .await
            .is_err()
        {
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
        if !same_args(&args, &echo_args(id, filler.as_deref())) {
            errors += 1;
        }
        if !stopping {
            done += 1;
            latencies.record(sent.elapsed().as_micros());
            if client
                .emit("echo", &echo_args(next, filler.as_deref()), Some(next))
                .await
                .is_err()
            {
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
                None,
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
        let received = receiver.await.map_err(|e| Error::Protocol(e.to_string()))?;
        deliveries += received.distinct;
        errors += received.errors();
        latencies.extend(received.latencies);
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

/// What one subscriber saw of the broadcasts.
#[derive(Debug, Default)]
struct Received {
    /// Distinct broadcasts received.
    distinct: u64,
    /// Broadcasts published but never received.
    lost: u64,
    /// Broadcasts received after a later one.
    reordered: u64,
    /// Broadcasts received again, and `news` that do not parse.
    bad: u64,
    latencies: Latencies,
}

impl Received {
    /// Lost, reordered, duplicated or malformed broadcasts: all errors.
    fn errors(&self) -> u64 {
        self.lost + self.reordered + self.bad
    }
}

/// One subscriber: every `news` in order, none missing once publishing
/// stops (`stop`, then `published` is final). Each delivery is counted in
/// `progress`, if given.
async fn subscribe(
    mut client: Client,
    clock: Instant,
    published: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    drain: Duration,
    progress: Option<Arc<Progress>>,
) -> Received {
    let mut out = Received::default();
    // Which sequence numbers came, one bit each.
    let mut seen: Vec<u64> = Vec::new();
    let mut next = 0u64;
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        if stop.load(Ordering::Acquire) {
            if out.distinct >= published.load(Ordering::Acquire) {
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
                    out.bad += 1;
                    continue;
                };
                let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
                if seen.len() <= word {
                    seen.resize(word + 1, 0);
                }
                if seen[word] & bit != 0 {
                    out.bad += 1;
                    continue;
                }
                seen[word] |= bit;
                out.distinct += 1;
                if seq < next {
                    out.reordered += 1;
                }
                next = next.max(seq + 1);
                out.latencies.record(clock.elapsed().as_micros().saturating_sub(sent));
                if let Some(progress) = &progress {
                    progress.delivered();
                }
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    out.lost = published.load(Ordering::Acquire).saturating_sub(out.distinct);
    client.close().await;
    out
}

/// Deliveries seen by the cluster scenario's subscribers, so that the
/// publisher can wait for them.
#[derive(Debug)]
struct Progress {
    count: AtomicU64,
    /// The count the publisher waits for; `u64::MAX` while it does not wait.
    wanted: AtomicU64,
    reached: Notify,
}

impl Progress {
    fn new() -> Self {
        Self {
            count: AtomicU64::new(0),
            wanted: AtomicU64::new(u64::MAX),
            reached: Notify::new(),
        }
    }

    fn delivered(&self) {
        let count = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        if count >= self.wanted.load(Ordering::SeqCst) {
            self.wanted.store(u64::MAX, Ordering::SeqCst);
            self.reached.notify_one();
        }
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Waits until `count` deliveries are in, at most `limit`: whether they are.
    async fn wait_for(&self, count: u64, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            self.wanted.store(count, Ordering::SeqCst);
            if self.count() >= count {
                self.wanted.store(u64::MAX, Ordering::SeqCst);
                return true;
            }
            if tokio::time::timeout_at(deadline, self.reached.notified())
                .await
                .is_err()
            {
                self.wanted.store(u64::MAX, Ordering::SeqCst);
                return self.count() >= count;
            }
        }
    }
}

/// The publisher's acks: how many, how many wrong.
#[derive(Debug, Default)]
struct PublishAcks {
    count: u64,
    errors: u64,
}

impl PublishAcks {
    /// Counts an ack among `published` publishes; false once the connection is gone.
    fn take(&mut self, received: Result<Incoming, Error>, published: u64) -> bool {
        match received {
            Ok(Incoming::Ack(id, args)) => {
                self.count += 1;
                if !same_args(&args, "true") || id == 0 || id > published {
                    self.errors += 1;
                }
                true
            }
            Ok(Incoming::Event(..)) => true,
            Err(_) => false,
        }
    }
}

/// How long the publisher waits for the deliveries of one publish before it
/// counts a stall and goes on without them (they are then counted lost by
/// the subscribers).
const STALL: Duration = Duration::from_secs(2);

/// Cross-server fan-out: two servers of one cluster (through Redis),
/// `connections` subscribers split evenly between them, all in room
/// `bench`; one publisher on the first server. The publisher keeps at most
/// `inflight` publishes whose deliveries are not all in, on both servers,
/// so the measure is the whole path's steady state (no backlog grows in a
/// server, in Redis or in a socket buffer), and a slow second server slows
/// the publisher instead of piling up. The CPU window runs from the first
/// publish to the last delivery; both servers' CPU is summed, Redis's is
/// reported apart.
pub async fn cluster_fanout(config: &Config) -> Result<Value, Error> {
    let addr2 = config
        .addr2
        .clone()
        .ok_or_else(|| Error::Usage("cluster needs --addr2".into()))?;
    let half = config.connections / 2;
    let mut subscribers = connect_all(config, half).await?;
    let second = Config {
        addr: addr2.clone(),
        ..config.clone()
    };
    subscribers.extend(connect_all(&second, config.connections - half).await?);
    for (i, subscriber) in subscribers.iter_mut().enumerate() {
        subscriber.emit("join", "\"bench\"", Some(1)).await?;
        match subscriber.recv_batched().await? {
            Incoming::Ack(1, _) => {}
            other => return Err(Error::Protocol(format!("subscriber {i}: join answered {other:?}"))),
        }
    }
    let mut publisher = Client::connect(&config.addr, config.protocol, config.transport).await?;
    let everyone = subscribers.len() as u64;
    let clock = Instant::now();
    let published = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // Set by the publisher once it has published for the last time: the
    // subscribers' end, so none leaves before the last publish.
    let finished = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(Progress::new());
    let receivers: Vec<_> = subscribers
        .into_iter()
        .map(|subscriber| {
            tokio::spawn(subscribe(
                subscriber,
                clock,
                published.clone(),
                finished.clone(),
                config.drain,
                Some(progress.clone()),
            ))
        })
        .collect();
    let pids = [config.pid, config.pid2];
    let cpu = |pid: Option<u32>| pid.map_or(0.0, cpu_seconds);
    let started = Instant::now();
    let (cpu1, cpu2, redis_cpu) = (cpu(config.pid), cpu(config.pid2), cpu(config.redis_pid));
    let publishing = {
        let (published, stop, finished, progress) =
            (published.clone(), stop.clone(), finished.clone(), progress.clone());
        let (inflight, drain) = (config.inflight as u64, config.drain);
        tokio::spawn(async move {
            let (mut seq, mut stalls, mut lost) = (0u64, 0u64, 0u64);
            let mut acks = PublishAcks::default();
            'publishing: while !stop.load(Ordering::Acquire) {
                // Publish `seq` once every delivery of `seq - inflight` is in.
                if seq >= inflight {
                    let need = ((seq - inflight + 1) * everyone).saturating_sub(lost);
                    if !progress.wait_for(need, STALL).await {
                        stalls += 1;
                        lost += need.saturating_sub(progress.count());
                    }
                }
                // Acks that came meanwhile (the window bounds them).
                while let Some(received) = futures_util::FutureExt::now_or_never(publisher.recv()) {
                    if !acks.take(received, seq) {
                        break 'publishing;
                    }
                }
                let payload = format!("\"bench\",\"{seq}:{}\"", clock.elapsed().as_micros());
                if publisher.emit("publish", &payload, Some(seq + 1)).await.is_err() || publisher.flush().await.is_err()
                {
                    break;
                }
                seq += 1;
                published.store(seq, Ordering::Release);
            }
            finished.store(true, Ordering::Release);
            // The tail: every delivery of what was published, then the acks.
            let complete = progress.wait_for((seq * everyone).saturating_sub(lost), drain).await;
            let done = Instant::now();
            let deadline = tokio::time::Instant::now() + drain;
            while acks.count < seq {
                let Ok(received) = tokio::time::timeout_at(deadline, publisher.recv()).await else {
                    break;
                };
                if !acks.take(received, seq) {
                    break;
                }
            }
            let errors = acks.errors + seq - acks.count.min(seq);
            publisher.close().await;
            (seq, errors, stalls, complete, done)
        })
    };
    tokio::time::sleep(config.duration).await;
    stop.store(true, Ordering::Release);
    let (total, publish_errors, stalls, complete, done) =
        publishing.await.map_err(|e| Error::Protocol(e.to_string()))?;
    let seconds = done.duration_since(started).as_secs_f64();
    let (cpu1, cpu2, redis_cpu) = (
        cpu(pids[0]) - cpu1,
        cpu(pids[1]) - cpu2,
        cpu(config.redis_pid) - redis_cpu,
    );
    let (mut per_server, mut lost, mut reordered, mut bad) = ([0u64; 2], [0u64; 2], [0u64; 2], 0u64);
    let mut latencies = Latencies::default();
    for (i, receiver) in receivers.into_iter().enumerate() {
        let received = receiver.await.map_err(|e| Error::Protocol(e.to_string()))?;
        let server = usize::from(i >= half);
        per_server[server] += received.distinct;
        lost[server] += received.lost;
        reordered[server] += received.reordered;
        bad += received.bad;
        latencies.extend(received.latencies);
    }
    let errors = publish_errors + lost[0] + lost[1] + reordered[0] + reordered[1] + bad;
    let deliveries = per_server[0] + per_server[1];
    let server_cpu = cpu1 + cpu2;
    let mut out = base(config, "cluster");
    out.insert("subscribers".into(), json!([half, config.connections - half]));
    out.insert("inflight".into(), json!(config.inflight));
    out.insert("seconds".into(), json!(seconds));
    out.insert("published".into(), json!(total));
    out.insert("deliveries".into(), json!(deliveries));
    out.insert("deliveries_per_server".into(), json!(per_server));
    out.insert("deliveries_per_sec".into(), json!(deliveries as f64 / seconds));
    out.insert("server_cpu".into(), json!(server_cpu));
    out.insert("server_cpu_each".into(), json!([cpu1, cpu2]));
    out.insert("redis_cpu".into(), json!(redis_cpu));
    out.insert(
        "deliveries_per_cpu_sec".into(),
        json!(per_cpu(deliveries as f64, server_cpu)),
    );
    out.insert("p50_us".into(), json!(latencies.percentile(50.0)));
    out.insert("p99_us".into(), json!(latencies.percentile(99.0)));
    out.insert("p999_us".into(), json!(latencies.percentile(99.9)));
    out.insert("lost_per_server".into(), json!(lost));
    out.insert("reordered_per_server".into(), json!(reordered));
    out.insert("duplicated_or_malformed".into(), json!(bad));
    out.insert("publish_ack_errors".into(), json!(publish_errors));
    out.insert("stalls".into(), json!(stalls));
    out.insert("complete".into(), json!(complete));
    out.insert("errors".into(), json!(errors));
    Ok(Value::Object(out))
}

/// Idle sessions: connect `connections` websocket clients, then read the
/// server's resident memory per session, and, over `window`, the server
/// CPU the idle sessions cost (their heartbeats) per second of wall time.
/// A session the server closes meanwhile is an error.
pub async fn idle(config: &Config) -> Result<Value, Error> {
    let pid = config.pid.ok_or_else(|| Error::Usage("idle needs --pid".into()))?;
    let before = rss_bytes(pid);
    // Keep them alive: heartbeats are answered by reading, from the moment
    // each is connected (connecting 100k takes longer than a ping timeout).
    let alive: Vec<_> = futures_util::stream::iter(0..config.connections)
        .map(|_| Client::connect(&config.addr, config.protocol, config.transport))
        .buffer_unordered(CONNECT_CONCURRENCY)
        .map(|client| client.map(|mut client| tokio::spawn(async move { while client.recv().await.is_ok() {} })))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    // Let the server settle (allocator, timers) before reading its memory.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_bytes(pid);
    let window = Window::open(Some(pid));
    tokio::time::sleep(config.window).await;
    let (seconds, cpu) = window.close();
    let closed = alive.iter().filter(|task| task.is_finished()).count();
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
    out.insert("ping_ms".into(), json!(config.ping_ms));
    if !config.window.is_zero() {
        out.insert("window_seconds".into(), json!(seconds));
        out.insert("idle_cpu".into(), json!(cpu));
        // Server CPU-seconds per wall second (1.0: one core busy).
        out.insert("idle_cpu_per_sec".into(), json!(cpu / seconds));
    }
    out.insert("sessions_closed".into(), json!(closed));
    out.insert("errors".into(), json!(closed));
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
