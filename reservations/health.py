"""Readiness check of the reservations store (filled in by the reservations context)."""


def redis_checks() -> dict[str, list[dict]]:
    return {}
