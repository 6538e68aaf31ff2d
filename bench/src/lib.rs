//! Benchmarks of the `socketio` framework: criterion micro-benchmarks
//! (`benches/`), the load generator (`src/bin/loadgen.rs`, built from the
//! modules here) and the servers it measures (`src/bin/bench_server.rs`,
//! `src/bin/raw_echo.rs`, and the peers under `peers/`). `bench/run.sh`
//! runs the whole comparison (`bench/cluster.sh` the cross-server fan-out,
//! two servers through Redis); `src/bin/report.rs` turns its results into
//! the tables of `BENCHMARKS.md`.

pub mod client;
pub mod http;
pub mod measure;
pub mod scenario;
pub mod source;

/// Anything that stops a client or a run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("http: {0}")]
    Http(#[from] hyper::Error),
    #[error("websocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("protocol: {0}")]
    Protocol(String),
    #[error("connection closed")]
    Closed,
    #[error("usage: {0}")]
    Usage(String),
}
