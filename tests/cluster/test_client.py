"""The cluster client under django-redis: caches, the login throttle and the health check on a real cluster."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from reservations import health, store
from skyway import login_throttle
from tests.cluster.conftest import caches_on, figure

pytestmark = pytest.mark.cluster


def _keys_per_master(cluster) -> dict[int, int]:
    counts = {}
    for port in cluster.masters():
        with cluster.node(port).client() as client:
            counts[port] = client.dbsize()
    return counts


def test_cache_keys_spread_over_every_master_and_read_back(on_cluster):
    cache = caches["login"]
    for n in range(300):
        cache.set(f"k{n}", n)

    per_master = _keys_per_master(on_cluster)
    figure(f"cache keys per master: {per_master}")

    assert len(per_master) == 3
    assert all(count > 0 for count in per_master.values())
    assert [cache.get(f"k{n}") for n in range(300)] == list(range(300))
    assert cache.delete_many([f"k{n}" for n in range(300)]) == 300  # keys of many slots in one call


@pytest.mark.django_db
def test_the_login_throttle_locks_counts_and_clears_on_a_cluster(on_cluster, settings):
    settings.LOGIN_ACCOUNT_FAILURES = 3
    settings.GATEWAY_AUTH_THROTTLE_RATE = "2/min"
    request = RequestFactory().post("/api/auth/token", REMOTE_ADDR="192.0.2.7")

    for _ in range(3):
        login_throttle.account_failed("alice")  # django-redis' INCR script: one key, one slot
    assert login_throttle.account_refusal("alice").scope == "account"
    login_throttle.account_succeeded("alice")  # DEL of the count and the lock: two slots
    assert login_throttle.account_refusal("alice") is None

    assert login_throttle.address_attempt(request, scope="api") is None
    assert login_throttle.address_attempt(request, scope="api") is None
    assert login_throttle.address_attempt(request, scope="api").scope == "address"
    login_throttle.counts_clear()  # SCAN on every master, then DEL
    assert login_throttle.address_attempt(request, scope="api") is None
    assert sum(_keys_per_master(on_cluster).values()) == 1  # only the fresh count


def test_the_health_check_passes_on_a_cluster(on_cluster):
    check = health.redis_checks()["redis:responseTime"][0]

    assert check["status"] == "pass", check


def test_the_health_check_fails_when_the_cluster_is_unreachable(private_cluster, settings):
    settings.CACHES = caches_on(private_cluster, SOCKET_CONNECT_TIMEOUT=0.5, SOCKET_TIMEOUT=0.5)
    settings.EMBEDDED_REDIS_DIR = None
    store.ping()
    private_cluster.stop()

    check = health.redis_checks()["redis:responseTime"][0]

    assert check["status"] == "fail"
    assert "StoreUnavailable" in check["output"]
