"""Readiness check of the gateway's upstreams (filled in by the gateway)."""


def upstream_checks() -> dict[str, list[dict]]:
    return {}
