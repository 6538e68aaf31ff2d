//! The load generator: one scenario against one server, one JSON line of
//! results on stdout.
//!
//! ```sh
//! loadgen --server ours --addr 127.0.0.1:4100 --pid 1234 --protocol legacy \
//!     --transport websocket --scenario echo --connections 50 --inflight 16 --duration 5
//! ```
//!
//! The cluster scenario also takes the second server (`--addr2`, `--pid2`)
//! and Redis's process (`--redis-pid`). Echo takes `--payload BYTES` (a
//! string argument of that size instead of the small default arguments);
//! idle takes `--window SECONDS` (read the server's CPU that long once all
//! are in) and `--ping-ms` (the server's heartbeat interval, reported).
//! `--sources N` spreads the connections over 127.0.0.1 ..= 127.0.0.N.

use std::collections::HashMap;
use std::time::Duration;

use socketio_bench::Error;
use socketio_bench::scenario::{self, Config};

fn parse_args() -> Result<(String, Config), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = HashMap::new();
    for pair in args.chunks(2) {
        let [key, value] = pair else {
            return Err(Error::Usage(format!("{pair:?}: options go in pairs")));
        };
        let key = key
            .strip_prefix("--")
            .ok_or_else(|| Error::Usage(format!("{key}: expected --name")))?;
        options.insert(key.to_owned(), value.clone());
    }
    let get = |key: &str, default: &str| options.get(key).cloned().unwrap_or_else(|| default.to_owned());
    let number = |key: &str, default: &str| -> Result<u64, Error> {
        get(key, default)
            .parse()
            .map_err(|_| Error::Usage(format!("--{key} takes a number")))
    };
    let config = Config {
        server: get("server", "ours"),
        addr: get("addr", "127.0.0.1:4100"),
        pid: options.get("pid").and_then(|pid| pid.parse().ok()),
        protocol: get("protocol", "legacy").parse()?,
        transport: get("transport", "websocket").parse()?,
        connections: number("connections", "50")? as usize,
        inflight: number("inflight", "16")? as usize,
        duration: Duration::from_secs_f64(get("duration", "5").parse().unwrap_or(5.0)),
        drain: Duration::from_secs(5),
        addr2: options.get("addr2").cloned(),
        pid2: options.get("pid2").and_then(|pid| pid.parse().ok()),
        redis_pid: options.get("redis-pid").and_then(|pid| pid.parse().ok()),
        payload: number("payload", "0")? as usize,
        window: Duration::from_secs(number("window", "0")?),
        ping_ms: options.get("ping-ms").and_then(|ms| ms.parse().ok()),
    };
    socketio_bench::source::spread_over(number("sources", "1")? as u32);
    Ok((get("scenario", "echo"), config))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        let (scenario, config) = parse_args()?;
        match scenario.as_str() {
            "echo" => scenario::echo(&config).await,
            "fanout" => scenario::fanout(&config).await,
            "idle" => scenario::idle(&config).await,
            "connect" => scenario::connect_rate(&config).await,
            "cluster" => scenario::cluster_fanout(&config).await,
            other => Err(Error::Usage(format!("unknown scenario {other}"))),
        }
    });
    match result {
        Ok(value) => println!("{value}"),
        Err(error) => {
            eprintln!("loadgen: {error}");
            std::process::exit(1);
        }
    }
}
