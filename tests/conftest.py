"""Suite-wide fixtures. Per-context fixtures live in each context's conftest."""

import io
import json
import logging
import shutil
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings

from skyway import embedded_redis
from skyway.procs import pid_alive
from tests.support.internal import internal_client

# Fixtures of the suite's own conftests and modules (not pytest-django's) whose scope outlives a test:
# a live deployment, a browser, a rendered manifest set. Tests sharing one run on one xdist worker.
_SHARED_SCOPES = ("session", "package", "module")


def xdist_group_of(item: pytest.Item) -> str | None:
    """The xdist group a test belongs to: where its widest shared fixture is defined, or None.

    With `--dist loadgroup` (make test) every test of a group runs on the same worker, so a
    session-scoped stack (tests/e2e, tests/fuzz, tests/browser) or a module-scoped server starts once
    per run, as it does without xdist, instead of once per worker. Tests without one spread freely.
    """
    best: tuple[int, str] | None = None
    for defs in item._fixtureinfo.name2fixturedefs.values():
        for fixturedef in defs:
            baseid = fixturedef.baseid or ""
            if fixturedef.scope not in _SHARED_SCOPES or not baseid.startswith("tests/"):
                continue  # plugins' fixtures (pytest-django's database setup) and the root conftest's
            rank = _SHARED_SCOPES.index(fixturedef.scope)
            if best is None or rank < best[0]:
                best = (rank, baseid)
    return None if best is None else best[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # e2e and browser tests start processes too: `-m 'not live'` (make test-fast) leaves them out
        if item.get_closest_marker("live") is None and (
            item.get_closest_marker("e2e") or item.get_closest_marker("browser")
        ):
            item.add_marker(pytest.mark.live)
        group = xdist_group_of(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under xdist the controller runs no test, yet importing settings.test gave it a run directory."""
    controller = getattr(session.config, "workerinput", None) is None
    if (
        controller
        and getattr(session.config.option, "numprocesses", None)
        and settings.VAR_DIR.name.startswith("run-")
    ):
        shutil.rmtree(settings.VAR_DIR, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_redis_at_exit(tmp_path_factory):
    """No embedded Redis of this suite outlives it: its run directory's, its tmp_path ones', orphans.

    Servers are started lazily by whoever needs them (this process, the gunicorn processes of e2e and
    fault tests, the subprocesses of CLI tests), so they are found by directory, then checked by pid.
    """
    yield
    roots = [settings.VAR_DIR, tmp_path_factory.getbasetemp()]
    pids = {pid for root in roots for pid in embedded_redis.stop_under(root)}
    survivors = sorted(pid for pid in pids if pid_alive(pid))
    if settings.VAR_DIR.name.startswith("run-"):  # this run's own state directory (settings.test)
        shutil.rmtree(settings.VAR_DIR, ignore_errors=True)
    assert not survivors, f"embedded Redis servers of this test run still running: pids {survivors}"


@pytest.fixture
def redis_client():
    """The reservations context's Redis (embedded by default, REDIS_URL's database in CI), emptied around the test.

    Only this suite's own database number is flushed (CI points REDIS_URL at db 13), never the whole server.
    """
    from django_redis import get_redis_connection

    if settings.EMBEDDED_REDIS_DIR is not None:
        embedded_redis.ensure_running(settings.EMBEDDED_REDIS_DIR)
    client = get_redis_connection("reservations")
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def client():
    """pytest-django's client, calling as the gateway does: with the service credential.

    Tests of the fence itself build a bare ``django.test.Client()``.
    """
    return internal_client()


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict]]]:
    """What the deployable's one log handler has written so far in the test, one JSON object per line."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(previous)
