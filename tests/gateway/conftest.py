"""Fixtures of the gateway suite: platform mode (upstreams in-process), real Redis, seeded flights."""

from __future__ import annotations

import httpx
import pytest
from django.core.cache import cache

from gateway import clients
from gateway.api.authentication import token_users
from skyway import login_throttle
from tests.support.customers import alice, bob, customer_password  # noqa: F401  (fixtures)
from tests.support.flights import seed_open_flights

GATEWAY_DBS = ["default", "flights"]
BOOK_FLIGHT_NO = "AA2532"
BOOK_DATE = "2020-05-17"


@pytest.fixture(autouse=True)
def _fresh_clients_and_cache():
    """Every test starts with closed breakers, fresh pools, empty throttle counters and token cache."""
    clients.clients_reset()
    cache.clear()
    login_throttle.counts_clear()
    token_users.clear()
    yield
    clients.clients_reset()
    cache.clear()
    login_throttle.counts_clear()
    token_users.clear()


@pytest.fixture
def seeded(db, django_db_blocker, redis_client) -> list[dict]:
    """Flights seeded in the test database (two days of schedule + the book's AA2532 of 2020) and an
    empty Redis; the value is the flights still open for booking, earliest first."""
    return seed_open_flights()


@pytest.fixture
def book_flight(seeded) -> dict:
    """The book's flight number on its next departure still open for booking (today's or tomorrow's)."""
    return next(flight for flight in seeded if flight["flight_no"] == BOOK_FLIGHT_NO)


@pytest.fixture
def departed_book_flight(seeded) -> dict:
    """The book's own AA2532 of 2020-05-17: departed long ago, so closed for reserves, cancels, moves."""
    from flights.models import Flight

    flight = Flight.objects.get(flight_no=BOOK_FLIGHT_NO, departure__date=BOOK_DATE)
    return {"flight_id": str(flight.flight_id), "flight_no": flight.flight_no}


@pytest.fixture
def other_flight(seeded) -> dict:
    return next(flight for flight in seeded if flight["flight_no"] != BOOK_FLIGHT_NO)


class FaultyTransport(httpx.BaseTransport):
    """Wraps the real transport of one upstream; `rules` decide which requests fail and how.

    A rule is (method, path substring, fault) with fault "connect" (ConnectError), "timeout"
    (ReadTimeout), "answer-lost" (the upstream gets the request and acts on it, then the caller gets
    a ReadTimeout instead of its answer) or an HTTP status to answer instead; `times` limits how often
    it fires.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.rules: list[dict] = []
        self.seen: list[tuple[str, str]] = []

    def fail(
        self,
        method: str = "*",
        path: str = "",
        fault: str | int = "connect",
        times: int | None = None,
        after: int = 0,
    ):
        """Fail matching requests (`path` is matched against the URL with its query), after `after` matches."""
        self.rules.append({"method": method, "path": path, "fault": fault, "times": times, "after": after})
        return self

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        for rule in self.rules:
            if rule["method"] in {"*", request.method} and rule["path"] in str(request.url):
                if rule["after"] > 0:
                    rule["after"] -= 1
                    continue
                if rule["times"] is not None:
                    if rule["times"] <= 0:
                        continue
                    rule["times"] -= 1
                if rule["fault"] == "connect":
                    raise httpx.ConnectError("injected: connection refused", request=request)
                if rule["fault"] == "timeout":
                    raise httpx.ReadTimeout("injected: read timed out", request=request)
                if rule["fault"] == "answer-lost":
                    self.inner.handle_request(request)
                    raise httpx.ReadTimeout("injected: answer lost", request=request)
                return httpx.Response(
                    int(rule["fault"]), json={"error": "injected", "description": "injected"}
                )
        return self.inner.handle_request(request)


@pytest.fixture
def faults():
    """Install FaultyTransport in front of an upstream client: `faults("reservations").fail(...)`."""

    def install(service: str) -> FaultyTransport:
        client = clients.flights() if service == "flights" else clients.reservations()
        target = client.default_target
        real = client.http_for(target)
        faulty = FaultyTransport(real._transport)
        client._http[target.url] = httpx.Client(
            transport=faulty, base_url=real.base_url, timeout=client.timeout
        )
        return faulty

    return install
