#!/usr/bin/env bash
# Builds fully static trib binaries (musl, TLS with rustls + ring) for Linux x86_64 and
# aarch64, checks that each is static, of the right architecture and within the size
# budget, runs its --version (the aarch64 one under qemu-aarch64 when installed), and
# copies them to dist/linux-amd64/trib and dist/linux-arm64/trib: Docker's names for the
# architectures, which the Dockerfile picks with TARGETARCH.
#
#   scripts/build-static.sh                  # both architectures
#   scripts/build-static.sh --arch aarch64   # one: x86_64 (amd64) or aarch64 (arm64)
#   scripts/build-static.sh --image          # then the image: docker buildx for both
#                                            # platforms when available, else docker build
#                                            # for this machine's
#
# Needs, installed here when missing (docs/static.md):
#   both     the Rust standard library for the musl target (rustup target add ...)
#   x86_64   musl-gcc (Debian/Ubuntu package musl-tools), for ring's C and assembly
#   aarch64  cargo-zigbuild (cargo install) and zig from PyPI (the `ziglang` package, in a
#            venv under ~/.cache/trib) as the cross C compiler and linker
# Other arguments go to cargo. Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

BUDGET=$((12 * 1024 * 1024))          # bytes, per binary (docs/static.md)
ZIGBUILD_VERSION=0.24.1
ZIGLANG_VERSION=0.17.1
target_dir=${CARGO_TARGET_DIR:-target}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/trib

arches=()
image=0
cargo_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --image) image=1 ;;
    --arch)
      [ $# -ge 2 ] || { echo "error: --arch needs x86_64 or aarch64" >&2; exit 2; }
      arches+=("$2"); shift ;;
    --arch=*) arches+=("${1#--arch=}") ;;
    *) cargo_args+=("$1") ;;
  esac
  shift
done
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 aarch64)

apt_install() {
  local SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_rust_std() {
  local triple=$1 sysroot
  if ! sysroot=$(rustc --print sysroot 2>/dev/null); then
    echo "error: no Rust toolchain (rustc) on PATH" >&2; exit 1
  fi
  [ -d "$sysroot/lib/rustlib/$triple/lib" ] && return 0
  if ! command -v rustup >/dev/null; then
    echo "error: the Rust standard library for $triple is missing and rustup is not installed;" >&2
    echo "       install it with your toolchain manager (with rustup: rustup target add $triple)" >&2
    exit 1
  fi
  echo ">>> rustup target add $triple"
  if ! rustup target add "$triple"; then
    echo "error: rustup could not download the standard library for $triple." >&2
    echo "       A static build needs it; on a machine without access to the Rust distribution" >&2
    echo "       server, install it from a mirror (RUSTUP_DIST_SERVER) or an offline toolchain." >&2
    exit 1
  fi
}

need_zig() {
  if ! command -v cargo-zigbuild >/dev/null; then
    echo ">>> cargo install cargo-zigbuild $ZIGBUILD_VERSION"
    cargo install --locked --quiet --version "$ZIGBUILD_VERSION" cargo-zigbuild
  fi
  command -v zig >/dev/null && return 0
  # zig from PyPI: cargo-zigbuild runs `python3 -m ziglang` when there is no `zig` on PATH,
  # so the venv's python3 goes first on PATH.
  local venv=$cache/zig-venv
  if ! "$venv/bin/python3" -c 'import ziglang' 2>/dev/null; then
    echo ">>> installing zig (PyPI ziglang $ZIGLANG_VERSION) into $venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
      apt_install python3-venv
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check "ziglang==$ZIGLANG_VERSION"
  fi
  export PATH=$venv/bin:$PATH
}

# Checks the binary and copies it to dist/linux-$docker_arch/trib.
check_and_copy() {
  local bin=$1 machine=$2 docker_arch=$3 runner=${4:-}
  if readelf -l "$bin" | grep -q 'INTERP'; then
    echo "error: $bin is dynamically linked" >&2; exit 1
  fi
  if ! readelf -h "$bin" | grep -q "Machine:.*$machine"; then
    echo "error: $bin is not a $machine executable: $(readelf -h "$bin" | grep Machine)" >&2; exit 1
  fi
  local size version=""
  size=$(stat -c %s "$bin")
  if [ -n "$runner" ] || [ "$docker_arch" = amd64 ]; then
    version=$($runner "$bin" --version)
  fi
  echo ">>> $bin: static $machine, $size bytes ($(( (size + 524288) / 1048576 )) MiB)${version:+, $version}"
  if [ "$size" -gt "$BUDGET" ]; then
    echo "error: $bin is over the 12 MiB budget (docs/static.md)" >&2; exit 1
  fi
  mkdir -p "dist/linux-$docker_arch"
  cp "$bin" "dist/linux-$docker_arch/trib.tmp"
  mv "dist/linux-$docker_arch/trib.tmp" "dist/linux-$docker_arch/trib"
}

for arch in "${arches[@]}"; do
  case "$arch" in
    x86_64|amd64)
      triple=x86_64-unknown-linux-musl
      need_rust_std $triple
      if ! command -v musl-gcc >/dev/null; then
        echo ">>> installing musl-tools (musl-gcc, for ring's C parts)"
        apt_install musl-tools || { echo "error: musl-gcc is needed (Debian/Ubuntu: apt-get install musl-tools)" >&2; exit 1; }
      fi
      # ring's build script compiles C and assembly with the target's C compiler.
      CC_x86_64_unknown_linux_musl=musl-gcc \
        cargo build --release --locked --target $triple ${cargo_args[@]+"${cargo_args[@]}"}
      check_and_copy "$target_dir/$triple/release/trib" X86-64 amd64
      ;;
    aarch64|arm64)
      triple=aarch64-unknown-linux-musl
      need_rust_std $triple
      need_zig
      cargo zigbuild --release --locked --target $triple ${cargo_args[@]+"${cargo_args[@]}"}
      runner=
      if command -v qemu-aarch64 >/dev/null; then runner=qemu-aarch64; fi
      check_and_copy "$target_dir/$triple/release/trib" AArch64 arm64 "$runner"
      ;;
    *) echo "error: --arch $arch: expected x86_64 (amd64) or aarch64 (arm64)" >&2; exit 2 ;;
  esac
done

if [ "$image" = 1 ]; then
  version=$(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)
  if [ -x dist/linux-amd64/trib ] && [ -x dist/linux-arm64/trib ] && docker buildx version >/dev/null 2>&1; then
    # Both platforms; add --push (and a registry in the tag) to publish the manifest list.
    docker buildx build --platform linux/amd64,linux/arm64 -t "trib:$version" .
  else
    docker build -t "trib:$version" .
  fi
fi
