"""Hand-written plumbing next to the library that would replace it, measured in one process (ADRs 101, 103).

1. TTL map   `gateway.local_cache.LocalTTLCache` next to cachetools' `TLRUCache` (per-entry TTL) behind
             a lock, the smallest thread-safe swap with the same interface: ns per get (hit, miss) and
             per put (update, insert into a full map).
2. request id `skyway.request_id.RequestIdMiddleware` next to django-guid's `guid_middleware` (validating,
             hex ids, `X-Request-ID`), each wrapping the same trivial view: CPU µs per request with the
             header absent and present, less the same loop with no middleware.

Rounds alternate (A B B A …) so a change in the shared machine's load hits both sides alike; each
figure is the median round. Compare the ratios, not absolute numbers across runs (bench/README.md).

    .venv/bin/python bench/libraries_bench.py [--rounds 6] [--number 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))


class CachetoolsTTLMap:
    """What the swap would be: cachetools' per-entry-TTL cache, which is not thread-safe, behind a lock."""

    def __init__(self, max_entries: int) -> None:
        import cachetools

        self.max_entries = max_entries
        self._entries = cachetools.TLRUCache(
            maxsize=max_entries, ttu=lambda _key, entry, now: now + entry[0], timer=time.monotonic
        )
        self._lock = threading.Lock()  # reads take it too: a TLRUCache get reorders its LRU list

    def get(self, key: Any) -> Any:
        with self._lock:
            try:
                return self._entries[key][1]
            except KeyError:
                return None

    def put(self, key: Any, value: Any, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (ttl, value)


def _cpu_per_call(fn: Callable[[], Any], number: int) -> float:
    started = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - started) / number


def _alternate(sides: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Median of `rounds` runs per side, in A B B A order."""
    names = list(sides)
    seen: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            seen[name].append(sides[name]())
    return {name: statistics.median(values) for name, values in seen.items()}


def cache_bench(*, rounds: int, number: int) -> dict[str, dict[str, float]]:
    from gateway.local_cache import LocalTTLCache

    results: dict[str, dict[str, float]] = {}
    for case in ("get_hit", "get_miss", "put_update", "put_full"):

        def side(cls: type, case: str = case) -> Callable[[], float]:
            def run() -> float:
                cache = cls(2048)
                for index in range(2048 if case == "put_full" else 1000):
                    cache.put(index, index, 60)
                counter = iter(range(10**9, 2 * 10**9))
                calls = {
                    "get_hit": lambda: cache.get(500),
                    "get_miss": lambda: cache.get(-1),
                    "put_update": lambda: cache.put(500, 1, 60),
                    "put_full": lambda: cache.put(next(counter), 1, 60),
                }
                return _cpu_per_call(calls[case], number) * 1e9

            return run

        results[case] = _alternate(
            {"hand_written_ns": side(LocalTTLCache), "cachetools_ns": side(CachetoolsTTLMap)}, rounds
        )
        results[case]["ratio"] = results[case]["cachetools_ns"] / results[case]["hand_written_ns"]
    return results


def request_id_bench(*, rounds: int, number: int) -> dict[str, dict[str, float]]:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            INSTALLED_APPS=["django_guid"],
            ALLOWED_HOSTS=["*"],
            DJANGO_GUID={
                "GUID_HEADER_NAME": "X-Request-ID",
                "VALIDATE_GUID": True,
                "UUID_FORMAT": "hex",
                "EXPOSE_HEADER": False,
            },
        )
        django.setup()
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django_guid.middleware import guid_middleware

    from skyway.request_id import RequestIdMiddleware

    def view(request: Any) -> HttpResponse:
        return HttpResponse(b"pong")

    chains = {"none": view, "hand_written": RequestIdMiddleware(view), "django_guid": guid_middleware(view)}
    factory = RequestFactory()
    results: dict[str, dict[str, float]] = {}
    for case, headers in (("no_header", {}), ("valid_header", {"HTTP_X_REQUEST_ID": "0" * 32})):

        def side(chain: Callable, headers: dict = headers) -> Callable[[], float]:
            return lambda: _cpu_per_call(lambda: chain(factory.get("/ping", **headers)), number) * 1e6

        medians = _alternate({name: side(chain) for name, chain in chains.items()}, rounds)
        hand = medians["hand_written"] - medians["none"]
        guid = medians["django_guid"] - medians["none"]
        results[case] = {
            "request_only_us": medians["none"],
            "hand_written_us": hand,
            "django_guid_us": guid,
            "ratio": guid / hand if hand > 0 else float("inf"),
        }
    return results


def run(*, rounds: int = 6, number: int = 20_000) -> dict:
    return {
        "ttl_map": cache_bench(rounds=rounds, number=number * 10),
        "request_id": request_id_bench(rounds=rounds, number=number),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--number", type=int, default=20_000)
    args = parser.parse_args()
    print(json.dumps(run(rounds=args.rounds, number=args.number), indent=2))


if __name__ == "__main__":
    main()
