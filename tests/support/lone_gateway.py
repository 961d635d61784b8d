"""The gateway deployable on its own, for tests of the server itself (slow clients, metrics).

Its upstreams are never called (/ping, the page, the token endpoint and /metrics need none), it keeps
no shared datastore (its own SQLite file under the test's directory, no Redis, no routes file), and it
is migrated before it starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.live import LiveService, base_env, free_port, run_manage

_SHARED = ("GATEWAY_DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX", "GATEWAY_ROUTES_FILE")


@contextmanager
def lone_gateway(
    root: Path, *, workers: int | None, threads: int | None, drop: tuple[str, ...] = (), **settings: str
) -> Iterator[LiveService]:
    """The gateway through the launcher (``workers``/``threads`` None: the launcher's own sizing),
    with ``settings`` on top and the ``drop`` variables left out of its environment; stopped after."""
    env = base_env(
        SKYWAY_VAR_DIR=str(root / "var"),
        FLIGHTS_URL="http://127.0.0.1:9",  # never called
        RESERVATIONS_URL="http://127.0.0.1:9",
        LOG_LEVEL="WARNING",
        SECURE_TRANSPORT="0",  # plain HTTP on loopback: no HTTPS redirect (docs/adr/0066)
        **settings,
    )
    for name in (*_SHARED, *drop):
        env.pop(name, None)
    run_manage("settings.gateway", "migrate_contexts", env=env)
    service = LiveService(
        settings_module="settings.gateway",
        port=free_port(),
        env=env,
        workers=workers,
        threads=threads,
        log_path=root / "gateway.log",
    ).start()
    try:
        yield service
    finally:
        service.stop()
