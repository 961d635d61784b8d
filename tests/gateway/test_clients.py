"""The upstream client base: retries, breakers, request ids, metrics, weighted routes.

The far side is an httpx.MockTransport: the only mock, at the HTTP boundary.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterator

import freezegun
import freezegun.api
import httpx
import pytest
from django.test import override_settings
from prometheus_client import REGISTRY

from gateway.clients.flights import FlightsClient
from gateway.clients.reservations import ReservationsClient
from gateway.errors import CircuitOpen, FlightNotFound, SeatLimitReached, SeatTaken, UpstreamUnavailable
from skyway import request_id
from skyway.routes import RoutesFileInvalid, RouteTable, routes_parse

FAST = {
    "FLIGHTS_URL": "http://flights.test",
    "RESERVATIONS_URL": "http://reservations.test",
    "UPSTREAM_READ_RETRIES": 2,
    "BREAKER_FAIL_MAX": 3,
    "BREAKER_RESET_SECONDS": 0.3,
    "GATEWAY_ROUTES_FILE": None,
}


class Upstream:
    """A scripted upstream: answers from a list of handlers, records what it was asked."""

    def __init__(self, *answers) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def frozen_clock() -> Iterator[freezegun.api.FrozenDateTimeFactory]:
    """The breakers' clocks (pybreaker's datetime, our monotonic) stand still until the test ticks them."""
    with freezegun.freeze_time() as frozen:
        yield frozen


def client_for(cls, upstream: Upstream, **settings_overrides):
    with override_settings(**{**FAST, **settings_overrides}):
        client = cls()

    def build(url):
        return httpx.Client(base_url=url, transport=httpx.MockTransport(upstream), timeout=client.timeout)

    client._http_build = build
    return client


def counter(service: str, target: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "skyway_gateway_upstream_requests_total", {"service": service, "target": target, "outcome": outcome}
    )
    return value or 0.0


SEAT_MAP = {"Cabin": [{"Row": [{"RowNumber": 1, "Seat": [{"Number": "A"}]}]}]}


def test_reads_are_retried_on_outages_then_succeed():
    upstream = Upstream(
        httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(200, json=SEAT_MAP)
    )

    assert client_for(FlightsClient, upstream).seat_map_get("f1") == SEAT_MAP
    assert len(upstream.requests) == 3


def test_reads_give_up_after_the_configured_retries():
    upstream = Upstream(httpx.Response(503, headers={"Retry-After": "7"}))

    with pytest.raises(UpstreamUnavailable) as raised:
        client_for(FlightsClient, upstream, BREAKER_FAIL_MAX=10).seat_map_get("f1")

    assert len(upstream.requests) == 3
    assert raised.value.retry_after == 7


def test_writes_are_never_retried():
    upstream = Upstream(httpx.ReadTimeout("slow"))

    with pytest.raises(UpstreamUnavailable):
        client_for(ReservationsClient, upstream).seat_reserve(flight_id="f1", seat="1A", customer_id="c1")

    assert len(upstream.requests) == 1


def test_business_answers_map_to_domain_errors_without_retrying():
    flights = Upstream(httpx.Response(404, json={"error": "not_found", "description": "No such flight."}))
    reservations = Upstream(httpx.Response(403, json={"error": "x", "description": "Seat already reserved."}))

    with pytest.raises(FlightNotFound):
        client_for(FlightsClient, flights).seat_map_get("f1")
    with pytest.raises(SeatTaken):
        client_for(ReservationsClient, reservations).seat_reserve(flight_id="f1", seat="1A", customer_id="c")
    assert len(flights.requests) == 1
    # The PUT is not retried; the GET is the refusal's one check of the holders (ADR 114).
    assert [r.method for r in reservations.requests] == ["PUT", "GET"]


def test_the_seat_limit_answer_maps_to_its_own_error_and_replaces_is_sent_only_when_given():
    description = "A customer may hold at most 9 seats on one flight; cancel one to reserve another"
    reservations = Upstream(
        httpx.Response(409, json={"error": "Seat Limit Reached", "description": description}),
        httpx.Response(200, json={"status": "success"}),
    )
    client = client_for(ReservationsClient, reservations)

    with pytest.raises(SeatLimitReached) as raised:
        client.seat_reserve(flight_id="f1", seat="1A", customer_id="c")
    client.seat_reserve(flight_id="f1", seat="1B", customer_id="c", replaces="1A")

    assert raised.value.detail == f"Seat 1A was not reserved: {description}."
    assert [json.loads(request.content).get("replaces") for request in reservations.requests] == [None, "1A"]
    assert "replaces" not in json.loads(reservations.requests[0].content)


def test_breaker_opens_after_failures_short_circuits_and_closes_after_reset(frozen_clock):
    upstream = Upstream(httpx.ConnectError("refused"))
    client = client_for(ReservationsClient, upstream, UPSTREAM_READ_RETRIES=0)
    before = counter("reservations", "default", "breaker_open")

    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            client.seats_by_flight("f1")
    with pytest.raises(CircuitOpen) as short_circuited:
        client.seats_by_flight("f1")

    assert len(upstream.requests) == 3  # the 4th call never reached the upstream
    assert short_circuited.value.retry_after >= 1
    assert counter("reservations", "default", "breaker_open") == before + 1
    assert client.breaker_for(client.default_target).state == "open"

    upstream.answers = [httpx.Response(200, json=[{"seat_no": "1A", "customer_id": "c"}])]
    frozen_clock.tick(0.25)  # short of the configured reset timeout (0.3 s): still short-circuited
    with pytest.raises(CircuitOpen):
        client.seats_by_flight("f1")
    assert len(upstream.requests) == 3
    frozen_clock.tick(0.1)  # past it: the next call is a trial
    assert client.seats_by_flight("f1") == [{"seat_no": "1A", "customer_id": "c"}]
    assert client.breaker_for(client.default_target).state == "closed"


def test_client_errors_do_not_trip_the_breaker():
    upstream = Upstream(httpx.Response(404, json={"error": "x", "description": "nope"}))
    client = client_for(FlightsClient, upstream)

    for _ in range(5):
        with pytest.raises(FlightNotFound):
            client.flight_get("f1")

    assert client.breaker_for(client.default_target).state == "closed"


def test_request_id_reaches_the_upstream():
    upstream = Upstream(httpx.Response(200, json=[]))
    client = client_for(ReservationsClient, upstream)
    token = request_id._current.set("req-123")
    try:
        client.seats_by_flight("f1")
    finally:
        request_id._current.reset(token)

    assert upstream.requests[0].headers["X-Request-ID"] == "req-123"


def test_outcomes_and_latency_are_counted_per_target():
    upstream = Upstream(
        httpx.Response(200, json=[]), httpx.Response(400, json={"error": "x", "description": "bad"})
    )
    client = client_for(ReservationsClient, upstream)
    success = counter("reservations", "default", "success")
    client_error = counter("reservations", "default", "client_error")
    latency = (
        REGISTRY.get_sample_value(
            "skyway_gateway_upstream_latency_seconds_count", {"service": "reservations", "target": "default"}
        )
        or 0.0
    )

    client.seats_by_flight("f1")
    with pytest.raises(Exception):  # noqa: B017 - InvalidInput; the metric is the point here
        client.seats_by_flight("f1")

    assert counter("reservations", "default", "success") == success + 1
    assert counter("reservations", "default", "client_error") == client_error + 1
    assert (
        REGISTRY.get_sample_value(
            "skyway_gateway_upstream_latency_seconds_count", {"service": "reservations", "target": "default"}
        )
        == latency + 2
    )


# -- weighted routes -------------------------------------------------------------------------------


def write_routes(path, routes: dict) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w") as handle:
        json.dump(routes, handle)
    os.replace(tmp, path)


def weighted(**weights: int) -> list[dict]:
    """Routes-file targets named by their keyword, each at http://<name>.test with its weight."""
    return [
        {"name": name, "url": f"http://{name}.test", "weight": weight} for name, weight in weights.items()
    ]


def test_routes_pick_targets_by_weight_and_follow_file_changes(tmp_path):
    path = tmp_path / "routes.json"
    write_routes(path, {"flights": weighted(stable=75, canary=25, idle=0)})
    table = RouteTable(str(path), check_interval=0)

    picks = Counter(table.pick("flights").name for _ in range(4000))
    assert picks["idle"] == 0
    assert 0.2 < picks["canary"] / 4000 < 0.3
    assert table.pick("reservations") is None  # not routed: the default URL

    write_routes(path, {"flights": weighted(canary=100)})
    assert {table.pick("flights").name for _ in range(50)} == {"canary"}


def test_a_bad_or_missing_routes_file_keeps_the_last_good_routes(tmp_path, caplog):
    path = tmp_path / "routes.json"
    write_routes(path, {"flights": weighted(stable=1)})
    table = RouteTable(str(path), check_interval=0)
    assert table.pick("flights").name == "stable"

    path.write_text("{not json")
    assert table.pick("flights").name == "stable"
    write_routes(path, {"flights": [{"name": "x", "url": "ftp://nope", "weight": 1}]})
    assert table.pick("flights").name == "stable"
    path.unlink()
    assert table.pick("flights").name == "stable"
    assert any(record.levelname == "ERROR" for record in caplog.records)


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"flights": {}},
        {"flights": [{"url": "http://a.test", "weight": 1}]},
        {"flights": [{"name": "a", "url": "http://a.test", "weight": -1}]},
        {"flights": [{"name": "a", "url": "http://a.test", "weight": True}]},
        {"flights": [{"name": "a", "url": "http://a.test"}, {"name": "a", "url": "http://b.test"}]},
    ],
)
def test_invalid_routes_documents_are_refused(document):
    with pytest.raises(RoutesFileInvalid):
        routes_parse(document)


def test_a_target_with_an_open_breaker_sheds_its_share_to_the_others(tmp_path):
    path = tmp_path / "routes.json"
    write_routes(path, {"flights": weighted(stable=1, canary=1)})
    hosts: Counter = Counter()

    def upstream(request: httpx.Request) -> httpx.Response:
        hosts[request.url.host] += 1
        if request.url.host == "canary.test":
            raise httpx.ConnectError("canary down")
        return httpx.Response(200, json=SEAT_MAP)

    client = client_for(
        FlightsClient,
        Upstream(httpx.Response(200)),
        GATEWAY_ROUTES_FILE=str(path),
        UPSTREAM_READ_RETRIES=3,
        BREAKER_FAIL_MAX=2,
        BREAKER_RESET_SECONDS=60,
    )
    client._http_build = lambda url: httpx.Client(base_url=url, transport=httpx.MockTransport(upstream))
    shed = counter("flights", "canary", "breaker_open")
    for _ in range(40):
        client.seat_map_get("f1")  # a failed canary attempt is retried; once its breaker opens, stable serves

    assert hosts == {"stable.test": 40, "canary.test": 2}
    assert counter("flights", "canary", "breaker_open") > shed
    stable = next(t for t in client.targets() if t.name == "stable")
    canary = next(t for t in client.targets() if t.name == "canary")
    assert client.breaker_for(stable).state == "closed"
    assert client.breaker_for(canary).state == "open"


def reserves(target: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value("skyway_gateway_reserves_total", {"target": target, "outcome": outcome})
    return value or 0.0


def test_reserve_answers_are_counted_per_target_and_a_refused_free_seat_is_told_apart(tmp_path):
    # The rollout's business signal (ADR 114): a 403 on a seat the store shows free is a wrong answer.
    path = tmp_path / "routes.json"
    write_routes(path, {"reservations": weighted(canary=1)})
    holders = [{"seat_no": "1A", "customer_id": "c9"}]
    taken = {"error": "Conflict", "description": "Seat already reserved. Cannot double-book"}
    upstream = Upstream(
        httpx.Response(200, json={"status": "success"}),  # 2B reserved
        httpx.Response(403, json=taken),  # 1A refused …
        httpx.Response(200, json=holders),  # … and someone holds it
        httpx.Response(403, json=taken),  # 2C refused …
        httpx.Response(200, json=holders),  # … though nobody holds it
        httpx.Response(403, json=taken),  # 3D refused …
        httpx.Response(500),  # … and the check cannot tell
    )
    client = client_for(ReservationsClient, upstream, GATEWAY_ROUTES_FILE=str(path))
    before = {
        o: reserves("canary", o) for o in ("reserved", "refused_held", "refused_free", "refused_unchecked")
    }

    assert client.seat_reserve(flight_id="f1", seat="2B", customer_id="c1") is True
    for seat in ("1A", "2C", "3D"):
        with pytest.raises(SeatTaken):
            client.seat_reserve(flight_id="f1", seat=seat, customer_id="c1")

    after = {o: reserves("canary", o) - before[o] for o in before}
    assert after == {"reserved": 1, "refused_held": 1, "refused_free": 1, "refused_unchecked": 1}
    checks = [r for r in upstream.requests if r.method == "GET"]
    assert [r.url.params["flight_id"] for r in checks] == ["f1", "f1", "f1"]  # one read per refusal, no retry


def test_a_request_arriving_while_the_routes_file_is_first_read_waits_for_its_routes(tmp_path, monkeypatch):
    """Two concurrent calls of one client (the seat chart reads its list and its holds at once): the one
    that did not read the file must not take the empty table of before the first load for "no routes"
    and fall back to the default URL (the rollout stack's degraded chart)."""
    from skyway import routes as routes_module

    path = tmp_path / "routes.json"
    path.write_text(json.dumps({"reservations": [{"name": "stable", "url": "http://127.0.0.1:9001"}]}))
    table = RouteTable(str(path), check_interval=60)
    second: dict[str, object] = {}
    parse = routes_module.routes_parse

    def parse_while_another_request_arrives(data):
        other = threading.Thread(target=lambda: second.update(picked=table.pick("reservations")))
        other.start()
        other.join(timeout=0.5)  # it either answers from the empty table at once or waits for this read
        second["thread"] = other
        return parse(data)

    monkeypatch.setattr(routes_module, "routes_parse", parse_while_another_request_arrives)

    first = table.pick("reservations")
    second["thread"].join()

    assert first is not None
    assert first.url == "http://127.0.0.1:9001"
    assert second["picked"] == first
