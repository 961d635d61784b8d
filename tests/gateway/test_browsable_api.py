"""The browsable API stands on its own: a root listing every endpoint, DRF's login, real form fields."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.gateway.conftest import GATEWAY_DBS
from tests.support.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)
HTML = {"HTTP_ACCEPT": "text/html"}


def test_api_root_lists_every_gateway_endpoint_with_absolute_links(client):
    response = client.get("/api/")

    assert response.status_code == 200
    body = response.json()
    urls = {name: item["url"] for name, item in body["endpoints"].items()}
    assert urls["flights"] == "http://testserver/api/flights"
    assert urls["reserve"] == "http://testserver/api/flights/{flight_id}/reservations"
    assert urls["cancel"] == "http://testserver/api/flights/{flight_id}/reservations/{seat}"
    assert {"auth_token", "auth_session", "seat_chart", "my_reservations", "move"} <= set(urls)
    assert body["docs"]["schema"] == "http://testserver/schema"


def test_browsable_api_links_to_a_login_page_that_logs_in():
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/api/", **HTML).content.decode()
    assert "href='/api/auth/login/?next=/api/'>Log in" in page
    assert '<a href="http://testserver/api/flights" rel="nofollow">' in page
    assert "<h1>Skyway API</h1>" in page

    form = browser.get("/api/auth/login/?next=/api/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    CustomerFactory(username="carol", password=PASSWORD)
    done = browser.post(
        "/api/auth/login/?next=/api/",
        {"username": "carol", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/api/"},
    )

    assert done.status_code == 302
    assert done["Location"] == "/api/"
    assert browser.get("/api/auth/session").json()["username"] == "carol"
    assert "Log out" in browser.get("/api/", **HTML).content.decode()


def test_browsable_login_is_throttled_like_the_admins(settings):
    browser = Client()
    CustomerFactory(username="dave", password=PASSWORD)
    statuses = [
        browser.post("/api/auth/login/", {"username": "dave", "password": "wrong"}).status_code
        for _ in range(settings.LOGIN_ACCOUNT_FAILURES + 1)
    ]
    assert statuses[-1] == 429


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/flights/{flight_id}/reservations", ["seat"]),
        ("/api/reservations/move", ["from_flight_id", "from_seat", "to_flight_id", "to_seat"]),
    ],
)
def test_browsable_forms_have_real_fields(book_flight, path, fields):
    browser = Client()
    browser.force_login(CustomerFactory(username="erin", password=PASSWORD))
    page = browser.get(path.format(flight_id=book_flight["flight_id"]), **HTML).content.decode()

    for field in fields:
        assert re.search(rf'<input name="{field}"[^>]*type="text"', page), field


def test_the_reserve_form_reserves_a_seat(book_flight, redis_client):
    browser = Client()
    user = CustomerFactory(username="frank", password=PASSWORD)
    browser.force_login(user)
    path = f"/api/flights/{book_flight['flight_id']}/reservations"

    response = browser.post(path, {"seat": "14C"}, **HTML)

    assert response.status_code == 201
    mine = browser.get("/api/reservations").json()
    assert [(r["flight_id"], r["seat"]) for r in mine] == [(book_flight["flight_id"], "14C")]
