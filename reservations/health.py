"""Readiness check of the reservations store: one Redis round trip, timed."""

from skyway.health import timed_check


def redis_checks() -> dict[str, list[dict]]:
    from reservations import store  # late: /health of other deployables imports this module

    check = timed_check("datastore", store.ping)
    check["componentId"] = "reservations"
    return {"redis:responseTime": [check]}
