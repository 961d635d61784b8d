"""Seat moves against live gunicorn processes: a gateway killed mid-saga, and double-submitted moves.

- Crash: the gateway runs with the test-only SEAT_MOVE_PAUSE_AT hook, which parks the saga right
  after it wrote the named state; the test then SIGKILLs the whole gateway, restarts it without the
  hook, lets its start-up recovery (and `manage.py recover_seat_moves`) finish the saga, and checks
  that the customer holds exactly one seat (the target: recovery goes forward), that the event log
  says the same, and that a retry with the move's Idempotency-Key answers 200.
- Race: the same move fired 2, 5 and 20 times at once by one customer, 20 rounds each.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.conftest import wait_until
from tests.faults.deployment import Customer, Seeded, Split, seats_of, split_on
from tests.support.live import run_manage
from tests.support.load import log_replay, store_snapshot

pytestmark = pytest.mark.faults

CLIENT_TIMEOUT_S = 30.0
LEASE_S = 2  # IDEMPOTENCY_LEASE_SECONDS of these runs: how soon a killed process's saga is recoverable
UNFINISHED = {"started", "reserving_target", "target_held", "source_released", "compensating"}


@pytest.fixture
def upstreams(split_env: Split, seeded: Seeded) -> Split:
    """flights + reservations on a copy of the seeded files; each test starts its own gateway."""
    split_on(seeded, split_env.root)
    split_env.flight_ids = list(seeded.flight_ids)
    split_env.customers = list(seeded.customers)
    split_env.flights = split_env.start("settings.flights")
    split_env.reservations = split_env.start("settings.reservations")
    return split_env


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=CLIENT_TIMEOUT_S) as client:
        yield client


def auth(customer: Customer, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Token {customer.token}", **headers}


def move_body(flight_id: str, source: str, target: str) -> dict[str, str]:
    return {"from_flight_id": flight_id, "from_seat": source, "to_flight_id": flight_id, "to_seat": target}


def held_in_store(split: Split, customer: Customer) -> set[str]:
    """The customer's seats as Redis holds them (flight|seat), read past every gateway."""
    return store_snapshot(split.redis.client(), [], customers=[customer.customer_id]).indexes[
        customer.customer_id
    ]


def saga_states(split: Split) -> list[str]:
    with sqlite3.connect(split.root / "var" / "gateway.sqlite3", timeout=10) as db:
        return [row[0] for row in db.execute("SELECT state FROM gateway_seatmove ORDER BY id")]


def customer_events(split: Split, customer: Customer) -> list[tuple[str, str]]:
    snapshot = store_snapshot(split.redis.client(), [])
    return [(e["type"], e["seat_no"]) for e in snapshot.events if e["customer_id"] == customer.customer_id]


# -- SIGKILL at each step ------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["target_held", "source_released"])
def test_a_gateway_killed_mid_move_leaves_exactly_one_seat_after_recovery(
    upstreams: Split, http: httpx.Client, step: str
) -> None:
    split = upstreams
    flight = split.flight_ids[0]
    seats = seats_of(split, flight)
    marker = split.root / "var" / f"seat-move-paused-{step}"
    gateway = split.gateway_on_upstreams(
        IDEMPOTENCY_LEASE_SECONDS=str(LEASE_S),
        SKYWAY_ENV="fault-run",
        SEAT_MOVE_PAUSE_AT=step,
    )
    calm_env = {k: v for k, v in gateway.env.items() if k != "SEAT_MOVE_PAUSE_AT"}
    paused_env = dict(gateway.env)
    for round_no in range(3):
        customer = split.customers[round_no]
        source, target = seats[2 * round_no], seats[2 * round_no + 1]
        flight_seat = {f"{flight}|{source}", f"{flight}|{target}"}
        reserved = http.post(
            f"{gateway.url}/api/flights/{flight}/reservations", json={"seat": source}, headers=auth(customer)
        )
        assert reserved.status_code == 201, reserved.text
        key = f"crash-{step}-{round_no}-{uuid.uuid4().hex[:6]}"
        body = move_body(flight, source, target)

        def doomed_move(key: str = key, body: dict = body, customer: Customer = customer) -> None:
            with contextlib.suppress(httpx.HTTPError):  # the gateway dies under it: no answer is the point
                httpx.post(
                    f"{gateway.url}/api/reservations/move",
                    json=body,
                    headers=auth(customer, **{"Idempotency-Key": key}),
                    timeout=CLIENT_TIMEOUT_S,
                )

        mover = threading.Thread(target=doomed_move, daemon=True)
        mover.start()
        assert wait_until(marker.exists, timeout=20), split.log_tail()
        gateway.kill()  # SIGKILL of master and worker, mid-saga
        mover.join(timeout=10)
        marker.unlink()
        assert saga_states(split)[-1] == step  # the crash left the saga unfinished, in that state

        gateway.env = calm_env
        gateway.start()  # its start-up recovery takes the saga once the dead process's lease ends
        assert wait_until(lambda: not UNFINISHED & set(saga_states(split)), timeout=LEASE_S * 10), (
            saga_states(split),
            split.log_tail(),
        )
        report = run_manage("settings.gateway", "recover_seat_moves", env=calm_env)

        assert "left unfinished: 0" in report, report
        assert saga_states(split)[-1] == "done"
        assert held_in_store(split, customer) == {f"{flight}|{target}"}  # exactly one seat
        assert held_in_store(split, customer) <= flight_seat
        assert customer_events(split, customer) == [
            ("SeatReserved", source),
            ("SeatReserved", target),
            ("SeatReleased", source),
        ]
        retry = http.post(
            f"{gateway.url}/api/reservations/move",
            json=body,
            headers=auth(customer, **{"Idempotency-Key": key}),
        )
        assert (retry.status_code, retry.json()) == (200, body), retry.text
        mine = http.get(f"{gateway.url}/api/reservations", headers=auth(customer)).json()
        assert [(item["flight_id"], item["seat"]) for item in mine] == [(flight, target)]

        gateway.kill()
        gateway.env = paused_env
        gateway.start()
    violations: list[str] = []
    snapshot = store_snapshot(split.redis.client(), [flight])
    assert log_replay(snapshot.events, violations).get(flight, {}) == {
        seat: holder for seat, holder in snapshot.hashes[flight].items()
    }
    assert not violations


# -- the same move, many times at once -------------------------------------------------------------


@pytest.mark.parametrize("copies", [2, 5, 20])
def test_the_same_move_fired_at_once_always_leaves_exactly_one_seat(
    upstreams: Split, http: httpx.Client, copies: int
) -> None:
    split = upstreams
    gateway = split.gateway_on_upstreams(threads=8)
    flight = split.flight_ids[1]
    seats = seats_of(split, flight)
    customer = split.customers[{2: 3, 5: 4, 20: 5}[copies]]
    first = http.post(
        f"{gateway.url}/api/flights/{flight}/reservations", json={"seat": seats[0]}, headers=auth(customer)
    )
    assert first.status_code == 201, first.text
    current = seats[0]
    problems: list[str] = []
    with ThreadPoolExecutor(max_workers=copies) as pool:
        for round_no in range(20):
            target = seats[round_no + 1]
            body = move_body(flight, current, target)
            # Even rounds: a double-click (no key). Odd rounds: a client retrying with one key.
            headers = auth(customer)
            if round_no % 2:
                headers["Idempotency-Key"] = f"race-{copies}-{round_no}"
            barrier = threading.Barrier(copies)

            def fire(body: dict = body, headers: dict = headers, barrier: threading.Barrier = barrier):
                barrier.wait()
                return httpx.post(
                    f"{gateway.url}/api/reservations/move",
                    json=body,
                    headers=headers,
                    timeout=CLIENT_TIMEOUT_S,
                )

            answers = list(pool.map(lambda _: fire(), range(copies)))
            store = held_in_store(split, customer)
            statuses = sorted(a.status_code for a in answers)
            where = f"round {round_no} ({copies} copies, statuses {statuses}, store {sorted(store)})"
            if len(store) != 1:
                problems.append(f"{where}: the customer holds {len(store)} seats")
            if not set(statuses) <= {200, 404, 409}:
                problems.append(f"{where}: unexpected statuses")
            successes = [a for a in answers if a.status_code == 200]
            if not successes:
                problems.append(f"{where}: no move succeeded")
            if not round_no % 2 and len(successes) != 1:
                problems.append(f"{where}: {len(successes)} answers claim to have moved the seat")
            for answer in successes:
                if answer.json() != body or store != {f"{flight}|{target}"}:
                    problems.append(f"{where}: a 200 claims {answer.json()} the store does not have")
            for answer in answers:
                if answer.status_code == 404 and f"{flight}|{current}" in store:
                    problems.append(f"{where}: a 404 says {current} is not held, but it is")
                if answer.status_code == 409 and "Retry-After" not in answer.headers:
                    problems.append(f"{where}: a 409 without Retry-After: {answer.text}")
            current = target if store == {f"{flight}|{target}"} else current
    assert not problems, "\n".join(problems[:20]) + split.log_tail()
    violations: list[str] = []
    snapshot = store_snapshot(split.redis.client(), [flight])
    assert log_replay(snapshot.events, violations).get(flight, {}) == {
        seat: holder for seat, holder in snapshot.hashes[flight].items()
    }
    assert not violations
