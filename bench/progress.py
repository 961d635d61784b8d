"""Progress lines of a long bench run: which section of how many, what runs now, elapsed and time left.

`bench/run_all.py` plans its sections with an expected length each (the last recorded run's, from
bench/results/history.jsonl, else an estimate from the run's --duration) and the benches report what
they start with ``note("reserve round 2/4: service")``. Each note prints one line on stderr:

    [bench 1/3 reservations  0:41 elapsed, ~1:32 left] reserve round 2/4: service

A bench run on its own (no plan) prints ``[bench 0:12] …``. The time left is the planned length of the
sections not yet done plus what remains of the current one (never below zero): an estimate, which the
line says with its "~".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def clock_text(seconds: float) -> str:
    """83.4 → "1:23"."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Sections planned with expected seconds; `note()` prints one line with where the run stands."""

    def __init__(
        self,
        plan: list[tuple[str, float]],
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.index = -1  # no section yet
        self.section_started = self.started

    def section(self, name: str) -> None:
        """The next planned section begins (its name must be the plan's next)."""
        self.index += 1
        planned = self.plan[self.index][0] if self.index < len(self.plan) else None
        if planned != name:
            raise ValueError(f"section {name!r} is not the plan's next ({planned!r})")
        self.section_started = self.clock()
        self.note("starting")

    def left_seconds(self) -> float:
        now = self.clock()
        later = sum(seconds for _, seconds in self.plan[self.index + 1 :])
        if self.index < 0:
            return later
        current = self.plan[self.index][1] - (now - self.section_started)
        return later + max(current, 0.0)

    def line(self, text: str) -> str:
        elapsed = clock_text(self.clock() - self.started)
        if self.index < 0:
            return f"[bench {elapsed}] {text}"
        name = self.plan[self.index][0]
        return (
            f"[bench {self.index + 1}/{len(self.plan)} {name}  {elapsed} elapsed, "
            f"~{clock_text(self.left_seconds())} left] {text}"
        )

    def note(self, text: str) -> None:
        print(self.line(text), file=self.stream or sys.stderr, flush=True)


_current: Progress | None = None


def start(plan: list[tuple[str, float]], **kwargs) -> Progress:
    """Make `plan` the run's progress: notes from the benches go through it."""
    global _current
    _current = Progress(plan, **kwargs)
    return _current


def stop() -> None:
    global _current
    _current = None


def section(name: str) -> None:
    """The next planned section begins (nothing when no run is planned: a bench run on its own)."""
    if _current is not None and _current.plan:
        _current.section(name)


def note(text: str) -> None:
    """What a bench starts now; printed with the run's progress (or elapsed time when run alone)."""
    global _current
    if _current is None:
        _current = Progress([])
    _current.note(text)
