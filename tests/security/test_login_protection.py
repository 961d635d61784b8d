"""Login protection (docs/adr/0065): one budget per client address across workers whatever X-Forwarded-For
says, a per-account lock with backoff, and the Django admin's login braked like the API's."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from skyway import embedded_redis, login_throttle
from tests.faults.deployment import private_env
from tests.support.customers import customer_client
from tests.support.internal import service_headers
from tests.support.live import LiveService, run_manage, start_service

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast

RATE = 10


def guess(client: httpx.Client, path: str, attempt: int, **headers: str) -> httpx.Response:
    return client.post(path, json={"username": f"nobody-{attempt}", "password": "guess"}, headers=headers)


@pytest.fixture(scope="module")
def two_worker_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """The gateway deployable under gunicorn with two workers, DEBUG unset, no trusted proxy."""
    root = tmp_path_factory.mktemp("login")
    env = private_env(root / "var", GATEWAY_AUTH_THROTTLE_RATE=f"{RATE}/min")
    run_manage("settings.gateway", "migrate_contexts", env=env)
    service = start_service("settings.gateway", env=env, workers=2, log_dir=root)
    try:
        yield service
    finally:
        service.kill()
        embedded_redis.stop(root / "var" / "redis")


@pytest.mark.e2e
def test_rotating_x_forwarded_for_across_two_workers_gets_one_budget(two_worker_gateway) -> None:
    """40 guesses, a fresh connection and a fresh X-Forwarded-For each: exactly RATE get through."""
    statuses = []
    for attempt in range(40):
        with httpx.Client(base_url=two_worker_gateway.url, timeout=10) as client:  # new connection each
            response = guess(
                client, "/api/auth/token", attempt, **{"X-Forwarded-For": f"198.51.100.{attempt}"}
            )
        statuses.append(response.status_code)

    assert statuses[:RATE] == [400] * RATE, statuses
    assert statuses[RATE:] == [429] * (40 - RATE), statuses
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["gateway", "flights"])
def test_the_admin_login_is_throttled_per_address(tmp_path, name: str) -> None:
    env = private_env(tmp_path / "var", GATEWAY_AUTH_THROTTLE_RATE="3/min")
    run_manage(f"settings.{name}", "migrate_contexts", env=env)
    service = start_service(f"settings.{name}", env=env, workers=2, log_dir=tmp_path)
    try:
        statuses = []
        for attempt in range(6):
            # flights answers nobody but the gateway's credential (ADR 53), its admin included
            headers = service_headers() if name == "flights" else {}
            with httpx.Client(base_url=service.url, timeout=10, headers=headers) as client:
                page = client.get("/admin/login/")
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
                response = client.post(
                    "/admin/login/",
                    data={"csrfmiddlewaretoken": token, "username": f"nobody-{attempt}", "password": "x"},
                    headers={"X-Forwarded-For": f"203.0.113.{attempt}"},
                )
            statuses.append(response.status_code)
    finally:
        service.kill()
        embedded_redis.stop(tmp_path / "var" / "redis")

    assert statuses == [200, 200, 200, 429, 429, 429], statuses  # 200: the form again, "enter a correct…"
    assert int(response.headers["Retry-After"]) >= 1
    assert "Too many login attempts" in response.text


@pytest.fixture
def locks_after_three(db):
    """Three failures lock an account for 1 s, doubling per further failure; a wide address budget."""
    with override_settings(
        LOGIN_ACCOUNT_FAILURES=3,
        LOGIN_ACCOUNT_LOCK_SECONDS=1,
        LOGIN_ACCOUNT_MAX_LOCK_SECONDS=60,
        GATEWAY_AUTH_THROTTLE_RATE="1000/min",
    ):
        yield


def token_attempt(username: str, password: str, address: str) -> object:
    return APIClient(REMOTE_ADDR=address).post(
        "/api/auth/token", {"username": username, "password": password}, format="json"
    )


def test_an_account_is_locked_after_repeated_failures_from_any_address(locks_after_three) -> None:
    customer_client("alice", password="alice-password")
    customer_client("bob", password="bob-password")

    failures = [token_attempt("alice", "wrong", f"192.0.2.{n}").status_code for n in range(3)]
    right_password = token_attempt("alice", "alice-password", "192.0.2.99")
    bob = token_attempt("bob", "bob-password", "192.0.2.1")  # an address that failed on alice

    assert failures == [400, 400, 400]
    assert right_password.status_code == 429
    assert right_password["Content-Type"] == "application/problem+json"
    assert "this account" in right_password.json()["detail"]
    assert int(right_password["Retry-After"]) >= 1
    assert bob.status_code == 200  # others' failures on other accounts never block a login


def wait_until_unlocked(username: str) -> None:
    for _ in range(100):
        if login_throttle.account_refusal(username) is None:
            return
        time.sleep(0.05)  # polling a condition (the lock's expiry in Redis), bounded at 5 s
    pytest.fail(f"{username} still locked")


def test_each_failure_after_a_lock_doubles_the_next_lock(locks_after_three) -> None:
    username = f"carol-{uuid.uuid4().hex[:6]}"
    customer_client(username, password="carol-password")
    for n in range(3):
        token_attempt(username, "wrong", f"192.0.2.{n}")
    first = login_throttle.account_refusal(username)
    wait_until_unlocked(username)
    token_attempt(username, "wrong", "192.0.2.50")  # one more failure once the lock ended
    second = login_throttle.account_refusal(username)

    assert [refusal.retry_after if refusal else None for refusal in (first, second)] == [1, 2]
    assert [login_throttle.lock_seconds(n) for n in range(2, 10)] == [0, 1, 2, 4, 8, 16, 32, 60]


def test_a_success_clears_the_account_count(locks_after_three) -> None:
    customer_client("dave", password="dave-password")
    attempts = [
        token_attempt("dave", "wrong", "192.0.2.1").status_code,
        token_attempt("dave", "wrong", "192.0.2.1").status_code,
        token_attempt("dave", "dave-password", "192.0.2.1").status_code,
        token_attempt("dave", "wrong", "192.0.2.1").status_code,
        token_attempt("dave", "wrong", "192.0.2.1").status_code,
        token_attempt("dave", "dave-password", "192.0.2.1").status_code,
    ]

    assert attempts == [400, 400, 200, 400, 400, 200]


def test_the_admin_login_locks_an_account_too(locks_after_three, client) -> None:
    statuses = [
        client.post(
            "/admin/login/", {"username": "root", "password": "x"}, REMOTE_ADDR=f"192.0.2.{n}"
        ).status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.2"),  # no trusted proxy: the header is never read
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a spoofed left part is ignored
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(trusted, forwarded, expected) -> None:
    request = RequestFactory().post("/api/auth/token", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=trusted):
        assert login_throttle.client_address(request) == expected


def test_logins_still_work_when_the_throttle_store_is_down(db, settings) -> None:
    customer_client("erin", password="erin-password")
    login = settings.CACHES["login"]
    dead = {
        **login,
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {**login["OPTIONS"], "SOCKET_CONNECT_TIMEOUT": 0.2},
    }
    with override_settings(CACHES={**settings.CACHES, "login": dead}, LOGIN_EMBEDDED_REDIS_DIR=None):
        wrong = token_attempt("erin", "wrong", "192.0.2.7")
        right = token_attempt("erin", "erin-password", "192.0.2.7")

    assert wrong.status_code == 400
    assert right.status_code == 200
