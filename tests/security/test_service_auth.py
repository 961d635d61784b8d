"""The trust boundary of the internal services (ADR 0053): nobody but a holder of the service credential
reaches flights, reservations or /metrics; rotation has overlap; a refused gateway says so."""

from __future__ import annotations

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from skyway.service_auth import HEADER, ServiceTokenMiddleware, token_accepted
from tests.security.conftest import DATABASES
from tests.support.live import base_env, start_service

TOKEN = "s3rvice-t0ken-for-tests-0123456789abcdef"
NEW_TOKEN = "n3w-service-t0ken-for-tests-0123456789abcdef"

# The finding's attacks on the one-process platform: each was a 200 for any stranger.
ATTACKS = [
    ("delete", "/reservations/F1/1A?customer_id=1"),  # release alice's seat
    ("put", "/reservations"),  # book in her name
    ("get", "/reservations?customer_id=1"),  # list anyone's seats
    ("get", "/reservations?flight_id=F1"),
    ("get", "/reservations/events"),  # everyone's history
    ("get", "/reservations/history?flight_id=F1&at=2026-01-01T00:00:00Z"),  # who sat where, when
    ("post", "/reservations/holds"),  # hold seats in her name (docs/adr/0142)
    ("get", "/reservations/holds?flight_id=F1"),
    ("get", f"/reservations/holds/F1.{'0' * 24}?customer_id=1"),
    ("delete", f"/reservations/holds/F1.{'0' * 24}?customer_id=1"),
    ("post", f"/reservations/holds/F1.{'0' * 24}/confirm"),
    ("get", "/flights?flight_no=AA2532"),
    ("get", "/flights/AA2532/seat_map"),
    ("get", "/metrics"),
]


@pytest.mark.django_db(databases=DATABASES)
@pytest.mark.parametrize(("method", "path"), ATTACKS)
def test_internal_paths_without_a_valid_credential_get_401_with_a_message(redis_client, method, path) -> None:
    for headers in (
        {},
        {HEADER: "wrong"},
        {HEADER: TOKEN[:-1]},
        {HEADER: TOKEN + "x"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ):
        with override_settings(SERVICE_TOKENS=[TOKEN]):
            response = getattr(Client(), method)(path, headers=headers)
        assert response.status_code == 401, (headers, response.content)
        assert response.json()["error"] == "Unauthorized"
        assert HEADER in response.json()["description"]
        assert response.headers["WWW-Authenticate"] == HEADER


@pytest.mark.django_db(databases=DATABASES)
def test_every_listed_credential_is_accepted_during_a_rotation(redis_client) -> None:
    with override_settings(SERVICE_TOKENS=[NEW_TOKEN, TOKEN]):
        client = Client()
        for headers in ({HEADER: NEW_TOKEN}, {HEADER: TOKEN}, {"Authorization": f"Bearer {TOKEN}"}):
            response = client.get("/reservations?flight_id=F1", headers=headers)
            assert response.status_code == 200, headers
            assert response.json() == []
    with override_settings(SERVICE_TOKENS=[NEW_TOKEN]):  # the old one retired
        assert Client().get("/reservations?flight_id=F1", headers={HEADER: TOKEN}).status_code == 401


def test_a_credential_matches_only_exactly() -> None:
    tokens = (TOKEN.encode(), NEW_TOKEN.encode())
    assert token_accepted(TOKEN, tokens)
    assert token_accepted(NEW_TOKEN, tokens)
    for guess in ("", TOKEN[:-1], TOKEN + " ", TOKEN.upper(), f"{TOKEN},{NEW_TOKEN}"):
        assert not token_accepted(guess, tokens), guess


@pytest.mark.django_db(databases=DATABASES)
@pytest.mark.parametrize("path", ["/ping", "/health", "/schema", "/"])
def test_the_platforms_public_paths_need_no_credential(redis_client, path: str) -> None:
    assert Client().get(path).status_code == 200


@pytest.mark.django_db(databases=DATABASES)
def test_the_customer_api_is_not_fenced_by_the_service_credential(redis_client) -> None:
    response = Client().get("/api/reservations")  # the gateway's own auth answers, in its own envelope
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db(databases=DATABASES)
def test_in_debug_without_a_credential_the_books_curl_examples_work(redis_client) -> None:
    """`make run` (DEBUG, no SERVICE_TOKENS): the internal paths are open on the laptop, and only there."""
    with override_settings(DEBUG=True, SERVICE_TOKENS=[]):
        reserved = Client().put(
            "/reservations",
            '{"flight_id": "f8a3c1d2", "customer_id": "dd2e4d5b", "seat_num": "12C"}',
            content_type="application/json",
        )
        assert reserved.status_code == 200
        assert reserved.json() == {"status": "success"}
        assert Client().get("/reservations?flight_id=f8a3c1d2").status_code == 200


def test_outside_debug_the_fence_never_builds_open() -> None:
    with (
        override_settings(DEBUG=False, SERVICE_TOKENS=[]),
        pytest.raises(ImproperlyConfigured, match="SERVICE_TOKENS must be set"),
    ):
        ServiceTokenMiddleware(lambda request: None)


@pytest.mark.django_db(databases=DATABASES)
def test_the_gateway_passes_the_credential_to_its_upstreams(alice, flight_id, monkeypatch) -> None:
    """Platform mode: the gateway's in-process client presents the credential like the HTTP one."""
    from gateway.clients import base

    with override_settings(SERVICE_TOKENS=[TOKEN]):
        # The in-process app keeps the middleware chain it was built with; build it under the token.
        monkeypatch.setattr(base, "_in_process_app", None)
        chart = alice.get(f"/api/flights/{flight_id}/seats")
        assert chart.status_code == 200, chart.content
        assert chart.json()["degraded"] is False
        reserved = alice.post(f"/api/flights/{flight_id}/reservations", {"seat": "20A"}, format="json")
        assert reserved.status_code == 201, reserved.content


@pytest.mark.e2e
def test_the_reservations_service_as_deployed_fences_every_path_but_ping_and_health(tmp_path) -> None:
    service = start_service(
        "settings.reservations", env=base_env(SERVICE_TOKENS=TOKEN), workers=1, log_dir=tmp_path
    )
    try:
        body = {"flight_id": "sec-1", "customer_id": "c1", "seat_num": "1A"}
        for method, path in (
            ("PUT", "/reservations"),
            ("GET", "/reservations?customer_id=c1"),
            ("GET", "/reservations/events"),
            ("GET", "/metrics"),
            ("GET", "/schema"),
            ("GET", "/no/such/path"),
        ):
            refused = httpx.request(method, f"{service.url}{path}", json=body, timeout=10)
            assert refused.status_code == 401, (method, path, refused.text[:200])
            assert refused.json()["error"] == "Unauthorized"
        served = httpx.put(f"{service.url}/reservations", json=body, headers={HEADER: TOKEN}, timeout=10)
        assert served.status_code == 200
        scraped = httpx.get(
            f"{service.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert scraped.status_code == 200  # what Prometheus' scrape config can send
        assert httpx.get(f"{service.url}/ping", timeout=10).status_code == 200
        assert httpx.get(f"{service.url}/health", timeout=10).status_code == 200
        # A presented credential is always checked, even where none is needed: a rotated-out caller
        # learns it at its first /ping.
        assert (
            httpx.get(f"{service.url}/ping", headers={HEADER: "rotated-out"}, timeout=10).status_code == 401
        )
    finally:
        service.kill()


@pytest.mark.e2e
def test_a_script_name_header_cannot_move_a_request_out_of_the_fence(tmp_path) -> None:
    """The finding: gunicorn mapped a SCRIPT_NAME header from a trusted address (loopback) into the WSGI
    environ; the old middleware checked SCRIPT_NAME + PATH_INFO while the router dispatched PATH_INFO.
    Behind skyway.serve (ADR 60) SCRIPT_NAME comes only from the server, never from a header: the
    request stays /x/reservations, refused without the token and routed nowhere with it."""
    service = start_service(
        "settings.reservations", env=base_env(SERVICE_TOKENS=TOKEN), workers=1, log_dir=tmp_path
    )
    try:
        tricked = httpx.get(
            f"{service.url}/x/reservations",
            params={"customer_id": "1"},
            headers={"SCRIPT_NAME": "/x"},
            timeout=10,
        )
        assert tricked.status_code == 401, tricked.text[:200]
        with_token = httpx.get(
            f"{service.url}/x/reservations",
            params={"customer_id": "1"},
            headers={"SCRIPT_NAME": "/x", HEADER: TOKEN},
            timeout=10,
        )
        assert with_token.status_code == 404  # the header moved nothing: no route for /x/reservations
    finally:
        service.kill()


@pytest.mark.e2e
def test_a_rotation_with_overlap_then_a_refused_gateway_is_unready_and_says_503(tmp_path) -> None:
    """Services accept new,old → gateways sending either are served. Retire the old one: the gateway that
    still sends it reports itself unready (/health 503 naming reservations) and answers customers 503
    in its own words, never the internal service's."""
    from tests.faults.deployment import Split, private_env, seed, split_on
    from tests.support.load import PrivateRedis

    seeded = seed(tmp_path / "seed", customers=1)
    split_on(seeded, tmp_path)
    redis_server = PrivateRedis(tmp_path / "redis", appendfsync="everysec").start()
    split = Split(
        root=tmp_path,
        redis=redis_server,
        env=private_env(tmp_path / "var", REDIS_URL=redis_server.url, SERVICE_TOKENS=f"{NEW_TOKEN},{TOKEN}"),
        flight_ids=seeded.flight_ids,
        customers=seeded.customers,
    )
    try:
        split.flights = split.start("settings.flights", workers=1)
        split.reservations = split.start("settings.reservations", workers=1)
        old_gateway = split.start_gateway(SERVICE_TOKENS=TOKEN, BREAKER_FAIL_MAX="100")
        new_gateway = split.start_gateway(SERVICE_TOKENS=NEW_TOKEN, BREAKER_FAIL_MAX="100")
        flight = seeded.flight_ids[-1]
        auth = {"Authorization": f"Token {seeded.customers[0].token}"}

        def reserve(gateway, seat: str) -> httpx.Response:
            return httpx.post(
                f"{gateway.url}/api/flights/{flight}/reservations",
                json={"seat": seat},
                headers=auth,
                timeout=15,
            )

        assert reserve(old_gateway, "20A").status_code == 201
        assert reserve(new_gateway, "20B").status_code == 201
        assert httpx.get(f"{old_gateway.url}/health", timeout=15).status_code == 200

        split.reservations.env = {**split.reservations.env, "SERVICE_TOKENS": NEW_TOKEN}
        split.reservations.restart()

        refused = reserve(old_gateway, "20C")
        assert refused.status_code == 503, refused.text[:300]
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert int(refused.headers["Retry-After"]) >= 1
        assert HEADER not in refused.text  # the internal service's wording stays internal
        assert refused.json()["service"] == "reservations"
        health = httpx.get(f"{old_gateway.url}/health", timeout=15)
        assert health.status_code == 503, health.text[:500]
        failed = {
            name: items[0] for name, items in health.json()["checks"].items() if items[0]["status"] == "fail"
        }
        assert list(failed) == ["reservations:default:responseTime"], health.text[:500]
        assert "credential" in failed["reservations:default:responseTime"]["output"]

        assert reserve(new_gateway, "20D").status_code == 201
        assert httpx.get(f"{new_gateway.url}/health", timeout=15).status_code == 200
    finally:
        for service in reversed(split.services):
            service.kill()
        redis_server.shutdown()
