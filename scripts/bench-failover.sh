#!/usr/bin/env bash
# Benchmark: `trib failover <replica> --yes` against a bare
# `redis-cli -h IP -p P CLUSTER FAILOVER` followed by polling `INFO replication` every
# 10 ms until the replica reports role:master and its old master role:slave.
#
# One cluster for the whole run, of the kind the tests use: 6 redis-server nodes on three
# loopback "hosts" (127.0.0.2-4, two each, separate cluster-port), cluster-node-timeout
# NODE_TIMEOUT (default 1000 ms), created with `trib create --replicas 1 --yes`.
#
# For each of ROUNDS rounds (default 7), both methods run once, the order alternating
# per round; each promotes the replica of the pair least recently failed over, at least
# 4 node timeouts + 1 s after that pair's last failover (a replica that won an election
# more recently reuses that election's stale epoch and is demoted again: Redis keeps
# failover_auth state for 4 node timeouts). Before every measurement (not timed) the script waits until every replica
# reports master_link_status:up, every node's CLUSTER NODES agrees (roles, masters,
# slots) and `trib check` exits 0.
#
#   trib:      wall time of the whole process (start, load the cluster, plan, send
#              CLUSTER FAILOVER, wait until the promoted node says role:master, the old
#              master role:slave and every node's CLUSTER NODES agrees), plus trib's own
#              `took_ms` (from sending the command to that verification).
#   redis-cli: from launching `redis-cli CLUSTER FAILOVER` until both INFO conditions
#              hold, polled every 10 ms over connections opened before the clock starts.
#
# Env: ROUNDS (7), BASE_PORT (31000; uses 6 client ports and 6 bus ports from there),
# NODE_TIMEOUT (1000), KEEP=1 keeps the temp dir with the logs.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-7}
BASE=${BASE_PORT:-31000}
NODE_TIMEOUT=${NODE_TIMEOUT:-1000}
for bin in redis-server redis-cli python3 cargo; do
  command -v "$bin" >/dev/null || { echo "missing: $bin" >&2; exit 1; }
done

echo ">>> building trib (release)" >&2
cargo build --release --quiet
TRIB=${CARGO_TARGET_DIR:-target}/release/trib
TRIB=$(cd "$(dirname "$TRIB")" && pwd)/trib

DIR=$(mktemp -d /tmp/trib-bench-failover.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo ">>> logs kept in $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT

nodes=()
i=0
for host in 2 3 4; do
  for k in 0 1; do
    ip=127.0.0.$host; port=$((BASE + i)); d=$DIR/$i; mkdir -p "$d"
    redis-server --port "$port" --bind "$ip" --cluster-enabled yes --cluster-port $((BASE + 100 + i)) \
      --cluster-config-file "$d/nodes.conf" --cluster-announce-ip "$ip" --bind-source-addr "$ip" \
      --cluster-node-timeout "$NODE_TIMEOUT" --repl-diskless-sync-delay 0 --protected-mode no \
      --dir "$d" --save '' --appendonly no --daemonize no --logfile "$d/redis.log" &
    pids+=($!)
    nodes+=("$ip:$port")
    i=$((i + 1))
  done
done
for n in "${nodes[@]}"; do
  until redis-cli -h "${n%:*}" -p "${n#*:}" ping >/dev/null 2>&1; do sleep 0.05; done
done
echo ">>> trib create ${nodes[*]} --replicas 1 --yes" >&2
"$TRIB" -q create "${nodes[@]}" --replicas 1 --yes >/dev/null

NODE_TIMEOUT="$NODE_TIMEOUT" TRIB="$TRIB" ROUNDS="$ROUNDS" NODES="${nodes[*]}" python3 - <<'PY'
import json, os, socket, statistics, subprocess, sys, time

TRIB = os.environ["TRIB"]
ROUNDS = int(os.environ["ROUNDS"])
NODES = os.environ["NODES"].split()

def conn(addr):
    ip, port = addr.rsplit(":", 1)
    s = socket.create_connection((ip, int(port)), timeout=2)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s

def cmd(s, *args):
    s.sendall(("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)).encode())
    f = s.makefile("rb")
    line = f.readline()
    if line[:1] == b"$":
        n = int(line[1:])
        return f.read(n + 2)[:-2].decode()
    return line.decode().strip()

def info(s):
    return dict(l.split(":", 1) for l in cmd(s, "INFO", "replication").splitlines() if ":" in l)

def layout():
    """(master addr, replica addr) pairs from the first node's CLUSTER NODES."""
    s = conn(NODES[0])
    text = cmd(s, "CLUSTER", "NODES")
    s.close()
    lines = [l.split() for l in text.splitlines() if l.strip()]
    addr = {l[0]: l[1].split("@")[0] for l in lines}
    pairs = sorted((addr[l[3]], addr[l[0]]) for l in lines if "slave" in l[2])
    if not pairs:
        sys.exit("no replica in CLUSTER NODES of %s:\n%s" % (NODES[0], text))
    return pairs

def view(n):
    """A node's CLUSTER NODES without its own perspective: (id, role, master) per node."""
    s = conn(n)
    text = cmd(s, "CLUSTER", "NODES")
    s.close()
    out = set()
    for l in text.splitlines():
        f = l.split()
        if len(f) < 8:
            continue
        role = "master" if "master" in f[2].split(",") else "slave"
        bad = any(x in f[2].split(",") for x in ("fail", "fail?", "handshake"))
        out.add((f[0], role, f[3], bad, " ".join(f[8:])))
    return out

def settle():
    """Every replica's link is up, every node's CLUSTER NODES agrees, trib check exits 0."""
    deadline = time.time() + 60
    while time.time() < deadline:
        ok = True
        for n in NODES:
            s = conn(n)
            i = info(s)
            s.close()
            if i.get("role") == "slave" and i.get("master_link_status") != "up":
                ok = False
        views = [view(n) for n in NODES]
        if any(v != views[0] for v in views):
            ok = False
        if ok and subprocess.run([TRIB, "-q", "check", NODES[0]], capture_output=True).returncode == 0:
            return
        time.sleep(0.05)
    sys.exit("cluster did not settle")

def bench_trib(master, replica):
    t0 = time.perf_counter()
    out = subprocess.run([TRIB, "--json", "failover", replica, "--yes"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit("trib failover failed: %s %s" % (out.stdout, out.stderr))
    return wall * 1000, json.loads(out.stdout)["took_ms"]

def bench_cli(master, replica):
    r, m = conn(replica), conn(master)
    ip, port = replica.rsplit(":", 1)
    t0 = time.perf_counter()
    out = subprocess.run(["redis-cli", "-h", ip, "-p", port, "CLUSTER", "FAILOVER"], capture_output=True, text=True)
    if out.stdout.strip() != "OK":
        sys.exit("redis-cli CLUSTER FAILOVER: %s %s" % (out.stdout, out.stderr))
    while True:
        if info(r).get("role") == "master" and info(m).get("role") == "slave":
            break
        if time.perf_counter() - t0 > 30:
            sys.exit("redis-cli failover did not finish in 30 s")
        time.sleep(0.010)
    wall = time.perf_counter() - t0
    r.close(); m.close()
    return wall * 1000

NODE_TIMEOUT = int(os.environ.get("NODE_TIMEOUT", "1000"))
last_used = {}

def pick():
    """The pair least recently failed over; waits until 4 node timeouts + 1 s have passed
    since its nodes last took part in a failover (a replica that won an election less
    than 4 node timeouts ago reuses it: Redis' failover_auth state), not timed."""
    pairs = layout()
    pair = min(pairs, key=lambda p: max(last_used.get(p[0], 0), last_used.get(p[1], 0)))
    ready = max(last_used.get(pair[0], 0), last_used.get(pair[1], 0)) + 4 * NODE_TIMEOUT / 1000 + 1
    if time.time() < ready:
        time.sleep(ready - time.time())
        settle()
    return pair

rows, trib_wall, trib_took, cli_wall = [], [], [], []
for rnd in range(1, ROUNDS + 1):
    order = ["trib", "redis-cli"] if rnd % 2 else ["redis-cli", "trib"]
    res = {}
    for tool in order:
        settle()
        master, replica = pick()
        if tool == "trib":
            res["trib"] = bench_trib(master, replica)
        else:
            res["cli"] = bench_cli(master, replica)
        last_used[master] = last_used[replica] = time.time()
    trib_wall.append(res["trib"][0]); trib_took.append(res["trib"][1]); cli_wall.append(res["cli"])
    rows.append((rnd, order[0], res["trib"][0], res["trib"][1], res["cli"]))

print("| round | first | trib wall (ms) | trib took_ms | redis-cli + INFO poll (ms) |")
print("|------:|-------|---------------:|-------------:|---------------------------:|")
for r in rows:
    print("| %d | %s | %.0f | %d | %.0f |" % r)
med = lambda xs: statistics.median(xs)
print()
print("| median | | %.0f | %.0f | %.0f |" % (med(trib_wall), med(trib_took), med(cli_wall)))
print("| min | | %.0f | %.0f | %.0f |" % (min(trib_wall), min(trib_took), min(cli_wall)))
print("| max | | %.0f | %.0f | %.0f |" % (max(trib_wall), max(trib_took), max(cli_wall)))
PY
