#!/usr/bin/env bash
# Benchmark: `trib create` against `redis-cli --cluster create` on the same kind of
# nodes, in the same run.
#
# For each of ROUNDS rounds (default 5), and for each tool (the order alternates per
# round), it starts 6 fresh redis-server nodes on three loopback "hosts" (127.0.0.2-4,
# two nodes each, with a separate cluster-port), waits until they answer PING, waits a
# further 2.5 s (Redis will not let a master turn cluster_state:ok during its first 2 s,
# CLUSTER_WRITABLE_DELAY in cluster.c), then times from launching the tool until every
# node reports cluster_state:ok: the tool's own run, plus polling CLUSTER INFO on all 6
# nodes every 10 ms after the tool has exited. The nodes are then stopped.
#
#   trib create <6 nodes> --replicas 1 --yes
#   redis-cli --cluster create <6 nodes> --cluster-replicas 1 --cluster-yes
#
# Env: ROUNDS (5); BASE_PORT (30000; each set of nodes uses 10 ports from there, bus
# port = port + 10000); NODE_TIMEOUT (ms, passed as cluster-node-timeout; unset = the
# Redis default 15000); TRIB_ARGS (extra arguments for trib, e.g. --json to keep its
# phase timings in the logs); KEEP=1 keeps the temp dir with the logs.
#
# Note: with the default cluster-node-timeout, both tools end near 5 s after the slots
# are assigned: a fresh master counts itself "in the minority" until it owns slots, and
# Redis then keeps it at cluster_state:fail for min(cluster-node-timeout, 5 s)
# (clusterUpdateState, rejoin delay). NODE_TIMEOUT=500 shrinks that floor to 0.5 s.
# Prints per-round times, median/min/max per tool and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
BASE=${BASE_PORT:-30000}
for bin in redis-server redis-cli python3 cargo; do
  command -v "$bin" >/dev/null || { echo "missing: $bin" >&2; exit 1; }
done

echo ">>> building trib (release)"
cargo build --release --quiet
TRIB=${CARGO_TARGET_DIR:-target}/release/trib
TRIB=$(cd "$(dirname "$TRIB")" && pwd)/trib

DIR=$(mktemp -d /tmp/trib-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo ">>> logs kept in $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Times one create: runs the command, then polls CLUSTER INFO on every node every 10 ms
# until all report cluster_state:ok. Prints "<tool seconds> <total seconds> <masters>
# <replicas>"; the last two are read from the first node's CLUSTER NODES at the end.
cat >"$DIR/measure.py" <<'PY'
import socket, subprocess, sys, time

log, nodes, cmd = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]

def conn(n):
    host, port = n.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s, s.makefile("rb")

def call(c, *args):
    s, f = c
    s.sendall(b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args)))
    line = f.readline()
    if line[:1] == b"$":
        n = int(line[1:])
        return f.read(n + 2)[:-2].decode()
    return line.decode().strip()

conns = [conn(n) for n in nodes]  # opened before the clock starts
with open(log, "w") as out:
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT).returncode
    t1 = time.perf_counter()
    pending = set(range(len(nodes)))
    while pending:
        for i in list(pending):
            if "cluster_state:ok" in call(conns[i], "CLUSTER", "INFO"):
                pending.discard(i)
        if not pending or time.perf_counter() - t0 > 120:
            break
        time.sleep(0.010)
    t2 = time.perf_counter()
if rc != 0 or pending:
    print(f"FAIL rc={rc} not_ok={len(pending)} (see {log})", file=sys.stderr)
    sys.exit(1)
# Sanity check, not timed: the roles as the first node sees them (given up to 3 s for
# the last role changes to reach it by gossip).
deadline = time.perf_counter() + 3
while True:
    lines = [l.split() for l in call(conns[0], "CLUSTER", "NODES").splitlines()]
    masters = sum(1 for l in lines if "master" in l[2] and len(l) > 8)
    replicas = sum(1 for l in lines if "slave" in l[2])
    if replicas >= len(nodes) // 2 or time.perf_counter() > deadline:
        break
    time.sleep(0.05)
print(f"{t1 - t0:.3f} {t2 - t0:.3f} {masters} {replicas}")
PY

set_no=0
nodes=()
set_pids=()
start_set() {
  nodes=(); set_pids=()
  local i=0 host k ip port d
  for host in 2 3 4; do
    for k in 0 1; do
      ip=127.0.0.$host; port=$((BASE + set_no * 10 + i)); d=$DIR/set$set_no/$i; mkdir -p "$d"
      redis-server --port "$port" --bind "$ip" --protected-mode no \
        --cluster-enabled yes --cluster-port $((port + 10000)) ${NODE_TIMEOUT:+--cluster-node-timeout "$NODE_TIMEOUT"} \
        --cluster-config-file "$d/nodes.conf" --cluster-announce-ip "$ip" --bind-source-addr "$ip" \
        --dir "$d" --save '' --appendonly no --daemonize no --logfile "$d/redis.log" &
      pids+=($!); set_pids+=($!)
      nodes+=("$ip:$port")
      i=$((i + 1))
    done
  done
  local n tries
  for n in "${nodes[@]}"; do
    tries=0
    until redis-cli -h "${n%:*}" -p "${n#*:}" ping >/dev/null 2>&1; do
      tries=$((tries + 1)); [ $tries -lt 200 ] || { echo "node $n did not start" >&2; exit 1; }
      sleep 0.05
    done
  done
  sleep 2.5   # past CLUSTER_WRITABLE_DELAY (2 s after start)
  set_no=$((set_no + 1))
}
stop_set() {
  local p
  for p in "${set_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${set_pids[@]}"; do wait "$p" 2>/dev/null || true; done
}

RESULTS=$DIR/results.txt
: >"$RESULTS"
run_tool() { # round tool
  local round=$1 tool=$2 cmd out
  start_set
  if [ "$tool" = trib ]; then
    # shellcheck disable=SC2086
    cmd=("$TRIB" create "${nodes[@]}" --replicas 1 --yes ${TRIB_ARGS:-})
  else
    cmd=(redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes)
  fi
  out=$(python3 "$DIR/measure.py" "$DIR/r$round-$tool.log" "$(IFS=,; echo "${nodes[*]}")" "${cmd[@]}")
  stop_set
  read -r tool_s total_s masters replicas <<<"$out"
  printf '  round %d  %-9s  tool %6.3f s  until all ok %6.3f s  (%s masters, %s replicas)\n' \
    "$round" "$tool" "$tool_s" "$total_s" "$masters" "$replicas"
  echo "$round $tool $tool_s $total_s $masters $replicas" >>"$RESULTS"
}

echo ">>> $(nproc) CPUs, $(redis-server --version | cut -d' ' -f1-3), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo ">>> cluster-node-timeout: ${NODE_TIMEOUT:-default (15000)} ms"
echo ">>> $ROUNDS rounds, 6 nodes (3 hosts x 2), --replicas 1"
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order=(trib redis-cli); else order=(redis-cli trib); fi
  for t in "${order[@]}"; do run_tool "$r" "$t"; done
done

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def col(tool, i): return [float(r[i]) for r in rows if r[1] == tool]
print()
print(f"{'':10} {'median':>8} {'min':>8} {'max':>8}   (seconds, launch -> all nodes cluster_state:ok)")
med = {}
for tool in ("trib", "redis-cli"):
    v = col(tool, 3); med[tool] = statistics.median(v)
    t = col(tool, 2)
    print(f"{tool:10} {med[tool]:8.3f} {min(v):8.3f} {max(v):8.3f}   (tool alone: median {statistics.median(t):.3f})")
print(f"ratio trib / redis-cli (medians): {med['trib'] / med['redis-cli']:.3f}"
      f"  (redis-cli is {med['redis-cli'] / med['trib']:.1f}x slower)")
PY
