"""The embedded Redis looks after itself: a crashed server is restarted by the next request (ADR 82)."""

from __future__ import annotations

import os
import signal

import pytest
from django.conf import settings
from django.test import override_settings

from settings._redis import reservations_cache
from skyway import embedded_redis
from skyway.procs import pid_alive
from tests.gateway.conftest import GATEWAY_DBS
from tests.support.gateway_calls import reserve

pytestmark = [pytest.mark.django_db(databases=GATEWAY_DBS), pytest.mark.live]


@pytest.fixture
def own_embedded_redis(tmp_path):
    """This test's own embedded server (whatever REDIS_URL the run has), stopped afterwards."""
    directory = tmp_path / "redis"
    caches = {**settings.CACHES, "reservations": reservations_cache(None, directory)}
    with override_settings(EMBEDDED_REDIS_DIR=directory, CACHES=caches):
        embedded_redis.ensure_running(directory)
        yield directory
        embedded_redis.stop(directory)


def _pid(directory) -> int:
    return int((directory / "redis.pid").read_text())


def test_a_sigkilled_embedded_redis_is_restarted_by_the_next_request_and_loses_nothing(
    alice, book_flight, own_embedded_redis
):
    flight_id = book_flight["flight_id"]
    acknowledged = reserve(alice, flight_id, "14A")
    assert acknowledged.status_code == 201
    crashed = _pid(own_embedded_redis)

    os.kill(crashed, signal.SIGKILL)
    while pid_alive(crashed):  # wait for the kill to land, not for a guessed time
        pass
    after = reserve(alice, flight_id, "15B")
    mine = alice.get("/api/reservations")

    assert after.status_code == 201, after.content
    assert _pid(own_embedded_redis) != crashed
    assert embedded_redis.is_running(own_embedded_redis)
    assert {(r["flight_id"], r["seat"]) for r in mine.json()} >= {(flight_id, "14A"), (flight_id, "15B")}
