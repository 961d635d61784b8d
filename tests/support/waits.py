"""Waiting on a condition instead of a fixed sleep: poll until it holds or the time is up."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.2) -> bool:
    """True as soon as ``predicate()`` holds, False after ``timeout`` seconds; an HTTP error while
    polling (a server still starting, or restarting) counts as "not yet"."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    return False
