"""Each 4xx of the gateway is logged once, by its access line, and every line of a request carries its id."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from tests.gateway.conftest import GATEWAY_DBS
from tests.support.customers import customer_client
from tests.support.logs import access_lines


@pytest.mark.django_db(databases=GATEWAY_DBS)
@pytest.mark.parametrize(
    ("case", "status"),
    [("unknown seat", 404), ("bad input", 400), ("seat taken", 409)],
)
def test_a_4xx_is_logged_once_and_every_line_of_the_request_carries_its_id(
    case, status, book_flight, log_lines
):
    flight_id = book_flight["flight_id"]
    path = f"/api/flights/{flight_id}/reservations"
    body = {"unknown seat": {"seat": "60A"}, "bad input": {}, "seat taken": {"seat": "14A"}}[case]
    if case == "seat taken":
        customer_client("bob").post(path, {"seat": "14A"}, format="json")
    alice: APIClient = customer_client("alice")
    request_id = f"req-{uuid.uuid4().hex}"
    response = alice.post(path, body, format="json", headers={"X-Request-ID": request_id})

    assert response.status_code == status
    written = log_lines()
    mine = [line for line in written if line.get("request_id") == request_id]
    gateway_lines = access_lines(mine, path)
    assert len(gateway_lines) == 1, mine
    assert gateway_lines[0]["status"] == status
    assert gateway_lines[0]["level"] == "warning"
    # Nothing else repeats the refusal (django.request's "Not Found:" / "Conflict:" warnings are gone).
    assert not [line for line in mine if line.get("logger", "").startswith("django")], mine
    # In platform mode the gateway's in-process upstream call is its own request, with the same id.
    started_after = written.index(next(line for line in written if line.get("request_id") == request_id))
    assert all(line.get("request_id") == request_id for line in written[started_after:]), written


@pytest.mark.django_db(databases=GATEWAY_DBS)
def test_a_handled_503_is_its_access_line_and_the_reason_once(book_flight, faults, log_lines):
    faults("reservations").fail("PUT", fault="connect")
    path = f"/api/flights/{book_flight['flight_id']}/reservations"
    request_id = f"req-{uuid.uuid4().hex}"

    response = customer_client("alice").post(
        path, {"seat": "14A"}, format="json", headers={"X-Request-ID": request_id}
    )

    assert response.status_code == 503
    mine = [line for line in log_lines() if line.get("request_id") == request_id]
    assert [line["status"] for line in access_lines(mine, path)] == [503]
    assert not [line for line in mine if line["logger"] == "django.request"], mine
