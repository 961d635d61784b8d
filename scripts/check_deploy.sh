#!/usr/bin/env bash
# `manage.py check --deploy --fail-level WARNING` for each deployable under its production environment:
# what k8s/base/<name>/rollout.yaml and the skyway-config ConfigMap give it, secrets replaced by
# throwaway values (nothing connects: the checks only read settings). Nothing is inherited from the
# caller's environment (env -i), so a developer's DEBUG=1 or a test run's SECURE_TRANSPORT=0 cannot
# make it pass. Usage: scripts/check_deploy.sh [flights|reservations|gateway|platform ...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
var_dir="$(mktemp -d)"
trap 'rm -rf "$var_dir"' EXIT

# Per deployable, the production variables beyond the shared ones (mirrors k8s/base/*/rollout.yaml;
# platform is not deployed to the cluster: it gets what the gateway and reservations get together).
declare -A EXTRA=(
  [flights]="FLIGHTS_DATABASE_URL=mysql://flights:x@db.invalid:3306/flights LOGIN_REDIS_URL=redis://redis.invalid:6379/1"
  [reservations]="REDIS_URL=redis://redis.invalid:6379/0"
  [gateway]="GATEWAY_DATABASE_URL=mysql://gateway:x@db.invalid:3306/gateway LOGIN_REDIS_URL=redis://redis.invalid:6379/1 TRUSTED_PROXY_COUNT=1 FLIGHTS_URL=http://flights:8000 RESERVATIONS_URL=http://reservations:8000"
  [platform]="REDIS_URL=redis://redis.invalid:6379/0 TRUSTED_PROXY_COUNT=1"
)

status=0
for name in "${@:-flights reservations gateway platform}"; do
  for one in $name; do
    [[ -n "${EXTRA[$one]+set}" ]] || { echo "unknown deployable: $one" >&2; exit 2; }
    secret_key="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
    service_token="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')"
    echo "== check --deploy: settings.$one"
    # shellcheck disable=SC2086  # EXTRA holds space-separated NAME=value words
    env -i PATH="$PATH" HOME="${HOME:-/tmp}" LANG=C.UTF-8 \
      DJANGO_SETTINGS_MODULE="settings.$one" SKYWAY_VAR_DIR="$var_dir" \
      SKYWAY_ENV=production DEBUG=0 ALLOWED_HOSTS='*' LOG_LEVEL=WARNING \
      SECRET_KEY="$secret_key" SERVICE_TOKENS="$service_token" \
      ${EXTRA[$one]} \
      "$PY" manage.py check --deploy --fail-level WARNING || status=1
  done
done
exit "$status"
