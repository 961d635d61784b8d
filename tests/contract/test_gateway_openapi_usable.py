"""The gateway's OpenAPI document is enough for a client developer: tags per resource, examples,
documented headers and a problem+json schema for every error (read from the generated schema)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

import gateway.errors
from skyway.errors import PROBLEM_BASE

PROBLEM = "application/problem+json"
METHODS = ("get", "post", "put", "patch", "delete")


def _operations(urlconf: str) -> dict[str, dict]:
    schema = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


GATEWAY = {name: op for name, op in _operations("settings.urls.gateway").items() if " /api/" in name}


def test_the_gateway_documents_fourteen_operations():
    assert len(GATEWAY) == 14, sorted(GATEWAY)  # ten, plus the four seat-hold operations (ADR 142)


@pytest.mark.parametrize("name", sorted(GATEWAY))
def test_every_gateway_operation_has_a_resource_tag(name):
    tags = GATEWAY[name].get("tags", [])
    assert tags, name
    assert set(tags) <= {"auth", "flights", "seats", "reservations", "holds"}, tags


@pytest.mark.parametrize("name", sorted(GATEWAY))
def test_every_gateway_operation_has_request_and_response_examples(name):
    operation = GATEWAY[name]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        assert body.get("examples"), f"{name}: no request example (Swagger would prefill 'string')"
    for status, response in operation["responses"].items():
        for media_type, content in response.get("content", {}).items():
            assert content.get("examples"), f"{name} {status} {media_type}: no example"


@pytest.mark.parametrize("name", sorted(GATEWAY))
def test_every_gateway_error_is_a_documented_problem(name):
    responses = GATEWAY[name]["responses"]
    errors = {status: response for status, response in responses.items() if int(status) >= 400}
    assert errors, f"{name}: no error response documented"
    for status, response in errors.items():
        content = response.get("content", {})
        assert list(content) == [PROBLEM], f"{name} {status}: {list(content)}"
        assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/ProblemOutput"}
        for example in content[PROBLEM]["examples"].values():
            assert example["value"]["status"] == int(status), f"{name} {status}: {example}"


@pytest.mark.parametrize("name", sorted(GATEWAY))
def test_every_documented_gateway_problem_shows_its_errors_status_and_title(name):
    """The examples are written out by hand (gateway/api/schema.py); the classes name the problems."""
    problems = {
        error.default_code: error
        for error in vars(gateway.errors).values()
        if isinstance(error, type)
        and issubclass(error, gateway.errors.GatewayError)
        and "default_code" in vars(error)  # the base's "invalid" is DRF's validation problem here
    }
    for response in GATEWAY[name]["responses"].values():
        for example in response.get("content", {}).get(PROBLEM, {}).get("examples", {}).values():
            body = example["value"]
            error = problems.get(body["type"].removeprefix(PROBLEM_BASE))
            if error is not None:  # DRF's own problems (not-authenticated, throttled, …) have no class
                assert (body["status"], body["title"]) == (error.status_code, error.title), f"{name}: {body}"


@pytest.mark.parametrize("name", sorted(GATEWAY))
def test_every_gateway_operation_documents_its_headers(name):
    operation = GATEWAY[name]
    request_headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
    assert "X-Request-ID" in request_headers, name
    # X-Request-Budget-Ms is a hop between our own services; the public door ignores it (ADR 80).
    assert "X-Request-Budget-Ms" not in request_headers, name
    for status, response in operation["responses"].items():
        headers = response.get("headers", {})
        assert "X-Request-ID" in headers, f"{name} {status}"
        if status in ("409", "429", "503"):
            assert "Retry-After" in headers, f"{name} {status}"
    if "Idempotency-Key" in request_headers:
        success = next(r for s, r in operation["responses"].items() if s.startswith("2"))
        assert "Idempotent-Replayed" in success.get("headers", {}), name


def test_the_flights_seat_map_documents_the_flight_id_header():
    (seat_map,) = [
        op for op in _operations("settings.urls.flights").values() if op["operationId"] == "flights_seat_map"
    ]

    assert "X-Flight-Id" in seat_map["responses"]["200"]["headers"]
    assert "Retry-After" in seat_map["responses"]["503"]["headers"]


def test_list_examples_are_lists_of_items_not_lists_of_lists():
    flights = _operations("settings.urls.flights")["GET /flights"]
    (example,) = flights["responses"]["200"]["content"]["application/json"]["examples"].values()

    assert isinstance(example["value"][0], dict)
