"""The HTTP contract the gateway relies on: every endpoint, every 4xx, and 503 when Redis is down."""

import json

import jsonschema
import pytest
from django.test import override_settings

from reservations import store
from tests.reservations.conftest import (
    flight_key,
    stream_events,
)

RESERVE = {"flight_id": "F1", "customer_id": "c1", "seat_num": "12C"}


def _envelope(response) -> dict:
    body = response.json()
    assert set(body) == {"error", "description"}, body
    assert response["Content-Type"] == "application/json"
    return body


def assert_refused_naming(response, field: str) -> None:
    """A 400 in the book's envelope whose description starts with the offending field."""
    assert response.status_code == 400
    assert _envelope(response)["description"].startswith(f"{field}: ")


def test_reserve_answers_success_and_stores_the_seat(api, redis):
    response = api.put_json("/reservations", RESERVE)

    assert response.status_code == 200
    assert response.json() == {"status": "success"}
    assert redis.hget(flight_key("F1"), "12C") == b"c1"


def test_reserve_normalizes_lowercase_seats(api, redis):
    assert api.put_json("/reservations", {**RESERVE, "seat_num": "12c"}).status_code == 200
    assert redis.hget(flight_key("F1"), "12C") == b"c1"


def test_double_booking_is_refused_with_the_books_message(api, redis):
    api.put_json("/reservations", RESERVE)

    response = api.put_json("/reservations", {**RESERVE, "customer_id": "c2"})

    assert response.status_code == 403
    assert _envelope(response) == {
        "error": "Conflict",
        "description": "Seat already reserved. Cannot double-book",
    }
    assert redis.hget(flight_key("F1"), "12C") == b"c1"


def test_re_reserving_your_own_seat_answers_success_once_more(api, redis):
    api.put_json("/reservations", RESERVE)

    response = api.put_json("/reservations", RESERVE)

    assert response.status_code == 200
    assert len(stream_events(redis)) == 1


def test_an_operation_token_makes_reserve_and_release_idempotent_for_that_operation(api, redis):
    reserved = api.put_json("/reservations", {**RESERVE, "operation": "move-1"})
    again = api.put_json("/reservations", {**RESERVE, "operation": "move-1"})
    other = api.put_json("/reservations", {**RESERVE, "operation": "move-2"})
    not_its_own = api.delete("/reservations/F1/12C?customer_id=c1&operation=move-2")
    released = api.delete("/reservations/F1/12C?customer_id=c1&operation=move-1")

    assert (reserved.content, again.content) == (b'{"status":"success"}', b'{"status":"success"}')
    assert other.status_code == not_its_own.status_code == 409
    assert _envelope(other)["error"] == "Conflict"
    assert released.status_code == 200
    assert [e["type"] for e in stream_events(redis)] == ["SeatReserved", "SeatReleased"]


@pytest.mark.parametrize("operation", ["", "has space", "x" * 81, 7])
def test_a_malformed_operation_token_is_a_400(api, redis, operation):
    response = api.put_json("/reservations", {**RESERVE, "operation": operation})

    assert response.status_code == 400
    assert _envelope(response)["description"].startswith("operation:")


def test_list_a_flights_seats_sorted_by_row_then_letter(api, redis):
    for seat, customer in [("10A", "c1"), ("2C", "c2"), ("2A", "c3")]:
        api.put_json("/reservations", {"flight_id": "F1", "customer_id": customer, "seat_num": seat})

    response = api.get("/reservations", {"flight_id": "F1"})

    assert response.status_code == 200
    assert response.json() == [
        {"seat_no": "2A", "customer_id": "c3"},
        {"seat_no": "2C", "customer_id": "c2"},
        {"seat_no": "10A", "customer_id": "c1"},
    ]
    assert api.get("/reservations", {"flight_id": "empty"}).json() == []


def test_list_a_customers_reservations(api, redis):
    api.put_json("/reservations", RESERVE)
    api.put_json("/reservations", {**RESERVE, "flight_id": "F0", "seat_num": "1A"})
    api.put_json("/reservations", {**RESERVE, "customer_id": "c2", "seat_num": "1A"})

    response = api.get("/reservations", {"customer_id": "c1"})

    assert response.status_code == 200
    assert response.json() == [
        {"flight_id": "F0", "seat_no": "1A", "customer_id": "c1"},
        {"flight_id": "F1", "seat_no": "12C", "customer_id": "c1"},
    ]


def test_cancel_by_the_holder_frees_the_seat(api, redis):
    api.put_json("/reservations", RESERVE)

    response = api.delete("/reservations/F1/12C?customer_id=c1")

    assert response.status_code == 200
    assert response.json() == {"status": "success"}
    assert api.get("/reservations", {"flight_id": "F1"}).json() == []
    assert [e["type"] for e in stream_events(redis)] == ["SeatReserved", "SeatReleased"]


def test_cancel_by_another_customer_is_forbidden(api, redis):
    api.put_json("/reservations", RESERVE)

    response = api.delete("/reservations/F1/12c?customer_id=c2")

    assert response.status_code == 403
    assert _envelope(response)["description"] == "Seat is reserved by another customer"
    assert redis.hget(flight_key("F1"), "12C") == b"c1"


def test_cancel_of_a_free_seat_is_not_found(api, redis):
    response = api.delete("/reservations/F1/12C?customer_id=c1")

    assert response.status_code == 404
    assert _envelope(response)["error"] == "Not Found"


def test_events_are_read_with_since_and_count(api, redis):
    api.put_json("/reservations", RESERVE)
    api.put_json("/reservations", {**RESERVE, "seat_num": "1A"})
    api.delete("/reservations/F1/12C?customer_id=c1")

    first = api.get("/reservations/events", {"flight_id": "F1", "count": 2}).json()
    rest = api.get("/reservations/events", {"flight_id": "F1", "since": first["next"]}).json()

    assert [(e["type"], e["data"]["seat_no"]) for e in first["events"] + rest["events"]] == [
        ("SeatReserved", "12C"),
        ("SeatReserved", "1A"),
        ("SeatReleased", "12C"),
    ]
    event = first["events"][0]
    assert set(event) == {"event_id", "type", "data", "at"}
    assert event["data"] == {"flight_id": "F1", "seat_no": "12C", "customer_id": "c1"}
    assert first["next"] == first["events"][-1]["event_id"]
    partition = store.partition_of("F1")
    assert (first["partition"], first["partitions"]) == (partition, store.partitions())
    empty = api.get("/reservations/events", {"partition": partition, "since": rest["next"]}).json()
    assert empty == {"events": [], "next": rest["next"], "partition": partition, "partitions": 128}


def test_the_events_of_a_partition_are_those_of_its_flights_only(api, redis):
    flights = ["F1", "F2", "F3", "F4", "F5"]
    for flight_id in flights:
        api.put_json("/reservations", {**RESERVE, "flight_id": flight_id})

    read = {
        partition: api.get("/reservations/events", {"partition": partition}).json()["events"]
        for partition in {store.partition_of(f) for f in flights}
    }

    for partition, events in read.items():
        assert sorted(e["data"]["flight_id"] for e in events) == sorted(
            f for f in flights if store.partition_of(f) == partition
        )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "flight_id"),
        ({**RESERVE, "flight_id": ""}, "flight_id"),
        ({**RESERVE, "flight_id": None}, "flight_id"),
        ({**RESERVE, "flight_id": 42}, "flight_id"),
        ({**RESERVE, "flight_id": "F" * 65}, "flight_id"),
        ({**RESERVE, "flight_id": "F|1"}, "flight_id"),
        ({**RESERVE, "flight_id": "F 1"}, "flight_id"),
        ({**RESERVE, "flight_id": "flights:F1"}, "flight_id"),
        ({**RESERVE, "flight_id": ["F1"]}, "flight_id"),
        ({"flight_id": "F1", "seat_num": "12C"}, "customer_id"),
        ({**RESERVE, "customer_id": "c" * 65}, "customer_id"),
        ({**RESERVE, "customer_id": "c 1"}, "customer_id"),
        ({**RESERVE, "customer_id": {"id": "c1"}}, "customer_id"),
        ({**RESERVE, "customer_id": "<script>"}, "customer_id"),
        ({"flight_id": "F1", "customer_id": "c1"}, "seat_num"),
        ({**RESERVE, "seat_num": "0A"}, "seat_num"),
        ({**RESERVE, "seat_num": "1000A"}, "seat_num"),
        ({**RESERVE, "seat_num": "12L"}, "seat_num"),
        ({**RESERVE, "seat_num": "C12"}, "seat_num"),
        ({**RESERVE, "seat_num": "012C"}, "seat_num"),
        ({**RESERVE, "seat_num": 12}, "seat_num"),
        ({**RESERVE, "seat_num": "12C\n"}, "seat_num"),
        ({**RESERVE, "seat_num": "\u0661\u0662C"}, "seat_num"),
    ],
)
def test_malformed_reserve_is_a_400_naming_the_field(api, redis, payload, field):
    response = api.put_json("/reservations", payload)

    assert_refused_naming(response, field)
    assert stream_events(redis) == []


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('"12C"', "application/json", 400),
        ("null", "application/json", 400),
        ("", "application/json", 400),
        (b"\xff\xfe\xfa", "application/json", 400),
        ("[" * 30000 + "]" * 30000, "application/json", 400),
        ('{"flight_id": "F1"' + " " * 70000 + "}", "application/json", 413),
        ("flight_id=F1&seat_num=1A", "application/x-www-form-urlencoded", 415),
        ("<xml/>", "text/xml", 415),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused_with_a_message(api, redis, body, content_type, status):
    response = api.put("/reservations", body, content_type=content_type)

    assert response.status_code == status
    assert _envelope(response)["description"]


def test_a_json_body_without_content_type_is_accepted(api, redis):
    response = api.generic("PUT", "/reservations", json.dumps(RESERVE), content_type="")

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/reservations", {}, "flight_id"),
        ("/reservations", {"flight_id": "F1", "customer_id": "c1"}, "flight_id"),
        ("/reservations", {"flight_id": ""}, "flight_id"),
        ("/reservations", {"flight_id": "F|1"}, "flight_id"),
        ("/reservations", {"customer_id": ""}, "customer_id"),
        ("/reservations", {"customer_id": "c" * 65}, "customer_id"),
        ("/reservations/events", {}, "partition"),
        ("/reservations/events", {"partition": "128"}, "partition"),
        ("/reservations/events", {"partition": "-1"}, "partition"),
        ("/reservations/events", {"partition": "01"}, "partition"),
        ("/reservations/events", {"partition": "x"}, "partition"),
        ("/reservations/events", {"partition": "1", "flight_id": "F1"}, "partition"),
        ("/reservations/events", {"flight_id": "F|1"}, "flight_id"),
        ("/reservations/events", {"since": "abc"}, "since"),
        ("/reservations/events", {"since": ""}, "since"),
        ("/reservations/events", {"since": "1-2-3"}, "since"),
        ("/reservations/events", {"since": "18446744073709551615"}, "since"),
        ("/reservations/events", {"count": "0"}, "count"),
        ("/reservations/events", {"count": "1001"}, "count"),
        ("/reservations/events", {"count": "-5"}, "count"),
        ("/reservations/events", {"count": "ten"}, "count"),
    ],
)
def test_malformed_list_and_event_queries_are_a_400(api, redis, path, query, field):
    response = api.get(path, query)

    assert_refused_naming(response, field)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/reservations/F1/12C", "customer_id"),
        ("/reservations/F1/12C?customer_id=", "customer_id"),
        ("/reservations/F1/12C?customer_id=c%7C1", "customer_id"),
        ("/reservations/F1/13Z?customer_id=c1", "seat_num"),
        ("/reservations/F1/0A?customer_id=c1", "seat_num"),
        ("/reservations/F%7C1/12C?customer_id=c1", "flight_id"),
        ("/reservations/" + "F" * 65 + "/12C?customer_id=c1", "flight_id"),
    ],
)
def test_malformed_cancels_are_a_400(api, redis, path, field):
    response = api.delete(path)

    assert_refused_naming(response, field)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/reservations"),
        ("PATCH", "/reservations"),
        ("DELETE", "/reservations"),
        ("PUT", "/reservations/events"),
        ("GET", "/reservations/F1/12C"),
        ("PUT", "/reservations/F1/12C"),
    ],
)
def test_wrong_methods_are_a_405_with_allow(api, redis, method, path):
    response = api.generic(method, path, "{}", content_type="application/json")

    assert response.status_code == 405
    assert _envelope(response)["error"] == "Method Not Allowed"
    assert response["Allow"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/reservations", RESERVE),
        ("GET", "/reservations?flight_id=F1", None),
        ("GET", "/reservations?customer_id=c1", None),
        ("DELETE", "/reservations/F1/12C?customer_id=c1", None),
        ("GET", "/reservations/events?partition=0", None),
    ],
)
def test_redis_down_is_a_503_with_retry_after_never_a_traceback(api, store_down, method, path, body):
    response = api.generic(method, path, json.dumps(body) if body else "", content_type="application/json")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    body = _envelope(response)
    assert body["error"] == "Service Unavailable"
    assert "Traceback" not in body["description"]


def test_health_reports_redis_response_time(api, redis):
    response = api.get("/health")  # the platform's other checks (SQL, upstreams) may vary: judge ours

    check = response.json()["checks"]["redis:responseTime"][0]
    assert check["status"] == "pass"
    assert check["observedValue"] >= 0
    assert check["observedUnit"] == "ms"


def test_health_fails_with_503_when_redis_is_down(api, store_down):
    response = api.get("/health")

    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    check = response.json()["checks"]["redis:responseTime"][0]
    assert check["status"] == "fail"
    assert "ConnectionError" in check["output"]


def test_the_schema_documents_every_reservations_operation(api):
    response = api.get("/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    paths = response.json()["paths"]
    assert response.status_code == 200
    assert set(paths["/reservations"]) >= {"get", "put"}
    assert "delete" in paths["/reservations/{flight_id}/{seat_num}"]
    assert "get" in paths["/reservations/events"]
    put_body = paths["/reservations"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert put_body["$ref"].endswith("/SeatReserveBody")


def test_both_list_forms_match_the_documented_response_schema(api, redis):
    """Each item must match the one documented item schema (a oneOf of two shapes was ambiguous)."""
    api.put_json("/reservations", RESERVE)
    schema = api.get("/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    item = schema["paths"]["/reservations"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    resolver_schema = {**item, "components": schema["components"]}

    for query in ({"flight_id": "F1"}, {"customer_id": "c1"}):
        body = api.get("/reservations", query).json()
        assert body
        jsonschema.validate(body, resolver_schema)


def test_a_wrong_taken_build_refuses_a_free_seat_with_the_books_403_and_writes_nothing(api, redis):
    # FAULT_WRONG_TAKEN_RATE (skyway/faults.py): the bad build the rollout's business gate must catch.
    with override_settings(SKYWAY_ENV="local", FAULT_WRONG_TAKEN_RATE=1.0):
        refused = api.put_json("/reservations", RESERVE)

    assert refused.status_code == 403
    assert _envelope(refused) == {
        "error": "Conflict",
        "description": "Seat already reserved. Cannot double-book",
    }
    assert redis.hget(flight_key("F1"), "12C") is None
    assert stream_events(redis) == []
    assert api.put_json("/reservations", RESERVE).status_code == 200  # off by default
    assert redis.hget(flight_key("F1"), "12C") == b"c1"
