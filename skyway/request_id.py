"""Request ids: taken from X-Request-ID (or made), kept in a context variable, echoed back.

The gateway's clients read current_request_id() to pass the id to every upstream, and the
logging filter stamps it on every log line, so one id follows a request across processes.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_accept(incoming: str) -> str:
    """The client's id when it is a well-formed one, else a new one (the middleware and the strangler edge)."""
    return incoming if _VALID.match(incoming) else new_request_id()


class RequestIdMiddleware:
    """Outermost middleware: binds the request id for the whole request and sets the response header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(_META_KEY, "")
        request_id = request_id_accept(incoming)
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # The access line (skyway.logs) brings its own id; django.request logs a 5xx after the middleware
        # has unbound the id: take it from the request.
        if getattr(record, "request_id", None):
            return True
        request = getattr(record, "request", None)
        record.request_id = _current.get() or getattr(request, "request_id", None) or "-"
        return True
