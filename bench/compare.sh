#!/usr/bin/env bash
# Compares our server at two git revisions on this machine: the scenarios
# of bench/run.sh for `ours`, rounds interleaved (base, head, base, ...)
# so a slow spell hits both alike. Prints one line per scenario with the
# medians. The peers are not involved.
#
#   bench/compare.sh BASE_REV                # BASE_REV against the work tree
#   DURATION=3 RUNS=3 bench/compare.sh HEAD~1
#   SCENARIOS="idle" bench/compare.sh HEAD~1   # only some scenarios
#   (also polling-deep: the polling echo with 64 in flight per client)
set -euo pipefail
cd "$(dirname "$0")/.."
# For wait_for; the runs here are this script's own.
source bench/common.sh

BASE=${1:?usage: bench/compare.sh BASE_REV}
DURATION=${DURATION:-5}
RUNS=${RUNS:-3}
IDLE_SESSIONS=${IDLE_SESSIONS:-10000}
SCENARIOS=${SCENARIOS:-"echo polling fanout idle connect"}
PROTOCOLS=${PROTOCOLS:-"legacy modern"}
OUT=target/bench-compare
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

echo "== building head and $BASE (release)" >&2
cargo build --release --quiet -p socketio-bench --bins
cp target/release/bench_server "$OUT/bench_server-head"
TREE="$OUT/base-tree"
rm -rf "$TREE"
git worktree add --detach --force "$TREE" "$BASE" >&2
# The same target dir: dependencies are built once for both.
(cd "$TREE" && CARGO_TARGET_DIR="$PWD/../../../target" cargo build --release --quiet -p socketio-bench --bin bench_server)
cp target/release/bench_server "$OUT/bench_server-base"
git worktree remove --force "$TREE"
# Head's binary back in place for bench/run.sh.
cargo build --release --quiet -p socketio-bench --bins

PORT=4300
run() {
    local build=$1 protocol=$2 transport=$3 scenario=$4
    shift 4
    PORT=$((PORT + 1))
    local log="$OUT/server-$build.log"
    PORT=$PORT taskset -c 0 "$OUT/bench_server-$build" > "$log" 2>&1 &
    local pid=$!
    wait_for "$log" "listening on" "server $build"
    echo "-- $build $protocol $transport $scenario" >&2
    taskset -c 1 target/release/loadgen --server "ours-$build" --addr "127.0.0.1:$PORT" --pid "$pid" \
        --protocol "$protocol" --transport "$transport" --scenario "$scenario" --duration "$DURATION" "$@" \
        | tee -a "$RESULTS" >&2 || echo "   (failed)" >&2
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

for _ in $(seq 1 "$RUNS"); do
    for protocol in $PROTOCOLS; do
        for build in base head; do
            for scenario in $SCENARIOS; do
                case "$scenario" in
                    echo) run "$build" "$protocol" websocket echo --connections 50 --inflight 16 ;;
                    polling) run "$build" "$protocol" polling echo --connections 50 --inflight 16 ;;
                    # Deep enough that a poll has more to carry than
                    # max_packets_per_poll (16) lets it.
                    polling-deep) run "$build" "$protocol" polling echo --connections 50 --inflight 64 ;;
                    fanout) run "$build" "$protocol" websocket fanout --connections 100 --inflight 4 ;;
                    idle) run "$build" "$protocol" websocket idle --connections "$IDLE_SESSIONS" ;;
                    connect) run "$build" "$protocol" websocket connect --inflight 16 ;;
                esac
            done
        done
    done
done

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    scenario = d["scenario"] + (f' {d["inflight"]} in flight' if d["transport"] == "polling" else "")
    key = (d["protocol"], d["transport"], scenario)
    value = d.get("bytes_per_session") or d.get("msgs_per_cpu_sec") or d.get("deliveries_per_cpu_sec") or d.get("connects_per_cpu_sec")
    rows.setdefault(key, {}).setdefault(d["server"], []).append(value)
print("| scenario | base | head | head / base |")
print("|---|---|---|---|")
for (protocol, transport, scenario), by in sorted(rows.items()):
    base, head = statistics.median(by.get("ours-base", [0])), statistics.median(by.get("ours-head", [0]))
    unit = "bytes per idle session" if scenario == "idle" else "per server CPU-s"
    ratio = head / base if base else float("nan")
    print(f"| {protocol} {transport} {scenario} ({unit}) | {base:,.0f} | {head:,.0f} | {ratio:.2f} |")
PY
