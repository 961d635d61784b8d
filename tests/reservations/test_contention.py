"""2,000 concurrent reserves from distinct customers at 100 seats, against the live service with 4 workers.

Exactly one customer may win each seat, every loser gets the book's 403, and Redis (hash, index,
log) agrees with what the clients were told.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings

from tests.reservations.conftest import (
    flight_key,
    held_seats,
    stream_events,
)
from tests.support.live import SERVICE_HEADERS, base_env, start_service

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast

REQUESTS = 2000
IN_FLIGHT = 64  # concurrent requests at any moment (httpcore's pool slows down with thousands queued)
SEATS = [f"{row}{letter}" for row in range(1, 18) for letter in "ABCDEF"][:100]


async def _reserve_all(url: str, flight_id: str) -> list[tuple[str, str, int, dict]]:
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    in_flight = asyncio.Semaphore(IN_FLIGHT)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, headers=SERVICE_HEADERS, timeout=httpx.Timeout(30.0)
    ) as client:

        async def reserve(n: int) -> tuple[str, str, int, dict]:
            customer, seat = f"cust-{n}", SEATS[n % len(SEATS)]
            async with in_flight:
                response = await client.put(
                    "/reservations", json={"flight_id": flight_id, "customer_id": customer, "seat_num": seat}
                )
            return customer, seat, response.status_code, response.json()

        return await asyncio.wait_for(asyncio.gather(*(reserve(n) for n in range(REQUESTS))), timeout=90)


@pytest.mark.e2e
def test_concurrent_reserves_sell_each_seat_exactly_once(redis, tmp_path, caplog):
    caplog.set_level("WARNING", logger="httpx")  # not one log record per request
    env = base_env(
        REDIS_URL=settings.CACHES["reservations"]["LOCATION"],
        REDIS_KEY_PREFIX=settings.REDIS_KEY_PREFIX or "",
    )
    service = start_service("settings.reservations", env=env, workers=4, log_dir=tmp_path)
    flight_id = f"contention-{uuid.uuid4().hex[:8]}"
    try:
        started = time.monotonic()
        # A fresh thread owns its own event loop: pytest-playwright may leave one running in this thread.
        with ThreadPoolExecutor(max_workers=1) as loop_thread:
            results = loop_thread.submit(asyncio.run, _reserve_all(service.url, flight_id)).result()
        elapsed = time.monotonic() - started
    finally:
        service.stop()

    statuses = Counter(status for _, _, status, _ in results)
    print(
        f"{REQUESTS} reserves, {IN_FLIGHT} in flight, in {elapsed:.1f}s: {dict(statuses)}"
    )  # figures, not asserted
    assert statuses == {200: 100, 403: REQUESTS - 100}, statuses
    assert all(
        body == {"error": "Conflict", "description": "Seat already reserved. Cannot double-book"}
        for _, _, status, body in results
        if status == 403
    )
    winners = {seat: customer for customer, seat, status, _ in results if status == 200}
    assert sorted(winners) == sorted(SEATS)
    stored = {s.decode(): c.decode() for s, c in redis.hgetall(flight_key(flight_id)).items()}
    assert stored == winners
    for seat, customer in winners.items():
        assert held_seats(redis, customer) == {f"{flight_id}|{seat}"}
    events = stream_events(redis, flight_id)
    assert [e["type"] for e in events] == ["SeatReserved"] * 100
    assert {e["seat_no"]: e["customer_id"] for e in events} == winners
