#!/usr/bin/env bash
# Runs every benchmark scenario against every server, RUNS rounds, on loopback:
# the server pinned to CPU 0, the load generator to CPU 1; then the
# cross-server fan-out of bench/cluster.sh. Prints the markdown tables of
# BENCHMARKS.md (ours ÷ peer, issue 19's targets, idle sessions, every run);
# raw results go to target/bench/.
#
#   bench/run.sh              # everything, three rounds (about 25 minutes)
#   DURATION=2 RUNS=1 bench/run.sh   # a quick look
#   ONLY='(ours|node-4) (modern|msgpack) websocket echo' bench/run.sh
#                             # only the jobs "SERVER PROTOCOL TRANSPORT SCENARIO" matching
#   IDLE_LARGE=100000 bench/run.sh   # also idle sessions at that count (round 1;
#                             # needs that many descriptors: ulimit -Hn)
#   CLUSTER=0 bench/run.sh    # without the cross-server fan-out
#
# The echo curve (connections × payload) is bench/curve.sh; heartbeats of
# idle sessions at a short interval, bench/idle.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
RUNS=${RUNS:-3}
IDLE_SESSIONS=${IDLE_SESSIONS:-10000}
IDLE_LARGE=${IDLE_LARGE:-}
# The idle sessions' server CPU is read over one heartbeat interval (25 s,
# every server's default), so each session's heartbeat falls in it once;
# in round 1 only, to keep the run short.
IDLE_WINDOW=${IDLE_WINDOW:-25}
OUT=target/bench
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

. bench/common.sh
build_all

ECHO=(--connections 50 --inflight 16)
FANOUT=(--connections 100 --inflight 4)
CONNECT=(--inflight 16)

# idle SERVER PROTOCOL SESSIONS: RSS per session, and in round 1 the
# heartbeats' CPU.
idle() {
    local window=0
    if [ "$ROUND" = 1 ]; then window=$IDLE_WINDOW; fi
    if [ $(( $3 + 256 )) -gt "$(fd_limit)" ]; then
        echo "-- $1 $2 idle at $3 sessions skipped: $(fd_limit) descriptors allowed (ulimit -Hn)" >&2
        return 0
    fi
    run "$1" "$2" websocket idle --connections "$3" --sources "$(sources_for "$3")" \
        --window "$window" --ping-ms 25000
}

# Every job once per round, rounds one after another: a slow spell of the
# machine (a shared VM's neighbours) then hits every server alike, instead
# of all the runs of one of them.
jobs() {
    # raw: the batching echo, the ceiling; raw-flush: one flush per message,
    # the ceiling of the earlier runs.
    run raw raw websocket echo "${ECHO[@]}"
    run raw-flush raw websocket echo "${ECHO[@]}"
    idle raw raw "$IDLE_SESSIONS"
    for protocol in legacy modern; do
        run ours "$protocol" websocket echo "${ECHO[@]}"
        run ours "$protocol" polling echo "${ECHO[@]}"
        run ours "$protocol" websocket fanout "${FANOUT[@]}"
        idle ours "$protocol" "$IDLE_SESSIONS"
        run ours "$protocol" websocket connect "${CONNECT[@]}"
    done
    run node-0.9 legacy websocket echo "${ECHO[@]}"
    run node-0.9 legacy polling echo "${ECHO[@]}"
    run node-0.9 legacy websocket fanout "${FANOUT[@]}"
    idle node-0.9 legacy "$IDLE_SESSIONS"
    run node-0.9 legacy websocket connect "${CONNECT[@]}"
    run ours msgpack websocket echo "${ECHO[@]}"
    run node-4 msgpack websocket echo "${ECHO[@]}"
    # socketioxide with echo's arguments passed through unparsed, as ours
    # passes them (RawValue against our RawJson).
    run socketioxide-raw modern websocket echo "${ECHO[@]}"
    for peer in node-4 socketioxide; do
        run "$peer" modern websocket echo "${ECHO[@]}"
        run "$peer" modern polling echo "${ECHO[@]}"
        run "$peer" modern websocket fanout "${FANOUT[@]}"
        idle "$peer" modern "$IDLE_SESSIONS"
        run "$peer" modern websocket connect "${CONNECT[@]}"
    done
    if [ -n "$IDLE_LARGE" ] && [ "$ROUND" = 1 ]; then
        idle raw raw "$IDLE_LARGE"
        idle ours legacy "$IDLE_LARGE"
        idle ours modern "$IDLE_LARGE"
        idle socketioxide modern "$IDLE_LARGE"
        idle node-4 modern "$IDLE_LARGE"
    fi
}

for ROUND in $(seq 1 "$RUNS"); do
    jobs
done

# The cross-server fan-out (two servers and a Redis per run, its own
# placement): see bench/cluster.sh.
stop_server
if [ "${CLUSTER:-1}" != 0 ]; then
    RESULTS="$RESULTS" DURATION="$DURATION" RUNS="$RUNS" bench/cluster.sh
fi

"$BIN/report" "$RESULTS"
