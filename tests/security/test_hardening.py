"""Every deployable as deployed (skyway.serve, DEBUG unset): no debug pages, secrets required, bodies bounded,
credential checks throttled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from skyway import embedded_redis
from tests.faults.deployment import private_env
from tests.support.live import SERVICE_HEADERS, LiveService, run_manage, start_service

pytestmark = pytest.mark.e2e

LIMIT = 16 * 1024  # MAX_REQUEST_BYTES of these processes
TOO_BIG = "x" * (LIMIT * 4)
DEPLOYABLES = ("flights", "reservations", "gateway")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveService]]:
    """The three deployables through the launcher with production-like settings (DEBUG unset)."""
    root = tmp_path_factory.mktemp("hardening")
    env = private_env(root / "var", MAX_REQUEST_BYTES=str(LIMIT))
    run_manage("settings.gateway", "migrate_contexts", env=env)
    run_manage("settings.flights", "migrate_contexts", env=env)
    services: dict[str, LiveService] = {}
    try:
        for name in DEPLOYABLES:
            services[name] = start_service(f"settings.{name}", env=env, workers=1, log_dir=root)
        yield services
    finally:
        for service in services.values():
            service.kill()
        embedded_redis.stop(root / "var" / "redis")


def as_caller(name: str) -> dict[str, str]:
    """Headers of the caller each deployable expects: customers reach the gateway, the gateway the rest."""
    return {} if name == "gateway" else SERVICE_HEADERS


def message_of(response: httpx.Response) -> str:
    body = response.json()
    return body.get("description") or body.get("detail") or ""


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_unknown_paths_get_a_plain_404_not_a_debug_page(deployed, name: str) -> None:
    response = httpx.get(f"{deployed[name].url}/no/such/path", headers=as_caller(name), timeout=10)
    assert response.status_code == 404
    assert "Django tried these URL patterns" not in response.text
    assert "DEBUG = True" not in response.text


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_a_deployable_without_secret_key_refuses_to_start(tmp_path: Path, name: str) -> None:
    env = private_env(tmp_path / "var")
    env.pop("SECRET_KEY", None)
    service = LiveService(f"settings.{name}", port=0, env=env, workers=1, log_path=tmp_path / "boot.log")
    with pytest.raises(RuntimeError, match="exited"):
        service.start(timeout=20)
    assert "SECRET_KEY must be set" in (tmp_path / "boot.log").read_text()


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [
        ("reservations", "PUT", "/reservations"),
        ("gateway", "POST", "/api/auth/token"),
    ],
)
def test_request_bodies_above_the_limit_are_refused_with_a_message(deployed, name, method, path) -> None:
    response = httpx.request(
        method,
        f"{deployed[name].url}{path}",
        json={"flight_id": TOO_BIG, "username": TOO_BIG},
        headers=as_caller(name),
        timeout=10,
    )
    assert response.status_code == 413, response.text[:300]
    assert "large" in message_of(response).lower()  # "too large" / "larger than the limit of N bytes"


def test_an_oversized_form_on_the_flights_admin_is_refused_not_a_500(deployed) -> None:
    response = httpx.post(
        f"{deployed['flights'].url}/admin/login/",
        data={"username": TOO_BIG, "password": "x"},
        headers=SERVICE_HEADERS,
        timeout=10,
    )
    assert 400 <= response.status_code < 500, response.status_code


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_a_flights_write_with_a_huge_body_is_a_clear_4xx(deployed, name: str) -> None:
    """Flights has no write API: a big body to its collection gets 405 (gateway: 401/405), never 500."""
    path = (
        "/api/flights" if name == "gateway" else "/flights" if name == "flights" else "/reservations/events"
    )
    response = httpx.post(
        f"{deployed[name].url}{path}", content=TOO_BIG.encode(), headers=as_caller(name), timeout=10
    )
    assert 400 <= response.status_code < 500, response.status_code


@pytest.mark.parametrize(
    ("name", "path"),
    [("flights", "/flights"), ("reservations", "/reservations"), ("gateway", "/api/flights")],
)
def test_a_query_string_with_1001_fields_is_a_400_with_a_message(deployed, name: str, path: str) -> None:
    """As deployed (skyway.serve, DEBUG off); tests/security/test_request_guards.py covers every guard."""
    query = "&".join(["a"] * 1001)  # well inside the server's 16 KiB request head
    response = httpx.get(f"{deployed[name].url}{path}?{query}", headers=as_caller(name), timeout=10)
    assert response.status_code == 400, response.text[:300]
    assert "too many fields" in message_of(response).lower(), response.text[:300]


def test_a_chunked_body_without_length_is_not_a_500(deployed) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b"x" * LIMIT

    response = httpx.put(
        f"{deployed['reservations'].url}/reservations",
        content=chunks(),
        headers={"Content-Type": "application/json", **SERVICE_HEADERS},
        timeout=10,
    )
    assert 400 <= response.status_code < 500, response.text[:300]
    assert message_of(response)


@pytest.mark.parametrize("path", ["/api/auth/token", "/api/auth/session"])
def test_credential_checks_are_throttled(deployed, path: str) -> None:
    """10/min per client per worker (process-local counters): the 11th guess from one worker is refused."""
    statuses = []
    with httpx.Client(base_url=deployed["gateway"].url, timeout=10) as client:
        for attempt in range(15):
            response = client.post(path, json={"username": "alice", "password": f"guess-{attempt}"})
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
    assert statuses[-1] == 429, statuses
    assert set(statuses[:-1]) <= {400, 401, 403}, statuses
    assert response.headers.get("Retry-After"), response.headers
    assert message_of(response), response.text
