//! Acked echo.

use super::*;

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
