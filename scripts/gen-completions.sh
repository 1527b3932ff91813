#!/usr/bin/env bash
# Regenerates completions/ from the CLI definition (tests/completions.rs checks they are in sync).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
for sh in bash zsh fish elvish powershell; do
  case $sh in bash) f=trib.bash;; zsh) f=_trib;; fish) f=trib.fish;; elvish) f=trib.elv;; powershell) f=_trib.ps1;; esac
  target/debug/trib completions $sh > completions/$f
done
