"""Suite-wide fixtures. Per-context fixtures live in each context's conftest."""

import shutil

import pytest
from django.conf import settings

from skyway import embedded_redis
from tests.support.internal import internal_client


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_redis_at_exit():
    """The embedded Redis is started lazily by whoever needs it; never leave it running after the suite."""
    yield
    if settings.EMBEDDED_REDIS_DIR is not None:
        embedded_redis.stop(settings.EMBEDDED_REDIS_DIR)
        if settings.VAR_DIR.name.startswith("run-"):  # this run's own state directory (settings.test)
            shutil.rmtree(settings.VAR_DIR, ignore_errors=True)


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
