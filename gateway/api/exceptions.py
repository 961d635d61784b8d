"""RFC 7807 problem details for every error the gateway's API returns (application/problem+json).

One handler, set on the gateway's base view (never globally: flights and reservations share the
process in platform mode and keep the book's {"error", "description"} envelope). Domain errors map
to a status by their class; DRF's own exceptions (validation, auth, throttling) are translated.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response

from gateway.errors import GatewayError, UpstreamUnavailable
from skyway.errors import (
    PROBLEM_BASE,
    PROBLEM_CONTENT_TYPE,
    problem_body,
    request_guard_error,
    request_refused_log,
)

logger = logging.getLogger(__name__)

__all__ = ["PROBLEM_BASE", "PROBLEM_CONTENT_TYPE", "problem_exception_handler", "problem_response"]

_DRF_TITLES = {
    400: "Invalid input",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
}


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    """DRF's nested error detail as 'field: message' lines."""
    if isinstance(detail, dict):
        lines: list[str] = []
        for field, value in detail.items():
            name = "" if field == "non_field_errors" else f"{prefix}{field}"
            lines.extend(_flatten(value, f"{name}." if name else ""))
        return lines
    if isinstance(detail, list):
        return [line for item in detail for line in _flatten(item, prefix)]
    text = str(detail)
    return [f"{prefix.rstrip('.')}: {text}" if prefix else text]


def problem_response(request: Any, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers)
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or getattr(renderer, "format", "json") == "json":
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_of_gateway_error(exc: GatewayError, instance: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The problem document and headers of a domain error (also stored for idempotent replays)."""
    body = problem_body(
        status=exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        instance=instance,
        **exc.extra,
    )
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, UpstreamUnavailable) else {}
    return body, headers


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, GatewayError):
        body, headers = problem_of_gateway_error(exc, instance)
        if exc.status_code >= 500:
            logger.warning("gateway error %s: %s", exc.code, exc.detail)
        return problem_response(request, body, headers)
    refused = request_guard_error(exc)
    if refused is not None:
        request_refused_log(refused, instance)
        body = problem_body(
            status=refused.status_code,
            code=refused.code.replace("_", "-"),
            title=refused.title,
            detail=refused.detail,
            instance=instance,
        )
        return problem_response(request, body)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.APIException):
        headers: dict[str, str] = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait) + 1)
        extra: dict[str, Any] = {}
        if isinstance(exc, drf.ValidationError):
            lines = _flatten(exc.detail)
            detail = "; ".join(lines) or "Invalid input."
            extra["errors"] = exc.detail
        else:
            detail = str(exc.detail)
        body = problem_body(
            status=exc.status_code,
            code=str(exc.default_code).replace("_", "-"),
            title=_DRF_TITLES.get(exc.status_code, "Error"),
            detail=detail,
            instance=instance,
            **extra,
        )
        return problem_response(request, body, headers)
    logger.exception("unhandled error in the gateway API")
    body = problem_body(
        status=500,
        code="internal-error",
        title="Internal error",
        detail="Something went wrong on our side; it has been logged.",
        instance=instance,
    )
    return problem_response(request, body)
