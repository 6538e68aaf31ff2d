#!/usr/bin/env bash
# The echo curve: acked echo over websocket at several connection counts
# and payload sizes, every server, on loopback (server on CPU 0, load
# generator on CPU 1). Prints one table per payload: acks per server
# CPU-second by server and connection count, with ours ÷ the batching raw
# echo and ÷ the peers. Raw results: target/bench/curve.jsonl (or RESULTS).
#
#   bench/curve.sh                          # one round (about 7 minutes here)
#   RUNS=3 DURATION=5 bench/curve.sh
#   CONNECTIONS="100 1000" PAYLOADS="0 1024" SERVERS="ours-modern raw" bench/curve.sh
#
# PAYLOADS: 0 is the small default arguments (seq, "x", {"k":[1,2,3]},
# about 20 bytes); N is one N-byte string after the sequence number.
# Each connection keeps INFLIGHT_PER_100 / (connections / 100) echoes in
# flight, at least one (16, 2, 1 at 100, 1000, 10000 connections): the
# total in flight stays within a few thousand, so 10 000 connections of
# 16 KiB do not queue hundreds of megabytes. INFLIGHT="1 16" instead runs
# every connection count at each of these depths:
#
#   CONNECTIONS=50 INFLIGHT="16 4 1" PAYLOADS=0 RUNS=3 DURATION=4 \
#       SERVERS="ours-modern socketioxide socketioxide-raw raw" RESULTS=target/bench/depth.jsonl bench/curve.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5}
RUNS=${RUNS:-1}
CONNECTIONS=${CONNECTIONS:-"100 1000 10000"}
PAYLOADS=${PAYLOADS:-"0 1024 16384"}
SERVERS=${SERVERS:-"raw ours-legacy ours-modern socketioxide node-4"}
INFLIGHT_PER_100=${INFLIGHT_PER_100:-16}
INFLIGHT=${INFLIGHT:-}
OUT=target/bench
mkdir -p "$OUT"
RESULTS=${RESULTS:-$OUT/curve.jsonl}
: > "$RESULTS"

. bench/common.sh
build_all

depths_for() {
    if [ -n "$INFLIGHT" ]; then
        echo "$INFLIGHT"
        return
    fi
    local per=$(( (INFLIGHT_PER_100 * 100 + $1 - 1) / $1 ))
    echo $(( per < 1 ? 1 : per ))
}

for ROUND in $(seq 1 "$RUNS"); do
    for connections in $CONNECTIONS; do
        if [ $(( connections + 256 )) -gt "$(fd_limit)" ]; then
            echo "-- $connections connections skipped: $(fd_limit) descriptors allowed (ulimit -Hn)" >&2
            continue
        fi
        for payload in $PAYLOADS; do
          for inflight in $(depths_for "$connections"); do
            for server in $SERVERS; do
                case "$server" in
                    ours-legacy) name=ours protocol=legacy ;;
                    ours-modern) name=ours protocol=modern ;;
                    raw | raw-flush) name=$server protocol=raw ;;
                    node-0.9) name=$server protocol=legacy ;;
                    *) name=$server protocol=modern ;;
                esac
                run "$name" "$protocol" websocket echo --connections "$connections" \
                    --inflight "$inflight" --payload "$payload" \
                    --sources "$(sources_for "$connections")"
            done
          done
        done
    done
done

stop_server
"$BIN/report" --curve "$RESULTS"
