"""On a Redis Cluster: the 2,000-way race on 100 seats, and reservations spread over every master."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from reservations.store import partition_for, partition_tag
from tests.cluster.conftest import PREFIX, cluster_client, figure, flush, reservations_on
from tests.support.live import SERVICE_HEADERS
from tests.support.load import PARTITIONS, log_replay, seat_numbers, store_snapshot

pytestmark = [pytest.mark.cluster, pytest.mark.live]

REQUESTS = 2000
SEATS = seat_numbers(range(1, 18))[:100]
CLIENT_THREADS = 32


def _reserve(client: httpx.Client, url: str, flight_id: str, n: int) -> tuple[str, str, int]:
    customer, seat = f"cust-{n}", SEATS[n % len(SEATS)]
    response = client.put(
        f"{url}/reservations",
        json={"flight_id": flight_id, "customer_id": customer, "seat_num": seat},
        headers=SERVICE_HEADERS,
    )
    return customer, seat, response.status_code


@pytest.fixture
def deployable(shared_cluster, tmp_path):
    flush(shared_cluster)
    service = reservations_on(shared_cluster, tmp_path, workers=4, threads=4)
    try:
        yield service
    finally:
        service.stop()
        flush(shared_cluster)


def test_2000_reserves_of_100_seats_have_exactly_100_winners_and_the_hash_is_the_log(
    shared_cluster, deployable
):
    flight_id = f"race-{uuid.uuid4().hex[:8]}"
    limits = httpx.Limits(max_connections=CLIENT_THREADS, max_keepalive_connections=CLIENT_THREADS)
    with httpx.Client(timeout=30, limits=limits) as client, ThreadPoolExecutor(CLIENT_THREADS) as pool:
        results = list(pool.map(lambda n: _reserve(client, deployable.url, flight_id, n), range(REQUESTS)))

    statuses = Counter(status for _, _, status in results)
    figure(f"{REQUESTS} reserves of {len(SEATS)} seats on the cluster: {dict(statuses)}")
    assert statuses == {200: 100, 403: REQUESTS - 100}, statuses
    winners = {seat: customer for customer, seat, status in results if status == 200}
    assert sorted(winners) == sorted(SEATS)
    redis = cluster_client(shared_cluster)
    snapshot = store_snapshot(redis, [flight_id], PREFIX)
    violations: list[str] = []
    assert snapshot.hashes[flight_id] == winners
    assert log_replay(snapshot.events, violations) == {flight_id: winners}
    assert violations == []


def test_reservations_spread_over_every_master(shared_cluster, deployable):
    flights = [f"spread-{n}" for n in range(60)]
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda f: (
                    client.put(
                        f"{deployable.url}/reservations",
                        json={"flight_id": f, "customer_id": f"c-{f}", "seat_num": "1A"},
                        headers=SERVICE_HEADERS,
                    ).status_code
                ),
                flights,
            )
        )
    assert answers == [200] * len(flights)

    per_master: dict[int, int] = {}
    for port in shared_cluster.masters():
        with shared_cluster.node(port).client() as node:
            per_master[port] = sum(1 for _ in node.scan_iter(match=f"{PREFIX}{{r*}}:flights:*", count=1000))
    partitions = {partition_tag(partition_for(f, PARTITIONS)) for f in flights}
    figure(f"flight hashes per master ({len(flights)} flights, {len(partitions)} partitions): {per_master}")
    assert len(per_master) == 3
    assert all(count > 0 for count in per_master.values()), per_master
    assert sum(per_master.values()) == len(flights)
