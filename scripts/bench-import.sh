#!/usr/bin/env bash
# Benchmark: `trib import` against `redis-cli --cluster import` on the same data, in the
# same run.
#
# Starts a 6-node cluster (127.0.0.2-4, two nodes per "host", --replicas 1, made with
# `trib create`) and a standalone source on 127.0.0.5. For each of ROUNDS rounds and
# each tool (the order alternates per round) and each mode (move, and copy when
# COPY=1): flushes the cluster, fills the source with `DEBUG POPULATE $KEYS key 16`
# (small string keys), and times the tool from launch to exit:
#
#   redis-cli --cluster import <entry> --cluster-from <src> [--cluster-copy]
#   trib import <entry> --from <src> --yes [--copy]
#
# then checks that the cluster holds every key (and, moving, that the source is empty).
# Env: KEYS (200000), ROUNDS (3), BASE_PORT (33000), COPY (1: also time the copy mode),
# TRIB_ARGS (extra arguments for trib import, e.g. "--pipeline 5000"), KEEP=1 keeps logs.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-200000}
ROUNDS=${ROUNDS:-3}
BASE=${BASE_PORT:-33000}
COPY=${COPY:-1}
for bin in redis-server redis-cli python3 cargo; do
  command -v "$bin" >/dev/null || { echo "missing: $bin" >&2; exit 1; }
done

echo ">>> building trib (release)"
if [ "${NO_BUILD:-0}" != 1 ]; then cargo build --release --quiet; fi
TRIB=${CARGO_TARGET_DIR:-target}/release/trib
TRIB=$(cd "$(dirname "$TRIB")" && pwd)/trib

DIR=$(mktemp -d /tmp/trib-bench-import.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo ">>> logs kept in $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # ip port cluster(yes|no)
  local ip=$1 port=$2 d=$DIR/$2
  mkdir -p "$d"
  local extra=()
  if [ "$3" = yes ]; then
    extra=(--cluster-enabled yes --cluster-port $((port + 10000)) --cluster-node-timeout 2000
           --cluster-config-file "$d/nodes.conf" --cluster-announce-ip "$ip" --bind-source-addr "$ip"
           --repl-diskless-sync-delay 0)
  fi
  redis-server --port "$port" --bind "$ip" --protected-mode no --enable-debug-command yes \
    --dir "$d" --save '' --appendonly no --daemonize no --logfile "$d/redis.log" "${extra[@]}" &
  pids+=($!)
  local tries=0
  until redis-cli -h "$ip" -p "$port" ping >/dev/null 2>&1; do
    tries=$((tries + 1)); [ $tries -lt 200 ] || { echo "node $ip:$port did not start" >&2; exit 1; }
    sleep 0.05
  done
}

nodes=()
i=0
for host in 2 3 4; do
  for k in 0 1; do
    start 127.0.0.$host $((BASE + i)) yes
    nodes+=("127.0.0.$host:$((BASE + i))")
    i=$((i + 1))
  done
done
SRC_IP=127.0.0.5 SRC_PORT=$((BASE + 9))
start $SRC_IP $SRC_PORT no
SRC=$SRC_IP:$SRC_PORT
ENTRY=${nodes[0]}
"$TRIB" create "${nodes[@]}" --replicas 1 --yes >"$DIR/create.log" 2>&1
# Wait for the replicas' first sync, so it does not overlap the first round.
for n in "${nodes[@]}"; do
  until redis-cli -h "${n%:*}" -p "${n#*:}" info replication | grep -qE 'role:master|master_link_status:up'; do sleep 0.05; done
done

masters() {
  local n
  for n in "${nodes[@]}"; do
    if redis-cli -h "${n%:*}" -p "${n#*:}" info replication | grep -q role:master; then echo "$n"; fi
  done
}
cluster_keys() {
  local n sum=0 k
  for n in $(masters); do
    k=$(redis-cli -h "${n%:*}" -p "${n#*:}" dbsize); sum=$((sum + k))
  done
  echo $sum
}
prepare() {
  local n
  for n in $(masters); do redis-cli -h "${n%:*}" -p "${n#*:}" flushall >/dev/null; done
  redis-cli -h $SRC_IP -p $SRC_PORT flushall >/dev/null
  redis-cli -h $SRC_IP -p $SRC_PORT debug populate "$KEYS" key 16 >/dev/null
  # Let the replicas catch up with the flush before the clock starts.
  sleep 0.5
}

RESULTS=$DIR/results.txt
: >"$RESULTS"
run_tool() { # round tool mode
  local round=$1 tool=$2 mode=$3 cmd log t0 t1 secs got src_left
  prepare
  log=$DIR/r$round-$tool-$mode.log
  if [ "$tool" = trib ]; then
    cmd=("$TRIB" import "$ENTRY" --from "$SRC" --yes)
    [ "$mode" = copy ] && cmd+=(--copy)
    # shellcheck disable=SC2206
    cmd+=(${TRIB_ARGS:-})
  else
    cmd=(redis-cli --cluster import "$ENTRY" --cluster-from "$SRC")
    [ "$mode" = copy ] && cmd+=(--cluster-copy)
  fi
  t0=$(date +%s.%N)
  "${cmd[@]}" </dev/null >"$log" 2>&1 || { echo "FAIL: ${cmd[*]} (see $log)" >&2; KEEP=1; exit 1; }
  t1=$(date +%s.%N)
  secs=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
  got=$(cluster_keys)
  src_left=$(redis-cli -h $SRC_IP -p $SRC_PORT dbsize)
  if [ "$got" != "$KEYS" ]; then echo "FAIL: $tool $mode: cluster holds $got of $KEYS keys (see $log)" >&2; KEEP=1; exit 1; fi
  if [ "$mode" = move ] && [ "$src_left" != 0 ]; then echo "FAIL: $tool: $src_left keys left on the source" >&2; KEEP=1; exit 1; fi
  printf '  round %d  %-9s %-4s  %7.3f s  %8.0f keys/s\n' "$round" "$tool" "$mode" "$secs" \
    "$(python3 -c "print($KEYS / $secs)")"
  echo "$round $tool $mode $secs" >>"$RESULTS"
}

echo ">>> $(nproc) CPUs, $(redis-server --version | cut -d' ' -f1-3), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo ">>> $KEYS keys (DEBUG POPULATE, 16-byte values), cluster of 3 masters + 3 replicas, $ROUNDS rounds"
modes=(move); [ "$COPY" = 1 ] && modes+=(copy)
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order=(trib redis-cli); else order=(redis-cli trib); fi
  for m in "${modes[@]}"; do
    for t in "${order[@]}"; do run_tool "$r" "$t" "$m"; done
  done
done

python3 - "$RESULTS" "$KEYS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
keys = int(sys.argv[2])
print()
print(f"{'':16} {'median s':>9} {'min s':>8} {'max s':>8} {'keys/s':>10}")
for mode in ("move", "copy"):
    med = {}
    for tool in ("trib", "redis-cli"):
        v = [float(r[3]) for r in rows if r[1] == tool and r[2] == mode]
        if not v:
            continue
        med[tool] = statistics.median(v)
        print(f"{tool + ' ' + mode:16} {med[tool]:9.3f} {min(v):8.3f} {max(v):8.3f} {keys / med[tool]:10.0f}")
    if len(med) == 2:
        print(f"  {mode}: trib is {med['redis-cli'] / med['trib']:.1f}x faster (medians)")
PY
