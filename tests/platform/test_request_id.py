"""One request id follows a request: taken from X-Request-ID or generated, echoed, and logged."""

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor

from django.http import HttpResponse

from skyway.request_id import RequestIdLogFilter, RequestIdMiddleware, current_request_id


def test_a_valid_incoming_request_id_is_echoed(client):
    response = client.get("/ping", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


def test_a_missing_request_id_is_generated(client):
    first = client.get("/ping")["X-Request-ID"]
    second = client.get("/ping")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_a_malformed_request_id_is_replaced_not_trusted(client):
    response = client.get("/ping", HTTP_X_REQUEST_ID="bad id\nwith newline" + "x" * 300)
    assert response["X-Request-ID"] != "bad id"
    assert len(response["X-Request-ID"]) == 32


def test_the_log_filter_stamps_the_current_request_id():
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "msg", None, None)
    RequestIdLogFilter().filter(record)
    assert record.request_id == (current_request_id() or "-")


def test_a_log_record_emitted_after_the_middleware_still_carries_the_requests_id(rf):
    request = rf.get("/x")
    request.request_id = "abc-123"
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found", None, None)
    record.request = request
    RequestIdLogFilter().filter(record)
    assert record.request_id == "abc-123"


def test_the_id_reaches_a_pool_thread_through_a_copied_context_and_is_unbound_after(rf):
    """The gateway's fan-out pool runs upstream calls in copy_context(): they must see the request's id."""
    seen = {}

    def view(request):
        with ThreadPoolExecutor(max_workers=1) as pool:
            seen["pool"] = pool.submit(contextvars.copy_context().run, current_request_id).result()
        return HttpResponse(b"ok")

    response = RequestIdMiddleware(view)(rf.get("/x", HTTP_X_REQUEST_ID="fan-out.1"))

    assert (seen["pool"], response["X-Request-ID"]) == ("fan-out.1", "fan-out.1")
    assert current_request_id() is None  # not left bound for whatever this thread logs next
