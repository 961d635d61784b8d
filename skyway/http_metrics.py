"""The request metrics every deployable exports: django-prometheus's names, only the series we read (ADR 150).

django-prometheus's two middlewares update some 16 series per request (body-size histograms, charset,
template name, "before middlewares" copies...); in multiprocess mode (ADR 123) each update is a locked
write to a memory-mapped file. Nothing here reads most of them. This one middleware, in the place of
``PrometheusAfterMiddleware`` (innermost), updates the series the canary analysis (deploy/analysis.py,
the k8s AnalysisTemplates), the tests and the ops pages read, with django-prometheus's names, labels
and buckets, so a dashboard or a query written against django-prometheus reads the same figures:

- ``django_http_requests_total_by_method{method}``
- ``django_http_requests_total_by_view_transport_method{view,transport,method}`` (a resolved view)
- ``django_http_responses_total_by_status{status}``
- ``django_http_requests_latency_seconds_by_view_method{view,method}`` (histogram)
- ``django_http_exceptions_total_by_type{type}``, ``django_http_exceptions_total_by_view{view}``

Labelled children are looked up once per label set and kept (prometheus_client's ``labels()`` takes a
lock and builds a tuple on every call).

The kubelet's probes and Prometheus' scrapes are served but not counted (``User-Agent`` ``kube-probe/…``
or ``Prometheus/…``): they are not traffic, and in a cluster a quiet canary's error rate and latency
would otherwise be diluted by its own `/ping`, `/health` and `/metrics` answers (ADR 157).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django_prometheus.conf import PROMETHEUS_LATENCY_BUCKETS
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

UNNAMED_VIEW = "<unnamed view>"
# User-Agent prefixes of requests that are not traffic: the kubelet's probes, Prometheus' scrapes.
NOT_TRAFFIC = ("kube-probe/", "Prometheus/")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "CONNECT", "PATCH"})


class _Metrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        def counter(name: str, documentation: str, *labels: str) -> Counter:
            return Counter(name, documentation, labels, registry=registry)

        self.by_method = counter(
            "django_http_requests_total_by_method", "Count of requests by method.", "method"
        )
        self.by_view_transport_method = counter(
            "django_http_requests_total_by_view_transport_method",
            "Count of requests by view, transport, method.",
            "view",
            "transport",
            "method",
        )
        self.by_status = counter(
            "django_http_responses_total_by_status", "Count of responses by status.", "status"
        )
        self.latency_by_view_method = Histogram(
            "django_http_requests_latency_seconds_by_view_method",
            "Histogram of request processing time labelled by view.",
            ["view", "method"],
            buckets=PROMETHEUS_LATENCY_BUCKETS,
            registry=registry,
        )
        self.exceptions_by_type = counter(
            "django_http_exceptions_total_by_type", "Count of exceptions by object type.", "type"
        )
        self.exceptions_by_view = counter(
            "django_http_exceptions_total_by_view", "Count of exceptions by view.", "view"
        )
        self._children: dict[tuple, Any] = {}

    def child(self, metric: Counter | Histogram, *labels: str) -> Any:
        key = (id(metric), *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found


_metrics: _Metrics | None = None


def _instance() -> _Metrics:
    """One set per process: the middleware is built once per handler, tests build several handlers."""
    global _metrics
    if _metrics is None:
        _metrics = _Metrics()
    return _metrics


def _method(request: HttpRequest) -> str:
    return request.method if request.method in _METHODS else "<invalid method>"


def _view_name(request: HttpRequest) -> str:
    match = request.resolver_match
    return (match.view_name if match is not None else None) or UNNAMED_VIEW


class HttpMetricsMiddleware:
    """Innermost middleware: counts the request, its view, its status, and times it (as django-prometheus's
    After middleware did, so the figures keep their meaning)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.metrics = _instance()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("HTTP_USER_AGENT", "").startswith(NOT_TRAFFIC):
            request.skyway_not_traffic = True
            return self.get_response(request)
        metrics = self.metrics
        method = _method(request)
        metrics.child(metrics.by_method, method).inc()
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.child(metrics.by_status, str(response.status_code)).inc()
        metrics.child(metrics.latency_by_view_method, _view_name(request), request.method).observe(
            time.perf_counter() - started
        )
        return response

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> None:
        if getattr(request, "skyway_not_traffic", False):
            return
        metrics = self.metrics
        transport = "https" if request.is_secure() else "http"
        metrics.child(
            metrics.by_view_transport_method, _view_name(request), transport, _method(request)
        ).inc()

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if getattr(request, "skyway_not_traffic", False):
            return
        metrics = self.metrics
        metrics.child(metrics.exceptions_by_type, type(exception).__name__).inc()
        if request.resolver_match is not None:
            metrics.child(metrics.exceptions_by_view, _view_name(request)).inc()
