//! Connect rate.

use super::*;

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
