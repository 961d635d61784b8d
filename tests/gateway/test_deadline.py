"""Deadlines end to end (issue 18, ADR 80): every upstream call fits in what is left of the request's
budget, retries included, and the rest travels upstream. The clock is driven by the test: the
scripted upstream advances it by the time each call 'takes'."""

from __future__ import annotations

import httpx
import pytest
from django.test import Client, override_settings

from gateway.clients.base import Breaker
from gateway.clients.flights import FlightsClient
from gateway.errors import UpstreamUnavailable
from skyway import deadline
from tests.gateway.test_clients import SEAT_MAP, Upstream, client_for

TIMEOUTS = {"UPSTREAM_CONNECT_TIMEOUT": 0.5, "UPSTREAM_READ_TIMEOUT": 2.0}  # a full try: 2.5 s


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(deadline, "clock", fake)
    return fake


class Slow(Upstream):
    """A scripted upstream whose every call takes `seconds` of the test's clock."""

    def __init__(self, clock: Clock, seconds: float, *answers) -> None:
        super().__init__(*answers)
        self.clock, self.seconds = clock, seconds

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.clock.now += self.seconds
        return super().__call__(request)


def test_a_timed_out_read_is_not_retried_when_the_rest_of_the_budget_cannot_hold_a_full_try(clock):
    upstream = Slow(clock, 2.0, httpx.ReadTimeout("stalled"))
    client = client_for(FlightsClient, upstream, **TIMEOUTS)

    with deadline.bound(3.0), pytest.raises(UpstreamUnavailable):
        client.seat_map_get("f1")

    assert len(upstream.requests) == 1  # 1 s left < 2.5 s: the old code tried 3 times (6 s)


def test_fast_failures_are_retried_while_the_budget_holds_a_full_try(clock):
    upstream = Slow(
        clock,
        0.0,
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
        httpx.Response(200, json=SEAT_MAP),
    )
    client = client_for(FlightsClient, upstream, **TIMEOUTS)

    with deadline.bound(3.0):
        assert client.seat_map_get("f1") == SEAT_MAP

    assert len(upstream.requests) == 3


def test_each_try_is_cut_to_what_is_left_and_the_rest_travels_upstream(clock):
    upstream = Slow(clock, 0.0, httpx.Response(200, json=SEAT_MAP))
    client = client_for(FlightsClient, upstream, **TIMEOUTS)

    with deadline.bound(1.2):
        clock.now += 0.2  # the gateway spent 0.2 s before this call
        client.seat_map_get("f1")

    sent = upstream.requests[0]
    assert sent.headers[deadline.HEADER] == "1000"
    assert sent.extensions["timeout"]["read"] == pytest.approx(1.0)
    assert sent.extensions["timeout"]["connect"] == pytest.approx(0.5)


def test_a_spent_budget_is_a_503_naming_the_upstream_without_calling_it(clock):
    upstream = Upstream(httpx.Response(200, json=SEAT_MAP))
    client = client_for(FlightsClient, upstream, **TIMEOUTS)

    with deadline.bound(1.0):
        clock.now += 1.0
        with pytest.raises(UpstreamUnavailable) as raised:
            client.seat_map_get("f1")

    assert upstream.requests == []
    assert "flights" in raised.value.detail
    assert "time budget" in raised.value.detail
    assert raised.value.retry_after >= 1


def test_a_timeout_that_spends_the_budget_names_the_budget(clock):
    upstream = Slow(clock, 0.8, httpx.ReadTimeout("stalled"))
    client = client_for(FlightsClient, upstream, **TIMEOUTS)

    with deadline.bound(0.8), pytest.raises(UpstreamUnavailable) as raised:
        client.seat_map_get("f1")

    assert "time budget" in raised.value.detail


@pytest.mark.django_db
@override_settings(SERVICE_AUTH_REQUIRED_FOR="everything")  # an internal service (flights, reservations)
def test_a_service_refuses_work_whose_budget_is_already_spent():
    spent = Client().get("/ping", headers={deadline.HEADER: "0"})
    left = Client().get("/ping", headers={deadline.HEADER: "800"})

    assert spent.status_code == 503
    assert spent.json()["error"] == "deadline_exceeded"
    assert spent["Retry-After"] == "1"
    assert left.status_code == 200


def test_the_budget_is_the_smaller_of_the_callers_and_this_processs(clock, rf):
    seen = {}

    def view(request):
        seen["left"] = deadline.remaining()
        return None

    middleware = deadline.DeadlineMiddleware(view)
    with override_settings(REQUEST_BUDGET_SECONDS=3.0, SERVICE_AUTH_REQUIRED_FOR="everything"):
        middleware(rf.get("/", headers={deadline.HEADER: "900"}))
        assert seen["left"] == pytest.approx(0.9)
        middleware(rf.get("/", headers={deadline.HEADER: "60000"}))  # a client cannot ask for more
        assert seen["left"] == pytest.approx(3.0)
        middleware(rf.get("/"))
        assert seen["left"] == pytest.approx(3.0)
    assert deadline.remaining() is None  # unbound after the request


def test_an_open_breaker_lets_one_probe_through_and_closes_on_its_success():
    breaker = Breaker("flights:default", fail_max=1, reset_seconds=0.0, probe_seconds=60.0)
    breaker.record_failure(UpstreamUnavailable("flights"))
    assert breaker.state == "open"

    probe, others = breaker.open_for(), breaker.open_for()
    assert probe == 0.0
    assert others > 0  # refused while the probe is out
    breaker.record_success()

    assert breaker.state == "closed"
    assert breaker.open_for() == 0.0


@pytest.mark.django_db
def test_the_public_door_ignores_a_callers_budget_header():
    """Customers cannot make the gateway give up on work (or fake an outage) with a hop-by-hop header."""
    assert Client().get("/ping", headers={deadline.HEADER: "0"}).status_code == 200
    assert Client().get("/api/flights", headers={deadline.HEADER: "0"}).status_code == 401  # its own auth


def test_a_request_that_re_enters_this_process_keeps_the_outer_deadline(clock, rf):
    seen = {}

    def view(request):
        seen["left"] = deadline.remaining()
        return None

    with override_settings(REQUEST_BUDGET_SECONDS=3.0), deadline.bound(0.5):
        deadline.DeadlineMiddleware(view)(rf.get("/reservations"))  # platform mode's in-process call
    assert seen["left"] == pytest.approx(0.5)
