"""Contention: thousands of customers race for the same few seats; exactly one wins each seat.

Starts the reservations service through the launcher (skyway.serve) on a private Redis (AOF, appendfsync always), fires
--attempts concurrent PUT /reservations from distinct customers at --seats seats of one flight (every
seat wanted by attempts/seats customers at once), then reads Redis and the event stream directly:

    attempts, winners (200), refused (403), other answers, seats held,
    double bookings (a SeatReserved for a seat already held, in the log),
    lost acknowledgements (a 200 whose seat is not held by that customer),
    hash/log disagreements.

Passes when winners == seats held == SeatReserved events == --seats and every other number is 0.
Loopback only, bounded by --attempts.

    .venv/bin/python bench/contention.py [--attempts 2000] [--seats 100] [--workers 4] [--concurrency 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.measure import BENCH_SERVICE_TOKEN, SERVICE_HEADERS  # noqa: E402
from bench.progress import note  # noqa: E402
from skyway.serve import ServerProcess, free_port  # noqa: E402
from skyway.split import local_env  # noqa: E402
from tests.support.load import PrivateRedis, log_replay, seat_numbers, store_snapshot  # noqa: E402


async def _fire(url: str, flight_id: str, seats: list[str], attempts: int, concurrency: int) -> list[tuple]:
    """Every attempt at once (bounded by `concurrency` open connections); (seat, customer, status, error)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Event()
    # The semaphore, not the pool, queues the excess: httpcore's pool scans its whole queue per request.
    in_flight = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, headers=SERVICE_HEADERS, timeout=30) as client:

        async def one(index: int) -> tuple:
            seat, customer = seats[index % len(seats)], f"contender-{index}"
            await gate.wait()  # all tasks are queued before the first request leaves
            async with in_flight:
                try:
                    response = await client.put(
                        "/reservations",
                        json={"flight_id": flight_id, "customer_id": customer, "seat_num": seat},
                    )
                    return seat, customer, response.status_code, None
                except httpx.HTTPError as exc:
                    return seat, customer, None, type(exc).__name__

        tasks = [asyncio.create_task(one(index)) for index in range(attempts)]
        await asyncio.sleep(0)
        gate.set()
        return await asyncio.gather(*tasks)


def run(*, attempts: int = 2000, seats: int = 100, workers: int = 4, concurrency: int = 200) -> dict:
    """Race `attempts` distinct customers for `seats` seats; return the counts and the verdict."""
    seat_ids = seat_numbers(range(1, seats // 4 + 2), "ABCD")[:seats]
    flight_id = f"contention-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="skyway-contention-") as tmp:
        root = Path(tmp)
        note(f"starting a private Redis and the reservations service ({workers} workers)")
        redis_server = PrivateRedis(root / "redis").start()
        service = None
        try:
            env = local_env(
                SKYWAY_VAR_DIR=str(root / "var"),
                REDIS_URL=redis_server.url,
                LOG_LEVEL="ERROR",
                SERVICE_TOKENS=BENCH_SERVICE_TOKEN,
            )
            for shared in ("FLIGHTS_DATABASE_URL", "GATEWAY_DATABASE_URL", "REDIS_KEY_PREFIX"):
                env.pop(shared, None)  # a private run: its own Redis, nothing of the caller's stores
            service = ServerProcess(
                settings_module="settings.reservations",
                port=free_port(),
                env=env,
                workers=workers,
                log_path=root / "reservations.log",
            ).start()
            note(f"{attempts} concurrent reserves ({concurrency} at once) at {seats} seats")
            started = time.perf_counter()
            outcomes = asyncio.run(_fire(service.url, flight_id, seat_ids, attempts, concurrency))
            elapsed = time.perf_counter() - started
            note("reading the flight hash and the event log back")
            snapshot = store_snapshot(redis_server.client(), [flight_id])
        finally:
            if service is not None:
                service.kill()
            redis_server.shutdown()
    held = snapshot.hashes[flight_id]
    double_bookings: list[str] = []
    replayed = log_replay(snapshot.events, double_bookings)
    winners = [(seat, customer) for seat, customer, status, _ in outcomes if status == 200]
    lost = [(seat, customer) for seat, customer in winners if held.get(seat) != customer]
    other = [o for o in outcomes if o[2] not in (200, 403)]
    reserved_events = sum(1 for e in snapshot.events if e["type"] == "SeatReserved")
    result = {
        "bench": "contention",
        "attempts": attempts,
        "seats": seats,
        "workers": workers,
        "concurrency": concurrency,
        "elapsed_s": round(elapsed, 2),
        "winners": len(winners),
        "refused_403": sum(1 for o in outcomes if o[2] == 403),
        "other_answers": len(other),
        "other_examples": [list(o) for o in other[:5]],
        "seats_held": len(held),
        "seat_reserved_events": reserved_events,
        "double_bookings": len(double_bookings),
        "lost_acknowledgements": len(lost),
        "hash_matches_log": replayed.get(flight_id, {}) == held,
    }
    result["ok"] = (
        result["winners"] == result["seats_held"] == reserved_events == seats
        and result["refused_403"] == attempts - seats
        and not other
        and not double_bookings
        and not lost
        and result["hash_matches_log"]
    )
    return result


def report(result: dict) -> str:
    return (
        f"{result['attempts']} attempts at {result['seats']} seats in {result['elapsed_s']}s: "
        f"{result['winners']} winners, {result['refused_403']} refused (403), {result['other_answers']} other, "
        f"{result['seats_held']} held, {result['seat_reserved_events']} SeatReserved events, "
        f"{result['double_bookings']} double-bookings, {result['lost_acknowledgements']} lost acks, "
        f"hash=log {result['hash_matches_log']} -> {'OK' if result['ok'] else 'FAILED'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Many customers, few seats: exactly one winner per seat.")
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4, help="server workers of the reservations service")
    parser.add_argument("--concurrency", type=int, default=200, help="open client connections at once")
    args = parser.parse_args(argv)
    result = run(attempts=args.attempts, seats=args.seats, workers=args.workers, concurrency=args.concurrency)
    print(report(result))
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
