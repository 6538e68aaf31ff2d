#!/usr/bin/env bash
# Runs every benchmark scenario against every server, RUNS rounds, on loopback:
# the server pinned to CPU 0, the load generator to CPU 1; then the
# cross-server fan-out of bench/cluster.sh. Prints the markdown tables of
# BENCHMARKS.md; raw results go to target/bench/.
#
#   bench/run.sh              # everything, three rounds (about 15 minutes)
#   DURATION=2 RUNS=1 bench/run.sh   # a quick look
#   ONLY='(ours|node-4) (modern|msgpack) websocket echo' bench/run.sh
#                             # only the jobs "SERVER PROTOCOL TRANSPORT SCENARIO" matching
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
RUNS=${RUNS:-3}
IDLE_SESSIONS=${IDLE_SESSIONS:-10000}
OUT=target/bench
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

echo "== building (release) and installing the peers" >&2
cargo build --release --quiet -p socketio-bench --bins
bench/peers/install >&2
BIN=target/release
PORT=4100

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
trap stop_server EXIT

# start_server NAME: a fresh process per run, so every memory reading
# starts from the same baseline.
start_server() {
    local log="$OUT/server-$1.log"
    PORT=$((PORT + 1))
    case "$1" in
        ours) PORT=$PORT PARSER=$PARSER taskset -c 0 "$BIN/bench_server" > "$log" 2>&1 & ;;
        raw) PORT=$PORT taskset -c 0 "$BIN/raw_echo" > "$log" 2>&1 & ;;
        node-0.9) PORT=$PORT taskset -c 0 node bench/peers/node-0.9/server.js > "$log" 2>&1 & ;;
        node-4) PORT=$PORT PARSER=$PARSER taskset -c 0 node bench/peers/node-4/server.js > "$log" 2>&1 & ;;
        socketioxide) PORT=$PORT taskset -c 0 bench/peers/socketioxide/target/release/socketioxide-bench > "$log" 2>&1 & ;;
    esac
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        grep -q "listening on" "$log" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "server $1 did not start; its log:" >&2
    cat "$log" >&2
    exit 1
}

# run SERVER PROTOCOL TRANSPORT SCENARIO [loadgen options...]: one run.
run() {
    local server=$1 protocol=$2 transport=$3 scenario=$4
    shift 4
    if [ -n "${ONLY:-}" ] && ! [[ "$server $protocol $transport $scenario" =~ $ONLY ]]; then
        return 0
    fi
    # The msgpack protocol is the modern one with the server's msgpack parser.
    PARSER=json
    if [ "$protocol" = msgpack ]; then PARSER=msgpack; fi
    start_server "$server"
    echo "-- $server $protocol $transport $scenario (round $ROUND)" >&2
    taskset -c 1 "$BIN/loadgen" --server "$server" --addr "127.0.0.1:$PORT" --pid "$SERVER_PID" \
        --protocol "$protocol" --transport "$transport" --scenario "$scenario" --duration "$DURATION" "$@" \
        | tee -a "$RESULTS" >&2 || echo "   (failed)" >&2
    stop_server
}

ECHO=(--connections 50 --inflight 16)
FANOUT=(--connections 100 --inflight 4)
CONNECT=(--inflight 16)
IDLE=(--connections "$IDLE_SESSIONS")

# Every job once per round, rounds one after another: a slow spell of the
# machine (a shared VM's neighbours) then hits every server alike, instead
# of all the runs of one of them.
jobs() {
    run raw raw websocket echo "${ECHO[@]}"
    run raw raw websocket idle "${IDLE[@]}"
    for protocol in legacy modern; do
        run ours "$protocol" websocket echo "${ECHO[@]}"
        run ours "$protocol" polling echo "${ECHO[@]}"
        run ours "$protocol" websocket fanout "${FANOUT[@]}"
        run ours "$protocol" websocket idle "${IDLE[@]}"
        run ours "$protocol" websocket connect "${CONNECT[@]}"
    done
    run node-0.9 legacy websocket echo "${ECHO[@]}"
    run node-0.9 legacy polling echo "${ECHO[@]}"
    run node-0.9 legacy websocket fanout "${FANOUT[@]}"
    run node-0.9 legacy websocket idle "${IDLE[@]}"
    run node-0.9 legacy websocket connect "${CONNECT[@]}"
    run ours msgpack websocket echo "${ECHO[@]}"
    run node-4 msgpack websocket echo "${ECHO[@]}"
    for peer in node-4 socketioxide; do
        run "$peer" modern websocket echo "${ECHO[@]}"
        run "$peer" modern polling echo "${ECHO[@]}"
        run "$peer" modern websocket fanout "${FANOUT[@]}"
        run "$peer" modern websocket idle "${IDLE[@]}"
        run "$peer" modern websocket connect "${CONNECT[@]}"
    done
}

for ROUND in $(seq 1 "$RUNS"); do
    jobs
done

# The cross-server fan-out (two servers and a Redis per run, its own
# placement): see bench/cluster.sh.
stop_server
RESULTS="$RESULTS" DURATION="$DURATION" RUNS="$RUNS" bench/cluster.sh

"$BIN/report" "$RESULTS"
