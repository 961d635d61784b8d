"""The test cluster itself (tests/support/redis_cluster.py): its shape, and a SIGKILLed master's promotion."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import redis_cluster
from tests.support.redis_cluster import LocalCluster

pytestmark = pytest.mark.cluster


def test_the_cluster_has_three_masters_with_one_replica_each(shared_cluster):
    masters = shared_cluster.masters()

    assert len(masters) == 3
    assert all(len(shared_cluster.replicas_of(m)) == 1 for m in masters)


def test_client_and_bus_ports_all_come_from_the_given_range(tmp_path):
    free = redis_cluster.default_ports()
    window = next(
        range(start, start + 12)
        for start in range(free.start, free.stop - 11, 12)
        if all(redis_cluster.port_is_free(p) for p in range(start, start + 12))
    )
    cluster = redis_cluster.start(tmp_path / "ranged", ports=window)
    try:
        ports = [p for node in cluster.nodes for p in (node.port, node.bus_port)]
        # the bus ports are not Redis' default port + 10000, which would leave the range
        assert sorted(ports) == list(window)
    finally:
        cluster.stop()


def test_a_sigkilled_master_is_replaced_by_its_replica_with_its_acknowledged_writes(private_cluster):
    key = "promotion-check"
    master = private_cluster.master_of_key(key)
    with private_cluster.node(master).client() as client:
        client.set(key, "kept")
        assert client.wait(1, 5000) == 1  # the replica has it before the crash

    promoted = private_cluster.kill_master_and_wait_for_promotion(master)

    assert promoted in private_cluster.masters()
    assert master not in private_cluster.masters()
    assert private_cluster.master_of_key(key) == promoted
    with private_cluster.node(promoted).client() as client:
        assert client.get(key) == b"kept"


def test_the_cli_starts_prints_the_url_and_stops_its_nodes(tmp_path):
    directory = tmp_path / "cli-cluster"
    cli = [sys.executable, "-m", "tests.support.redis_cluster"]

    url = subprocess.run(
        [*cli, "start", "--dir", str(directory)], check=True, capture_output=True, text=True, timeout=120
    )
    cluster = LocalCluster.load(directory)
    try:
        assert url.stdout.strip() == cluster.url == (directory / "url").read_text().strip()
        assert len(cluster.live_nodes()) == 6
    finally:
        subprocess.run([*cli, "stop", "--dir", str(directory)], check=True, timeout=60)

    assert cluster.live_nodes() == []
    assert not (directory / "cluster.json").exists()
