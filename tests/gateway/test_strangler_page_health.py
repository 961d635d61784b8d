"""Strangler forwarding, the seat-chart page and the gateway's upstream health checks."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from gateway import clients
from tests.gateway.conftest import GATEWAY_DBS
from tests.gateway.wsgi_servers import legacy_echo_app, wsgi_server

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)


def _echo(response) -> dict:
    """The legacy echo app's JSON, read from the forward's streamed body."""
    return json.loads(b"".join(response.streaming_content))


@pytest.fixture
def legacy():
    with (
        wsgi_server(legacy_echo_app) as url,
        override_settings(LEGACY_UPSTREAM_URL=url, ROOT_URLCONF="tests.gateway.legacy_urls"),
    ):
        yield url


def test_unowned_get_is_forwarded_with_query_and_headers(legacy):
    response = Client().get(
        "/old/booking/42?lang=en&x=1", headers={"X-Custom": "kept", "Connection": "close"}
    )

    assert response.status_code == 200
    echo = _echo(response)
    assert (echo["method"], echo["path"], echo["query"]) == ("GET", "/old/booking/42", "lang=en&x=1")
    assert echo["headers"]["X-Custom"] == "kept"
    assert echo["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert echo["headers"]["X-Request-Id"] == response["X-Request-ID"]  # one id across both systems
    assert response["X-Legacy"] == "yes"
    assert "Connection" not in response  # hop-by-hop headers stop at the gateway
    assert ("Set-Cookie", "legacy_session=abc; Path=/") in response.items()  # the line, not re-serialised


def test_unowned_post_is_forwarded_with_its_body(legacy):
    response = Client().post("/old/checkin", data='{"pnr": "XYZ123"}', content_type="application/json")

    assert response.status_code == 201
    echo = _echo(response)
    assert (echo["method"], echo["body"]) == ("POST", '{"pnr": "XYZ123"}')
    assert echo["headers"]["Content-Type"] == "application/json"


def test_owned_paths_are_not_forwarded(legacy, alice):
    assert alice.get("/api/reservations").status_code == 200
    assert Client().get("/ping").json()["serviceId"] == "platform"


def test_legacy_down_is_a_503_problem(db):
    with override_settings(
        LEGACY_UPSTREAM_URL="http://127.0.0.1:9", ROOT_URLCONF="tests.gateway.legacy_urls"
    ):
        response = Client().get("/old/anything")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"]


def test_without_a_legacy_upstream_unknown_paths_are_404(db):
    assert Client().get("/old/booking/42").status_code == 404


def test_seat_chart_page_renders_login_for_anonymous_and_the_picker_for_customers(alice):
    anonymous = Client().get("/")
    Client().logout()
    customer = Client()
    customer.force_login(_user("alice"))
    logged_in = customer.get("/")

    assert anonymous.status_code == 200
    assert b'id="login-form"' in anonymous.content
    assert "csrftoken" in anonymous.cookies
    assert b"gateway/seat_chart.js" in anonymous.content
    assert b'data-username="alice"' in logged_in.content


def _user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_static_assets_of_the_page_are_served(db):
    for asset in ("/static/gateway/seat_chart.js", "/static/gateway/seat_chart.css"):
        response = Client().get(asset)
        assert response.status_code == 200, asset
        assert b"".join(response.streaming_content)


def test_health_reports_each_upstream_and_warns_when_a_breaker_is_open(seeded):
    healthy = Client().get("/health").json()
    client = clients.reservations()
    breaker = client.breaker_for(client.default_target)
    for _ in range(client.breaker_fail_max):
        breaker.record_failure(RuntimeError("down"))
    degraded = Client().get("/health")

    assert healthy["checks"]["reservations:default:responseTime"][0]["status"] == "pass"
    assert healthy["checks"]["flights:default:responseTime"][0]["breaker"] == "closed"
    check = degraded.json()["checks"]["reservations:default:responseTime"][0]
    assert (check["breaker"], check["status"]) == ("open", "warn")
    assert degraded.status_code == 200  # degraded, still ready
