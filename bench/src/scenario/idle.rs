//! Idle sessions: memory and heartbeat CPU.

use super::*;

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
