"""The gateway's own circuit breaker (ADR 104): one clock, one lock, one probe at a time."""

from __future__ import annotations

import freezegun

from gateway.clients.base import Breaker
from gateway.errors import UpstreamUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


FAILURE = UpstreamUnavailable("flights")


def opened(clock: Clock, *, fail_max: int = 2, reset: float = 1.0, probe: float = 5.0) -> Breaker:
    breaker = Breaker(
        "flights:default", fail_max=fail_max, reset_seconds=reset, probe_seconds=probe, clock=clock
    )
    for _ in range(fail_max):
        breaker.record_failure(FAILURE)
    assert breaker.state == "open"
    return breaker


def test_it_opens_on_consecutive_failures_only() -> None:
    breaker = Breaker("flights:default", fail_max=3, reset_seconds=1.0, clock=Clock())
    for _ in range(5):  # a success between failures restarts the count
        breaker.record_failure(FAILURE)
        breaker.record_failure(FAILURE)
        breaker.record_success()
    assert breaker.state == "closed"
    for _ in range(3):
        breaker.record_failure(FAILURE)
    assert breaker.state == "open"


def test_the_open_period_follows_the_monotonic_clock_alone() -> None:
    """A wall-clock step (NTP, a VM resumed) neither shortens nor stretches the open period."""
    clock = Clock()
    with freezegun.freeze_time("2026-12-01 12:00:00") as wall:
        breaker = opened(clock, reset=1.0)
        wall.move_to("2026-12-02 12:00:00")  # the wall clock jumps a day ahead
        assert breaker.open_for() == 1.0
        wall.move_to("2026-11-30 12:00:00")  # and back
        clock.now += 0.6
        assert round(breaker.open_for(), 6) == 0.4
        clock.now += 0.4
        assert breaker.open_for() == 0.0  # due: this caller is the probe
        assert breaker.state == "half-open"


def test_half_open_admits_one_probe_and_its_success_closes() -> None:
    clock = Clock()
    breaker = opened(clock, reset=1.0, probe=5.0)
    clock.now += 1.0
    assert breaker.open_for() == 0.0  # the probe
    assert breaker.open_for() == 5.0  # everyone else waits for its outcome
    clock.now += 2.0
    assert breaker.open_for() == 3.0
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.open_for() == 0.0


def test_a_failed_probe_reopens_for_a_full_period() -> None:
    clock = Clock()
    breaker = opened(clock, reset=1.0)
    clock.now += 1.0
    assert breaker.open_for() == 0.0
    breaker.record_failure(FAILURE)
    assert breaker.state == "open"
    assert breaker.open_for() == 1.0


def test_a_probe_that_never_answers_is_replaced_after_a_full_try() -> None:
    clock = Clock()
    breaker = opened(clock, reset=1.0, probe=5.0)
    clock.now += 1.0
    assert breaker.open_for() == 0.0
    clock.now += 5.0
    assert breaker.open_for() == 0.0  # a new probe
    assert breaker.open_for() == 5.0


def test_late_answers_of_calls_made_before_it_opened_change_nothing() -> None:
    clock = Clock()
    breaker = opened(clock, reset=1.0)
    clock.now += 0.5
    breaker.record_success()  # a slow call that started while closed
    assert breaker.state == "open"
    breaker.record_failure(FAILURE)
    assert round(breaker.open_for(), 6) == 0.5  # not restarted either
