# Shared by bench/run.sh, bench/curve.sh and bench/idle.sh (sourced, not
# run): building, starting one server per run on CPU 0, one load generator
# run on CPU 1. The caller sets OUT and RESULTS. bench/cluster.sh and
# bench/compare.sh source it for wait_for and define their own runs.

BIN=target/release
PORT=${PORT_BASE:-4100}

build_all() {
    echo "== building (release) and installing the peers" >&2
    cargo build --release --quiet -p socketio-bench --bins
    bench/peers/install >&2
}

# As many descriptors as this shell may have: a server and the load
# generator each hold one per session. The hard limit needs root's
# CAP_SYS_RESOURCE to go higher; fd_limit says what we got.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit() { ulimit -n; }

# sources_for SESSIONS: how many 127.0.0.x source addresses the load
# generator spreads SESSIONS over. A legacy session takes two ports (its
# HTTP handshake's lingers in TIME_WAIT), and one address has about 28k
# ephemeral ports (32768-60999) towards one server port.
sources_for() {
    local wanted=$(( ($1 * 2 + 19999) / 20000 ))
    echo $(( wanted < 4 ? 4 : wanted ))
}

# wait_for LOG TEXT NAME: until LOG says TEXT (30 s at most; a server
# built in debug, or a busy machine, can take a few seconds).
wait_for() {
    for _ in $(seq 1 300); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "$3 did not start; its log:" >&2
    cat "$1" >&2
    exit 1
}

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
# starts from the same baseline. Every peer runs as its documentation
# advises for production: node with NODE_ENV=production (and ws's
# bufferutil, installed by bench/peers/install), Rust servers built
# --release. PING_INTERVAL_MS, when set, is every server's heartbeat
# interval (the idle scenario's short-heartbeat runs). SOCKETIOXIDE_BIN
# runs another build of the socketioxide peer (an A/B of its variants).
start_server() {
    local log="$OUT/server-$1.log"
    PORT=$((PORT + 1))
    # Emptied here, not by the server's redirection, which may come after
    # the wait below has seen the last run's "listening on".
    : > "$log"
    case "$1" in
        ours) PORT=$PORT PARSER=${PARSER:-json} taskset -c 0 "$BIN/bench_server" >> "$log" 2>&1 & ;;
        raw) PORT=$PORT taskset -c 0 "$BIN/raw_echo" >> "$log" 2>&1 & ;;
        raw-flush) PORT=$PORT FLUSH=each taskset -c 0 "$BIN/raw_echo" >> "$log" 2>&1 & ;;
        node-0.9) PORT=$PORT NODE_ENV=production taskset -c 0 node bench/peers/node-0.9/server.js >> "$log" 2>&1 & ;;
        node-4) PORT=$PORT PARSER=${PARSER:-json} NODE_ENV=production taskset -c 0 node bench/peers/node-4/server.js >> "$log" 2>&1 & ;;
        socketioxide) PORT=$PORT taskset -c 0 "${SOCKETIOXIDE_BIN:-bench/peers/socketioxide/target/release/socketioxide-bench}" \
            >> "$log" 2>&1 & ;;
        # The same, its echo passing the arguments through unparsed, as ours does.
        socketioxide-raw) PORT=$PORT ECHO_ARGS=raw taskset -c 0 \
            "${SOCKETIOXIDE_BIN:-bench/peers/socketioxide/target/release/socketioxide-bench}" >> "$log" 2>&1 & ;;
        *) echo "unknown server $1" >&2; exit 2 ;;
    esac
    SERVER_PID=$!
    wait_for "$log" "listening on" "server $1"
}

# run SERVER PROTOCOL TRANSPORT SCENARIO [loadgen options...]: one run,
# its JSON line appended to RESULTS. ONLY, when set, is a regex over
# "SERVER PROTOCOL TRANSPORT SCENARIO": the jobs that do not match are
# skipped.
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
    echo "-- $server $protocol $transport $scenario $* (round ${ROUND:-1})" >&2
    taskset -c 1 "$BIN/loadgen" --server "$server" --addr "127.0.0.1:$PORT" --pid "$SERVER_PID" \
        --protocol "$protocol" --transport "$transport" --scenario "$scenario" --duration "$DURATION" "$@" \
        | tee -a "$RESULTS" >&2 || echo "   (failed)" >&2
    stop_server
}
