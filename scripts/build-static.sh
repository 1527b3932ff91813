#!/usr/bin/env bash
# Builds a fully static trib (x86_64-unknown-linux-musl, TLS with rustls + ring) at
# target/x86_64-unknown-linux-musl/release/trib, checks that it is static and prints its size.
#
# Needs: the Rust standard library for the musl target (`rustup target add
# x86_64-unknown-linux-musl`, downloaded by rustup from the Rust distribution server), and
# musl-gcc (Debian/Ubuntu package musl-tools) to compile ring's C and assembly parts.
# Both are installed here when missing. `--image` also builds the Docker image trib:VERSION.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-unknown-linux-musl
image=0
cargo_args=()
for a in "$@"; do
  if [ "$a" = --image ]; then image=1; else cargo_args+=("$a"); fi
done

if ! rustc --print sysroot >/dev/null 2>&1; then
  echo "error: no Rust toolchain (rustc) on PATH" >&2; exit 1
fi
sysroot=$(rustc --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/$TARGET/lib" ]; then
  if ! command -v rustup >/dev/null; then
    echo "error: the Rust standard library for $TARGET is missing and rustup is not installed;" >&2
    echo "       install it with your toolchain manager (with rustup: rustup target add $TARGET)" >&2
    exit 1
  fi
  echo ">>> rustup target add $TARGET"
  if ! rustup target add "$TARGET"; then
    echo "error: rustup could not download the standard library for $TARGET." >&2
    echo "       A static build needs it; on a machine without access to the Rust distribution" >&2
    echo "       server, install it from a mirror (RUSTUP_DIST_SERVER) or an offline toolchain." >&2
    exit 1
  fi
fi

if ! command -v musl-gcc >/dev/null; then
  echo ">>> installing musl-tools (musl-gcc, for ring's C parts)"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends musl-tools >/dev/null; }; then
    echo "error: musl-gcc is needed (Debian/Ubuntu: apt-get install musl-tools)" >&2
    exit 1
  fi
fi

# ring's build script compiles C and assembly with the target's C compiler.
export CC_x86_64_unknown_linux_musl=musl-gcc
cargo build --release --locked --target "$TARGET" ${cargo_args[@]+"${cargo_args[@]}"}
BIN=target/$TARGET/release/trib

# Static: no program interpreter, no dynamic section.
if readelf -l "$BIN" | grep -q 'INTERP'; then
  echo "error: $BIN is dynamically linked" >&2; exit 1
fi
"$BIN" --version >/dev/null
size=$(stat -c %s "$BIN")
echo ">>> $BIN: static, $size bytes ($(( (size + 524288) / 1048576 )) MiB), $("$BIN" --version)"
if [ "$size" -ge $((12 * 1024 * 1024)) ]; then
  echo "error: over the 12 MiB budget (docs/static.md)" >&2; exit 1
fi

if [ "$image" = 1 ]; then
  version=$("$BIN" --version | awk '{print $2}')
  docker build -t "trib:$version" .
fi
