"""The kit's one error model (skyway/errors.py): a base with DRF's names, one flattener, two renderers."""

from __future__ import annotations

import json

import pytest

from skyway import errors
from skyway.errors import ApplicationError, error_http_response, flatten


class SeatGone(ApplicationError):
    status_code = 410
    default_code = "seat_gone"
    default_detail = "The seat is gone."
    title = "Seat gone"


@pytest.mark.parametrize("stale", ["code", "default_description", "retry_after_seconds"])
def test_an_error_class_with_the_old_attribute_names_is_refused_at_import(stale):
    with pytest.raises(TypeError, match="default_code"):
        type("Legacy", (ApplicationError,), {stale: "x"})


@pytest.mark.parametrize("code", ["seat-taken", "seat_taken"])
def test_an_error_is_titled_by_its_code_read_aloud(code):
    assert type("SeatTaken", (errors.Conflict,), {"default_code": code}).title == "Seat taken"


def test_an_error_keeps_the_title_it_words_or_inherits_with_its_code():
    worded = type("Party", (errors.Conflict,), {"default_code": "no-seats-for-party", "title": "No seats"})
    refined = type("PartyOfTwo", (worded,), {"default_detail": "Not two seats together."})

    assert (worded.title, refined.title) == ("No seats", "No seats")


@pytest.mark.parametrize(
    ("family", "status"),
    [
        (errors.BadRequest, 400),
        (errors.Forbidden, 403),
        (errors.NotFound, 404),
        (errors.Conflict, 409),
        (errors.Gone, 410),
        (errors.Unavailable, 503),
    ],
)
def test_a_status_family_named_first_decides_over_a_context_bases_default(family, status):
    class ContextError(ApplicationError):
        status_code = 500

    error = type("ContextLeaf", (family, ContextError), {"default_code": "leaf"})

    assert (error.status_code, issubclass(error, ContextError)) == (status, True)


def test_one_error_answers_in_the_envelope_of_the_door_it_came_in_by(rf):
    internal = error_http_response(SeatGone(seat="12C"), rf.get("/reservations/x"))
    public = error_http_response(SeatGone(seat="12C"), rf.get("/api/flights/x"))

    assert (internal.status_code, internal["Content-Type"]) == (410, "application/json")
    assert json.loads(internal.content) == {
        "error": "seat_gone",
        "description": "The seat is gone.",
        "seat": "12C",
    }
    assert (public.status_code, public["Content-Type"]) == (410, "application/problem+json")
    problem = json.loads(public.content)
    assert problem["type"] == "https://skyway.example/problems/seat-gone"
    assert (problem["title"], problem["status"], problem["detail"]) == ("Seat gone", 410, "The seat is gone.")
    assert (problem["instance"], problem["seat"]) == ("/api/flights/x", "12C")


def test_retry_after_is_a_header_in_both_envelopes(rf):
    error = SeatGone()
    error.retry_after = 3
    for path in ("/flights", "/api/flights"):
        assert error_http_response(error, rf.get(path))["Retry-After"] == "3"


def test_nested_validation_detail_flattens_to_field_lines():
    detail = {"seat": ["required"], "move": {"to": ["bad", "worse"]}, "non_field_errors": ["both"]}
    assert flatten(detail) == ["seat: required", "move.to: bad", "move.to: worse", "both"]


def test_drf_uses_the_kits_handler_and_the_projects_settings():
    """Settings import skyway.errors (via service_auth): DRF must still read REST_FRAMEWORK, not {}."""
    from rest_framework.settings import api_settings
    from rest_framework.views import APIView

    assert api_settings.EXCEPTION_HANDLER is errors.exception_handler
    assert api_settings.UNAUTHENTICATED_USER is None
    assert APIView().get_exception_handler() is errors.exception_handler
