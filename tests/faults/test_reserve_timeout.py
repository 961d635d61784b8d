"""A reserve that times out at the gateway is never left "unknown": live gunicorn processes.

A proxy between the gateway and reservations holds the reserve (PUT) past the gateway's read timeout:
- "answer lost": the PUT reaches the store at once, only its answer is held back: the gateway must
  confirm the seat before answering (201), not report a failure for a seat the customer now holds;
- "lands later": the PUT itself is held and reaches the store only after the gateway answered 503:
  that 503 says the outcome is open and carries Retry-After, and a retry with the same
  Idempotency-Key reports the real outcome (201, yours), as do the seat chart and "my seats".
Holding is on events the test releases, never on sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.e2e.conftest import wait_until
from tests.faults.deployment import Seeded, Split, split_on
from tests.gateway.wsgi_servers import wsgi_server
from tests.support.load import flight_key

pytestmark = pytest.mark.faults

HOLD_LIMIT_S = 20.0  # a safety bound if a test fails before releasing the proxy


class HoldingProxy:
    """Forwards to reservations; a PUT is held before (`hold="request"`) or after (`"answer"`) forwarding."""

    def __init__(self, upstream: str) -> None:
        self.client = httpx.Client(base_url=upstream, timeout=10)
        self.hold: str | None = None
        self.release = threading.Event()
        self.landed = threading.Event()

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        held = method == "PUT" and self.hold is not None
        if held and self.hold == "request":
            self.release.wait(HOLD_LIMIT_S)
        headers = {  # everything the gateway sent (its service token, the request id), but hop-by-hop
            key[5:].replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key not in {"HTTP_HOST", "HTTP_CONNECTION", "HTTP_CONTENT_LENGTH"}
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        response = self.client.request(
            method, path, params=environ.get("QUERY_STRING", ""), content=body, headers=headers
        )
        if held:
            self.landed.set()
            if self.hold == "answer":
                self.release.wait(HOLD_LIMIT_S)
        keep = [(k, v) for k, v in response.headers.items() if k.lower() in {"content-type", "retry-after"}]
        start_response(f"{response.status_code} {response.reason_phrase}", keep)
        return [response.content]


@pytest.fixture
def proxied(split_env: Split, seeded: Seeded) -> Iterator[tuple[Split, HoldingProxy]]:
    split_on(seeded, split_env.root)
    split_env.flight_ids = list(seeded.flight_ids)
    split_env.customers = list(seeded.customers)
    split_env.flights = split_env.start("settings.flights")
    split_env.reservations = split_env.start("settings.reservations")
    proxy = HoldingProxy(split_env.reservations.url)
    with wsgi_server(proxy) as url:
        split_env.gateway = split_env.start(
            "settings.gateway",
            workers=1,
            threads=6,
            FLIGHTS_URL=split_env.flights.url,
            RESERVATIONS_URL=url,
            GATEWAY_SEAT_MAP_TTL="30",
        )
        try:
            yield split_env, proxy
        finally:
            proxy.release.set()


def test_a_reserve_whose_answer_is_lost_is_confirmed_not_reported_failed(proxied) -> None:
    split, proxy = proxied
    customer, flight = split.customers[0], split.flight_ids[0]
    headers = {"Authorization": f"Token {customer.token}", "Idempotency-Key": "lost-answer"}
    proxy.hold = "answer"

    response = httpx.post(
        f"{split.gateway.url}/api/flights/{flight}/reservations",
        json={"seat": "12C"},
        headers=headers,
        timeout=30,
    )
    proxy.release.set()

    holder = split.redis.client().hget(flight_key(flight), "12C")
    assert holder == customer.customer_id
    assert (response.status_code, response.json().get("status")) == (201, "yours"), response.text


def test_a_reserve_that_lands_after_its_503_is_reported_truthfully_on_retry(proxied) -> None:
    split, proxy = proxied
    customer, flight = split.customers[1], split.flight_ids[0]
    headers = {"Authorization": f"Token {customer.token}", "Idempotency-Key": "slow-reserve"}
    url = f"{split.gateway.url}/api/flights/{flight}/reservations"
    proxy.hold = "request"

    timed_out = httpx.post(url, json={"seat": "14D"}, headers=headers, timeout=30)
    proxy.hold = None
    proxy.release.set()  # the held reserve now reaches the store, after the customer got the 503
    assert proxy.landed.wait(HOLD_LIMIT_S)
    assert wait_until(lambda: split.redis.client().hget(flight_key(flight), "14D") == customer.customer_id)
    retried = httpx.post(url, json={"seat": "14D"}, headers=headers, timeout=30)
    chart = httpx.get(f"{split.gateway.url}/api/flights/{flight}/seats", headers=headers, timeout=30).json()
    mine = httpx.get(f"{split.gateway.url}/api/reservations", headers=headers, timeout=30).json()

    assert timed_out.status_code == 503
    assert int(timed_out.headers["Retry-After"]) >= 1
    assert "may still be reserved" in timed_out.json()["detail"]
    assert (retried.status_code, retried.json()["status"]) == (201, "yours"), retried.text
    seat_status = {s["seat"]: s["status"] for c in chart["cabins"] for r in c["rows"] for s in r["seats"]}
    assert seat_status["14D"] == "yours"
    assert [(item["flight_id"], item["seat"]) for item in mine] == [(flight, "14D")]
