#!/usr/bin/env bash
# `trib check` vs `redis-cli --cluster check` on the same 60-node cluster (30 masters,
# 30 replicas, on 127.0.0.1), ROUNDS×8 runs each with hyperfine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
N=${NODES:-60}
BASE=${BASE_PORT:-24000}
cargo build --release --quiet
TRIB=${TRIB:-target/release/trib}
DIR=$(mktemp -d /tmp/trib-bench-check.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; rm -rf "$DIR"' EXIT
nodes=()
for i in $(seq 0 $((N - 1))); do
  port=$((BASE + i)); d=$DIR/$i; mkdir -p "$d"
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-port $((BASE + 1000 + i)) \
    --cluster-config-file "$d/nodes.conf" --dir "$d" --save '' --appendonly no --daemonize no \
    --logfile "$d/redis.log" --repl-diskless-sync-delay 0 &
  pids+=($!); nodes+=("127.0.0.1:$port")
done
for n in "${nodes[@]}"; do
  for _ in $(seq 1 200); do redis-cli -p "${n#*:}" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
"$TRIB" create "${nodes[@]}" --replicas 1 --yes --wait-sync >/dev/null 2>&1
# Not timed: a just-made cluster is still gossiping its new epochs; time the settled one.
for _ in $(seq 1 300); do "$TRIB" -q check "${nodes[0]}" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 2
# hyperfine (Debian package `hyperfine`) runs both alternately-warm, without a shell, and
# reports mean, spread and the ratio; process start-up is in both times.
command -v hyperfine >/dev/null || { SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo; $SUDO apt-get install -y -qq hyperfine >/dev/null; }
hyperfine -N -w 5 -r "$((ROUNDS * 8))" -i \
  "$TRIB check ${nodes[0]}" \
  "redis-cli --cluster check ${nodes[0]}"
