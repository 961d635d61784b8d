"""The gateway's admin, as an operator uses it: a seeded staff user, manage.py that says what to set,
seat holders per flight (read through the clients), idempotency keys and seat-move sagas read-only."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import override_settings

from tests.gateway.conftest import GATEWAY_DBS
from tests.support.live import ROOT, base_env

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)


def test_seeding_in_debug_creates_a_staff_user_beside_the_demo_customers():
    with override_settings(DEBUG=True):
        call_command("seed_demo_customers", stdout=None)
        call_command("seed_demo_customers", stdout=None)  # idempotent

    staff = authenticate(username="staff", password="skyway-demo")
    assert staff is not None
    assert staff.is_staff
    assert staff.is_superuser
    assert authenticate(username="alice", password="skyway-demo").is_staff is False


@pytest.mark.live  # a manage.py subprocess
def test_manage_py_outside_debug_says_exactly_what_to_set_without_a_traceback():
    env = {k: v for k, v in base_env().items() if k not in {"SECRET_KEY", "SERVICE_TOKENS"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert "DEBUG=1" in result.stderr


@pytest.fixture
def staff_browser(client):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("ops", "ops@example.com", "ops-password-1")
    client.force_login(staff)
    return client


def test_seat_holders_lists_flights_and_shows_who_holds_which_seat(staff_browser, alice, book_flight):
    assert (
        alice.post(f"/api/flights/{book_flight['flight_id']}/reservations", {"seat": "12C"}).status_code
        == 201
    )

    listing = staff_browser.get(
        "/admin/gateway/seatholders/", {"date": book_flight["departure"][:10], "flight_no": "AA2532"}
    )
    assert listing.status_code == 200
    assert f"/admin/gateway/seatholders/{book_flight['flight_id']}/" in listing.content.decode()

    page = staff_browser.get(f"/admin/gateway/seatholders/{book_flight['flight_id']}/").content.decode()
    assert '<tr data-seat="12C"><td>12C</td><td>alice</td>' in page
    assert re.search(r'class="seat[^"]* held" data-seat="12C" title="12C: alice"', page)  # in the picture too
    assert page.count('class="seat') > 150  # the whole aircraft is drawn


def test_seat_holders_as_of_an_instant_show_who_held_which_seat_then(staff_browser, alice, book_flight):
    from datetime import UTC, datetime

    from django_redis import get_redis_connection

    from reservations import store

    flight_id = book_flight["flight_id"]
    assert alice.post(f"/api/flights/{flight_id}/reservations", {"seat": "12C"}).status_code == 201
    events = store._conn().events_key(store.partition_of(flight_id))
    ((reserved, _),) = get_redis_connection("reservations").xrevrange(events, count=1)
    assert alice.delete(f"/api/flights/{flight_id}/reservations/12C").status_code == 204
    ms = int(reserved.decode().split("-")[0])
    then = datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    page = staff_browser.get(f"/admin/gateway/seatholders/{flight_id}/", {"at": then}).content.decode()
    assert '<tr data-seat="12C"><td>12C</td><td>alice</td>' in page
    assert f"1 seat held at {then}" in page
    now = staff_browser.get(f"/admin/gateway/seatholders/{flight_id}/").content.decode()
    assert 'data-seat="12C"><td>' not in now


def test_seat_holders_as_of_a_malformed_instant_say_what_to_send(staff_browser, book_flight):
    response = staff_browser.get(
        f"/admin/gateway/seatholders/{book_flight['flight_id']}/", {"at": "yesterday"}
    )
    assert response.status_code == 400
    assert "at: must be an RFC 3339 date-time with its offset" in response.content.decode()


def test_seat_holders_of_an_unknown_flight_is_a_404_page(staff_browser, seeded):
    response = staff_browser.get("/admin/gateway/seatholders/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "No flight with id" in response.content.decode()


def test_seat_holders_needs_staff(client, alice, seeded):
    assert client.get("/admin/gateway/seatholders/").status_code == 302  # to the admin's login


@pytest.mark.parametrize("model", ["idempotencykey", "seatmove"])
def test_idempotency_keys_and_seat_moves_are_listed_read_only(staff_browser, alice, book_flight, model):
    alice.post(
        f"/api/flights/{book_flight['flight_id']}/reservations", {"seat": "14A"}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    alice.post(
        "/api/reservations/move",
        {
            "from_flight_id": book_flight["flight_id"],
            "from_seat": "14A",
            "to_flight_id": book_flight["flight_id"],
            "to_seat": "14B",
        },
        format="json",
    )

    listing = staff_browser.get(f"/admin/gateway/{model}/")
    assert listing.status_code == 200
    assert alice.customer_id in listing.content.decode()
    assert staff_browser.get(f"/admin/gateway/{model}/add/").status_code == 403
