#!/usr/bin/env bash
# Builds trib, starts 6 local redis-server nodes on three loopback "hosts"
# (127.0.0.2-4), creates a cluster with one replica per master, then checks it (waiting
# until every replica is in sync) and shows it. Installs redis-server if missing.
# KEEP=1 leaves the nodes running.
# TRIB=path/to/trib uses that binary instead of building one (CI runs the static build so).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null; then
  echo ">>> installing redis-server"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; fi
fi

if [ -z "${TRIB:-}" ]; then
  cargo build --release --quiet
  TRIB=${CARGO_TARGET_DIR:-target}/release/trib
fi
DIR=$(mktemp -d /tmp/trib-demo.XXXXXX)
BASE=${BASE_PORT:-17000}
pids=()
cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    # A node writes nodes.conf and its log as it shuts down: wait, or rm races it.
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$DIR"
  else
    echo ">>> nodes left running in $DIR (pids ${pids[*]})"
  fi
}
trap cleanup EXIT

nodes=()
i=0
for host in 2 3 4; do
  for k in 0 1; do
    ip=127.0.0.$host; port=$((BASE + i)); d=$DIR/$i; mkdir -p "$d"
    redis-server --port "$port" --bind "$ip" --cluster-enabled yes --cluster-port $((BASE + 100 + i)) \
      --cluster-config-file "$d/nodes.conf" --cluster-announce-ip "$ip" --bind-source-addr "$ip" \
      --dir "$d" --save '' --appendonly no --protected-mode no --daemonize no --logfile "$d/redis.log" &
    pids+=($!)
    nodes+=("$ip:$port")
    i=$((i + 1))
  done
done
i=0
for n in "${nodes[@]}"; do
  deadline=$((SECONDS + 20))
  until redis-cli -h "${n%:*}" -p "${n#*:}" ping >/dev/null 2>&1; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: redis-server $n did not start (ports taken? try BASE_PORT=...):" >&2
      tail -3 "$DIR/$i/redis.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  i=$((i + 1))
done

echo ">>> trib create ${nodes[*]} --replicas 1 --yes"
$TRIB create "${nodes[@]}" --replicas 1 --yes
echo; echo ">>> trib create again (idempotent)"
$TRIB create "${nodes[@]}" --replicas 1 --yes
echo; echo ">>> trib check ${nodes[0]} --wait 60s   (until healthy and every replica in sync)"
$TRIB check "${nodes[0]}" --wait 60s
echo; echo ">>> trib info ${nodes[0]}"
$TRIB info "${nodes[0]}"
