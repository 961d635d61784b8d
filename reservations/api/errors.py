"""The reservations API's one exception handler: every error in the book's envelope.

``{"error": <title>, "description": <message>}`` for domain errors (by class), DRF's own errors
(parse, method, media type) and oversized bodies. 503s carry Retry-After.
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from reservations.errors import ReservationsError, StoreUnavailable
from skyway.errors import request_guard_error, request_refused_log


def error_response(status: int, error: str, description: str, headers: dict | None = None) -> Response:
    return Response({"error": error, "description": description}, status=status, headers=headers)


def _describe(detail: object) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_describe(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_describe(item) for item in detail)
    return str(detail)


def reservations_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, ReservationsError):
        headers = None
        if isinstance(exc, StoreUnavailable):
            headers = {"Retry-After": str(exc.retry_after_seconds)}
        return error_response(exc.status_code, exc.title, exc.description, headers)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if isinstance(exc, exceptions.MethodNotAllowed):
            view = context.get("view")
            if view is not None:
                headers["Allow"] = ", ".join(view.allowed_methods)
        return error_response(
            exc.status_code, HTTPStatus(exc.status_code).phrase, _describe(exc.detail), headers or None
        )
    refused = request_guard_error(exc)
    if refused is not None:
        request = context.get("request")
        request_refused_log(refused, request.path if request is not None else "")
        # This API's `error` is the HTTP phrase (the book's vocabulary); 413's phrase predates RFC 9110.
        phrase = "Payload Too Large" if refused.status_code == 413 else HTTPStatus(refused.status_code).phrase
        return error_response(refused.status_code, phrase, refused.detail)
    if isinstance(exc, Http404):
        return error_response(404, "Not Found", str(exc) or "Not found.")
    return None
