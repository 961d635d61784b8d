"""The flights context's error envelope, ``{"error": code, "description": message}`` (the book's shape).

Set per view (FlightsApiView) rather than in REST_FRAMEWORK, because in platform mode every context
shares one settings module and the gateway answers in RFC 7807 problem details.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from flights.errors import FlightsError
from skyway.errors import request_guard_error, request_refused_log

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def _flatten(detail: object, prefix: str = "") -> list[str]:
    """DRF's nested error detail as `field: message` lines."""
    if isinstance(detail, dict):
        lines: list[str] = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            lines.extend(_flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
        return lines
    if isinstance(detail, list):
        return [line for item in detail for line in _flatten(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def _fields(detail: object) -> dict[str, list[str]]:
    if not isinstance(detail, dict):
        return {}
    return {
        str(key): [str(message) for message in _flatten(value)]
        for key, value in detail.items()
        if key != "non_field_errors"
    }


def error_body(error: str, description: str, fields: dict[str, list[str]] | None = None) -> dict:
    body: dict = {"error": error, "description": description}
    if fields:
        body["fields"] = fields
    return body


def flights_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Map domain, DRF and database errors to the envelope; anything else stays a 500 (a bug)."""
    headers: dict[str, str] = {}
    refused = request_guard_error(exc)
    if refused is not None:
        request = context.get("request")
        request_refused_log(refused, request.path if request is not None else "")
        status_code, body = refused.status_code, error_body(refused.code, refused.detail)
    elif isinstance(exc, FlightsError):
        status_code, body = exc.status_code, error_body(exc.default_code, exc.detail, exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        status_code = status.HTTP_400_BAD_REQUEST
        body = error_body("invalid_input", "; ".join(_flatten(exc.detail)), _fields(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        status_code = exc.status_code
        codes = exc.get_codes()
        body = error_body(
            codes if isinstance(codes, str) else exc.default_code, "; ".join(_flatten(exc.detail))
        )
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
    elif isinstance(exc, Http404):
        status_code, body = status.HTTP_404_NOT_FOUND, error_body("not_found", str(exc) or "Not found.")
    elif isinstance(exc, PermissionDenied):
        status_code, body = (
            status.HTTP_403_FORBIDDEN,
            error_body("permission_denied", str(exc) or "Forbidden."),
        )
    elif isinstance(exc, (OperationalError, InterfaceError)):
        # The database is down or unreachable: a clear, retryable 503 instead of a traceback.
        logger.warning("flights database unavailable: %s", exc)
        status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        body = error_body("unavailable", "The flights database is unavailable; try again shortly.")
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif isinstance(exc, DatabaseError):
        logger.exception("flights database error")
        return None
    else:
        return None
    set_rollback()
    return Response(body, status=status_code, headers=headers)
