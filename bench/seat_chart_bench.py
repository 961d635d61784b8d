"""Seat-chart latency through the gateway next to the direct upstream calls, measured in one run.

Starts the split deployment (skyway.split's split_start) with the same budget for every
deployable: one launcher worker (skyway.serve) with --threads threads (4: the image's WEB_THREADS),
each pinned to a core of its own when the machine has two (gateway on CPU 0, flights and
reservations on CPU 1; only one of those two is ever busy, see below), as pods with a CPU each
would be. It reserves a realistic share of one flight's seats, then drives each scenario with wrk
at the same concurrency, in alternating rounds (G F R, R F G, ...) so a change in the machine's
load hits every scenario alike:

    gateway       GET /api/flights/{id}/seats            (token auth, both upstreams, merge)
    flights       GET /flights/{id}/seat_map             (direct)
    reservations  GET /reservations?flight_id={id}       (direct)

and prints ``scenario req/s p50_ms p99_ms`` plus gateway / max(flights, reservations) for p50 and
p99 (target ≤ 1.5), and each deployable's worker CPU per request in every scenario (from /proc).
Writes bench/results/seat_chart.json. Bounded: --duration seconds per scenario.

Why one worker per deployable, pinned: with two gthread workers sharing a listening socket,
wrk's 16 keep-alive connections land on the workers by the luck of accept(); runs with every
connection on one worker (half the machine idle) and runs split evenly differed 2x in throughput
for the same code (bench/README.md has the measurements). One worker per deployable on its own
core removes that luck; the seat map is cached by the gateway (ADR 36), so during the gateway
scenario flights is idle and reservations has CPU 1 to itself.

    .venv/bin/python bench/seat_chart_bench.py [--duration 12] [--connections 16] [--threads 4] [--rounds 3] [--no-pin]

`bench/run_all.py` can call ``run(...)`` and gets the dict the JSON file holds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    BENCH_SERVICE_TOKEN,
    SERVICE_HEADERS,
    combine,
    cpu_summary,
    require_wrk,
    worker_cpu_seconds,
    write_result,
    wrk,
)
from bench.progress import note  # noqa: E402
from skyway.split import split_start  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "seat_chart.json"
TARGET_RATIO = 1.5
TAKEN_SEATS = 60
DEPLOYABLES = ("gateway", "flights", "reservations")


def _cpu_plan(pin: bool) -> dict[str, frozenset[int]] | None:
    """Gateway on one core, the upstreams on another; None when pinning is off or impossible."""
    if not pin or not hasattr(os, "sched_setaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None
    return {
        "gateway": frozenset({cpus[0]}),
        "flights": frozenset({cpus[1]}),
        "reservations": frozenset({cpus[1]}),
    }


def _prepare(stack) -> tuple[str, str]:
    """Alice's token and an AA2532 with TAKEN_SEATS seats reserved (a few of them hers)."""
    from tests.support.flights import open_flights_via_api

    with httpx.Client(base_url=stack.gateway.url, timeout=10) as gateway:
        token = gateway.post("/api/auth/token", json={"username": "alice", "password": "skyway-demo"}).json()[
            "token"
        ]
        gateway.headers["Authorization"] = f"Token {token}"
        # The book's flight number on its next departure still open (a departed flight sells nothing).
        flight_id = open_flights_via_api(gateway, flight_no="AA2532")[0]["flight_id"]
        chart = gateway.get(f"/api/flights/{flight_id}/seats").json()
        seats = [seat["seat"] for cabin in chart["cabins"] for row in cabin["rows"] for seat in row["seats"]]
        for index, seat in enumerate(seats[:: max(1, len(seats) // TAKEN_SEATS)][:TAKEN_SEATS]):
            if index % 10 == 0:
                gateway.post(f"/api/flights/{flight_id}/reservations", json={"seat": seat})
            else:
                httpx.put(
                    f"{stack.reservations.url}/reservations",
                    json={"flight_id": flight_id, "customer_id": f"bench-{index}", "seat_num": seat},
                    headers=SERVICE_HEADERS,
                    timeout=10,
                )
        return token, flight_id


def run(
    *,
    duration: float = 12.0,
    connections: int = 16,
    threads: int = 4,
    rounds: int = 3,
    pin: bool = True,
    write: bool = True,
) -> dict:
    """Start the split deployment, measure the three scenarios, stop it; return (and write) the figures."""
    require_wrk()
    cpus = _cpu_plan(pin)
    with tempfile.TemporaryDirectory(prefix="skyway-seat-bench-") as var_dir:
        note("starting the split deployment (flights, reservations, gateway)")
        stack = split_start(
            var_dir=Path(var_dir),
            workers=1,
            gateway_workers=1,
            gateway_threads=threads,
            upstream_threads=threads,
            isolated=True,
            env_overrides={
                "LOG_LEVEL": "WARNING",
                "GATEWAY_AUTH_THROTTLE_RATE": "10000/min",
                "SERVICE_TOKENS": BENCH_SERVICE_TOKEN,
                "SECURE_TRANSPORT": "0",  # plain HTTP on loopback (docs/adr/0066)
            },
            cpus=cpus,
        )
        try:
            note(f"reserving {TAKEN_SEATS} seats of one flight")
            token, flight_id = _prepare(stack)
            scenarios = {
                "gateway": (
                    f"{stack.gateway.url}/api/flights/{flight_id}/seats",
                    {"Authorization": f"Token {token}"},
                ),
                "flights": (f"{stack.flights.url}/flights/{flight_id}/seat_map", SERVICE_HEADERS),
                "reservations": (
                    f"{stack.reservations.url}/reservations?flight_id={flight_id}",
                    SERVICE_HEADERS,
                ),
            }
            servers = {name: getattr(stack, name) for name in DEPLOYABLES}
            note(f"1 s warm-up of each of {len(scenarios)} scenarios")
            for url, headers in scenarios.values():  # warm pools, caches and lazy imports
                wrk(url, duration=1, connections=connections, headers=headers)
            rounds_of: dict[str, list[dict]] = {name: [] for name in scenarios}
            order = list(scenarios)
            for round_no in range(rounds):
                for name in order if round_no % 2 == 0 else order[::-1]:
                    url, headers = scenarios[name]
                    note(
                        f"round {round_no + 1}/{rounds} scenario {order.index(name) + 1}/{len(order)}: {name}, "
                        f"{duration / rounds:.0f} s"
                    )
                    before = {server: worker_cpu_seconds(servers[server]) for server in DEPLOYABLES}
                    figures = wrk(url, duration=duration / rounds, connections=connections, headers=headers)
                    figures["cpu_s"] = {
                        server: worker_cpu_seconds(servers[server]) - before[server] for server in DEPLOYABLES
                    }
                    rounds_of[name].append(figures)
                    time.sleep(0.3)
        finally:
            stack.stop()
    figures = {}
    for name, runs in rounds_of.items():
        requests = sum(r["requests"] for r in runs)
        figures[name] = {
            **combine(runs),
            "cpu_ms_per_request": {
                server: round(sum(r["cpu_s"][server] for r in runs) * 1000 / max(requests, 1), 3)
                for server in DEPLOYABLES
            },
        }
    upstream_p50 = max(figures["flights"]["p50_ms"], figures["reservations"]["p50_ms"])
    upstream_p99 = max(figures["flights"]["p99_ms"], figures["reservations"]["p99_ms"])
    result = {
        "benchmark": "seat_chart",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "connections": connections,
        "duration_s": duration,
        "rounds": rounds,
        "deployables": f"1 worker x {threads} threads each (skyway.serve)",
        "pinned": {name: sorted(cpu) for name, cpu in cpus.items()} if cpus else None,
        "scenarios": figures,
        "ratio_p50": round(figures["gateway"]["p50_ms"] / upstream_p50, 2),
        "ratio_p99": round(figures["gateway"]["p99_ms"] / upstream_p99, 2),
        "target_ratio": TARGET_RATIO,
    }
    result["meets_target"] = result["ratio_p50"] <= TARGET_RATIO and result["ratio_p99"] <= TARGET_RATIO
    if write:
        write_result(RESULTS, result)
    return result


def report(result: dict) -> str:
    lines = [
        f"{'scenario':<14}{'req/s':>9}{'p50_ms':>9}{'p99_ms':>9}{'errors':>8}   worker CPU ms per request",
    ]
    for name, figures in result["scenarios"].items():
        errors = figures["non_2xx"] + figures["socket_errors"]
        cpu = cpu_summary(figures["cpu_ms_per_request"])
        lines.append(
            f"{name:<14}{figures['req_s']:>9.1f}{figures['p50_ms']:>9.2f}{figures['p99_ms']:>9.2f}{errors:>8}   {cpu}"
        )
    lines.append(
        f"ratio gateway / max(flights, reservations): p50 {result['ratio_p50']}  p99 {result['ratio_p99']}"
        f"  (target ≤ {TARGET_RATIO}: {'met' if result['meets_target'] else 'MISSED'})"
    )
    pinned = result["pinned"]
    lines.append(
        f"{result['deployables']}, "
        + (", ".join(f"{name} on CPU {cpus[0]}" for name, cpus in pinned.items()) if pinned else "not pinned")
        + f"; {result['rounds']} alternating rounds, {result['connections']} connections"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seat-chart latency: gateway vs direct upstream calls.")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per scenario (all rounds)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=4, help="gthread threads of each deployable's worker")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds the duration is split into")
    parser.add_argument("--no-pin", action="store_true", help="do not pin deployables to cores")
    args = parser.parse_args(argv)
    result = run(
        duration=args.duration,
        connections=args.connections,
        threads=args.threads,
        rounds=args.rounds,
        pin=not args.no_pin,
    )
    print(report(result))
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
