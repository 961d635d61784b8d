"""Fixtures of the Redis Cluster suite (marker `cluster`: `make test-cluster` runs it, the default -m leaves it out).

`make test-cluster` starts one cluster for the whole run and names its directory in
SKYWAY_REDIS_CLUSTER_DIR; `pytest -m cluster tests/cluster` alone starts its own on SKYWAY_TEST_PORTS.
Tests that kill nodes start a private cluster (`private_cluster`), so the shared one keeps all six.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import override_settings

from settings._redis import redis_cache, reservations_cache
from tests.support import redis_cluster
from tests.support.redis_cluster import LocalCluster


@pytest.fixture(scope="session")
def shared_cluster(tmp_path_factory) -> Iterator[LocalCluster]:
    directory = os.environ.get("SKYWAY_REDIS_CLUSTER_DIR")
    if directory:
        cluster = LocalCluster.load(directory)
        cluster.wait_ok()
        yield cluster
        return
    cluster = redis_cluster.start(tmp_path_factory.mktemp("redis-cluster"))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def private_cluster(tmp_path) -> Iterator[LocalCluster]:
    """A cluster of this test's own, which it may break."""
    cluster = redis_cluster.start(tmp_path / "redis-cluster")
    try:
        yield cluster
    finally:
        cluster.stop()


def caches_on(cluster: LocalCluster, **options) -> dict:
    """CACHES with the reservations and login caches on ``cluster`` (the cluster client)."""
    reservations = reservations_cache(cluster.url, None)
    reservations["OPTIONS"].update(options)
    return {
        **settings.CACHES,
        "reservations": reservations,
        "login": redis_cache(cluster.url, KEY_PREFIX="login:test"),
    }


def flush(cluster: LocalCluster) -> None:
    for port in cluster.masters():
        with cluster.node(port).client() as client:
            client.flushdb()


@pytest.fixture
def on_cluster(shared_cluster) -> Iterator[LocalCluster]:
    """The reservations and login caches point at the shared cluster, emptied before and after."""
    flush(shared_cluster)
    with override_settings(
        CACHES=caches_on(shared_cluster), EMBEDDED_REDIS_DIR=None, LOGIN_EMBEDDED_REDIS_DIR=None
    ):
        yield shared_cluster
    flush(shared_cluster)


PREFIX = "cl:"  # the key prefix of the deployables these tests start (no braces: ADR 115)


def cluster_client(cluster: LocalCluster):
    """A plain RedisCluster on ``cluster`` for the tests' own reads (decoded strings)."""
    from redis.cluster import ClusterNode, RedisCluster

    return RedisCluster(
        startup_nodes=[ClusterNode("127.0.0.1", node.port) for node in cluster.live_nodes()],
        decode_responses=True,
        socket_timeout=5,
    )


def reservations_on(cluster: LocalCluster, var_dir, *, workers: int = 2, threads: int = 4, **env: str):
    """The reservations deployable (skyway.serve, as in the image) on ``cluster``, with its own var dir."""
    from tests.faults.deployment import private_env
    from tests.support.live import start_service

    environment = private_env(var_dir, REDIS_URL=cluster.url, REDIS_KEY_PREFIX=PREFIX, **env)
    return start_service(
        "settings.reservations", env=environment, workers=workers, threads=threads, log_dir=var_dir
    )


_FIGURES: list[str] = []


def figure(text: str) -> None:
    """A figure this suite measured: printed, and repeated at the end of the run (make test-cluster, CI)."""
    print(text)
    _FIGURES.append(text)


def pytest_terminal_summary(terminalreporter) -> None:
    if _FIGURES:
        terminalreporter.section("Redis Cluster figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
