"""Faults against the split deployment: a stopped reservations process, breakers, the saga's release step."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.conftest import Customer, metric, wait_until
from tests.support.live import SERVICE_HEADERS

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("healthy")]


def test_chart_degrades_and_reserve_is_503_while_reservations_is_stopped(stack, alice, flights):
    stack.reservations.stop()
    try:
        chart = alice.chart(flights[0])
        reserve = alice.reserve(flights[0], "14A")
    finally:
        stack.reservations.start()

    assert chart.status_code == 200
    body = chart.json()
    assert body["degraded"] is True
    assert {s["status"] for c in body["cabins"] for r in c["rows"] for s in r["seats"]} == {"unknown"}
    assert reserve.status_code == 503
    assert int(reserve.headers["Retry-After"]) >= 1


def test_flights_down_is_503_with_retry_after(stack, alice):
    # A flight whose seat map the gateway has not cached yet (cached maps keep serving; ADR 0036).
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
    fresh = alice.http.get("/api/flights", params={"date": tomorrow}).json()[-1]["flight_id"]
    stack.flights.stop()
    try:
        chart = alice.chart(fresh)
        search = alice.http.get("/api/flights", params={"date": tomorrow})
    finally:
        stack.flights.start()
        # Leave the shared stack as found: the failed calls may have opened the gateway's flights
        # breaker, and the next test (test_gateway_flow's first lookup) would get its 503.
        assert wait_until(
            lambda: alice.http.get("/api/flights", params={"date": tomorrow}).status_code == 200, timeout=20
        ), "the gateway never reached flights again"

    for response in (chart, search):
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["Retry-After"]) >= 1


def test_breaker_opens_after_failures_and_closes_when_the_upstream_is_back(stack, alice):
    gateway = stack.gateway.url
    short_circuits = metric(
        gateway, "skyway_gateway_upstream_requests_total", service="reservations", outcome="breaker_open"
    )
    stack.reservations.stop()
    try:
        answers = [alice.http.get("/api/reservations") for _ in range(4)]
    finally:
        stack.reservations.start()

    types = [a.json()["type"].rsplit("/", 1)[1] for a in answers]
    assert all(a.status_code == 503 for a in answers)
    assert "upstream-circuit-open" in types  # later calls short-circuit without touching the upstream
    assert (
        metric(
            gateway, "skyway_gateway_upstream_requests_total", service="reservations", outcome="breaker_open"
        )
        > short_circuits
    )
    health = httpx.get(f"{gateway}/health", timeout=10).json()["checks"]["reservations:default:responseTime"][
        0
    ]
    assert health["breaker"] in {"open", "half-open"}
    assert health["status"] == "warn"

    # Back up: after the reset timeout a trial call goes through and the breaker closes.
    assert wait_until(lambda: alice.http.get("/api/reservations").status_code == 200, timeout=20)
    health = httpx.get(f"{gateway}/health", timeout=10).json()["checks"]["reservations:default:responseTime"][
        0
    ]
    assert health["breaker"] == "closed"


def test_move_saga_compensates_when_the_release_fails(stack, aux_gateway, fault_proxy, flights):
    alice = Customer(aux_gateway.url, "alice")
    old, new = flights[0], flights[1]
    assert alice.reserve(old, "15A").status_code == 201
    fault_proxy.fail("DELETE", f"/reservations/{old}/15A", status=503, times=1)

    moved = alice.move(old, "15A", new, "15C")

    assert moved.status_code == 503
    assert moved.headers["Retry-After"]
    problem = moved.json()
    assert problem["compensated"] is True
    assert problem["holds"] == [{"flight_id": old, "seat": "15A"}]
    # The truth is in the reservations process itself: exactly one seat, the old one.
    customer_id = httpx.get(f"{aux_gateway.url}/api/auth/session", headers=alice.http.headers).json()[
        "customer_id"
    ]
    held = httpx.get(
        f"{stack.reservations.url}/reservations", params={"customer_id": customer_id}, headers=SERVICE_HEADERS
    ).json()
    assert {(r["flight_id"], r["seat_no"]) for r in held} == {(old, "15A")}
    assert ("DELETE", f"/reservations/{new}/15C") in fault_proxy.seen  # the compensating release
    alice.cancel(old, "15A")


def test_move_saga_completes_without_faults_through_the_proxy(stack, aux_gateway, flights):
    alice = Customer(aux_gateway.url, "alice")
    alice.reserve(flights[0], "16A")

    moved = alice.move(flights[0], "16A", flights[0], "16B")

    assert moved.status_code == 200
    assert alice.mine() >= {(flights[0], "16B")}
    assert (flights[0], "16A") not in alice.mine()
    alice.cancel(flights[0], "16B")
