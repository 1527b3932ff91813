#!/usr/bin/env bash
# Peak memory (max RSS, from GNU time) of `trib check` and `trib info` as the cluster
# grows: SIZES (default "6 30 60 120") nodes on 127.0.0.1, half masters, half replicas,
# each size a fresh cluster. Prints one row per size; docs/benchmarks.md has the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-6 30 60 120}
BASE=${BASE_PORT:-25000}
RUNS=${RUNS:-5}
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet
TRIB=${TRIB:-target/release/trib}
command -v /usr/bin/time >/dev/null || { SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo; $SUDO apt-get install -y -qq time >/dev/null; }
DIR=$(mktemp -d /tmp/trib-bench-memory.XXXXXX)
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
trap 'stop_all; rm -rf "$DIR"' EXIT
# Peak RSS in KiB: the largest of RUNS runs.
peak() {
  local max=0 kb
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%M' -o "$DIR/rss" "$@" >/dev/null 2>&1 || true
    kb=$(tail -1 "$DIR/rss")
    [ "$kb" -gt "$max" ] && max=$kb
  done
  echo "$max"
}
printf '%6s %14s %14s %16s\n' nodes "check KiB" "info KiB" "redis-cli KiB"
for n in $SIZES; do
  nodes=()
  for i in $(seq 0 $((n - 1))); do
    port=$((BASE + i)); d=$DIR/$n-$i; mkdir -p "$d"
    redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-port $((BASE + 2000 + i)) \
      --cluster-config-file "$d/nodes.conf" --dir "$d" --save '' --appendonly no --daemonize no \
      --logfile "$d/redis.log" --repl-diskless-sync-delay 0 &
    pids+=($!); nodes+=("127.0.0.1:$port")
  done
  for node in "${nodes[@]}"; do
    for _ in $(seq 1 200); do redis-cli -p "${node#*:}" ping >/dev/null 2>&1 && break; sleep 0.05; done
  done
  "$TRIB" create "${nodes[@]}" --replicas 1 --yes --wait-sync ${CREATE_FLAGS:-} >"$DIR/create-$n.log" 2>&1 || { tail -5 "$DIR/create-$n.log" >&2; exit 1; }
  for _ in $(seq 1 200); do "$TRIB" -q check "${nodes[0]}" >/dev/null 2>&1 && break; sleep 0.1; done
  printf '%6d %14d %14d %16d\n' "$n" \
    "$(peak "$TRIB" check "${nodes[0]}")" \
    "$(peak "$TRIB" info "${nodes[0]}")" \
    "$(peak redis-cli --cluster check "${nodes[0]}")"
  stop_all
done
