"""Liveness and readiness in the Health Check Response Format for HTTP APIs (draft-inadarei).

/ping answers without I/O. /health runs the checks listed in settings.HEALTH_CHECKS (dotted paths
of callables returning ``{"component:measurement": [check, ...]}``) and answers 503 when any fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.http import require_GET

CONTENT_TYPE = "application/health+json"
_RANK = {"pass": 0, "warn": 1, "fail": 2}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timed_check(component_type: str, probe: Callable[[], object]) -> dict:
    """Run one probe; report its response time in ms, or its failure as output."""
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # a failed probe is a result, not an error of /health
        return {
            "componentType": component_type,
            "status": "fail",
            "output": f"{type(exc).__name__}: {exc}"[:300],
            "time": now_iso(),
        }
    return {
        "componentType": component_type,
        "observedValue": round((time.perf_counter() - started) * 1000, 3),
        "observedUnit": "ms",
        "status": "pass",
        "time": now_iso(),
    }


def database_checks() -> dict[str, list[dict]]:
    """One responseTime check per SQL database alias of this deployable."""
    checks: dict[str, list[dict]] = {}
    for alias in connections:
        connection = connections[alias]
        if connection.settings_dict.get("ENGINE") == "django.db.backends.dummy":
            continue

        def probe(connection=connection):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()

        check = timed_check("datastore", probe)
        check["componentId"] = alias
        checks[f"{connection.vendor}:{alias}:responseTime"] = [check]
    return checks


@cache
def _checkers() -> list[Callable[[], dict[str, list[dict]]]]:
    return [import_string(path) for path in getattr(settings, "HEALTH_CHECKS", [])]


def overall_status(checks: dict[str, list[dict]]) -> str:
    statuses = [item["status"] for items in checks.values() for item in items] or ["pass"]
    return max(statuses, key=_RANK.__getitem__)


@require_GET
def ping(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"status": "pass", "serviceId": settings.SERVICE_NAME},
        content_type=CONTENT_TYPE,
    )


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks: dict[str, list[dict]] = {}
    for checker in _checkers():
        checks.update(checker())
    status = overall_status(checks)
    body = {
        "status": status,
        "version": "1",
        "releaseId": settings.RELEASE_ID,
        "serviceId": settings.SERVICE_NAME,
        "description": f"Skyway {settings.SERVICE_NAME} readiness",
        "checks": checks,
    }
    return JsonResponse(body, status=503 if status == "fail" else 200, content_type=CONTENT_TYPE)
