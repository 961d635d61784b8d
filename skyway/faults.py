"""Fault injection for "bad builds": the same code, started with FAULT_ERROR_RATE / FAULT_LATENCY_MS
(any deployable) or FAULT_WRONG_TAKEN_RATE (reservations: a share of reserves refused as taken).

Off by default, and refused when SKYWAY_ENV=production, so a rollout can be rehearsed against a
release that misbehaves on purpose without any way for that switch to reach production.
/ping, /health and /metrics are never faulted: a bad build must still start, pass readiness and be
observed, so that only the canary analysis (not the orchestrator's probes) decides its fate.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, JsonResponse

PRODUCTION = "production"
EXEMPT_PATHS = frozenset({"/ping", "/health", "/metrics"})
HEADER = "X-Skyway-Fault"


def fault_settings_validate(
    *, environment: str, error_rate: float, latency_ms: int, wrong_taken_rate: float = 0.0
) -> None:
    """Refuse nonsense values, and any fault at all in production."""
    if not 0.0 <= error_rate <= 1.0:
        raise ImproperlyConfigured(f"FAULT_ERROR_RATE must be within 0..1, got {error_rate}")
    if latency_ms < 0:
        raise ImproperlyConfigured(f"FAULT_LATENCY_MS must be >= 0, got {latency_ms}")
    if not 0.0 <= wrong_taken_rate <= 1.0:
        raise ImproperlyConfigured(f"FAULT_WRONG_TAKEN_RATE must be within 0..1, got {wrong_taken_rate}")
    if environment == PRODUCTION and (error_rate > 0 or latency_ms > 0 or wrong_taken_rate > 0):
        raise ImproperlyConfigured(
            "Fault injection (FAULT_ERROR_RATE / FAULT_LATENCY_MS / FAULT_WRONG_TAKEN_RATE) is refused "
            "when SKYWAY_ENV=production."
        )


_wrong_taken_random = random.Random()


def wrong_taken_fires() -> bool:
    """True for a FAULT_WRONG_TAKEN_RATE share of calls: this reserve is refused as taken though the seat
    may be free, and nothing is written — a bad build that answers a plausible 4xx, never a 5xx, so only
    a business signal (refused-but-free seats, docs/adr/0114) can tell it from a busy flight."""
    rate = float(getattr(settings, "FAULT_WRONG_TAKEN_RATE", 0.0))
    if rate <= 0:
        return False
    # Checked at use too, as the middleware does: settings built without base.py's check are refused.
    fault_settings_validate(
        environment=getattr(settings, "SKYWAY_ENV", PRODUCTION), error_rate=0.0, latency_ms=0,
        wrong_taken_rate=rate,
    )  # fmt: skip
    return _wrong_taken_random.random() < rate


class FaultInjectionMiddleware:
    """Delays requests by FAULT_LATENCY_MS and answers a FAULT_ERROR_RATE share of them with a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.error_rate = float(getattr(settings, "FAULT_ERROR_RATE", 0.0))
        self.latency_ms = int(getattr(settings, "FAULT_LATENCY_MS", 0))
        # Checked again here so that settings built without base.py's check are refused too.
        fault_settings_validate(
            environment=getattr(settings, "SKYWAY_ENV", PRODUCTION),
            error_rate=self.error_rate,
            latency_ms=self.latency_ms,
        )
        if self.error_rate == 0 and self.latency_ms == 0:
            raise MiddlewareNotUsed  # a healthy build pays nothing per request
        self._random = random.Random()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in EXEMPT_PATHS:
            return self.get_response(request)
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if self.error_rate and self._random.random() < self.error_rate:
            response = JsonResponse(
                {"error": "injected_fault", "description": "Fault injection answered this request with 500."},
                status=500,
            )
            response[HEADER] = "error"
            return response
        return self.get_response(request)
