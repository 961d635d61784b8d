"""Readiness of the gateway's upstreams: each target's circuit breaker and a /ping through it.

An upstream that is down makes the gateway *degraded* (warn), not unready: it still serves what it
can (seat charts without availability, 503 + Retry-After for the rest). An upstream that refuses the
gateway's service credential makes it unready (fail → 503): that is a deployment fault (a rotation
that dropped the token this gateway sends) and no retry fixes it.
"""

from __future__ import annotations

from gateway import clients
from gateway.errors import CredentialRefused
from skyway.health import timed_check


def upstream_checks() -> dict[str, list[dict]]:
    checks: dict[str, list[dict]] = {}
    for client in clients.all_clients():
        for target in client.targets():
            breaker = client.breaker_for(target)
            check = timed_check("component", lambda client=client, target=target: client.ping(target))
            check["componentId"] = f"{client.service}:{target.name}"
            check["breaker"] = breaker.state
            if check["status"] == "fail" and check.get("output", "").startswith(CredentialRefused.__name__):
                # A refused credential will not heal by itself: unready (503), naming the upstream.
                check["output"] = f"{client.service} refuses this gateway's service credential"
            elif check["status"] == "fail" or breaker.state != "closed":
                check["status"] = "warn"
            checks[f"{client.service}:{target.name}:responseTime"] = [check]
    return checks
