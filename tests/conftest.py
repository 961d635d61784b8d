"""Suite-wide fixtures. Per-context fixtures live in each context's conftest."""

import pytest
from django.conf import settings

from skyway import embedded_redis


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_redis_at_exit():
    """The embedded Redis is started lazily by whoever needs it; never leave it running after the suite."""
    yield
    if settings.EMBEDDED_REDIS_DIR is not None:
        embedded_redis.stop(settings.EMBEDDED_REDIS_DIR)
