#!/usr/bin/env bash
# Idle websocket sessions: RSS per session, and the server CPU their
# heartbeats cost per second of wall time, every server, at SESSIONS
# sessions (each count in turn) and each heartbeat interval of PINGS_MS.
# The CPU is read over WINDOW_BEATS heartbeat intervals once all sessions
# are in, so every session's heartbeat falls in it as often. Server on
# CPU 0, load generator on CPU 1; the connections come from several
# 127.0.0.x addresses so ephemeral ports do not run out.
#
#   bench/idle.sh                                  # 10 000 sessions, 25 s and 1 s heartbeats
#   SESSIONS="10000 100000" bench/idle.sh          # needs ulimit -Hn above 100 000
#   PINGS_MS=25000 SERVERS="ours-modern" bench/idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-1}
SESSIONS=${SESSIONS:-10000}
PINGS_MS=${PINGS_MS:-"25000 1000"}
WINDOW_BEATS=${WINDOW_BEATS:-1}
SERVERS=${SERVERS:-"raw ours-legacy ours-modern socketioxide node-4"}
DURATION=1
OUT=target/bench
mkdir -p "$OUT"
RESULTS=${RESULTS:-$OUT/idle.jsonl}
: > "$RESULTS"

. bench/common.sh
build_all

for ROUND in $(seq 1 "$RUNS"); do
    for sessions in $SESSIONS; do
        if [ $(( sessions + 256 )) -gt "$(fd_limit)" ]; then
            echo "-- $sessions sessions skipped: $(fd_limit) descriptors allowed (ulimit -Hn)" >&2
            continue
        fi
        for ping in $PINGS_MS; do
            # At least 10 s, so the short intervals are read over many beats.
            window=$(( ping * WINDOW_BEATS / 1000 ))
            window=$(( window < 10 ? 10 : window ))
            for server in $SERVERS; do
                case "$server" in
                    ours-legacy) name=ours protocol=legacy ;;
                    ours-modern) name=ours protocol=modern ;;
                    raw) name=raw protocol=raw ;;
                    node-0.9) name=$server protocol=legacy ;;
                    *) name=$server protocol=modern ;;
                esac
                PING_INTERVAL_MS=$ping run "$name" "$protocol" websocket idle --connections "$sessions" \
                    --sources "$(sources_for "$sessions")" --window "$window" --ping-ms "$ping"
            done
        done
    done
done

stop_server
"$BIN/report" "$RESULTS"
