"""The service credential of the internal services (ADR 0053, superseding ADR 0051).

``settings.SERVICE_TOKENS`` lists every credential this process accepts (a rotation lists the new one
and the old one together); the first is the one it sends upstream. Outside DEBUG no deployable starts
without one (settings.base). Which requests need it is ``settings.SERVICE_AUTH_REQUIRED_FOR``:

- ``"everything"`` (flights, reservations): every request but ``/ping`` and ``/health``, decided on
  ``PATH_INFO`` — the path the URL resolver dispatches — so a ``SCRIPT_NAME`` header cannot move a
  request out of the fence;
- a list of top-level packages (platform, gateway): the requests whose *resolved view* lives in one
  of them (the contexts' APIs, ``django_prometheus``'s /metrics), wherever they are mounted.

A credential that is presented is always checked, even on an open path: a caller holding a rotated-out
token learns so from its first ``/ping`` (the gateway's readiness check). Tokens are compared in
constant time against every accepted token. DEBUG with no token configured is the one open mode
(``make run``: the book's curl examples), and it is logged at start.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

from skyway.errors import ApplicationError, error_http_response

logger = logging.getLogger(__name__)

HEADER = "X-Service-Token"
EVERYTHING = "everything"
OPEN_PATHS = frozenset({"/ping", "/health"})
MIN_TOKEN_LENGTH = 32


def service_tokens_validate(*, tokens: list[str], debug: bool, legacy_token: str | None) -> None:
    """Refuse settings that would leave the internal services open or guessable outside DEBUG."""
    if legacy_token:
        raise ImproperlyConfigured(
            "SERVICE_TOKEN was renamed SERVICE_TOKENS: a comma-separated list of accepted service "
            "credentials, the first of which is sent to upstreams (docs/adr/0053)."
        )
    if debug:
        return
    if not tokens:
        raise ImproperlyConfigured(
            "SERVICE_TOKENS must be set when DEBUG is off: the internal services' credential "
            "(comma-separated; the first is sent, all are accepted; docs/adr/0053). For development set "
            "DEBUG=1 instead, as `make run` does."
        )
    short = [index for index, token in enumerate(tokens, 1) if len(token) < MIN_TOKEN_LENGTH]
    if short:
        raise ImproperlyConfigured(
            f"SERVICE_TOKENS: token(s) {short} shorter than {MIN_TOKEN_LENGTH} characters; "
            "use e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )


def outgoing_token() -> str | None:
    """The credential this process presents to the internal services (the first accepted one)."""
    tokens = settings.SERVICE_TOKENS
    return tokens[0] if tokens else None


def token_accepted(presented: str, tokens: tuple[bytes, ...]) -> bool:
    """Constant-time membership: every accepted token is compared, whichever matches."""
    candidate = presented.encode()
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(candidate, token)
    return matched


def presented_token(request: HttpRequest) -> str | None:
    """``X-Service-Token``, or ``Authorization: Bearer`` (what Prometheus' scrape config can send)."""
    token = request.headers.get(HEADER)
    if token is not None:
        return token
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


class ServiceCredentialRequired(ApplicationError):
    """No valid service credential on a fenced request (always an internal door: the book's envelope)."""

    status_code = 401
    default_code = "Unauthorized"  # the body ADR 0051 documents; callers match on it
    default_detail = f"Internal service: send a valid service credential in {HEADER}."
    title = "Not authenticated"

    def __init__(self) -> None:
        super().__init__()
        self.headers["WWW-Authenticate"] = HEADER


def _refusal(request: HttpRequest) -> HttpResponse:
    return error_http_response(ServiceCredentialRequired(), request)


class ServiceTokenMiddleware:
    """401 for requests that need the service credential and do not carry a valid one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.tokens = tuple(token.encode() for token in settings.SERVICE_TOKENS)
        self.required_for = settings.SERVICE_AUTH_REQUIRED_FOR
        if not self.tokens:
            if not settings.DEBUG:  # settings refuse this already; never fail open
                raise ImproperlyConfigured("SERVICE_TOKENS must be set when DEBUG is off.")
            if self.required_for:
                logger.warning(
                    "DEBUG without SERVICE_TOKENS: internal paths are open to every caller (dev only)"
                )
            raise MiddlewareNotUsed
        if not self.required_for:
            raise MiddlewareNotUsed
        self.everything = self.required_for == EVERYTHING
        self.packages = frozenset() if self.everything else frozenset(self.required_for)
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.everything:
            presented = presented_token(request)
            if presented is None:
                if request.path_info not in OPEN_PATHS:
                    return _refusal(request)
            elif not token_accepted(presented, self.tokens):
                return _refusal(request)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any):
        """List mode: the resolved view decides (the customer API beside it is not ours to fence)."""
        if self.everything:
            return None
        module = getattr(view_func, "__module__", "") or ""
        if module.partition(".")[0] not in self.packages:
            return None
        presented = presented_token(request)
        if presented is None or not token_accepted(presented, self.tokens):
            return _refusal(request)
        return None
