#!/usr/bin/env bash
# Fuzzes trib's parsers and planners: every cargo-fuzz target in fuzz/ (libFuzzer), each
# checking invariants on what it accepts (see fuzz/fuzz_targets/*.rs). Installs cargo-fuzz
# when it is missing. Works on a stable toolchain: cargo-fuzz passes -Z flags to rustc,
# which stable rustc accepts with RUSTC_BOOTSTRAP=1.
#
#   TRIB_FUZZ_RUNS=N         inputs per target (default 500: CI's size, seconds per target)
#   TRIB_FUZZ_TIME=SECS      instead: run each target for SECS seconds
#   TRIB_FUZZ_TARGETS="a b"  only these targets (default: all of `cargo fuzz list`)
#   TRIB_FUZZ_RELEASE=1      optimized build with AddressSanitizer (cargo-fuzz's default;
#                            slower to build, much faster per input: for long runs)
#
# The default build is a debug build with no sanitizer. trib's code has no `unsafe`, and
# its dependencies are built in a minute instead of several. A crash stops the script and
# leaves the input in fuzz/artifacts/TARGET/. Replay it with
# `RUSTC_BOOTSTRAP=1 cargo fuzz run [--dev -s none] TARGET fuzz/artifacts/TARGET/crash-…`.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo ">>> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

build=(--dev -s none)
if [ "${TRIB_FUZZ_RELEASE:-0}" = 1 ]; then build=(); fi
if [ -n "${TRIB_FUZZ_TIME:-}" ]; then
  limit=(-max_total_time="$TRIB_FUZZ_TIME")
else
  limit=(-runs="${TRIB_FUZZ_RUNS:-500}")
fi

cd fuzz
targets=${TRIB_FUZZ_TARGETS:-$(cargo fuzz list)}
echo ">>> building fuzz targets: $(echo $targets)"
for t in $targets; do cargo fuzz build "${build[@]}" "$t"; done

# Seeds: replies recorded from real servers, for the reply parsers.
seeds() {
  case $1 in
    cluster_nodes) echo ../tests/fixtures/cluster_nodes ../tests/fixtures/versions/*/open_slot ../tests/fixtures/versions/*/fresh ;;
    info) echo ../tests/fixtures/versions/*/cluster ;;
  esac
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0
for t in $targets; do
  mkdir -p "corpus/$t"
  dict=()
  if [ -f "dict/$t.dict" ]; then dict=(-dict="dict/$t.dict"); fi
  echo ">>> fuzzing $t (${limit[*]})"
  # shellcheck disable=SC2046 # the seed directories are words
  if ! cargo fuzz run "${build[@]}" "$t" "corpus/$t" $(seeds "$t") -- \
    "${limit[@]}" "${dict[@]}" -timeout=20 -rss_limit_mb=4096 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $t failed: the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
  grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs)' "$log" || tail -n 3 "$log"
  passed=$((passed + 1))
done
echo "fuzz: $passed passed, 0 failed"
