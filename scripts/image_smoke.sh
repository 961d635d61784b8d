#!/usr/bin/env bash
# Smoke test of a built image: start each deployable from it (read-only root, non-root, as in k8s),
# then GET /ping and /health. Needs Docker and a Redis on 127.0.0.1:6379 (CI's service container).
#   scripts/image_smoke.sh skyway:ci
set -euo pipefail
IMAGE=${1:?usage: scripts/image_smoke.sh IMAGE}
TOKEN=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
DATA=$(mktemp -d) && chmod 0777 "$DATA"
# Plain HTTP on loopback (in k8s the ALB terminates TLS): SECURE_TRANSPORT=0, as the local inventory runs.
common=(--network host --read-only --tmpfs /tmp --user 10001:10001 -v "$DATA:/data"
        -e SECRET_KEY=image-smoke-not-secret -e DEBUG=0 -e SERVICE_TOKENS="$TOKEN"
        -e ALLOWED_HOSTS=127.0.0.1,localhost -e WEB_WORKERS=1 -e SECURE_TRANSPORT=0
        -e FLIGHTS_DATABASE_URL=sqlite:////data/flights.sqlite3
        -e GATEWAY_DATABASE_URL=sqlite:////data/gateway.sqlite3
        -e REDIS_URL=redis://127.0.0.1:6379/15)
started=()
cleanup() { for c in "${started[@]}"; do docker rm -f "$c" >/dev/null 2>&1 || true; done; rm -rf "$DATA"; }
trap cleanup EXIT

port=18100
for deployable in flights reservations gateway; do
  port=$((port + 1))
  env=(-e DJANGO_SETTINGS_MODULE="settings.$deployable" -e PORT="$port")
  if [ "$deployable" = gateway ]; then
    env+=(-e FLIGHTS_URL=http://127.0.0.1:18101 -e RESERVATIONS_URL=http://127.0.0.1:18102)
  fi
  if [ "$deployable" != reservations ]; then
    docker run --rm "${common[@]}" "${env[@]}" "$IMAGE" python manage.py migrate_contexts
  fi
  started+=("$(docker run -d "${common[@]}" "${env[@]}" "$IMAGE")")
  for path in /ping /health; do
    for _ in $(seq 1 60); do
      if curl -fsS -o /dev/null "http://127.0.0.1:$port$path"; then break; fi
      sleep 1
    done
    curl -fsS "http://127.0.0.1:$port$path" >/dev/null
    echo "image smoke: $deployable $path ok"
  done
done
