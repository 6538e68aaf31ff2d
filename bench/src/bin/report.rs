//! Turns the load generator's JSON lines (from `bench/run.sh`) into the
//! markdown tables of BENCHMARKS.md: ours ÷ peer ratios, issue 19's
//! targets, idle sessions, then every run. `report --curve FILE` prints the
//! echo curve of `bench/curve.sh` instead.

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
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let curve = args.first().is_some_and(|arg| arg == "--curve");
    if curve {
        args.remove(0);
    }
    let path = args
        .first()
        .cloned()
        .unwrap_or_else(|| "target/bench/results.jsonl".to_owned());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let runs: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    if curve {
        curve_tables(&runs);
        return;
    }
    let mut groups: BTreeMap<Key, Vec<&Value>> = BTreeMap::new();
    for run in &runs {
        groups.entry(key(run)).or_default().push(run);
    }
    // bench/idle.sh's results hold idle runs only: no comparison to make.
    if groups
        .keys()
        .any(|(.., scenario)| scenario != "cluster" && scenario != "idle")
    {
        comparisons(&groups);
        targets(&groups);
    }
    if groups.keys().any(|(.., scenario)| scenario == "idle") {
        idle_table(&runs);
    }
    if groups.keys().any(|(.., scenario)| scenario == "cluster") {
        cluster_table(&groups);
    }
    every_run(&groups);
}

/// The runs of one job; idle runs at the fewest sessions measured (the
/// idle table shows every count).
fn find<'a>(
    groups: &BTreeMap<Key, Vec<&'a Value>>,
    server: &str,
    protocol: &str,
    transport: &str,
    scenario: &str,
) -> Vec<&'a Value> {
    let runs = groups
        .get(&(server.into(), protocol.into(), transport.into(), scenario.into()))
        .cloned()
        .unwrap_or_default();
    let fewest = runs.iter().filter_map(|run| run["sessions"].as_u64()).min();
    runs.into_iter()
        .filter(|run| run["sessions"].as_u64() == fewest)
        .collect()
}

/// Ours ÷ each peer, scenario by scenario.
fn comparisons(groups: &BTreeMap<Key, Vec<&Value>>) {
    let find = |server: &str, protocol: &str, transport: &str, scenario: &str| {
        find(groups, server, protocol, transport, scenario)
    };
    println!("### Ours ÷ peer, same workload, same run (medians of the runs)\n");
    println!(
        "| scenario | ours | peer | ours | peer | ratio | ours per server CPU-s | peer per server CPU-s | ratio per CPU-s | p50 / p99 / p99.9 µs ours | peer |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let comparisons: [(&str, &str, &str, &str, &str, &str, &str); 22] = [
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
            "acked echo vs batching raw websocket echo (ceiling)",
        ),
        (
            "echo",
            "websocket",
            "ours",
            "modern",
            "raw",
            "raw",
            "acked echo vs batching raw websocket echo (ceiling)",
        ),
        (
            "echo",
            "websocket",
            "ours",
            "legacy",
            "raw-flush",
            "raw",
            "acked echo vs raw echo flushing every message (old ceiling)",
        ),
        (
            "echo",
            "websocket",
            "ours",
            "modern",
            "raw-flush",
            "raw",
            "acked echo vs raw echo flushing every message (old ceiling)",
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
            "socketioxide-raw",
            "modern",
            "acked echo, v5 protocol, socketioxide passing the arguments through",
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

/// Issue 19's "done when", per server CPU-second, from this run.
fn targets(groups: &BTreeMap<Key, Vec<&Value>>) {
    let per_cpu = |server: &str, protocol: &str, transport: &str, scenario: &str| {
        let runs = find(groups, server, protocol, transport, scenario);
        metrics(scenario).1.and_then(|field| median(&runs, field))
    };
    let quotient = |ours: Option<f64>, peer: Option<f64>| match (ours, peer) {
        (Some(ours), Some(peer)) if peer > 0.0 => Some(ours / peer),
        _ => None,
    };
    let verdict = |value: Option<f64>, at_least: f64| match value {
        Some(value) if value >= at_least => "met",
        Some(_) => "**missed**",
        None => "not measured",
    };
    println!("\n### Issue 19 targets (per server CPU-second, medians of this run)\n");
    println!("| target | this run | |");
    println!("|---|---|---|");
    let ratios = [
        (
            "legacy websocket echo ≥ 0.7× batching raw echo",
            "legacy",
            "echo",
            "raw",
            "raw",
            0.7,
        ),
        (
            "modern websocket echo ≥ 0.7× batching raw echo",
            "modern",
            "echo",
            "raw",
            "raw",
            0.7,
        ),
        (
            "modern websocket echo ≥ 2.5× socketioxide",
            "modern",
            "echo",
            "socketioxide",
            "modern",
            2.5,
        ),
        (
            "… and ≥ 2.5× socketioxide passing the arguments through",
            "modern",
            "echo",
            "socketioxide-raw",
            "modern",
            2.5,
        ),
        (
            "fan-out ≥ 2× socketioxide",
            "modern",
            "fanout",
            "socketioxide",
            "modern",
            2.0,
        ),
        (
            "connects ≥ 1.3× socketioxide",
            "modern",
            "connect",
            "socketioxide",
            "modern",
            1.3,
        ),
    ];
    for (what, protocol, scenario, peer, peer_protocol, at_least) in ratios {
        let value = quotient(
            per_cpu("ours", protocol, "websocket", scenario),
            per_cpu(peer, peer_protocol, "websocket", scenario),
        );
        let shown = value.map_or("—".to_owned(), |v| format!("{v:.2}×"));
        println!("| {what} | {shown} | {} |", verdict(value, at_least));
    }
    for protocol in ["legacy", "modern"] {
        let mut counts: Vec<(u64, f64)> = groups
            .get(&("ours".into(), protocol.into(), "websocket".into(), "idle".into()))
            .map(|runs| {
                let mut sessions: Vec<u64> = runs.iter().filter_map(|run| run["sessions"].as_u64()).collect();
                sessions.sort_unstable();
                sessions.dedup();
                sessions
                    .into_iter()
                    .filter_map(|count| {
                        let same: Vec<&Value> = runs
                            .iter()
                            .copied()
                            .filter(|run| run["sessions"].as_u64() == Some(count))
                            .collect();
                        Some((count, median(&same, "bytes_per_session")?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        counts.sort_by_key(|(count, _)| *count);
        for (count, bytes) in counts {
            let met = if bytes <= 6.0 * 1024.0 { "met" } else { "**missed**" };
            println!(
                "| idle {protocol} websocket session ≤ 6 KiB of RSS at {} sessions | {bytes:.0} B | {met} |",
                human(Some(count as f64))
            );
        }
    }
    for protocol in ["legacy", "modern"] {
        println!(
            "| {protocol} polling echo not slower than today | {} per CPU-s | compare with `bench/compare.sh` |",
            human(per_cpu("ours", protocol, "polling", "echo"))
        );
    }
    println!();
}

/// Idle sessions: memory per session and the server CPU their heartbeats
/// cost, by server and session count.
fn idle_table(runs: &[Value]) {
    let mut groups: BTreeMap<(u64, String, String, Option<u64>), Vec<&Value>> = BTreeMap::new();
    for run in runs.iter().filter(|run| run["scenario"] == "idle") {
        let field = |name: &str| run[name].as_str().unwrap_or_default().to_owned();
        let sessions = run["sessions"].as_u64().unwrap_or_default();
        groups
            .entry((sessions, field("server"), field("protocol"), run["ping_ms"].as_u64()))
            .or_default()
            .push(run);
    }
    println!("### Idle websocket sessions (medians of the runs)\n");
    println!(
        "| sessions | server | protocol | RSS per session | heartbeat interval | server CPU per wall second | µs of CPU per session per heartbeat | sessions closed | runs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for ((sessions, server, protocol, ping_ms), runs) in groups {
        let cpu = median(&runs, "idle_cpu_per_sec");
        // CPU per heartbeat: the CPU of a wall second over the heartbeats
        // due in it.
        let per_beat = match (cpu, ping_ms) {
            (Some(cpu), Some(ms)) if sessions > 0 && protocol != "raw" => {
                format!("{:.1}", cpu * 1e6 / (sessions as f64 * 1000.0 / ms as f64))
            }
            _ => "—".to_owned(),
        };
        let closed: u64 = runs.iter().filter_map(|run| run["sessions_closed"].as_u64()).sum();
        println!(
            "| {} | {server} | {protocol} | {} B | {} | {} | {per_beat} | {closed} | {} |",
            human(Some(sessions as f64)),
            median(&runs, "bytes_per_session").map_or("—".to_owned(), |b| format!("{b:.0}")),
            match ping_ms {
                // The bare websocket echo sends no heartbeats.
                Some(_) if protocol == "raw" => "none".to_owned(),
                Some(ms) => format!("{} s", ms as f64 / 1000.0),
                None => "—".to_owned(),
            },
            cpu.map_or("—".to_owned(), |cpu| format!("{:.2} %", cpu * 100.0)),
            runs.len(),
        );
    }
    println!();
}

/// The echo curve (`bench/curve.sh`): acks per server CPU-second by server,
/// connection count (× echoes in flight per connection) and payload, one
/// table per payload, with ours ÷ the batching raw echo and ÷ the peers.
fn curve_tables(runs: &[Value]) {
    /// (connections, in flight per connection)
    type Shape = (u64, u64);
    type Cell = (String, String, Shape, u64);
    let mut cells: BTreeMap<Cell, Vec<&Value>> = BTreeMap::new();
    for run in runs.iter().filter(|run| run["scenario"] == "echo") {
        let field = |name: &str| run[name].as_str().unwrap_or_default().to_owned();
        let number = |name: &str| run[name].as_u64().unwrap_or_default();
        cells
            .entry((
                field("server"),
                field("protocol"),
                (number("connections"), number("inflight")),
                number("payload"),
            ))
            .or_default()
            .push(run);
    }
    let mut payloads: Vec<u64> = cells.keys().map(|(.., payload)| *payload).collect();
    payloads.sort_unstable();
    payloads.dedup();
    let mut connections: Vec<Shape> = cells.keys().map(|(_, _, shape, _)| *shape).collect();
    // By connections, the deepest pipeline first.
    connections.sort_unstable_by_key(|&(count, inflight)| (count, std::cmp::Reverse(inflight)));
    connections.dedup();
    let mut servers: Vec<(String, String)> = cells
        .keys()
        .map(|(server, protocol, ..)| (server.clone(), protocol.clone()))
        .collect();
    servers.dedup();
    let value = |server: &str, protocol: &str, count: Shape, payload: u64, field: &str| {
        cells
            .get(&(server.to_owned(), protocol.to_owned(), count, payload))
            .and_then(|runs| median(runs, field))
    };
    for payload in payloads {
        let size = if payload == 0 {
            "small arguments (`seq, \"x\", {\"k\":[1,2,3]}`, about 20 B)".to_owned()
        } else {
            format!("a {payload}-byte string")
        };
        println!("### Acked echo over websocket, {size}: acks per server CPU-second\n");
        let header: Vec<String> = connections
            .iter()
            .map(|(count, inflight)| format!("{count} connections × {inflight} in flight"))
            .collect();
        println!("| server | {} |", header.join(" | "));
        println!("|---|{}", "---|".repeat(connections.len()));
        for (server, protocol) in &servers {
            let row: Vec<String> = connections
                .iter()
                .map(|&count| {
                    let per_cpu = human(value(server, protocol, count, payload, "msgs_per_cpu_sec"));
                    let errors: u64 = cells
                        .get(&(server.clone(), protocol.clone(), count, payload))
                        .map_or(0, |runs| runs.iter().filter_map(|run| run["errors"].as_u64()).sum());
                    if errors > 0 {
                        format!("{per_cpu} ({errors} errors)")
                    } else {
                        per_cpu
                    }
                })
                .collect();
            let name = if server == protocol || server.starts_with("raw") {
                server.clone()
            } else {
                format!("{server} {protocol}")
            };
            println!("| {name} | {} |", row.join(" | "));
        }
        let ratios = [
            ("ours legacy ÷ raw", "legacy", "raw", "raw"),
            ("ours modern ÷ raw", "modern", "raw", "raw"),
            ("ours modern ÷ socketioxide", "modern", "socketioxide", "modern"),
            ("ours modern ÷ socketioxide-raw", "modern", "socketioxide-raw", "modern"),
            ("ours modern ÷ node-4", "modern", "node-4", "modern"),
        ];
        for (what, protocol, peer, peer_protocol) in ratios {
            let row: Vec<String> = connections
                .iter()
                .map(|&count| {
                    ratio(
                        value("ours", protocol, count, payload, "msgs_per_cpu_sec"),
                        value(peer, peer_protocol, count, payload, "msgs_per_cpu_sec"),
                    )
                })
                .collect();
            println!("| {what} | {} |", row.join(" | "));
        }
        println!();
    }
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
