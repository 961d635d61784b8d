#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Skyway, then the virtualenv. Idempotent.
#   system packages: libmariadb-dev + pkg-config (to build mysqlclient), chromium (browser tests), wrk (bench)
#   kubectl (tests/release renders the manifests with `kubectl kustomize`): not a Debian package, so the
#     pinned release binary from dl.k8s.io, checked against its published sha256
#   python: .venv with requirements-dev.txt (pinned)
# Diagrams (docs/design/*.puml) are rendered with Debian's plantuml by `make diagrams`; the SVGs are
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

KUBECTL_VERSION=${KUBECTL_VERSION:-v1.32.4}
if ! command -v kubectl >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v curl >/dev/null 2>&1; then
    echo "bootstrap: installing kubectl $KUBECTL_VERSION into /usr/local/bin"
    arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
    base="https://dl.k8s.io/release/$KUBECTL_VERSION/bin/linux/$arch/kubectl"
    tmp=$(mktemp -d)
    curl -fsSLo "$tmp/kubectl" "$base"
    echo "$(curl -fsSL "$base.sha256")  $tmp/kubectl" | sha256sum --check --quiet
    install -m 0755 "$tmp/kubectl" /usr/local/bin/kubectl
    rm -rf "$tmp"
  else
    echo "bootstrap: please install kubectl (>= 1.25; tests/release needs \`kubectl kustomize\`)" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements-dev.txt
touch "$VENV/.installed"
