#!/usr/bin/env bash
# The cross-server fan-out: two servers of one cluster through one Redis,
# 1000 subscribers (500 on each server) in room "bench", one publisher on
# the first server. Ours (bench_server with socketio-redis), node socket.io 4
# with @socket.io/redis-adapter, socketioxide with socketioxide-redis, RUNS
# rounds, servers taking turns within a round.
#
# Placement on the 2-CPU machine: both socket.io servers on CPU 0 (the
# measured side: their CPU is summed), the load generator and redis-server
# on CPU 1 (Redis's CPU is reported apart). A fresh redis-server (Debian's,
# no persistence) on a free port and fresh servers for every run.
#
#   bench/cluster.sh                      # 3 rounds, prints the table (about 3 minutes)
#   DURATION=2 RUNS=1 bench/cluster.sh    # a quick look
#
# With RESULTS set (bench/run.sh does), the results are appended there and
# no table is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
# For build_all, BIN and wait_for; this script starts and stops its
# servers its own way.
source bench/common.sh

DURATION=${DURATION:-5}
RUNS=${RUNS:-3}
SUBSCRIBERS=${SUBSCRIBERS:-1000}
INFLIGHT=${INFLIGHT:-16}
SERVERS=${SERVERS:-ours node-4 socketioxide}
OUT=target/bench
mkdir -p "$OUT"
if [ -n "${RESULTS:-}" ]; then
    REPORT=""
else
    RESULTS="$OUT/cluster.jsonl"
    REPORT=1
    : > "$RESULTS"
    build_all
fi

PIDS=()
stop_all() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap stop_all EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME PORT LOG: one server of the cluster, on CPU 0.
start_server() {
    local name=$1 port=$2 log=$3
    case "$name" in
        ours) PORT=$port taskset -c 0 "$BIN/bench_server" > "$log" 2>&1 & ;;
        # node's production setting (the ws native add-on bufferutil is
        # installed, as socket.io's performance guide advises).
        node-4) NODE_ENV=production PORT=$port taskset -c 0 node bench/peers/node-4/server.js > "$log" 2>&1 & ;;
        socketioxide) PORT=$port taskset -c 0 bench/peers/socketioxide/target/release/socketioxide-bench > "$log" 2>&1 & ;;
        *) echo "unknown server $name" >&2; exit 2 ;;
    esac
    PIDS+=($!)
    wait_for "$log" "listening on" "server $name"
}

run() {
    local server=$1
    local redis_port port1 port2
    redis_port=$(free_port)
    taskset -c 1 redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
        > "$OUT/redis.log" 2>&1 &
    local redis_pid=$!
    PIDS+=("$redis_pid")
    wait_for "$OUT/redis.log" "Ready to accept connections" "redis-server"
    export REDIS_URL="redis://127.0.0.1:$redis_port"
    port1=$(free_port)
    start_server "$server" "$port1" "$OUT/cluster-$server-1.log"
    local pid1=$!
    port2=$(free_port)
    start_server "$server" "$port2" "$OUT/cluster-$server-2.log"
    local pid2=$!
    unset REDIS_URL
    echo "-- $server cluster fan-out (round $ROUND)" >&2
    taskset -c 1 "$BIN/loadgen" --server "$server" --protocol modern --transport websocket \
        --scenario cluster --addr "127.0.0.1:$port1" --pid "$pid1" --addr2 "127.0.0.1:$port2" --pid2 "$pid2" \
        --redis-pid "$redis_pid" --connections "$SUBSCRIBERS" --inflight "$INFLIGHT" --duration "$DURATION" \
        | tee -a "$RESULTS" >&2 || echo "   (failed)" >&2
    stop_all
}

for ROUND in $(seq 1 "$RUNS"); do
    for server in $SERVERS; do
        run "$server"
    done
done

if [ -n "$REPORT" ]; then
    "$BIN/report" "$RESULTS"
fi
