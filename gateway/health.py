"""Readiness of the gateway's upstreams: each target's circuit breaker and a /ping through it.

An upstream that is down makes the gateway *degraded* (warn), not unready: it still serves what it
can (seat charts without availability, 503 + Retry-After for the rest).
"""

from __future__ import annotations

from gateway import clients
from skyway.health import timed_check


def upstream_checks() -> dict[str, list[dict]]:
    checks: dict[str, list[dict]] = {}
    for client in clients.all_clients():
        for target in client.targets():
            breaker = client.breaker_for(target)
            check = timed_check("component", lambda client=client, target=target: client.ping(target))
            check["componentId"] = f"{client.service}:{target.name}"
            check["breaker"] = breaker.state
            if check["status"] == "fail" or breaker.state != "closed":
                check["status"] = "warn"
            checks[f"{client.service}:{target.name}:responseTime"] = [check]
    return checks
