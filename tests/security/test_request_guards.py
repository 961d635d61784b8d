"""Django's request-size guards on every deployable: a precise 4xx in the envelope of where the request
came in (the book's {error, description} internally, RFC 7807 on /api/), and no traceback in the log.

Each deployable runs in-process with its own URL conf (and so its own handler400) and middleware,
through DRF views (query_params / data raise inside DRF) and plain Django views (the admin's login).
"""

from __future__ import annotations

import importlib
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.support.internal import service_headers

DEPLOYABLES = ("flights", "reservations", "gateway", "platform")
ROUTES = {
    # deployable → the paths of each kind it serves (a missing kind: that deployable has no such door)
    "flights": {"drf_get": ["/flights"], "plain": ["/admin/login/"]},
    "reservations": {"drf_get": ["/reservations", "/reservations/events"]},
    "gateway": {"drf_get": ["/api/flights"], "drf_post": ["/api/auth/token"], "plain": ["/admin/login/"]},
    "platform": {
        "drf_get": ["/flights", "/reservations", "/api/flights"],
        "drf_post": ["/api/auth/token"],
        "plain": ["/admin/login/"],
    },
}
FIELDS_1001 = {f"f{i}": "1" for i in range(1001)}
QUERY_1001 = "&".join(f"{name}={value}" for name, value in FIELDS_1001.items())


@pytest.fixture
def deployed(request, settings, db) -> tuple[str, Client]:
    """A test client of one deployable: its URL conf, middleware and service fence, DEBUG off."""
    name = request.param
    module = importlib.import_module(f"settings.{name}")
    settings.ROOT_URLCONF = module.ROOT_URLCONF
    settings.MIDDLEWARE = module.MIDDLEWARE
    settings.SERVICE_AUTH_REQUIRED_FOR = module.SERVICE_AUTH_REQUIRED_FOR
    settings.DEBUG = False
    # As the gateway calls the internal services (the credential is checked before any guard); the
    # gateway's public API needs none, which is what made these a token-free 500 there.
    return name, Client(headers=service_headers(), raise_request_exception=False)


def paths_of(name: str, *kinds: str) -> list[str]:
    return [path for kind in kinds for path in ROUTES[name].get(kind, [])]


def assert_refused(response, path: str, status: int, words: str) -> None:
    """``status`` in the envelope of ``path``'s door, with a message containing ``words``."""
    assert response.status_code == status, (path, response.status_code, response.content[:300])
    body = response.json()
    if path.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json", path
        assert {"type", "title", "status", "detail", "instance"} <= set(body), body
        assert body["status"] == status
        assert body["instance"] == path
        message = body["detail"]
    else:
        assert response["Content-Type"] == "application/json", path
        assert {"error", "description"} <= set(body), body
        message = body["description"]
    assert words in message.lower(), (path, body)


def assert_no_traceback_logged(caplog: pytest.LogCaptureFixture) -> None:
    loud = [(r.name, r.levelname) for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], loud


@pytest.mark.parametrize("deployed", DEPLOYABLES, indirect=True)
def test_a_query_string_with_1001_fields_is_a_400_with_a_message(deployed, caplog) -> None:
    name, client = deployed
    for path in paths_of(name, "drf_get", "drf_post", "plain"):
        assert_refused(client.get(f"{path}?{QUERY_1001}"), path, 400, "too many fields")
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize("deployed", ["flights", "gateway", "platform"], indirect=True)
def test_a_form_with_1001_fields_is_a_400_with_a_message(deployed, caplog) -> None:
    """Urlencoded and multipart forms alike (reservations parses no forms: it takes JSON only)."""
    name, client = deployed
    for path in paths_of(name, "drf_post", "plain"):
        form = client.post(path, data=QUERY_1001, content_type="application/x-www-form-urlencoded")
        assert_refused(form, path, 400, "too many fields")
        assert_refused(client.post(path, data=FIELDS_1001), path, 400, "too many fields")  # multipart
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize("deployed", ["flights", "gateway", "platform"], indirect=True)
def test_an_upload_with_101_files_is_a_400_with_a_message(deployed, caplog) -> None:
    name, client = deployed
    for path in paths_of(name, "drf_post", "plain"):
        files = {f"file{i}": SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(101)}
        assert_refused(client.post(path, data=files), path, 400, "too many files")
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize("deployed", DEPLOYABLES, indirect=True)
def test_a_body_over_the_limit_is_a_413_with_a_message(deployed, settings, caplog) -> None:
    """413 as the README documents (a precise 4xx), JSON and form bodies alike."""
    name, client = deployed
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    big = "x" * 4096
    if name in ("reservations", "platform"):
        response = client.put("/reservations", data={"flight_id": big}, content_type="application/json")
        assert_refused(response, "/reservations", 413, "larger than the limit of 1024 bytes")
    for path in paths_of(name, "drf_post"):
        response = client.post(path, data={"username": big, "password": "x"}, content_type="application/json")
        assert_refused(response, path, 413, "larger than the limit of 1024 bytes")
    for path in paths_of(name, "plain"):
        form = client.post(path, data=f"username={big}", content_type="application/x-www-form-urlencoded")
        assert_refused(form, path, 413, "larger than the limit of 1024 bytes")
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize(
    "count",
    ["%C2%B2", "%D9%A1%D9%A2", "%EF%BC%91"],  # superscript 2, Arabic-Indic 12, fullwidth 1
    ids=["superscript-two", "arabic-indic-12", "fullwidth-1"],
)
@pytest.mark.parametrize("deployed", ["reservations", "platform"], indirect=True)
def test_unicode_digits_in_the_events_count_are_a_400(deployed, redis_client, caplog, count) -> None:
    _, client = deployed
    assert_refused(client.get(f"/reservations/events?count={count}"), "/reservations/events", 400, "count")
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize("deployed", ["gateway", "platform"], indirect=True)
def test_unicode_digits_in_the_gateways_search_are_a_400(deployed, alice, caplog) -> None:
    """Django's date parser reads 2020-05-17 in Arabic-Indic digits as that date; the gateway refuses it."""
    arabic_indic_date = "%D9%A2%D9%A0%D9%A2%D9%A0-%D9%A0%D9%A5-%D9%A1%D9%A7"
    response = alice.get(f"/api/flights?date={arabic_indic_date}")
    assert_refused(response, "/api/flights", 400, "date")
    assert_no_traceback_logged(caplog)
