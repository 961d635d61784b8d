"""The gateway never forwards itself (the strangler edge does), the seat-chart page and the upstream health checks."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from gateway import clients
from tests.gateway.conftest import GATEWAY_DBS

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)


def test_the_gateway_never_forwards_unknown_paths_itself(db):
    """The strangler edge does (ADR 155): a path the gateway does not own is its 404, legacy set or not."""
    with override_settings(LEGACY_UPSTREAM_URL="http://127.0.0.1:9"):
        forwarded_nowhere = Client().get("/old/booking/42")

    assert forwarded_nowhere.status_code == 404
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
