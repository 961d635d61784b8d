"""Internal services refuse calls without the service credential once one is configured (ADR 0051)."""

from __future__ import annotations

import httpx
import pytest
from django.test import Client, override_settings

from skyway.service_auth import HEADER, path_is_protected
from tests.security.conftest import DATABASES
from tests.support.live import base_env, start_service

TOKEN = "s3rvice-t0ken-for-tests"
PREFIXES = ["/flights", "/reservations"]


@pytest.mark.parametrize(
    ("path", "protected"),
    [
        ("/flights", True),
        ("/flights/AA2532/seat_map", True),
        ("/reservations", True),
        ("/reservations/events", True),
        ("/flightsx", False),
        ("/api/flights", False),
        ("/api/reservations", False),
        ("/ping", False),
        ("/health", False),
        ("/schema", False),
        ("/metrics", False),
    ],
)
def test_only_internal_context_paths_are_protected(path: str, protected: bool) -> None:
    assert path_is_protected(path, PREFIXES) is protected


@pytest.fixture
def protected_client(redis_client):
    """The platform (every context in one process) with a service token configured."""
    with override_settings(SERVICE_TOKEN=TOKEN, SERVICE_PROTECTED_PREFIXES=PREFIXES):
        yield Client()  # a new client builds its middleware chain under the override


@pytest.mark.django_db(databases=DATABASES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/reservations?flight_id=F1"),
        ("put", "/reservations"),
        ("delete", "/reservations/F1/1A?customer_id=c1"),
        ("get", "/reservations/events"),
        ("get", "/flights?flight_no=AA2532"),
        ("get", "/flights/AA2532/seat_map"),
    ],
)
def test_internal_paths_without_the_token_get_401_with_a_message(protected_client, method, path) -> None:
    for headers in ({}, {HEADER: "wrong"}, {HEADER: TOKEN[:-1]}, {HEADER: TOKEN + "x"}):
        response = getattr(protected_client, method)(path, headers=headers)
        assert response.status_code == 401, (headers, response.content)
        assert response.json()["error"] == "Unauthorized"
        assert HEADER in response.json()["description"]


@pytest.mark.django_db(databases=DATABASES)
def test_internal_paths_with_the_token_are_served(protected_client) -> None:
    response = protected_client.get("/reservations?flight_id=F1", headers={HEADER: TOKEN})
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.django_db(databases=DATABASES)
@pytest.mark.parametrize("path", ["/ping", "/health", "/schema", "/metrics"])
def test_ops_paths_stay_open(protected_client, path: str) -> None:
    assert protected_client.get(path).status_code == 200


@pytest.mark.django_db(databases=DATABASES)
def test_without_a_configured_token_nothing_is_required(redis_client) -> None:
    with override_settings(SERVICE_TOKEN=None):
        assert Client().get("/reservations?flight_id=F1").status_code == 200


@pytest.mark.e2e
def test_the_reservations_service_under_gunicorn_enforces_the_token(tmp_path) -> None:
    service = start_service(
        "settings.reservations", env=base_env(SERVICE_TOKEN=TOKEN), workers=1, log_dir=tmp_path
    )
    try:
        body = {"flight_id": "sec-1", "customer_id": "c1", "seat_num": "1A"}
        refused = httpx.put(f"{service.url}/reservations", json=body, timeout=10)
        assert refused.status_code == 401
        assert refused.json()["error"] == "Unauthorized"
        listed = httpx.get(f"{service.url}/reservations", params={"flight_id": "sec-1"}, timeout=10)
        assert listed.status_code == 401
        served = httpx.put(f"{service.url}/reservations", json=body, headers={HEADER: TOKEN}, timeout=10)
        assert served.status_code == 200
        assert httpx.get(f"{service.url}/health", timeout=10).status_code == 200
    finally:
        service.kill()


@pytest.mark.django_db(databases=DATABASES)
def test_the_gateway_passes_the_token_to_its_upstreams(alice, flight_id, monkeypatch) -> None:
    """Platform mode: the gateway's in-process client must present the credential like the HTTP one."""
    from gateway.clients import base

    with override_settings(SERVICE_TOKEN=TOKEN, SERVICE_PROTECTED_PREFIXES=PREFIXES):
        # The in-process app keeps the middleware chain it was built with; build it under the token.
        monkeypatch.setattr(base, "_in_process_app", None)
        chart = alice.get(f"/api/flights/{flight_id}/seats")
        assert chart.status_code == 200, chart.content
        reserved = alice.post(f"/api/flights/{flight_id}/reservations", {"seat": "20A"}, format="json")
        assert reserved.status_code == 201, reserved.content


@pytest.mark.e2e
def test_split_deployment_with_a_service_token_works_through_the_gateway_only(tmp_path) -> None:
    """All three deployables under gunicorn with one SERVICE_TOKEN: customers are served through the
    gateway, while a direct call to an internal service without the token is refused."""
    from tests.faults.deployment import Split, private_env, seed, split_on
    from tests.support.load import PrivateRedis

    seeded = seed(tmp_path / "seed", days=1, customers=1)
    split_on(seeded, tmp_path)
    redis_server = PrivateRedis(tmp_path / "redis", appendfsync="everysec").start()
    split = Split(
        root=tmp_path,
        redis=redis_server,
        env=private_env(tmp_path / "var", REDIS_URL=redis_server.url, SERVICE_TOKEN=TOKEN),
        flight_ids=seeded.flight_ids,
        customers=seeded.customers,
    )
    try:
        split.flights = split.start("settings.flights", workers=1)
        split.reservations = split.start("settings.reservations", workers=1)
        gateway = split.start_gateway()
        flight = seeded.flight_ids[0]
        auth = {"Authorization": f"Token {seeded.customers[0].token}"}
        chart = httpx.get(f"{gateway.url}/api/flights/{flight}/seats", headers=auth, timeout=15)
        assert chart.status_code == 200, chart.text[:300]
        reserved = httpx.post(
            f"{gateway.url}/api/flights/{flight}/reservations", json={"seat": "20A"}, headers=auth, timeout=15
        )
        assert reserved.status_code == 201, reserved.text[:300]
        for url in (
            f"{split.flights.url}/flights/{flight}/seat_map",
            f"{split.reservations.url}/reservations?flight_id={flight}",
            f"{split.reservations.url}/reservations?customer_id={seeded.customers[0].customer_id}",
        ):
            refused = httpx.get(url, timeout=15)
            assert refused.status_code == 401, url
            assert httpx.get(url, headers={HEADER: TOKEN}, timeout=15).status_code == 200, url
    finally:
        for service in reversed(split.services):
            service.kill()
        redis_server.shutdown()
