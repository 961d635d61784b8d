"""Gateway settings shared by settings.gateway and settings.platform."""

from skyway.env import env_float, env_int, env_str

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
LEGACY_UPSTREAM_URL = env_str("LEGACY_UPSTREAM_URL")  # strangler fig: off when unset
# Seat maps change only when an aircraft layout does: the gateway keeps each flight's map this many
# seconds (0 = off). Reservations are never cached. See docs/adr/0036.
GATEWAY_SEAT_MAP_TTL = env_float("GATEWAY_SEAT_MAP_TTL", 30.0)
# Token → user answers kept per process this many seconds (0 = off); a token deleted or a user changed
# here is dropped at once, elsewhere within the TTL. See docs/adr/0038.
GATEWAY_TOKEN_CACHE_TTL = env_float("GATEWAY_TOKEN_CACHE_TTL", 10.0)
