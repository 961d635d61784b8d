"""CPU per request of the reservations deployable's WSGI app and the book's Flask peer, in one process.

No server in front and no sockets but Redis': what the framework path costs, apart from the front
that bench/vs_book.py measures with it. Each scenario runs ``--batches`` alternating batches of
``--number`` requests per app (the order flips every batch), and prints the 25th percentile of the
batches' CPU per request (``time.process_time``) and the ratio peer / Skyway. With ``--profile
SCENARIO`` it prints cProfile's top functions of Skyway's app for that scenario instead.

    .venv/bin/python bench/inprocess_vs_book.py [--number 300] [--batches 12] [--profile reserve]

Scenarios: ``ping``; ``reserve``, a new seat for a new customer each time (every one a 200); ``list``,
a flight of 150 taken seats. Redis: REDIS_URL (keys under the bench's prefix, deleted after) or an
embedded server of its own.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import measure  # noqa: E402
from skyway.serve import BufferedWsgi  # noqa: E402

SCENARIOS = ("ping", "reserve", "list")
LETTERS = "ABCDEF"


def environ(method: str, path: str, query: str = "", body: bytes = b"") -> dict:
    """The WSGI environ skyway.serve's front builds for this request, with the bench's credential."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 40000),
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"x-service-token", measure.BENCH_SERVICE_TOKEN.encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return BufferedWsgi.environ(scope, io.BytesIO(body))


def call(app: Callable, env: dict) -> tuple[int, bytes]:
    status: list[str] = []
    result = app(env, lambda line, headers, exc_info=None: status.append(line))
    body = b"".join(result)
    getattr(result, "close", lambda: None)()
    return int(status[0].split(" ", 1)[0]), body


def seat(n: int) -> str:
    return f"{n // len(LETTERS) + 1}{LETTERS[n % len(LETTERS)]}"


def requests(scenario: str, tag: str, counter: itertools.count, list_flight: str) -> Callable[[], dict]:
    if scenario == "ping":
        return lambda: environ("GET", "/ping")
    if scenario == "list":
        return lambda: environ("GET", "/reservations", f"flight_id={list_flight}")

    def reserve() -> dict:
        n = next(counter)
        body = {"flight_id": f"{tag}-{n // 300}", "seat_num": seat(n % 300), "customer_id": f"c{n}"}
        return environ("PUT", "/reservations", body=json.dumps(body).encode())

    return reserve


def cpu_ms_per_request(
    apps: dict[str, Callable], scenario: str, number: int, batches: int, run_id: str
) -> dict:
    counters = {name: itertools.count() for name in apps}
    samples: dict[str, list[float]] = {name: [] for name in apps}
    order = list(apps)
    for batch in range(batches):
        for name in order if batch % 2 else reversed(order):
            make = requests(scenario, f"{name}-{run_id}", counters[name], f"list-{run_id}")
            envs = [make() for _ in range(number)]
            started = time.process_time()
            for env in envs:
                status, body = call(apps[name], env)
                if status != 200:
                    raise SystemExit(f"{name} {scenario}: {status} {body[:200]!r}")
            samples[name].append((time.process_time() - started) / number * 1000)
    return {name: sorted(values)[len(values) // 4] for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--number", type=int, default=300, help="requests per batch and app")
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--profile", choices=SCENARIOS, help="cProfile Skyway's app on this scenario")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="skyway-inprocess-"))
    redis_url, embedded = measure.bench_redis(work / "redis")
    run_id = uuid.uuid4().hex[:8]
    os.environ.update(
        measure.server_env(
            DJANGO_SETTINGS_MODULE="settings.reservations",
            SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-not-secret-" + "x" * 40),
            REDIS_URL=redis_url,
            REDIS_KEY_PREFIX=measure.KEY_PREFIX,
            LOG_LEVEL=os.environ.get("LOG_LEVEL", "INFO"),  # the access line is part of the cost
        )
    )
    os.environ.pop("DEBUG", None)
    try:
        import django

        django.setup()
        from bench import book_peer
        from settings.wsgi import application as skyway

        apps = {"skyway": skyway, "flask": book_peer.app.wsgi_app}
        for n in range(150):  # the list scenario's flight: each app writes it under its own keys
            body = {"flight_id": f"list-{run_id}", "seat_num": seat(n), "customer_id": f"c{n}"}
            for app in apps.values():
                call(app, environ("PUT", "/reservations", body=json.dumps(body).encode()))
        if args.profile:
            make = requests(args.profile, f"profile-{run_id}", itertools.count(), f"list-{run_id}")
            envs = [make() for _ in range(args.number * args.batches)]
            profile = cProfile.Profile()
            profile.enable()
            for env in envs:
                call(skyway, env)
            profile.disable()
            pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(30)
            return
        print(f"{'scenario':10s} {'skyway ms':>10s} {'flask ms':>10s} {'flask/skyway':>13s}", flush=True)
        for scenario in SCENARIOS:
            cpu = cpu_ms_per_request(apps, scenario, args.number, args.batches, run_id)
            print(
                f"{scenario:10s} {cpu['skyway']:10.3f} {cpu['flask']:10.3f} {cpu['flask'] / cpu['skyway']:13.2f}",
                flush=True,
            )
    finally:
        measure.bench_redis_cleanup(redis_url, embedded, work / "redis")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
