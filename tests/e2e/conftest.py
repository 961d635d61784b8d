"""The split deployment for end-to-end tests: flights, reservations and gateway as launcher processes.

One stack per session (temp SQLite files, its own embedded Redis), started by skyway.split's
split_start — the same launcher (skyway.serve) as the image, `make run-split` and the benches. Faults are real: processes are stopped and restarted,
or a proxy on the wire between gateway and reservations fails chosen requests.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from skyway.split import split_start
from tests.gateway.wsgi_servers import wsgi_server
from tests.support.flights import open_flights_via_api
from tests.support.live import SERVICE_HEADERS, LiveService, base_env, free_port, running
from tests.support.waits import wait_until

E2E_ENV = {
    "BREAKER_FAIL_MAX": "3",
    "BREAKER_RESET_SECONDS": "2",
    "UPSTREAM_READ_TIMEOUT": "2",
    "UPSTREAM_READ_RETRIES": "1",
    "GATEWAY_AUTH_THROTTLE_RATE": "10000/min",
    "LOG_LEVEL": "INFO",
}
BOOK_FLIGHT = {"flight_no": "AA2532", "date": "2020-05-17"}


def write_routes(path: Path, routes: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(routes))
    os.replace(tmp, path)


def metric(base_url: str, name: str, **labels: str) -> float:
    """One sample of the gateway's /metrics (0 when absent)."""
    text = httpx.get(f"{base_url}/metrics", headers=SERVICE_HEADERS, timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator:
    var_dir = tmp_path_factory.mktemp("split")
    routes = var_dir / "routes.json"
    write_routes(routes, {})
    running = split_start(
        var_dir=var_dir,
        base_env=base_env(),
        workers=1,
        isolated=True,
        env_overrides=E2E_ENV,
        gateway_env={"GATEWAY_ROUTES_FILE": str(routes)},
    )
    running.routes_file = routes
    try:
        yield running
    finally:
        running.stop()


class Customer:
    """A customer of the live gateway, authenticated with a token obtained over HTTP."""

    def __init__(self, base_url: str, username: str) -> None:
        self.base_url = base_url
        token = httpx.post(
            f"{base_url}/api/auth/token", json={"username": username, "password": "skyway-demo"}, timeout=10
        ).json()["token"]
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Token {token}"}, timeout=15)
        self.username = username

    def chart(self, flight_id: str) -> httpx.Response:
        return self.http.get(f"/api/flights/{flight_id}/seats")

    def seats(self, flight_id: str) -> dict[str, str]:
        chart = self.chart(flight_id).json()
        return {s["seat"]: s["status"] for c in chart["cabins"] for r in c["rows"] for s in r["seats"]}

    def reserve(self, flight_id: str, seat: str, **headers: str) -> httpx.Response:
        return self.http.post(f"/api/flights/{flight_id}/reservations", json={"seat": seat}, headers=headers)

    def cancel(self, flight_id: str, seat: str) -> httpx.Response:
        return self.http.delete(f"/api/flights/{flight_id}/reservations/{seat}")

    def mine(self) -> set[tuple[str, str]]:
        return {(item["flight_id"], item["seat"]) for item in self.http.get("/api/reservations").json()}

    def move(self, from_flight: str, from_seat: str, to_flight: str, to_seat: str) -> httpx.Response:
        return self.http.post(
            "/api/reservations/move",
            json={
                "from_flight_id": from_flight,
                "from_seat": from_seat,
                "to_flight_id": to_flight,
                "to_seat": to_seat,
            },
        )


@pytest.fixture(scope="session")
def alice(stack) -> Customer:
    return Customer(stack.gateway.url, "alice")


@pytest.fixture(scope="session")
def bob(stack) -> Customer:
    return Customer(stack.gateway.url, "bob")


@pytest.fixture(scope="session")
def flights(alice) -> list[str]:
    """The book's flight number on its next open departure first, then two other open flights.

    Open: departing at least an hour from now (the gateway refuses seats on departed flights), so
    the suite does not depend on the time of day.
    """
    upcoming = open_flights_via_api(alice.http)
    book = next(f["flight_id"] for f in upcoming if f["flight_no"] == BOOK_FLIGHT["flight_no"])
    others = [f["flight_id"] for f in upcoming if f["flight_id"] != book]
    return [book, *others[:2]]


@pytest.fixture
def healthy(stack, alice, flights) -> None:
    """Every upstream up and every breaker closed before (and after) the test."""

    def all_up() -> bool:
        for service in (stack.flights, stack.reservations):
            if service.process is None or service.process.poll() is not None:
                service.start()
        return alice.chart(flights[0]).json().get("degraded") is False

    assert wait_until(all_up, timeout=30)
    yield
    assert wait_until(all_up, timeout=30)


class FaultProxy:
    """An HTTP proxy on the wire to an upstream that fails the requests its rules match."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.rules: list[dict] = []
        self.seen: list[tuple[str, str]] = []
        self.request_ids: list[str] = []
        self.client = httpx.Client(base_url=upstream, timeout=10)

    def fail(self, method: str, path_contains: str, status: int = 503, times: int = 1) -> None:
        self.rules.append({"method": method, "path": path_contains, "status": status, "times": times})

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        self.seen.append((method, path))
        self.request_ids.append(environ.get("HTTP_X_REQUEST_ID", ""))
        for rule in self.rules:
            if rule["times"] > 0 and rule["method"] == method and rule["path"] in path:
                rule["times"] -= 1
                start_response(f"{rule['status']} Injected", [("Content-Type", "application/json")])
                return [b'{"error": "injected", "description": "fault injected by the test proxy"}']
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-"): value
            for key, value in environ.items()
            if key.startswith("HTTP_") and key not in {"HTTP_HOST", "HTTP_CONNECTION"}
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        response = self.client.request(
            method, path, params=environ.get("QUERY_STRING", ""), content=body, headers=headers
        )
        keep = [(k, v) for k, v in response.headers.items() if k.lower() in {"content-type", "retry-after"}]
        start_response(f"{response.status_code} {response.reason_phrase}", keep)
        return [response.content]


@pytest.fixture(scope="session")
def fault_proxy(stack) -> Iterator[FaultProxy]:
    proxy = FaultProxy(stack.reservations.url)
    with wsgi_server(proxy) as url:
        proxy.url = url
        yield proxy


@pytest.fixture(scope="session")
def aux_gateway(stack, fault_proxy, tmp_path_factory) -> Iterator[LiveService]:
    """A second gateway process: reservations behind the fault proxy (the strangler edge is tested in
    tests/gateway/test_strangler_*.py)."""
    service = LiveService(
        settings_module="settings.gateway",
        port=free_port(),
        env={
            **stack.env,
            "FLIGHTS_URL": stack.flights.url,
            "RESERVATIONS_URL": fault_proxy.url,
        },
        workers=1,
        threads=8,
        log_path=stack.var_dir / "logs" / "aux-gateway.log",
    )
    with running(service) as gateway:
        yield gateway
