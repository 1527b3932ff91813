#!/usr/bin/env bash
# `trib check` vs `redis-cli --cluster check` on the same 60-node cluster (30 masters,
# 30 replicas, on 127.0.0.1), ROUNDS runs each, alternating. Prints per-run times and medians.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
N=${NODES:-60}
BASE=${BASE_PORT:-24000}
cargo build --release --quiet
TRIB=${TRIB:-target/release/trib}
DIR=$(mktemp -d /tmp/trib-bench-check.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DIR"' EXIT
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
now() { python3 -c 'import time; print(time.monotonic())'; }
declare -a T R
for r in $(seq 1 "$ROUNDS"); do
  for tool in trib redis-cli; do
    s=$(now)
    if [ $tool = trib ]; then "$TRIB" check "${nodes[0]}" >/dev/null 2>&1 || true
    else redis-cli --cluster check "${nodes[0]}" >/dev/null 2>&1 || true; fi
    e=$(now); t=$(python3 -c "print(f'{$e-$s:.3f}')")
    echo "  round $r  $tool  $t s"
    if [ $tool = trib ]; then T+=("$t"); else R+=("$t"); fi
  done
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mt=$(med "${T[@]}"); mr=$(med "${R[@]}")
echo "median: trib $mt s, redis-cli $mr s, ratio $(python3 -c "print(f'{$mt/$mr:.2f}')") ($N nodes)"
