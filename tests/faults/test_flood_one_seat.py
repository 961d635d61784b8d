"""Flood one seat: many customers at once, exactly one holder, everyone else clearly refused.

Directly against reservations (16 client threads, 480 distinct customers) and through the gateway
(every seeded customer, repeatedly). Redis must show the one winner and exactly one SeatReserved.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from redis import Redis

from tests.faults.deployment import Split, tokens_of
from tests.support.load import (
    Attempt,
    LoadRun,
    Reserve,
    Sender,
    StoreSnapshot,
    gateway_sender,
    invariant_violations,
    reservations_sender,
    store_snapshot,
    summary,
)

pytestmark = pytest.mark.faults

CLIENT_TIMEOUT_S = 10.0


def reserved_events(events: list[dict[str, str]], flight_id: str, seat: str) -> int:
    return sum(
        1
        for e in events
        if e["type"] == "SeatReserved" and e["flight_id"] == flight_id and e["seat_no"] == seat
    )


def flooded(
    send: Sender, plans: list[list[Reserve]], redis: Redis, flight: str, customers: Iterable[str] = ()
) -> tuple[list[Attempt], dict[str, int], StoreSnapshot]:
    """Every plan sent at once, with no pause, to its end; the attempts, their outcomes and the store
    after, which holds exactly what they were told (asserted)."""
    attempts = LoadRun(
        send=send, plans=plans, client_timeout=CLIENT_TIMEOUT_S, think_s=0.0
    ).run_to_completion(timeout=60)
    counts = summary(attempts)
    print(f"outcomes: {counts}")
    snapshot = store_snapshot(redis, [flight], customers=customers)
    violations = invariant_violations(attempts, snapshot, max_wall_s=CLIENT_TIMEOUT_S)
    assert not violations, f"{counts}:\n" + "\n".join(violations[:30])
    return attempts, counts, snapshot


def test_flooding_one_seat_directly_has_exactly_one_winner(reservations_only: Split) -> None:
    assert reservations_only.reservations is not None
    flight, seat = "flood-1", "7C"
    plans = [[Reserve(flight, seat, f"flooder-{t}-{n}") for n in range(30)] for t in range(16)]
    send = reservations_sender(reservations_only.reservations.url)
    attempts, counts, snapshot = flooded(send, plans, reservations_only.redis.client(), flight)
    winners = [a for a in attempts if a.acknowledged]
    assert len(winners) == 1, counts
    assert counts == {"200": 1, "403": 16 * 30 - 1}, counts
    assert all(
        a.body["description"] == "Seat already reserved. Cannot double-book"
        for a in attempts
        if a.status == 403
    )
    assert snapshot.hashes[flight] == {seat: winners[0].reserve.customer_id}
    assert reserved_events(snapshot.events, flight, seat) == 1


def test_flooding_one_seat_through_the_gateway_has_exactly_one_holder(split: Split) -> None:
    assert split.gateway is not None
    flight, seat = split.flight_ids[0], "20A"
    plans = [[Reserve(flight, seat, customer.customer_id)] * 25 for customer in split.customers]
    send = gateway_sender(split.gateway.url, tokens_of(split))
    attempts, counts, snapshot = flooded(
        send, plans, split.redis.client(), flight, customers=tokens_of(split)
    )
    assert len(attempts) == sum(len(plan) for plan in plans), counts  # every planned attempt ran
    holders = {a.reserve.customer_id for a in attempts if a.acknowledged}
    assert len(holders) == 1, counts  # the winner may re-reserve its own seat (201 again); nobody else
    assert set(counts) <= {"201", "409"}, counts
    assert snapshot.hashes[flight] == {seat: holders.pop()}
    assert reserved_events(snapshot.events, flight, seat) == 1
