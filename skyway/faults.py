"""Fault injection for "bad builds": the same code, started with FAULT_ERROR_RATE / FAULT_LATENCY_MS.

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


def fault_settings_validate(*, environment: str, error_rate: float, latency_ms: int) -> None:
    """Refuse nonsense values, and any fault at all in production."""
    if not 0.0 <= error_rate <= 1.0:
        raise ImproperlyConfigured(f"FAULT_ERROR_RATE must be within 0..1, got {error_rate}")
    if latency_ms < 0:
        raise ImproperlyConfigured(f"FAULT_LATENCY_MS must be >= 0, got {latency_ms}")
    if environment == PRODUCTION and (error_rate > 0 or latency_ms > 0):
        raise ImproperlyConfigured(
            "Fault injection (FAULT_ERROR_RATE / FAULT_LATENCY_MS) is refused when SKYWAY_ENV=production."
        )


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
