"""Weighted upstream targets read from a routes file: the traffic router on one machine (the gateway's
GATEWAY_ROUTES_FILE for its upstreams, and the front router deploy/front.py for the gateway itself).

The file maps a service to its targets::

    {"flights": [{"name": "stable", "url": "http://127.0.0.1:8001", "weight": 90},
                 {"name": "canary", "url": "http://127.0.0.1:8011", "weight": 10}]}

It is re-read when its mtime (or size) changes, checked at most every CHECK_INTERVAL seconds, so a
canary step is one atomic file write. A missing or malformed file keeps the last good routes.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 0.5


@dataclass(frozen=True)
class Target:
    """One place a service can be reached: `url` None means in-process (this process's WSGI app)."""

    name: str
    url: str | None
    weight: int = 1


class RoutesFileInvalid(ValueError):
    pass


def routes_parse(data: object) -> dict[str, tuple[Target, ...]]:
    """Validate the routes document; raise RoutesFileInvalid naming the first problem."""
    if not isinstance(data, dict):
        raise RoutesFileInvalid("the routes file must hold a JSON object of service → targets")
    routes: dict[str, tuple[Target, ...]] = {}
    for service, targets in data.items():
        if not isinstance(targets, list):
            raise RoutesFileInvalid(f"{service}: targets must be a list")
        parsed: list[Target] = []
        for index, item in enumerate(targets):
            where = f"{service}[{index}]"
            if not isinstance(item, dict):
                raise RoutesFileInvalid(f"{where}: a target must be an object")
            name, url, weight = item.get("name"), item.get("url"), item.get("weight", 1)
            if not isinstance(name, str) or not name:
                raise RoutesFileInvalid(f"{where}: name must be a non-empty string")
            if (
                not isinstance(url, str)
                or urlsplit(url).scheme not in {"http", "https"}
                or not urlsplit(url).netloc
            ):
                raise RoutesFileInvalid(f"{where}: url must be an http(s) URL")
            if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
                raise RoutesFileInvalid(f"{where}: weight must be an integer ≥ 0")
            if any(target.name == name for target in parsed):
                raise RoutesFileInvalid(f"{where}: duplicate target name {name!r}")
            parsed.append(Target(name=name, url=url.rstrip("/"), weight=weight))
        routes[service] = tuple(parsed)
    return routes


class RouteTable:
    """Thread-safe view of the routes file; pick() chooses a target per request by weight."""

    def __init__(self, path: str, check_interval: float = CHECK_INTERVAL) -> None:
        self.path = path
        self.check_interval = check_interval
        self._routes: dict[str, tuple[Target, ...]] = {}
        self._signature: tuple[int, int] | None = None
        self._next_check = 0.0
        self._lock = threading.Lock()

    def targets(self, service: str) -> tuple[Target, ...]:
        self._maybe_reload()
        return self._routes.get(service, ())

    def pick(self, service: str) -> Target | None:
        """A target for one request, by weight; None when the file does not route this service."""
        candidates = [target for target in self.targets(service) if target.weight > 0]
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        return random.choices(candidates, weights=[target.weight for target in candidates])[0]

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now < self._next_check:
            return
        with self._lock:
            if now < self._next_check:
                return
            try:
                self._reload()
            finally:
                # Only once the reload is done: a thread arriving meanwhile waits on the lock, then reads
                # what this reload produced (never the empty table before the first load).
                self._next_check = now + self.check_interval

    def _reload(self) -> None:
        """Read the file if it changed (the caller holds the lock); keep the last good routes on error."""
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            if self._signature != (-1, -1):
                logger.error("routes file unreadable, keeping the last good routes: %s", exc)
                self._signature = (-1, -1)
            return
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature == self._signature:
            return
        self._signature = signature
        try:
            with open(self.path, encoding="utf-8") as handle:
                routes = routes_parse(json.load(handle))
        except (OSError, ValueError) as exc:
            logger.error("routes file %s rejected, keeping the last good routes: %s", self.path, exc)
            return
        self._routes = routes
        logger.info(
            "routes file loaded",
            extra={
                "routes": {
                    service: [f"{t.name}={t.url}@{t.weight}" for t in targets]
                    for service, targets in routes.items()
                }
            },
        )
