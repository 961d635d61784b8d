"""Gateway settings shared by settings.gateway and settings.platform."""

from django.core.exceptions import ImproperlyConfigured

from skyway.env import env_bool, env_float, env_int, env_str

REST_FRAMEWORK_GATEWAY_AUTH = [
    "gateway.api.authentication.CachedTokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
# Upstreams: a URL → HTTP with pooled keep-alive; unset → in-process through this process's WSGI app.
FLIGHTS_URL = env_str("FLIGHTS_URL")
RESERVATIONS_URL = env_str("RESERVATIONS_URL")
# A watched JSON file of weighted upstream targets (canary / blue-green on one machine).
GATEWAY_ROUTES_FILE = env_str("GATEWAY_ROUTES_FILE")
UPSTREAM_CONNECT_TIMEOUT = env_float("UPSTREAM_CONNECT_TIMEOUT", 0.5)
UPSTREAM_READ_TIMEOUT = env_float("UPSTREAM_READ_TIMEOUT", 2.0)
UPSTREAM_READ_RETRIES = env_int("UPSTREAM_READ_RETRIES", 2)
BREAKER_FAIL_MAX = env_int("BREAKER_FAIL_MAX", 5)
# Seconds an open breaker refuses before one probe may test the upstream (ADR 80: back within a second).
BREAKER_RESET_SECONDS = env_float("BREAKER_RESET_SECONDS", 0.5)
# Strangler fig: the legacy system the edge (python -m skyway.strangler) sends every path the gateway does
# not own to; off when unset. The gateway itself never forwards (docs/adr/0155).
LEGACY_UPSTREAM_URL = env_str("LEGACY_UPSTREAM_URL")
# Seat maps change only when an aircraft layout does: the gateway keeps each flight's map this many
# seconds (0 = off). Reservations are never cached. See docs/adr/0036.
GATEWAY_SEAT_MAP_TTL = env_float("GATEWAY_SEAT_MAP_TTL", 30.0)
# A flight stops taking reserves, cancels and moves this many minutes before its departure (0 = at
# departure). See docs/adr/0076.
BOOKING_CUTOFF_MINUTES = env_int("BOOKING_CUTOFF_MINUTES", 0)
if BOOKING_CUTOFF_MINUTES < 0:
    raise ImproperlyConfigured("BOOKING_CUTOFF_MINUTES must be 0 (at departure) or more")
# Token → user answers kept per process this many seconds (0 = off); a token deleted or a user changed
# here is dropped at once, elsewhere within the TTL. See docs/adr/0038.
GATEWAY_TOKEN_CACHE_TTL = env_float("GATEWAY_TOKEN_CACHE_TTL", 10.0)
# Idempotency-Key (docs/adr/0056): a key is kept this long, then it is a new key (and purged by
# `manage.py purge_idempotency_keys`). A request, or a seat-move saga step, owns its key for at most
# this many seconds; after that a retry (or the recovery pass) takes over a claim whose process died.
IDEMPOTENCY_KEY_TTL_HOURS = env_float("IDEMPOTENCY_KEY_TTL_HOURS", 24.0)
IDEMPOTENCY_LEASE_SECONDS = env_float("IDEMPOTENCY_LEASE_SECONDS", 30.0)
# Seat-move sagas (docs/adr/0055): recovery passes before an unfinished saga is marked needs_attention;
# a recovery pass in the background when a gateway process starts.
SEAT_MOVE_MAX_ATTEMPTS = env_int("SEAT_MOVE_MAX_ATTEMPTS", 10)
SEAT_MOVE_RECOVER_ON_START = env_bool("SEAT_MOVE_RECOVER_ON_START", True)
# Test-only: the saga blocks (until killed) right after writing this state; refused in production.
SEAT_MOVE_PAUSE_AT = env_str("SEAT_MOVE_PAUSE_AT")
