#!/usr/bin/env bash
# Benchmark: what a client feels while slots move. For every value size, every operation
# (reshard, rebalance) and every tool (trib, redis-cli), on a fresh cluster each time:
#
#   * 4 nodes on loopback "hosts" 127.0.0.2-5 (separate cluster port, cluster-node-timeout
#     1000 ms, no persistence), `trib create` of the first 3 (masters 0-5460, 5461-10922,
#     10923-16383), the 4th joined as an empty master (`trib add-node`);
#   * KEYS keys `lat:<i>` of SIZE bytes written through their owners (examples/latency_client.rs
#     `load`); size `big` is 2 KB keys plus one 50 MB key (BIG_MB) in a slot below 1000,
#     i.e. among the slots both operations move;
#   * the client (`latency_client read`) starts: 4 workers doing GETs over every key in
#     turn, RATE requests per second in all, following MOVED/ASK itself (plain async
#     connections, one per node), every reply checked against the value written; with
#     `big`, STRLEN of the big key every 100 ms;
#   * 1 s later the operation runs (timed, wall clock of the whole process):
#       reshard:   trib reshard E --from M0 --to M1 --slots RESHARD_SLOTS --yes
#                  redis-cli --cluster reshard E --cluster-from M0 --cluster-to M1 --cluster-slots RESHARD_SLOTS --cluster-yes
#                  (both move M0's lowest RESHARD_SLOTS slots)
#       rebalance: trib rebalance E --use-empty-masters --yes
#                  redis-cli --cluster rebalance E --cluster-use-empty-masters
#                  (4096 slots onto the empty master)
#   * 0.5 s after it ends the client stops and reports, over the requests that started
#     once the tool's process had launched (the stop file tells it when), the
#     number of requests, p50, p99, p99.9 and max latency, how many took 1 ms or more and 2
#     ms or more, failed and missing reads (any of those fails the run); the slowest
#     request's hops (node, time, reply: e.g. a MOVED bounce between source and target) go
#     to stderr, with when it started, and so does every request of 2 ms or more;
#   * "idle max": the slowest request of the second before the operation, with nothing
#     moving: how long this machine alone makes a request wait now and then (scheduler,
#     other jobs), the noise under every "max";
#   * "launch max": the slowest request of the first LAUNCH_MS (30) ms, while the tool's
#     process starts, counted apart from the rest: on the virtual machines this was
#     measured on, launching any process makes requests wait 2-4 ms (`trib --version` and
#     `redis-cli --version` started every 300 ms under the same client: 2.8 and 3.9 ms at
#     the launches, 1.3 ms with a shell builtin instead), whatever the process then does;
#   * "control max": the slowest PING, during the operation, to a standalone redis-server
#     (127.0.0.6) that nothing moves from, sent by the same client process 500 times a
#     second; "own max": the slowest request during the operation that no control PING
#     overlapping it matched (took half as long or more). A stall both saw (CPU stolen
#     from the VM, the client descheduled) is the machine's; what is left is the
#     operation's own (examples/latency_client.rs, "shared");
#   * "server max": the longest event any node's latency monitor recorded meanwhile
#     (LATENCY LATEST, threshold 1 ms; e.g. `command` = one command that long): the
#     servers' own stall, which the scheduler of a loaded machine does not blur.
#
# Env: SIZES ("32 2048 65536 big"), OPS ("reshard rebalance"), TOOLS ("trib redis-cli"),
# KEYS (per size: 100000 for 32 B and 2 KB, 3000 for 64 KB, 20000 for big), BIG_MB (50),
# RESHARD_SLOTS (3000), RATE (2000), BASE_PORT (31600), KEEP=1 keeps the temp dir,
# ROUNDS (1): every size/operation/tool ROUNDS times, the tools alternating which goes first,
# LAUNCH_MS (30, below), TOOL_NICE (unset): the tools' niceness (below),
# TRIB_ARGS: more flags for trib's reshard and rebalance (e.g. "--max-stall 2ms");
# TOOLS may name "trib-other": the binary TRIB_OTHER (another build, side by side).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"32 2048 65536 big"}
OPS=${OPS:-"reshard rebalance"}
TOOLS=${TOOLS:-"trib redis-cli"}
BIG_MB=${BIG_MB:-50}
RESHARD_SLOTS=${RESHARD_SLOTS:-3000}
RATE=${RATE:-2000}
ROUNDS=${ROUNDS:-1}
LAUNCH_MS=${LAUNCH_MS:-30}
# TOOL_NICE: run both tools at this niceness (e.g. 19), so that the servers and the client
# get a CPU first whenever they want one, as if the tool ran on a host of its own.
RUN=""
[ -n "${TOOL_NICE:-}" ] && RUN="nice -n $TOOL_NICE"
BASE=${BASE_PORT:-31600}
for bin in redis-server redis-cli cargo bc; do
  command -v "$bin" >/dev/null || { echo "missing: $bin" >&2; exit 1; }
done

echo ">>> building trib and the latency client (release)" >&2
cargo build --release --quiet --bin trib --example latency_client
OUT_DIR=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd)
TRIB=$OUT_DIR/trib
CLIENT=$OUT_DIR/examples/latency_client

DIR=$(mktemp -d /tmp/trib-bench-latency.XXXXXX)
pids=()
stop_nodes() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_nodes
  [ -n "${control_pid:-}" ] && { kill "$control_pid" 2>/dev/null || true; wait "$control_pid" 2>/dev/null || true; }
  if [ "${KEEP:-0}" = 1 ]; then echo ">>> logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

# The control server (see "control max" above): one for the whole run, not in a cluster.
CONTROL=127.0.0.6:$((BASE + 50))
mkdir -p "$DIR/control"
redis-server --port "${CONTROL#*:}" --bind "${CONTROL%:*}" --protected-mode no --save '' \
  --appendonly no --dir "$DIR/control" --daemonize no --logfile "$DIR/control/redis.log" &
control_pid=$!
export LATENCY_CONTROL=$CONTROL

cli() { local n=$1; shift; redis-cli -h "${n%:*}" -p "${n#*:}" "$@"; }
now() { date +%s.%N; }

# start_cluster RUN: 4 fresh nodes, 3 masters created, the 4th an empty master.
start_cluster() {
  local run=$1 i ip port d
  nodes=()
  for i in 0 1 2 3; do
    ip=127.0.0.$((2 + i)); port=$((BASE + i)); d=$DIR/$run/$i; mkdir -p "$d"
    redis-server --port "$port" --bind "$ip" --cluster-enabled yes --cluster-port $((BASE + 100 + i)) \
      --cluster-config-file "$d/nodes.conf" --cluster-announce-ip "$ip" --bind-source-addr "$ip" \
      --cluster-node-timeout 1000 --protected-mode no --latency-monitor-threshold 1 \
      --dir "$d" --save '' --appendonly no --daemonize no --logfile "$d/redis.log" &
    pids+=($!)
    nodes+=("$ip:$port")
  done
  for n in "${nodes[@]}"; do
    for _ in $(seq 100); do cli "$n" ping >/dev/null 2>&1 && break; sleep 0.05; done
  done
  "$TRIB" -q create "${nodes[@]:0:3}" --replicas 0 --yes >/dev/null
  "$TRIB" -q add-node "${nodes[3]}" "${nodes[0]}" --yes >/dev/null
  settle
}

settle() {
  for _ in $(seq 400); do "$TRIB" -q check "${nodes[0]}" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "cluster did not settle; trib check says:" >&2; "$TRIB" check "${nodes[0]}" >&2 || true; exit 1
}

keys_for() {
  if [ -n "${KEYS:-}" ]; then echo "$KEYS"; return; fi
  case $1 in 32|2048) echo 100000 ;; 65536) echo 3000 ;; big) echo 20000 ;; *) echo 10000 ;; esac
}

# measure SIZE OP TOOL -> one table row
measure() {
  local size=$1 op=$2 tool=$3 round=$4 run=$1-$2-$3-$4 bytes keys big="" stop t0 t1 res e m0 m1
  bytes=$size; [ "$size" = big ] && bytes=2048
  keys=$(keys_for "$size")
  start_cluster "$run"
  e=${nodes[0]}
  if [ "$size" = big ]; then
    big=$("$CLIENT" load "$e" "$keys" "$bytes" $((BIG_MB * 1024 * 1024)))
  else
    "$CLIENT" load "$e" "$keys" "$bytes"
  fi
  stop=$DIR/$run/stop
  if [ -n "$big" ]; then
    "$CLIENT" read "$e" "$keys" "$bytes" "$stop" "$RATE" "$big" $((BIG_MB * 1024 * 1024)) >"$DIR/$run/client.json" 2>"$DIR/$run/slow.txt" &
  else
    "$CLIENT" read "$e" "$keys" "$bytes" "$stop" "$RATE" >"$DIR/$run/client.json" 2>"$DIR/$run/slow.txt" &
  fi
  local client=$!
  sleep 1
  m0=$(cli "${nodes[0]}" cluster myid); m1=$(cli "${nodes[1]}" cluster myid)
  for n in "${nodes[@]}"; do cli "$n" latency reset >/dev/null; done
  t0=$(now)
  case $op/$tool in
    reshard/trib) $RUN "$TRIB" -q reshard "$e" --from "${nodes[0]}" --to "${nodes[1]}" --slots "$RESHARD_SLOTS" --yes ${TRIB_ARGS:-} ;;
    reshard/redis-cli) $RUN redis-cli --cluster reshard "$e" --cluster-from "$m0" --cluster-to "$m1" \
      --cluster-slots "$RESHARD_SLOTS" --cluster-yes ;;
    rebalance/trib) $RUN "$TRIB" -q rebalance "$e" --use-empty-masters --yes ${TRIB_ARGS:-} ;;
    rebalance/redis-cli) $RUN redis-cli --cluster rebalance "$e" --cluster-use-empty-masters ;;
    reshard/trib-other) $RUN "$TRIB_OTHER" -q reshard "$e" --from "${nodes[0]}" --to "${nodes[1]}" --slots "$RESHARD_SLOTS" --yes ${TRIB_ARGS:-} ;;
    rebalance/trib-other) $RUN "$TRIB_OTHER" -q rebalance "$e" --use-empty-masters --yes ${TRIB_ARGS:-} ;;
  esac >"$DIR/$run/tool.out" 2>&1 || { echo "$op/$tool failed:" >&2; tail -20 "$DIR/$run/tool.out" >&2; exit 1; }
  t1=$(now)
  sleep 0.5
  echo "$t0 $LAUNCH_MS" >"$stop.tmp"
  mv "$stop.tmp" "$stop"
  wait "$client"
  res=$(cat "$DIR/$run/client.json")
  # Every request of 2 ms or more (ms into the operation, µs, hops), on stderr.
  sed "s/^/$size $op $tool #$round /" "$DIR/$run/slow.txt" >&2
  # The slowest request's hops (node, time, reply), on stderr: where a stall came from.
  echo "$size $op $tool #$round worst: $(echo "$res" | sed -n 's/.*"worst":"\(.*\)"}/\1/p')" >&2
  # The longest single event any server recorded meanwhile (LATENCY LATEST: event, time,
  # latest ms, max ms): how long a server itself was busy, apart from the scheduler.
  server=$(for n in "${nodes[@]}"; do cli "$n" --csv latency latest; done |
    awk -F, '{gsub(/"/, "", $1); if ($4 + 0 > max) { max = $4 + 0; ev = $1 } } END { if (max) printf "%d (%s)", max, ev; else printf "<1" }')
  settle
  stop_nodes
  field() { echo "$res" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
  ms() { echo "scale=2; $1 / 1000" | bc | sed 's/^\./0./'; }
  printf '| %s | %s | %s | %s | %s | %.2f s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
    "$size" "$keys" "$op" "$tool" "$round" "$(echo "$t1 - $t0" | bc)" "$(field requests)" \
    "$(ms "$(field p50_us)")" "$(ms "$(field p99_us)")" "$(ms "$(field p999_us)")" "$(ms "$(field max_us)")" \
    "$(field over_1ms)" "$(field over_2ms)" "$(ms "$(field before_max_us)")" "$(ms "$(field launch_max_us)")" \
    "$(ms "$(field control_max_us)")" "$(ms "$(field own_max_us)")" "$server" "$(field failed)" "$(field missing)"
  if [ "$(field failed)" != 0 ] || [ "$(field missing)" != 0 ]; then
    echo "client saw failed or missing reads: $res" >&2
    exit 1
  fi
}

echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), $(nproc) CPU(s), $(date -u +%Y-%m-%d)"
echo "client: $RATE GET/s over 4 workers; reshard of $RESHARD_SLOTS slots; rebalance onto 1 empty master of 4"
echo
echo "| size | keys | operation | tool | round | time | requests | p50 ms | p99 ms | p99.9 ms | max ms | ≥ 1 ms | ≥ 2 ms | idle max ms | launch max ms | control max ms | own max ms | server max ms (event) | failed | missing |"
echo "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"
for size in $SIZES; do
  for op in $OPS; do
    for round in $(seq "$ROUNDS"); do
      # Odd rounds in the order given, even rounds reversed: neither tool always goes
      # first on a machine that warms up or cools down.
      order=$TOOLS
      [ $((round % 2)) = 0 ] && order=$(echo "$TOOLS" | tr ' ' '\n' | tac | tr '\n' ' ')
      for tool in $order; do
        measure "$size" "$op" "$tool" "$round"
      done
    done
  done
done
