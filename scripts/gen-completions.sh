#!/usr/bin/env bash
# Regenerates completions/ and the man page docs/trib.1 from the CLI definition
# (tests/completions.rs and tests/man.rs check they are in sync).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
for sh in bash zsh fish elvish powershell; do
  case $sh in bash) f=trib.bash;; zsh) f=_trib;; fish) f=trib.fish;; elvish) f=trib.elv;; powershell) f=_trib.ps1;; esac
  "${CARGO_TARGET_DIR:-target}/debug/trib" completions $sh > completions/$f
done
cargo run --quiet --example man > docs/trib.1.tmp
mv docs/trib.1.tmp docs/trib.1
