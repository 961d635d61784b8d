"""Prometheus metrics of upstream calls, in the default registry (django-prometheus exports it at /metrics).

The release engineer's canary analysis reads these per target. Under the launcher they are the
instance's totals whatever WEB_WORKERS is (Prometheus multiprocess mode, skyway.metrics, ADR 0123).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

OUTCOMES = ("success", "client_error", "server_error", "connection_error", "timeout", "breaker_open")

UPSTREAM_REQUESTS = Counter(
    "skyway_gateway_upstream_requests",
    "Upstream calls made by the gateway, by service, target and outcome.",
    ["service", "target", "outcome"],
)
UPSTREAM_LATENCY = Histogram(
    "skyway_gateway_upstream_latency_seconds",
    "Latency of upstream calls made by the gateway (every attempt, whatever its outcome).",
    ["service", "target"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# The reservations business signal of a rollout (docs/adr/0114): each answer to a reserve, by the target
# that gave it. A refusal is checked once against the flight's holders: "refused_free" is a seat refused
# as taken that nobody holds — what a build answering wrong 403s (and no 5xx) shows, and nothing else.
RESERVE_OUTCOMES = ("reserved", "refused_held", "refused_free", "refused_unchecked", "other")
RESERVES = Counter(
    "skyway_gateway_reserves",
    "Answers of the reservations service to seat reserves, by target and business outcome.",
    ["target", "outcome"],
)


def reserve_record(target: str, outcome: str) -> None:
    RESERVES.labels(target=target, outcome=outcome).inc()


def record(service: str, target: str, outcome: str, seconds: float | None = None) -> None:
    UPSTREAM_REQUESTS.labels(service=service, target=target, outcome=outcome).inc()
    if seconds is not None:
        UPSTREAM_LATENCY.labels(service=service, target=target).observe(seconds)
