"""2,000 concurrent party holds of 2-6 seats from distinct customers on one flight's 100 seats.

Twice: threads calling the store in this process, and HTTP clients against a live reservations
deployable with 4 worker processes. Either way every seat has at most one holder, no hold is partial
(a winner got every seat it asked for, a loser none), and the seats held in the store are exactly the
winners' seats, as many as they add up to, each with one SeatsHeld event per winner.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings

from reservations import services, store
from reservations.errors import SeatsUnavailable
from tests.reservations.conftest import partition_key, stream_events
from tests.support.live import SERVICE_HEADERS, base_env, start_service

PARTIES = 2000
THREADS = 32  # concurrent holds at any moment in the in-process run
IN_FLIGHT = 64  # concurrent requests at any moment in the live run
SEATS = [f"{row}{letter}" for row in range(1, 18) for letter in "ABCDEF"][:100]


def parties(seed: int) -> list[tuple[str, list[str]]]:
    """(customer, seats): a block of 2-6 neighbouring seats each, so parties overlap heavily."""
    rng = random.Random(seed)
    out = []
    for n in range(PARTIES):
        size = rng.randint(2, 6)
        start = rng.randrange(len(SEATS) - size + 1)
        out.append((f"party-{n}", SEATS[start : start + size]))
    return out


def check(redis, flight_id: str, requested: list[tuple[str, list[str]]], answers: list[tuple[int, dict]]):
    winners: dict[str, tuple[str, list[str]]] = {}  # hold id → (customer, seats)
    for (customer, seats), (status, body) in zip(requested, answers, strict=True):
        if status == 201:
            assert body["seats"] == seats, body  # every seat asked for, nothing else
            assert body["customer_id"] == customer
            winners[body["hold_id"]] = (customer, seats)
        else:
            assert status == 409, body
            assert body["error"] == "Seats Unavailable", body
            assert body["seats"], body
            assert set(body["seats"]) <= set(seats), body
    held = [seat for _customer, seats in winners.values() for seat in seats]
    assert len(held) == len(set(held)), "a seat has two holders"
    stored = {
        seat.decode(): value.decode().split("|", 2)
        for seat, value in redis.hgetall(
            partition_key(store.partition_of(flight_id), f"holds:{flight_id}")
        ).items()
    }
    assert len(stored) == len(held)  # the sum of held seats is the seats in the store
    by_hold: dict[str, set[str]] = {}
    for seat, (_expires, customer, hold_id) in stored.items():
        assert winners[hold_id][0] == customer
        by_hold.setdefault(hold_id, set()).add(seat)
    assert by_hold == {hold_id: set(seats) for hold_id, (_c, seats) in winners.items()}  # none partial
    # every refused party asked for a seat some winner holds
    for (_customer, seats), (status, _body) in zip(requested, answers, strict=True):
        if status != 201:
            assert set(seats) & set(held)
    events = stream_events(redis, flight_id)
    assert Counter(e["type"] for e in events) == {"SeatsHeld": len(winners)}
    assert {e["hold_id"]: e["seats"].split(",") for e in events} == {
        hold_id: seats for hold_id, (_c, seats) in winners.items()
    }
    assert redis.hlen(partition_key(store.partition_of(flight_id), f"flights:{flight_id}")) == 0
    return winners


def test_concurrent_party_holds_in_process_never_share_a_seat_or_split_a_party(redis):
    flight_id = f"race-{uuid.uuid4().hex[:8]}"
    requested = parties(seed=13)

    def attempt(party: tuple[str, list[str]]) -> tuple[int, dict]:
        customer, seats = party
        try:
            hold = services.seats_hold(flight_id=flight_id, customer_id=customer, seats=seats)
        except SeatsUnavailable as exc:
            return 409, {"error": exc.code, "description": exc.detail, **exc.extra}
        return 201, {"hold_id": hold.hold_id, "customer_id": hold.customer_id, "seats": list(hold.seats)}

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        answers = list(pool.map(attempt, requested, timeout=120))

    winners = check(redis, flight_id, requested, answers)
    print(f"{PARTIES} party holds, {THREADS} threads: {len(winners)} held")  # figures, not asserted


async def _hold_all(url: str, flight_id: str, requested) -> list[tuple[int, dict]]:
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    in_flight = asyncio.Semaphore(IN_FLIGHT)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, headers=SERVICE_HEADERS, timeout=httpx.Timeout(30.0)
    ) as client:

        async def hold(customer: str, seats: list[str]) -> tuple[int, dict]:
            async with in_flight:
                response = await client.post(
                    "/reservations/holds",
                    json={"flight_id": flight_id, "customer_id": customer, "seats": seats},
                )
            return response.status_code, response.json()

        return await asyncio.wait_for(asyncio.gather(*(hold(c, s) for c, s in requested)), timeout=120)


@pytest.mark.live
@pytest.mark.e2e
def test_concurrent_party_holds_on_a_live_deployable_never_share_a_seat_or_split_a_party(
    redis, tmp_path, caplog
):
    caplog.set_level("WARNING", logger="httpx")
    env = base_env(
        REDIS_URL=settings.CACHES["reservations"]["LOCATION"],
        REDIS_KEY_PREFIX=settings.REDIS_KEY_PREFIX or "",
    )
    service = start_service("settings.reservations", env=env, workers=4, log_dir=tmp_path)
    flight_id = f"race-{uuid.uuid4().hex[:8]}"
    requested = parties(seed=17)
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as loop_thread:  # a fresh thread owns its event loop
            answers = loop_thread.submit(asyncio.run, _hold_all(service.url, flight_id, requested)).result()
        elapsed = time.monotonic() - started
    finally:
        service.stop()

    winners = check(redis, flight_id, requested, answers)
    print(f"{PARTIES} party holds over HTTP, {IN_FLIGHT} in flight, {elapsed:.1f}s: {len(winners)} held")
