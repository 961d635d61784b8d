"""The gateway's orjson renderer writes exactly what DRF's JSONRenderer writes."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from gateway.api.renderers import FastJSONRenderer
from tests.gateway.conftest import GATEWAY_DBS

SAMPLES = [
    {"flight_id": str(uuid.uuid4()), "degraded": False, "cabins": [{"rows": [{"seats": [{"seat": "1A"}]}]}]},
    [1, 2.5, None, True, "é", "日本"],
    {
        "when": datetime.datetime(2020, 5, 17, 13, 20, 1, 123456, tzinfo=datetime.UTC),
        "day": datetime.date(2020, 5, 17),
    },
    {"naive": datetime.datetime(2020, 5, 17, 13, 20), "at": datetime.time(13, 20, 5)},
    {"id": uuid.UUID("a5b34aed-8f32-5790-921b-fd2d595e536a"), "price": decimal.Decimal("12.50")},
    {"lazy": gettext_lazy("Seat already reserved."), "error": ErrorDetail("bad", code="invalid")},
    {1: "int key", "nested": ReturnDict({"a": 1}, serializer=None), "list": ReturnList([1], serializer=None)},
    {"tuple": (1, 2), "separator": "line\u2028para\u2029end"},
    {},
    [],
]


@pytest.mark.parametrize("data", SAMPLES)
def test_same_bytes_as_drf(data):
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)


def test_pretty_printing_is_left_to_drf():
    data = {"a": [1, 2]}
    assert FastJSONRenderer().render(data, "application/json; indent=2") == JSONRenderer().render(
        data, "application/json; indent=2"
    )
    assert b"\n" in FastJSONRenderer().render(data, "application/json; indent=2")


def test_what_orjson_refuses_gets_drfs_answer():
    huge = {"n": 2**70}  # beyond orjson's 64-bit integers
    assert FastJSONRenderer().render(huge) == JSONRenderer().render(huge)


def test_none_is_an_empty_body():
    assert FastJSONRenderer().render(None) == b""


@pytest.mark.django_db(databases=GATEWAY_DBS)
def test_the_seat_chart_is_served_with_it(alice, book_flight):
    response = alice.get(f"/api/flights/{book_flight['flight_id']}/seats")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, FastJSONRenderer)
    assert response.json()["cabins"]
