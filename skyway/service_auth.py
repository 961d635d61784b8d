"""A shared service credential on the internal contexts' paths (ADR 0051).

When settings.SERVICE_TOKEN is set (env SERVICE_TOKEN), every request whose path lies under one of
settings.SERVICE_PROTECTED_PREFIXES (the internal contexts: /flights, /reservations) must carry
``X-Service-Token: <token>``; anything else gets 401 in the book's error envelope. Operational paths
(/ping, /health, /metrics, /schema…) are never under those prefixes, so probes and scrapers keep
working. With no token configured the middleware removes itself: dev, tests and the single-process
platform pay nothing. In a cluster the NetworkPolicy is the first fence; this is the second, for the
day a pod outside it (or a misrouted ingress) reaches an internal service.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, JsonResponse

HEADER = "X-Service-Token"


def path_is_protected(path: str, prefixes: list[str] | tuple[str, ...]) -> bool:
    """True for the prefix itself and anything below it (``/flights``, ``/flights/…``), not ``/flightsx``."""
    return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in prefixes)


class ServiceTokenMiddleware:
    """401 for calls to internal context paths without the configured service token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        token = getattr(settings, "SERVICE_TOKEN", None)
        if not token:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.token = token.encode()
        self.prefixes = tuple(getattr(settings, "SERVICE_PROTECTED_PREFIXES", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if path_is_protected(request.path, self.prefixes):
            presented = request.headers.get(HEADER, "").encode()
            # Constant-time compare: the time to refuse says nothing about how much of a guess was right.
            if not hmac.compare_digest(presented, self.token):
                return JsonResponse(
                    {
                        "error": "Unauthorized",
                        "description": f"Internal service: send the service credential in {HEADER}.",
                    },
                    status=401,
                    headers={"WWW-Authenticate": HEADER},
                )
        return self.get_response(request)
