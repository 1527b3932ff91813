#!/usr/bin/env bash
# Static policy scan of the Kubernetes manifests: `checkov -d docs/kubernetes`.
#
# checkov comes from PyPI. When it is not on PATH it is installed into a virtualenv
# (default ~/.cache/trib/checkov-venv, or $TRIB_CHECKOV_VENV) with python3 -m venv, pinned
# to CHECKOV_VERSION below so that a new release's new checks do not fail CI unannounced.
# Skips are written next to the resources they apply to (metadata.annotations
# `checkov.io/skipN: CKV_K8S_xx=reason`), never here: see docs/kubernetes/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
CHECKOV_VERSION=${CHECKOV_VERSION:-3.3.30}
venv=${TRIB_CHECKOV_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/trib/checkov-venv}

checkov=$(command -v checkov || true)
if [ -z "$checkov" ]; then
  checkov=$venv/bin/checkov
  if [ ! -x "$checkov" ]; then
    echo ">>> installing checkov $CHECKOV_VERSION into $venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
      # Debian's python3 has venv in a separate package.
      SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
      export DEBIAN_FRONTEND=noninteractive
      $SUDO apt-get update -qq
      $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
      rm -rf "$venv"
      python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check "checkov==$CHECKOV_VERSION"
  fi
fi
echo ">>> $("$checkov" --version 2>/dev/null | tail -1 | sed 's/^/checkov /') on docs/kubernetes"
# --skip-download: no call to the vendor platform (guidelines, severities), which CI cannot
# reach anyway.
exec "$checkov" -d docs/kubernetes --skip-download --compact --quiet "$@"
