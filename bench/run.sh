#!/usr/bin/env bash
# The benchmark of mailsrvd against its anchors (issue 5; see BENCHMARKS.md).
#
#   bench/run.sh BIN_DIR OUT.md          full run (~5 min): writes the tables into OUT.md
#                                        (between its bench:begin/end markers)
#   bench/run.sh --smoke BIN_DIR OUT.md  ~10 s version of every step (CI); OUT.md gets
#                                        only the tables
#
# BIN_DIR holds mailsrvd, mailsrvctl and mailsrvbench. Everything it starts (two knotd, mailsrvd
# twice, the echo floor, unbound, the delay relay) lives in a temp dir and is stopped
# on exit; traffic goes only to 127.0.0.1 and to the network namespace it creates.
set -euo pipefail

SMOKE=0
if [[ "${1:-}" == "--smoke" ]]; then SMOKE=1; shift; fi
BIN=$(cd "$1" && pwd); OUT=$2
# BENCH_DAEMON: another mailsrvd to measure (default BIN/mailsrvd), e.g. a debug build.
DAEMON=${BENCH_DAEMON:-$BIN/mailsrvd}
HERE=$(cd "$(dirname "$0")" && pwd)

# PAIRS: how many times the floor and mailsrvd (step 1), the tunnel and the direct client
# (step 5) are measured, one after the other in turn, each run SECONDS_PER_RUN.
if (( SMOKE )); then
    WARM=200 COLD=12 SECONDS_PER_RUN=0.25 UNBOUND_SECONDS=0.5 PAIRS=2 CONNS="1 16" FILL=200 COLD_RUNS=3 CHAIN_RUNS=2 DELAYS="20" STARTS=1 INPROCESS_CALLS=20000 SWITCHES=2
    FAILOVERS=2 BULK_MIB=8
else
    WARM=10000 COLD=200 SECONDS_PER_RUN=1 UNBOUND_SECONDS=5 PAIRS=7 CONNS="1 4 16 64" FILL=10000 COLD_RUNS=20 CHAIN_RUNS=10 DELAYS="20 50" STARTS=5 INPROCESS_CALLS=500000 SWITCHES=15
    FAILOVERS=15 BULK_MIB=1024
fi
# BENCH_STEPS: the steps to run (default all), e.g. "switch" for step 4 alone.
BENCH_STEPS=${BENCH_STEPS:-"cached unbound memory cold switch tunnel"}
HOT_DOMAINS=100             # the warm names the cached-lookup runs cycle through
NS=mailsrvbench$$           # our network namespace, and its veth pair
VETH_HOST=mb$$h VETH_NS=mb$$n HOST_IP=10.203.77.1 NS_IP=10.203.77.2

WORK=$(mktemp -d /var/tmp/mailsrvbench.XXXXXX)
RESULTS=$WORK/results.jsonl
PIDS=()
log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    ip link del "$VETH_HOST" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    [[ -n ${BENCH_KEEP:-} ]] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
record() { echo "$1" >> "$RESULTS"; }
# wait_for TRIES COMMAND…: retry every 0.1 s, bounded.
wait_for() { local tries=$1; shift; for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

# --- Knot ----------------------------------------------------------------------------
# start_knot DIR ADDR PORT [netns-exec prefix…]: knotd serving bench.example from DIR on
# ADDR@PORT (and on EXTRA_LISTEN, e.g. ", 10.0.0.2@53"), the zone file ZONE_FILE if set.
start_knot() {
    local dir=$1 addr=$2 port=$3; shift 3
    mkdir -p "$dir/run" "$dir/db" "$dir/zones"
    cp "${ZONE_FILE:-$WORK/bench.example.zone}" "$dir/zones/bench.example.zone"
    cat > "$dir/knot.conf" <<CONF
server:
    rundir: "$dir/run"
    listen: [ $addr@$port${EXTRA_LISTEN:-} ]
    udp-workers: 1
    tcp-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "$dir/db"
template:
  - id: default
    storage: "$dir/zones"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: bench.example
CONF
    "$@" knotd -c "$dir/knot.conf" 2> "$dir/knotd.log" &
    PIDS+=($!)
    wait_for 200 "$@" kdig +short +tcp +timeout=1 +retry=0 @"$addr" -p "$port" w0.bench.example SOA bench.example SOA \
        || { cat "$dir/knotd.log" >&2; log "knotd did not answer"; exit 1; }
}

# --- mailsrvd ------------------------------------------------------------------------
# start_daemon NAME DNS [launcher…]: a release mailsrvd with its own socket, state and
# cache, timed from exec to READY=1; sets DAEMON_PID, SOCKET, READY_MS. DNS "" = none
# (the daemon follows resolv.conf).
start_daemon() {
    local dir=$WORK/$1; rm -rf "$dir"; mkdir -p "$dir/state" "$dir/cache"
    cat > "$dir/mailsrvd.conf" <<CONF
[Discovery]
# 10,000 domains are 80,000 (name, type) entries here (4 SRV + 2 hosts × A/AAAA).
CacheMaxNames=100000
CONF
    SOCKET=$dir/io.mailsrvd.Discovery
    local ready dns=()
    [[ -n $2 ]] && dns=(--dns-server "$2")
    ready=$("$BIN/mailsrvbench" ready --notify-socket "$dir/notify" --timeout 10 -- "${@:3}" "$DAEMON" \
        --config "$dir/mailsrvd.conf" --socket "$SOCKET" "${dns[@]}" \
        --state-directory "$dir/state" --cache-directory "$dir/cache" 2>> "$dir/mailsrvd.log")
    DAEMON_PID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$ready")
    READY_MS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ready_ms"])' "$ready")
    PIDS+=("$DAEMON_PID")
}

stop_daemon() {
    kill "$1" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# Of the RSS, the anonymous part (heap, stacks): the rest are pages of mapped files (code).
rss_anon_kib() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }

# load SOCKET CONNS [extra args…]: one run of the generator.
load() {
    local socket=$1 conns=$2; shift 2
    "$BIN/mailsrvbench" load --socket "$socket" --connections "$conns" "$@"
}

# --- 1. cached Lookup ----------------------------------------------------------------
bench_cached() {
    "$BIN/mailsrvbench" echo --socket "$WORK/echo.sock" --lifetime 900 &
    PIDS+=($!)
    wait_for 50 test -S "$WORK/echo.sock"

    log "mailsrvd: one cached Lookup in process, without the socket"
    record "{\"kind\":\"inprocess\",\"result\":$("$BIN/mailsrvbench" inprocess --calls "$INPROCESS_CALLS")}"

    log "mailsrvd: exec to READY=1 ($STARTS starts)"
    for i in $(seq "$STARTS"); do
        start_daemon "start$i" "127.0.0.1@$KNOT_PORT"
        record "{\"kind\":\"ready\",\"ms\":$READY_MS}"
        sleep 0.3
        record "{\"kind\":\"rss_idle\",\"kib\":$(rss_kib "$DAEMON_PID"),\"anon_kib\":$(rss_anon_kib "$DAEMON_PID")}"
        stop_daemon "$DAEMON_PID"
    done

    start_daemon main "127.0.0.1@$KNOT_PORT"
    MAIN_PID=$DAEMON_PID MAIN_SOCKET=$SOCKET
    log "mailsrvd: warming $HOT_DOMAINS domains, then cached Lookup and the NUL-echo floor in turn ($PAIRS pairs)"
    load "$MAIN_SOCKET" 8 --each-once --domains 'user@w%d.bench.example' --count $HOT_DOMAINS > "$WORK/warm.json"
    for c in $CONNS; do
        for pair in $(seq "$PAIRS"); do
            for target in floor mailsrvd; do
                local socket=$MAIN_SOCKET; [[ $target == floor ]] && socket=$WORK/echo.sock
                record "{\"kind\":\"cached\",\"target\":\"$target\",\"pair\":$pair,\"result\":$(load "$socket" "$c" \
                    --seconds "$SECONDS_PER_RUN" --domains 'user@w%d.bench.example' --count $HOT_DOMAINS)}"
            done
        done
    done
    record "{\"kind\":\"cpu\",\"target\":\"mailsrvd\",\"ticks\":$(awk '{print $14+$15}' "/proc/$MAIN_PID/stat")}"
}

# --- 1b. unbound + dnsperf -----------------------------------------------------------
bench_unbound() {
    local port; port=$(free_port)
    mkdir -p "$WORK/unbound"
    cat > "$WORK/unbound/unbound.conf" <<CONF
server:
    interface: 127.0.0.1
    port: $port
    num-threads: 2
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$WORK/unbound"
    pidfile: "$WORK/unbound/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    do-not-query-localhost: no
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    msg-cache-size: 64m
    rrset-cache-size: 128m
remote-control:
    control-enable: no
forward-zone:
    name: "bench.example"
    forward-addr: 127.0.0.1@$KNOT_PORT
CONF
    unbound -d -c "$WORK/unbound/unbound.conf" 2> "$WORK/unbound/unbound.log" &
    PIDS+=($!)
    wait_for 100 kdig +short +timeout=1 +retry=0 @127.0.0.1 -p "$port" w0.bench.example SOA
    # The SRV questions a Lookup of the hot domains asks, answered from unbound's cache.
    for n in $(seq 0 $((HOT_DOMAINS - 1))); do
        for s in imaps imap pop3s pop3; do echo "_$s._tcp.w$n.bench.example SRV"; done
    done > "$WORK/queries.txt"
    dnsperf -s 127.0.0.1 -p "$port" -d "$WORK/queries.txt" -n 1 -c 4 -q 16 > /dev/null 2>&1
    log "unbound: cached SRV queries with dnsperf"
    for c in $CONNS; do
        local text qps p
        text=$(dnsperf -s 127.0.0.1 -p "$port" -d "$WORK/queries.txt" -l "$UNBOUND_SECONDS" \
            -c "$c" -q "$c" -T $(( c < 2 ? 1 : 2 )) 2>&1)
        qps=$(awk '/Queries per second/ { print $4 }' <<< "$text")
        p=$(awk '/Average Latency/ { print $4 * 1e6 }' <<< "$text")
        record "{\"kind\":\"unbound\",\"connections\":$c,\"qps\":${qps:-0},\"avg_us\":${p:-0}}"
    done
}

# --- 3. memory with 10,000 domains ---------------------------------------------------
bench_memory() {
    log "mailsrvd: filling the cache with $FILL domains"
    load "$MAIN_SOCKET" 8 --each-once --domains 'user@w%d.bench.example' --count "$FILL" \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"calls":d["calls"],"errors":d["errors"],"seconds":d["seconds"]}))' \
        > "$WORK/fill.json"
    sleep 0.5
    record "{\"kind\":\"rss_full\",\"domains\":$FILL,\"kib\":$(rss_kib "$MAIN_PID"),\"anon_kib\":$(rss_anon_kib "$MAIN_PID"),\"fill\":$(cat "$WORK/fill.json")}"
}

# --- 2. cold discovery behind a real RTT ---------------------------------------------
netns_up() {
    ip netns add "$NS"
    ip link add "$VETH_HOST" type veth peer name "$VETH_NS"
    ip link set "$VETH_NS" netns "$NS"
    ip addr add "$HOST_IP/30" dev "$VETH_HOST"; ip link set "$VETH_HOST" up
    ip netns exec "$NS" ip addr add "$NS_IP/30" dev "$VETH_NS"
    ip netns exec "$NS" ip link set "$VETH_NS" up
    ip netns exec "$NS" ip link set lo up
}

# set_delay MS: RTT of MS between the host and the namespace's DNS address
# (NS_IP:DELAY_PORT). tc netem on both veth ends when the kernel has it, else a UDP
# relay in the namespace that holds each datagram MS/2 each way.
set_delay() {
    local ms=$1 half
    half=$(python3 -c "print($ms/2)")
    if [[ $DELAY_MODE == netem ]]; then
        tc qdisc replace dev "$VETH_HOST" root netem delay "${half}ms"
        ip netns exec "$NS" tc qdisc replace dev "$VETH_NS" root netem delay "${half}ms"
    else
        [[ -n ${RELAY_PID:-} ]] && { kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null || true; }
        ip netns exec "$NS" python3 "$HERE/delay_relay.py" "$NS_IP" "$DELAY_PORT" 127.0.0.1 53 "$ms" 900 &
        RELAY_PID=$!; PIDS+=("$RELAY_PID")
        wait_for 50 kdig +short +timeout=1 +retry=0 @"$NS_IP" -p "$DELAY_PORT" w0.bench.example SOA
    fi
}

# kdig_chain DOMAIN: how clients do it today, one query after another: the 4 SRV, then
# AAAA and A of each target. Prints the wall time in ms.
kdig_chain() {
    local d=$1 start targets queries=()
    local dig=(kdig +short +timeout=2 +retry=0 @"$NS_IP" -p "$DELAY_PORT")
    start=$(date +%s%N)
    targets=$("${dig[@]}" "_imaps._tcp.$d" SRV "_imap._tcp.$d" SRV "_pop3s._tcp.$d" SRV "_pop3._tcp.$d" SRV \
        | awk '{ print $4 }' | sort -u)
    for t in $targets; do queries+=("$t" AAAA "$t" A); done
    "${dig[@]}" "${queries[@]}" > /dev/null
    echo $(( ($(date +%s%N) - start) / 1000 ))
}

bench_cold() {
    netns_up
    EXTRA_LISTEN=", $NS_IP@53" start_knot "$WORK/knot-ns" 127.0.0.1 53 ip netns exec "$NS"
    if tc qdisc add dev "$VETH_HOST" root netem delay 1ms 2>/dev/null; then
        tc qdisc del dev "$VETH_HOST" root; DELAY_MODE=netem DELAY_PORT=53
    else
        DELAY_MODE=relay DELAY_PORT=5300
    fi
    record "{\"kind\":\"delay_mode\",\"mode\":\"$DELAY_MODE\"}"
    set_delay 0
    start_daemon cold "$NS_IP@$DELAY_PORT"
    local cold_pid=$DAEMON_PID cold_socket=$SOCKET next=0
    for r in $DELAYS; do
        log "cold discovery at RTT $r ms ($DELAY_MODE)"
        set_delay "$r"
        # One throwaway lookup at this RTT: libunbound learns the upstream's round trip
        # (infra cache), as it has on any host in use. Learnt at another RTT, its
        # retransmit timer (50 ms at least) fires early at R = 50 ms and adds a round trip.
        load "$cold_socket" 1 --each-once --emails "user@c$next.bench.example" > /dev/null
        next=$((next + 1))
        local measured; measured=$(kdig +noall +stats +timeout=2 +retry=0 @"$NS_IP" -p "$DELAY_PORT" w0.bench.example SOA \
            | awk '/^;; From/ { print $(NF-1) }')
        record "{\"kind\":\"cold\",\"rtt_ms\":$r,\"kdig_rtt_ms\":${measured:-0},\"result\":$(load "$cold_socket" 1 --each-once \
            --domains 'user@c%d.bench.example' --first "$next" --count "$COLD_RUNS")}"
        next=$((next + COLD_RUNS))
        local chain=()
        for _ in $(seq "$CHAIN_RUNS"); do chain+=("$(kdig_chain "c$next.bench.example")"); next=$((next + 1)); done
        record "{\"kind\":\"chain\",\"rtt_ms\":$r,\"us\":[$(IFS=,; echo "${chain[*]}")]}"
    done
    stop_daemon "$cold_pid"
}

# --- 4. following resolv.conf -------------------------------------------------------
# A network namespace (Knot on 127.0.0.1@53 and 127.0.0.2@53, answering w0's IMAPS with
# different targets) and a private mount namespace with a copy of /etc; mailsrvd without
# --dns-server follows its /etc/resolv.conf. Time from each rename to the first Lookup
# answered by the new server.
bench_switch() {
    local etc=$WORK/etc holder enter
    mkdir -p "$etc"; cp -a /etc/. "$etc/"; rm -f "$etc/resolv.conf"
    printf 'nameserver 127.0.0.1\n' > "$etc/resolv.conf"; touch "$etc/.mailsrvbench-copy"
    unshare --net --mount --propagation private -- sh -c \
        "ip link set lo up && mount --bind '$etc' /etc && exec sleep 900" &
    holder=$!; PIDS+=("$holder")
    enter=("$(command -v nsenter)" -t "$holder" -n -m --)
    wait_for 100 "${enter[@]}" test -e /etc/.mailsrvbench-copy
    sed 's/^_imaps._tcp.w0 SRV 0 1 993 imap.w0.bench.example.$/_imaps._tcp.w0 SRV 0 1 993 pop.w0.bench.example./' \
        "$WORK/bench.example.zone" > "$WORK/bench-b.zone"
    start_knot "$WORK/knot-a" 127.0.0.1 53 "${enter[@]}"
    ZONE_FILE=$WORK/bench-b.zone start_knot "$WORK/knot-b" 127.0.0.2 53 "${enter[@]}"
    start_daemon switch "" "${enter[@]}"
    log "mailsrvd: $SWITCHES renames of resolv.conf, time to the first Lookup answered by the new server"
    record "{\"kind\":\"switch\",\"ms\":$(python3 "$HERE/switch_time.py" "$SOCKET" "$etc" w0.bench.example \
        127.0.0.1 imap.w0.bench.example 127.0.0.2 pop.w0.bench.example "$SWITCHES")}"
    stop_daemon "$DAEMON_PID"
}

# --- 5. mailsrvctl connect ------------------------------------------------------------
# Its own Knot, mailsrvd, Dovecot (test CA) and blackholed addresses (mailsrvbench tunnel,
# on Tests/MailHarness and Tests/KnotHarness).
bench_tunnel() {
    log "mailsrvctl connect vs openssl s_client: greeting and FETCH of $BULK_MIB MiB ($PAIRS pairs), $FAILOVERS failovers"
    record "{\"kind\":\"tunnel\",\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"result\":$("$BIN/mailsrvbench" tunnel \
        --daemon "$DAEMON" --mailsrvctl "$BIN/mailsrvctl" --directory "$WORK/tunnel" \
        --pairs "$PAIRS" --failovers "$FAILOVERS" --bulk-mib "$BULK_MIB")}"
}

# --- run -----------------------------------------------------------------------------
python3 "$HERE/genzone.py" "$WARM" "$COLD" > "$WORK/bench.example.zone"
KNOT_PORT=$(free_port)
log "knotd on 127.0.0.1@$KNOT_PORT ($WARM + $COLD domains)"
start_knot "$WORK/knot" 127.0.0.1 "$KNOT_PORT"
record "{\"kind\":\"machine\",\"smoke\":$SMOKE,\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"daemon\":\"$DAEMON\",\"date\":\"$(date -u +%FT%TZ)\",\"cpu\":\"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)\",\"cores\":$(nproc),\"mem_gib\":$(awk '/MemTotal/ { printf "%.0f", $2/1048576 }' /proc/meminfo),\"kernel\":\"$(uname -r)\",\"swift\":\"$(swift --version 2>/dev/null | head -1 | sed 's/"//g')\",\"unbound\":\"$(unbound -V 2>/dev/null | awk '/^Version/ { print $2 }')\",\"dnsperf\":\"$(dnsperf -h 2>&1 | awk '/^DNS Performance Testing Tool/ { print $NF }' | head -1)\",\"knot\":\"$(knotd -V | awk '{ print $NF }')\"}"

step() { [[ " $BENCH_STEPS " == *" $1 "* ]]; }
step cached && bench_cached
step unbound && bench_unbound
step memory && bench_memory
[[ -n ${MAIN_PID:-} ]] && stop_daemon "$MAIN_PID"
step cold && bench_cold
step switch && bench_switch
step tunnel && bench_tunnel
if (( SMOKE )); then
    python3 "$HERE/report.py" "$RESULTS" > "$OUT"
else
    python3 "$HERE/report.py" "$RESULTS" --into "$OUT"
fi
# An error reply to a cached Lookup, or while filling the cache, is a bug, not a figure:
# the run fails (so CI's smoke run catches e.g. a release-only miscompile).
python3 - "$RESULTS" <<'CHECK'
import json, sys
bad = []
for row in map(json.loads, open(sys.argv[1])):
    if row["kind"] == "cached" and row["target"] == "mailsrvd" and row["result"]["errors"]:
        bad.append(f"{row['result']['errors']} error replies to cached Lookups ({row['result']['connections']} connections)")
    if row["kind"] == "rss_full" and row["fill"]["errors"]:
        bad.append(f"{row['fill']['errors']} error replies while filling the cache")
for line in bad:
    print(f"bench: {line}", file=sys.stderr)
sys.exit(1 if bad else 0)
CHECK
