"""Temporal queries: a flight's seats at an instant, from the rolling snapshots vs a full replay.

Writes --events events (pipelined XADDs in the store's v2 format, explicit ids one millisecond apart, so
every instant is known) to ONE partition of a private Redis: reserves and releases over --flights flights
of that partition. Then takes the partition's snapshots (every --every events) and times, alternately,
the same query both ways through reservations.history:

    snapshot  latest snapshot at or before the instant + the partition's events after it (the API's path)
    full      the partition's stream replayed from its first event (the baseline, same run)

The instant is the worst case for the snapshots: --every - 1 events after the newest snapshot before it.
Both answers must agree. Prints the ratio snapshot / full (target < 0.10) and the one-off cost of
taking every snapshot. Loopback only; bounded by --events (Redis holds them in memory; ~15 MB at 100,000).

    .venv/bin/python bench/temporal_bench.py [--events 100000] [--every 1000] [--flights 40] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.measure import BENCH_SERVICE_TOKEN  # noqa: E402

TARGET_RATIO = 0.10
SEATS = [f"{row}{letter}" for row in range(1, 31) for letter in "ABCDEF"]


def run(*, events: int = 100_000, every: int = 1000, flights: int = 40, rounds: int = 5) -> dict:
    """Start a private Redis, measure in a child process configured for it (Django settings of its own)."""
    from tests.support.load import PrivateRedis

    with tempfile.TemporaryDirectory(prefix="skyway-temporal-") as tmp:
        root = Path(tmp)
        redis_server = PrivateRedis(root / "redis", appendfsync="no").start()
        try:
            env = {
                k: v
                for k, v in os.environ.items()
                if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "REDIS_KEY_PREFIX"}
            }
            env.update(
                DJANGO_SETTINGS_MODULE="settings.reservations",
                SECRET_KEY="bench-only-not-secret",  # noqa: S106 - a loopback bench's throwaway process
                SERVICE_TOKENS=BENCH_SERVICE_TOKEN,
                SKYWAY_VAR_DIR=str(root / "var"),
                REDIS_URL=redis_server.url,
                RESERVATIONS_SNAPSHOT_EVERY=str(every),
                RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS="0",
                LOG_LEVEL="ERROR",
            )
            command = [sys.executable, str(Path(__file__).resolve()), "--child"]
            command += ["--events", str(events), "--every", str(every), "--flights", str(flights)]
            command += ["--rounds", str(rounds)]
            out = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise RuntimeError(f"temporal bench child failed: {out.stderr.strip()[-500:]}")
            return json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            redis_server.kill()  # our own server, by its pid; its data is throwaway


def _measure(*, events: int, every: int, flights: int, rounds: int) -> dict:
    import django

    django.setup()
    from datetime import UTC, datetime

    from reservations import history, store

    partition = store.partition_of("temporal-bench-0")
    flight_ids = [
        f for f in (f"temporal-bench-{n}" for n in range(100_000)) if store.partition_of(f) == partition
    ]
    flight_ids = flight_ids[:flights]
    conn = store._conn()
    client, key = conn.client, conn.key(partition, "events")
    client.delete(key)
    t0 = int(time.time() * 1000) - events - 60_000  # one event per ms, all in the past
    rng = random.Random(12)
    held: dict[tuple[str, str], str] = {}
    started = time.perf_counter()
    with client.pipeline(transaction=False) as pipe:
        for n in range(events):
            flight, seat = rng.choice(flight_ids), rng.choice(SEATS)
            holder = held.get((flight, seat))
            if holder is None:
                held[(flight, seat)] = customer = f"c{rng.randrange(5000)}"
                kind = store.EVENT_SEAT_RESERVED
            else:
                del held[(flight, seat)]
                customer, kind = holder, store.EVENT_SEAT_RELEASED
            fields = {"type": kind, "flight_id": flight, "seat_no": seat, "customer_id": customer}
            pipe.xadd(key, fields, id=f"{t0 + n}-0")
            if n % 5000 == 4999:
                pipe.execute()
        pipe.execute()
    write_s = time.perf_counter() - started

    started = time.perf_counter()
    report = history.snapshots_take(partition=partition)
    snapshot_s = time.perf_counter() - started

    # Worst case for the snapshots: the event just before the next snapshot (every - 1 events after one).
    last_snapshot_ordinal = (events // every) * every
    query_ordinal = last_snapshot_ordinal - 1 if last_snapshot_ordinal == events else events
    at = datetime.fromtimestamp((t0 + query_ordinal - 1) / 1000, UTC)
    flight = flight_ids[0]
    timings: dict[str, list[float]] = {"snapshot": [], "full": []}
    answers = {}
    for _round in range(rounds):
        for name, use in (("snapshot", True), ("full", False)):
            started = time.perf_counter()
            answers[name] = history.flight_state_at(flight_id=flight, at=at, use_snapshots=use)
            timings[name].append(time.perf_counter() - started)
    snap_ms = statistics.median(timings["snapshot"]) * 1000
    full_ms = statistics.median(timings["full"]) * 1000
    agree = answers["snapshot"].seats == answers["full"].seats
    ratio = snap_ms / full_ms
    client.flushdb()
    return {
        "events": events,
        "every": every,
        "flights": len(flight_ids),
        "rounds": rounds,
        "write_s": round(write_s, 2),
        "snapshots_taken": report.taken,
        "snapshots_take_s": round(snapshot_s, 2),
        "replayed_after_snapshot": answers["snapshot"].replayed_events,
        "replayed_full": answers["full"].replayed_events,
        "snapshot_ms": round(snap_ms, 2),
        "full_ms": round(full_ms, 2),
        "ratio": round(ratio, 4),
        "target_ratio": TARGET_RATIO,
        "answers_agree": agree,
        "ok": agree and ratio < TARGET_RATIO,
    }


def summary(result: dict) -> str:
    return (
        f"temporal query over {result['events']} events of one partition ({result['flights']} flights, "
        f"snapshot every {result['every']}): snapshot+{result['replayed_after_snapshot']} events "
        f"{result['snapshot_ms']:.1f} ms vs full replay of {result['replayed_full']} {result['full_ms']:.1f} ms "
        f"= {result['ratio']:.3f} of the full replay (target < {result['target_ratio']}); answers agree: "
        f"{result['answers_agree']}; taking {result['snapshots_taken']} snapshots {result['snapshots_take_s']} s "
        f"-> {'OK' if result['ok'] else 'FAILED'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=1000, help="RESERVATIONS_SNAPSHOT_EVERY")
    parser.add_argument("--flights", type=int, default=40, help="flights of the one partition")
    parser.add_argument("--rounds", type=int, default=5, help="alternating timings of each query")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.every <= args.events <= 1_000_000:
        parser.error("need 1 <= --every <= --events <= 1,000,000")
    options = {"events": args.events, "every": args.every, "flights": args.flights, "rounds": args.rounds}
    if args.child:
        print(json.dumps(_measure(**options)))
        return 0
    result = run(**options)
    print(summary(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
