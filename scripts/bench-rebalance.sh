#!/usr/bin/env bash
# Benchmark: `trib rebalance --use-empty-masters` against
# `redis-cli --cluster rebalance --cluster-use-empty-masters`, same starting layout.
#
# For each of ROUNDS rounds (default 3) and each tool (the order alternates per round),
# it starts 6 fresh redis-server nodes on three loopback "hosts" (127.0.0.2-4, two nodes
# each, separate cluster-port), runs `trib create` on 3 of them (--replicas 0: 3 masters
# holding all 16384 slots, no keys), joins the other 3 as empty masters with
# `trib add-node`, waits until `trib check` exits 0 (none of this is timed), then times
#
#   trib rebalance ENTRY --use-empty-masters --yes
#   redis-cli --cluster rebalance ENTRY --cluster-use-empty-masters
#
# Each tool thus starts from a freshly built cluster with the same layout (3 × 5461-5462
# slots, 3 empty masters); both move 8190 slots (the plans differ only in which ones).
# Two times per run: when the tool exits, and when every node agrees on the slot map
# (CLUSTER NODES of all 6 nodes polled every 10 ms after the tool has exited, over
# connections opened before the clock starts, and no slot left migrating/importing).
# trib waits for that agreement itself; redis-cli does not.
#
# Env: ROUNDS (3); BASE_PORT (31400; each set uses 10 ports from there, bus port =
# port + 10000); NODE_TIMEOUT (ms, cluster-node-timeout, default 1000); KEEP=1 keeps the
# temp dir with the logs; NO_BUILD=1 uses the release binary as it is. Prints per-run times, then median/min/max per tool and ratio.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
BASE=${BASE_PORT:-31400}
NODE_TIMEOUT=${NODE_TIMEOUT:-1000}
for bin in redis-server redis-cli python3 cargo; do
  command -v "$bin" >/dev/null || { echo "missing: $bin" >&2; exit 1; }
done

if [ "${NO_BUILD:-0}" != 1 ]; then echo ">>> building trib (release)" >&2; cargo build --release --quiet; fi
TRIB=${CARGO_TARGET_DIR:-target}/release/trib
TRIB=$(cd "$(dirname "$TRIB")" && pwd)/trib

DIR=$(mktemp -d /tmp/trib-bench-rebalance.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo ">>> logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# measure.py LOG NODES CMD... -> "<tool seconds> <agreed seconds> <masters with slots>"
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

def signature(c):
    """Slot map as this node sees it; None while any slot is migrating/importing."""
    sig = []
    for l in call(c, "CLUSTER", "NODES").splitlines():
        f = l.split()
        slots = f[8:]
        if any(x.startswith("[") for x in slots):
            return None
        if slots:
            sig.append((f[0], tuple(slots)))
    return tuple(sorted(sig))

conns = [conn(n) for n in nodes]  # opened before the clock starts
with open(log, "w") as out:
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT).returncode
    t1 = time.perf_counter()
    while True:
        sigs = [signature(c) for c in conns]
        if sigs[0] is not None and all(s == sigs[0] for s in sigs):
            break
        if time.perf_counter() - t0 > 300:
            print(f"FAIL: nodes do not agree (see {log})", file=sys.stderr)
            sys.exit(1)
        time.sleep(0.010)
    t2 = time.perf_counter()
if rc != 0:
    print(f"FAIL rc={rc} (see {log})", file=sys.stderr)
    sys.exit(1)
print(f"{t1 - t0:.3f} {t2 - t0:.3f} {len(sigs[0])}")
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
        --cluster-enabled yes --cluster-port $((port + 10000)) --cluster-node-timeout "$NODE_TIMEOUT" \
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
  # Masters on three different hosts: nodes 0, 2, 4; the empty ones: 1, 3, 5.
  "$TRIB" -q create "${nodes[0]}" "${nodes[2]}" "${nodes[4]}" --replicas 0 --yes >"$DIR/create$set_no.log" 2>&1 \
    || { cat "$DIR/create$set_no.log" >&2; exit 1; }
  for n in "${nodes[1]}" "${nodes[3]}" "${nodes[5]}"; do
    "$TRIB" -q add-node "$n" "${nodes[0]}" --yes >>"$DIR/create$set_no.log" 2>&1 \
      || { cat "$DIR/create$set_no.log" >&2; exit 1; }
  done
  tries=0
  until "$TRIB" -q check "${nodes[0]}" >/dev/null 2>&1; do
    tries=$((tries + 1)); [ $tries -lt 400 ] || { echo "cluster did not settle" >&2; exit 1; }
    sleep 0.05
  done
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
    cmd=("$TRIB" rebalance "${nodes[0]}" --use-empty-masters --yes)
  else
    cmd=(redis-cli --cluster rebalance "${nodes[0]}" --cluster-use-empty-masters)
  fi
  out=$(python3 "$DIR/measure.py" "$DIR/r$round-$tool.log" "$(IFS=,; echo "${nodes[*]}")" "${cmd[@]}")
  stop_set
  set -- $out
  [ "$3" = 6 ] || { echo "round $round $tool: $3 masters own slots afterwards, expected 6" >&2; exit 1; }
  printf 'round %d  %-9s  exits %7.3f s  agreed %7.3f s\n' "$round" "$tool" "$1" "$2"
  echo "$tool $1 $2" >>"$RESULTS"
}

echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), $(redis-cli --version), $(nproc) CPU(s), cluster-node-timeout $NODE_TIMEOUT"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="trib redis-cli"; else order="redis-cli trib"; fi
  for t in $order; do run_tool "$r" "$t"; done
done

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
res = {}
for tool, a, b in rows:
    res.setdefault(tool, ([], []))
    res[tool][0].append(float(a)); res[tool][1].append(float(b))
print()
for col, name in ((0, "tool exits"), (1, "all nodes agree")):
    med = {t: statistics.median(v[col]) for t, v in res.items()}
    for t, v in res.items():
        print(f"{name:16} {t:9} median {med[t]:7.3f} s  (min {min(v[col]):.3f}, max {max(v[col]):.3f})")
    if med.get("trib"):
        print(f"{name:16} redis-cli / trib = {med['redis-cli'] / med['trib']:.1f}x")
PY
