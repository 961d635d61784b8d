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

# The xdist grouping and the `live` marker of e2e and browser tests (a Django-free plugin module, so
# tests/platform/test_xdist_groups.py can run it on a synthetic suite).
from tests.support.xdist_groups import pytest_collection_modifyitems  # noqa: F401 - a pytest hook


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
