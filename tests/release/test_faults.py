"""Fault injection: off by default, answers its share of requests with 500, never in production."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from skyway.faults import HEADER, FaultInjectionMiddleware, fault_settings_validate

ROOT = Path(__file__).resolve().parents[2]


def ok_view(request) -> HttpResponse:
    return HttpResponse("ok")


def statuses(middleware: FaultInjectionMiddleware, path: str, n: int) -> list[int]:
    factory = RequestFactory()
    return [middleware(factory.get(path)).status_code for _ in range(n)]


def test_fault_injection_is_off_by_default() -> None:
    with pytest.raises(MiddlewareNotUsed):
        FaultInjectionMiddleware(ok_view)


@override_settings(SKYWAY_ENV="local", FAULT_ERROR_RATE=0.5, FAULT_LATENCY_MS=0)
def test_about_the_configured_share_of_requests_is_answered_with_500() -> None:
    answered = statuses(FaultInjectionMiddleware(ok_view), "/flights", 400)
    errors = answered.count(500)
    # Binomial(400, 0.5): mean 200, sd 10; the bounds are six sd wide on each side.
    assert 140 <= errors <= 260
    assert set(answered) == {200, 500}


@override_settings(SKYWAY_ENV="local", FAULT_ERROR_RATE=1.0)
def test_an_injected_error_is_marked_and_uses_the_error_envelope() -> None:
    response = FaultInjectionMiddleware(ok_view)(RequestFactory().get("/flights"))
    assert response.status_code == 500
    assert response[HEADER] == "error"
    assert b'"error": "injected_fault"' in response.content


@override_settings(SKYWAY_ENV="local", FAULT_ERROR_RATE=1.0)
@pytest.mark.parametrize("path", ["/ping", "/health", "/metrics"])
def test_probes_and_metrics_are_never_faulted(path: str) -> None:
    assert statuses(FaultInjectionMiddleware(ok_view), path, 20) == [200] * 20


@override_settings(SKYWAY_ENV="production", FAULT_ERROR_RATE=0.1)
def test_the_middleware_refuses_faults_in_production() -> None:
    with pytest.raises(ImproperlyConfigured, match="production"):
        FaultInjectionMiddleware(ok_view)


@pytest.mark.parametrize(
    ("error_rate", "latency_ms"),
    [(-0.1, 0), (1.5, 0), (0.0, -1)],
)
def test_out_of_range_fault_settings_are_refused(error_rate: float, latency_ms: int) -> None:
    with pytest.raises(ImproperlyConfigured):
        fault_settings_validate(environment="local", error_rate=error_rate, latency_ms=latency_ms)


def load_settings(**env: str) -> subprocess.CompletedProcess:
    """Import a deployable's settings in a fresh process with exactly this environment."""
    base = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "settings.flights",
        "SECRET_KEY": "x" * 50,
        "SERVICE_TOKENS": "t" * 32,
    }
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.FAULT_ERROR_RATE)"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_refuse_to_load_with_faults_in_production() -> None:
    result = load_settings(SKYWAY_ENV="production", FAULT_ERROR_RATE="0.5")
    assert result.returncode != 0
    assert "refused when SKYWAY_ENV=production" in result.stderr


def test_without_debug_the_environment_defaults_to_production_so_faults_need_an_opt_in() -> None:
    refused = load_settings(FAULT_LATENCY_MS="100")
    assert refused.returncode != 0
    assert "production" in refused.stderr
    allowed = load_settings(SKYWAY_ENV="local", FAULT_ERROR_RATE="0.5")
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.strip() == "0.5"


def test_the_wrong_taken_fault_is_refused_in_production_and_out_of_range() -> None:
    with pytest.raises(ImproperlyConfigured, match="FAULT_WRONG_TAKEN_RATE"):
        fault_settings_validate(environment="production", error_rate=0.0, latency_ms=0, wrong_taken_rate=0.1)
    with pytest.raises(ImproperlyConfigured, match=r"within 0\.\.1"):
        fault_settings_validate(environment="local", error_rate=0.0, latency_ms=0, wrong_taken_rate=1.5)
    refused = load_settings(SKYWAY_ENV="production", FAULT_WRONG_TAKEN_RATE="0.2")
    assert refused.returncode != 0
    assert "refused when SKYWAY_ENV=production" in refused.stderr
