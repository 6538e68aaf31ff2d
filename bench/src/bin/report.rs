//! Turns the load generator's JSON lines (from `bench/run.sh`) into the
//! markdown tables of BENCHMARKS.md: ours ÷ peer ratios, then every run.

use std::collections::BTreeMap;

use serde_json::Value;

type Key = (String, String, String, String);

fn key(run: &Value) -> Key {
    let field = |name: &str| run[name].as_str().unwrap_or_default().to_owned();
    (
        field("server"),
        field("protocol"),
        field("transport"),
        field("scenario"),
    )
}

/// The scenario's throughput metric and its per-server-CPU-second twin.
fn metrics(scenario: &str) -> (&'static str, Option<&'static str>) {
    match scenario {
        "echo" => ("msgs_per_sec", Some("msgs_per_cpu_sec")),
        "fanout" => ("deliveries_per_sec", Some("deliveries_per_cpu_sec")),
        "connect" => ("connects_per_sec", Some("connects_per_cpu_sec")),
        "cluster" => ("deliveries_per_sec", Some("deliveries_per_cpu_sec")),
        _ => ("bytes_per_session", None),
    }
}

/// The median of the runs: one run in a slow spell of a shared machine
/// moves it less than it moves a mean.
fn median(runs: &[&Value], field: &str) -> Option<f64> {
    let mut values: Vec<f64> = runs.iter().filter_map(|run| run[field].as_f64()).collect();
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle]),
        _ => Some((values[middle - 1] + values[middle]) / 2.0),
    }
}

fn human(value: Option<f64>) -> String {
    match value {
        None => "—".to_owned(),
        Some(v) if v >= 1e6 => format!("{:.2}M", v / 1e6),
        Some(v) if v >= 1e4 => format!("{:.0}k", v / 1e3),
        Some(v) if v >= 1e3 => format!("{:.1}k", v / 1e3),
        Some(v) => format!("{v:.0}"),
    }
}

fn ratio(ours: Option<f64>, peer: Option<f64>) -> String {
    match (ours, peer) {
        (Some(ours), Some(peer)) if peer > 0.0 => format!("**{:.2}×**", ours / peer),
        _ => "—".to_owned(),
    }
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench/results.jsonl".to_owned());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let runs: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let mut groups: BTreeMap<Key, Vec<&Value>> = BTreeMap::new();
    for run in &runs {
        groups.entry(key(run)).or_default().push(run);
    }
    if groups.keys().any(|(.., scenario)| scenario != "cluster") {
        comparisons(&groups);
    }
    if groups.keys().any(|(.., scenario)| scenario == "cluster") {
        cluster_table(&groups);
    }
    every_run(&groups);
}

/// Ours ÷ each peer, scenario by scenario.
fn comparisons(groups: &BTreeMap<Key, Vec<&Value>>) {
    let find = |server: &str, protocol: &str, transport: &str, scenario: &str| {
        groups
            .get(&(server.into(), protocol.into(), transport.into(), scenario.into()))
            .cloned()
            .unwrap_or_default()
    };
    println!("### Ours ÷ peer, same workload, same run (medians of the runs)\n");
    println!(
        "| scenario | ours | peer | ours | peer | ratio | ours per server CPU-s | peer per server CPU-s | ratio per CPU-s | p50 / p99 / p99.9 µs ours | peer |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let comparisons: [(&str, &str, &str, &str, &str, &str, &str); 19] = [
        (
            "echo",
            "websocket",
            "ours",
            "msgpack",
            "ours",
            "modern",
            "acked echo, v5 protocol, msgpack parser vs ours with JSON",
        ),
        (
            "echo",
            "websocket",
            "ours",
            "msgpack",
            "node-4",
            "msgpack",
            "acked echo, v5 protocol, msgpack parser",
        ),
        (
            "echo",
            "websocket",
            "ours",
            "legacy",
            "raw",
            "raw",
            "acked echo vs raw websocket echo (ceiling)",
        ),
        (
            "echo",
            "websocket",
            "ours",
            "modern",
            "raw",
            "raw",
            "acked echo vs raw websocket echo (ceiling)",
        ),
        (
            "echo",
            "websocket",
            "ours",
            "legacy",
            "node-0.9",
            "legacy",
            "acked echo, 0.9 protocol",
        ),
        (
            "echo",
            "polling",
            "ours",
            "legacy",
            "node-0.9",
            "legacy",
            "acked echo, 0.9 protocol",
        ),
        (
            "echo",
            "websocket",
            "ours",
            "modern",
            "socketioxide",
            "modern",
            "acked echo, v5 protocol",
        ),
        (
            "echo",
            "websocket",
            "ours",
            "modern",
            "node-4",
            "modern",
            "acked echo, v5 protocol",
        ),
        (
            "echo",
            "polling",
            "ours",
            "modern",
            "socketioxide",
            "modern",
            "acked echo, v5 protocol",
        ),
        (
            "echo",
            "polling",
            "ours",
            "modern",
            "node-4",
            "modern",
            "acked echo, v5 protocol",
        ),
        (
            "fanout",
            "websocket",
            "ours",
            "legacy",
            "node-0.9",
            "legacy",
            "broadcast fan-out",
        ),
        (
            "fanout",
            "websocket",
            "ours",
            "modern",
            "socketioxide",
            "modern",
            "broadcast fan-out",
        ),
        (
            "fanout",
            "websocket",
            "ours",
            "modern",
            "node-4",
            "modern",
            "broadcast fan-out",
        ),
        (
            "connect",
            "websocket",
            "ours",
            "legacy",
            "node-0.9",
            "legacy",
            "connect rate",
        ),
        (
            "connect",
            "websocket",
            "ours",
            "modern",
            "socketioxide",
            "modern",
            "connect rate",
        ),
        (
            "connect",
            "websocket",
            "ours",
            "modern",
            "node-4",
            "modern",
            "connect rate",
        ),
        (
            "idle",
            "websocket",
            "ours",
            "legacy",
            "node-0.9",
            "legacy",
            "bytes of RSS per idle session (lower is better)",
        ),
        (
            "idle",
            "websocket",
            "ours",
            "modern",
            "socketioxide",
            "modern",
            "bytes of RSS per idle session (lower is better)",
        ),
        (
            "idle",
            "websocket",
            "ours",
            "modern",
            "node-4",
            "modern",
            "bytes of RSS per idle session (lower is better)",
        ),
    ];
    for (scenario, transport, ours, our_protocol, peer, peer_protocol, what) in comparisons {
        let ours_runs = find(ours, our_protocol, transport, scenario);
        let peer_runs = find(peer, peer_protocol, transport, scenario);
        let (metric, per_cpu) = metrics(scenario);
        let latency = |runs: &[&Value]| match (median(runs, "p50_us"), median(runs, "p99_us"), median(runs, "p999_us"))
        {
            (Some(a), Some(b), Some(c)) => format!("{a:.0} / {b:.0} / {c:.0}"),
            (Some(a), Some(b), None) => format!("{a:.0} / {b:.0}"),
            _ => "—".to_owned(),
        };
        let per = |runs: &[&Value]| per_cpu.and_then(|field| median(runs, field));
        println!(
            "| {what} ({transport}) | ours {our_protocol} | {peer} | {} | {} | {} | {} | {} | {} | {} | {} |",
            human(median(&ours_runs, metric)),
            human(median(&peer_runs, metric)),
            ratio(median(&ours_runs, metric), median(&peer_runs, metric)),
            human(per(&ours_runs)),
            human(per(&peer_runs)),
            ratio(per(&ours_runs), per(&peer_runs)),
            latency(&ours_runs),
            latency(&peer_runs),
        );
    }
}

/// Sums a JSON array of numbers (a per-server field of the cluster runs).
fn sum(value: &Value) -> f64 {
    value
        .as_array()
        .map_or(0.0, |items| items.iter().filter_map(Value::as_f64).sum())
}

/// The cross-server fan-out: one row per server, with ours ÷ it per server
/// CPU-second. A server that lost broadcasts in any run is not scored.
fn cluster_table(groups: &BTreeMap<Key, Vec<&Value>>) {
    let runs_of = |server: &str| {
        groups
            .iter()
            .filter(|((name, .., scenario), _)| name == server && scenario == "cluster")
            .flat_map(|(_, runs)| runs.iter().copied())
            .collect::<Vec<_>>()
    };
    let ours = median(&runs_of("ours"), "deliveries_per_cpu_sec");
    println!("### Cross-server fan-out: 2 servers + Redis (medians of the runs)\n");
    println!(
        "| server | deliveries/s | per server CPU-s (both servers) | server CPU s (both) | Redis CPU s | ours ÷ it per CPU-s | p50 / p99 / p99.9 µs | lost | reordered | runs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut servers: Vec<&str> = groups
        .keys()
        .filter(|(.., scenario)| scenario == "cluster")
        .map(|(server, ..)| server.as_str())
        .collect();
    servers.dedup();
    for server in servers {
        let runs = runs_of(server);
        let lost: f64 = runs.iter().map(|run| sum(&run["lost_per_server"])).sum();
        let reordered: f64 = runs.iter().map(|run| sum(&run["reordered_per_server"])).sum();
        let other: f64 = runs
            .iter()
            .map(|run| {
                run["publish_ack_errors"].as_f64().unwrap_or(0.0)
                    + run["duplicated_or_malformed"].as_f64().unwrap_or(0.0)
            })
            .sum();
        let per_cpu = median(&runs, "deliveries_per_cpu_sec");
        let scored = lost == 0.0 && other == 0.0;
        let verdict = if scored {
            if server == "ours" {
                "—".to_owned()
            } else {
                ratio(ours, per_cpu)
            }
        } else {
            "not scored: loses or garbles broadcasts".to_owned()
        };
        println!(
            "| {server} | {} | {} | {} | {} | {verdict} | {} / {} / {} | {} | {} | {} |",
            human(median(&runs, "deliveries_per_sec")),
            human(per_cpu),
            median(&runs, "server_cpu").map_or("—".to_owned(), |cpu| format!("{cpu:.2}")),
            median(&runs, "redis_cpu").map_or("—".to_owned(), |cpu| format!("{cpu:.2}")),
            median(&runs, "p50_us").unwrap_or_default(),
            median(&runs, "p99_us").unwrap_or_default(),
            median(&runs, "p999_us").unwrap_or_default(),
            human(Some(lost)),
            human(Some(reordered)),
            runs.len(),
        );
    }
    println!();
}

fn every_run(groups: &BTreeMap<Key, Vec<&Value>>) {
    println!("\n### Every run\n");
    println!(
        "| server | protocol | transport | scenario | throughput (or bytes/session) | per server CPU-s | server CPU s | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for ((server, protocol, transport, scenario), runs) in groups {
        let (metric, per_cpu) = metrics(scenario);
        for run in runs {
            println!(
                "| {server} | {protocol} | {transport} | {scenario} | {} | {} | {} | {} |",
                human(run[metric].as_f64()),
                human(per_cpu.and_then(|field| run[field].as_f64())),
                run["server_cpu"]
                    .as_f64()
                    .map_or("—".to_owned(), |cpu| format!("{cpu:.2}")),
                run["errors"],
            );
        }
    }
}
