"""Django's per-request signal receivers that have nothing to do in a deployable (issue 17, ADR 160).

Every request sends ``request_started`` and ``request_finished``; Django connects to them
``reset_queries`` and ``close_old_connections`` (SQL connections) and ``close_caches``. The
reservations deployable has no SQL database (``DATABASES = {}``: Django's dummy backend), and no
cache of ours closes anything on ``close()`` (LocMem; django-redis without CLOSE_CONNECTION keeps its
pool). Those receivers then do no work but still cost about 40 µs of a 210 µs ``/ping``.
``drop_idle_receivers`` disconnects exactly the ones whose work is empty under the settings given.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core import signals
from django.core.cache import close_caches
from django.db import close_old_connections, reset_queries

# Cache backends whose close() releases nothing between requests.
_QUIET_BACKENDS = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}
_REDIS_BACKEND = "django_redis.cache.RedisCache"
_DUMMY_DATABASE = "django.db.backends.dummy"


def _caches_close_nothing(caches: Mapping[str, dict], redis_close_default: bool) -> bool:
    for cache in caches.values():
        backend = cache.get("BACKEND", "")
        if backend in _QUIET_BACKENDS:
            continue
        if backend == _REDIS_BACKEND and not (cache.get("OPTIONS") or {}).get(
            "CLOSE_CONNECTION", redis_close_default
        ):
            continue
        return False
    return True


def drop_idle_receivers(
    *, databases: Mapping[str, dict], caches: Mapping[str, dict], redis_close_default: bool
) -> list[str]:
    """Disconnect the request receivers with nothing to do; the names of those disconnected."""
    dropped = []
    # Django fills an empty DATABASES in place with its dummy backend, which has no connection.
    if all(db.get("ENGINE") == _DUMMY_DATABASE for db in databases.values()):
        signals.request_started.disconnect(reset_queries)
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        dropped += ["reset_queries", "close_old_connections"]
    if _caches_close_nothing(caches, redis_close_default):
        signals.request_finished.disconnect(close_caches)
        dropped.append("close_caches")
    return dropped
