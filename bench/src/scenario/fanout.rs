//! Broadcast fan-out, on one server and across two through Redis.

use super::*;

/// Broadcast fan-out: `connections` subscribers in one room, one publisher
/// keeping `inflight` acked `publish` events outstanding.
pub async fn fanout(config: &Config) -> Result<Value, Error> {
    let mut subscribers = connect_all(config, config.connections).await?;
    join_bench_room(&mut subscribers).await?;
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

/// Every subscriber joins the room the publisher broadcasts to.
async fn join_bench_room(subscribers: &mut [Client]) -> Result<(), Error> {
    for (i, subscriber) in subscribers.iter_mut().enumerate() {
        subscriber.emit("join", "\"bench\"", Some(1)).await?;
        match subscriber.recv_batched().await? {
            Incoming::Ack(1, _) => {}
            other => return Err(Error::Protocol(format!("subscriber {i}: join answered {other:?}"))),
        }
    }
    Ok(())
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
    join_bench_room(&mut subscribers).await?;
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
