"""Weighted upstream targets from GATEWAY_ROUTES_FILE: two flights processes, live weight changes."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BOOK_FLIGHT, metric, wait_until, write_routes
from tests.support.live import LiveService, free_port, running

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("healthy")]


def flights_calls(gateway: str, target: str) -> float:
    return metric(
        gateway, "skyway_gateway_upstream_requests_total", service="flights", target=target, outcome="success"
    )


def routes_loads(stack) -> int:
    """How many times the gateway has logged loading its routes file (it logs every accepted reload)."""
    return (stack.var_dir / "logs" / "gateway.log").read_text(errors="replace").count("routes file loaded")


def picked_up(stack, customer) -> None:
    """Wait until the gateway (one worker) has loaded the routes file just written.

    The gateway checks the file on a request at most every 0.5 s, so lookups keep going until its
    log shows one more load: a condition, not a guess at how long that takes.
    """
    before = routes_loads(stack)

    def loaded() -> bool:
        assert customer.http.get("/api/flights", params=BOOK_FLIGHT).status_code == 200
        return routes_loads(stack) > before

    assert wait_until(loaded, timeout=10, interval=0.05), "the gateway never reloaded the routes file"


@pytest.fixture
def canary(stack, alice):
    service = LiveService(
        settings_module="settings.flights",
        port=free_port(),
        env=stack.env,
        workers=1,
        log_path=stack.var_dir / "logs" / "flights-canary.log",
    )
    with running(service) as process:
        try:
            yield process
        finally:
            write_routes(stack.routes_file, {})
            picked_up(stack, alice)  # back on its configured upstream before it goes


def weigh(stack, customer, canary, *, stable: int, to_canary: int) -> None:
    """Write the flights targets' weights and wait until the gateway has them."""
    write_routes(
        stack.routes_file,
        {
            "flights": [
                {"name": "stable", "url": stack.flights.url, "weight": stable},
                {"name": "canary", "url": canary.url, "weight": to_canary},
            ]
        },
    )
    picked_up(stack, customer)


def lookups_per_target(stack, customer, lookups: int) -> dict[str, float]:
    """Send ``lookups`` flight lookups (each must succeed); how many the gateway sent to each target."""
    before = {t: flights_calls(stack.gateway.url, t) for t in ("stable", "canary")}
    for _ in range(lookups):
        assert customer.http.get("/api/flights", params=BOOK_FLIGHT).status_code == 200
    return {t: flights_calls(stack.gateway.url, t) - before[t] for t in before}


def test_weights_are_honoured_and_a_change_is_picked_up_live(stack, canary, alice):
    weigh(stack, alice, canary, stable=80, to_canary=20)
    split = lookups_per_target(stack, alice, 150)

    assert split["stable"] + split["canary"] == 150
    assert 0.08 < split["canary"] / 150 < 0.35

    weigh(stack, alice, canary, stable=0, to_canary=100)
    after = lookups_per_target(stack, alice, 30)

    assert after == {"stable": 0, "canary": 30}
