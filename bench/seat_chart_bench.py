"""Seat-chart latency through the gateway next to the direct upstream calls, measured in one run.

Starts the split deployment (scripts/run_split.py's split_start) with the same process budget for
every deployable: --workers gunicorn workers each, gthread workers so connections are kept alive
(the gateway x 8 threads, the upstreams x 4), reserves a realistic share of one flight's
seats, then drives each scenario in turn with wrk at the same concurrency:

    gateway       GET /api/flights/{id}/seats            (token auth, both upstreams, merge)
    flights       GET /flights/{id}/seat_map             (direct)
    reservations  GET /reservations?flight_id={id}       (direct)

and prints ``scenario p50_ms p99_ms`` plus gateway / max(flights, reservations) for p50 and p99
(target ≤ 1.5). Writes bench/results/seat_chart.json. Bounded: --duration seconds per scenario.

    .venv/bin/python bench/seat_chart_bench.py [--duration 10] [--connections 16] [--workers 2]

`bench/run_all.py` can call ``run(...)`` and gets the dict the JSON file holds.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "seat_chart.json"
TARGET_RATIO = 1.5
TAKEN_SEATS = 60
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _split_module():
    spec = importlib.util.spec_from_file_location("run_split", ROOT / "scripts" / "run_split.py")
    module = sys.modules.setdefault("run_split", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(number) * _UNITS_MS[unit], 3)


def wrk(url: str, *, duration: float, connections: int, headers: dict[str, str] | None = None) -> dict:
    """One wrk run (1 thread: the cores belong to the servers); p50/p99 in ms, requests, errors."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+([\d.]+\w+)", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def _prepare(stack) -> tuple[str, str]:
    """Alice's token and the book's flight with TAKEN_SEATS seats reserved (a few of them hers)."""
    gateway = httpx.Client(base_url=stack.gateway.url, timeout=10)
    token = gateway.post("/api/auth/token", json={"username": "alice", "password": "skyway-demo"}).json()[
        "token"
    ]
    gateway.headers["Authorization"] = f"Token {token}"
    flight_id = gateway.get("/api/flights", params={"flight_no": "AA2532", "date": "2020-05-17"}).json()[0][
        "flight_id"
    ]
    chart = gateway.get(f"/api/flights/{flight_id}/seats").json()
    seats = [seat["seat"] for cabin in chart["cabins"] for row in cabin["rows"] for seat in row["seats"]]
    for index, seat in enumerate(seats[:: max(1, len(seats) // TAKEN_SEATS)][:TAKEN_SEATS]):
        if index % 10 == 0:
            gateway.post(f"/api/flights/{flight_id}/reservations", json={"seat": seat})
        else:
            httpx.put(
                f"{stack.reservations.url}/reservations",
                json={"flight_id": flight_id, "customer_id": f"bench-{index}", "seat_num": seat},
                timeout=10,
            )
    return token, flight_id


def _gateway_workers(workers: int) -> int:
    return int(os.environ.get("BENCH_GATEWAY_WORKERS", str(workers)))


def run(*, duration: float = 10.0, connections: int = 16, workers: int = 2, write: bool = True) -> dict:
    """Start the split deployment, measure the three scenarios, stop it; return (and write) the figures."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (scripts/bootstrap.sh installs it: apt-get install wrk)")
    run_split = _split_module()
    with tempfile.TemporaryDirectory(prefix="skyway-seat-bench-") as var_dir:
        stack = run_split.split_start(
            var_dir=Path(var_dir),
            workers=workers,
            # Every deployable gets the same process budget (`workers`), and the upstreams run gthread
            # workers so the gateway's pooled keep-alive connections are kept (sync workers close each one).
            # Override with BENCH_GATEWAY_WORKERS / BENCH_GATEWAY_THREADS / BENCH_UPSTREAM_THREADS.
            gateway_workers=_gateway_workers(workers),
            gateway_threads=int(os.environ.get("BENCH_GATEWAY_THREADS", "8")),
            upstream_threads=int(os.environ.get("BENCH_UPSTREAM_THREADS", "4")),
            isolated=True,
            env_overrides={"LOG_LEVEL": "WARNING", "GATEWAY_AUTH_THROTTLE_RATE": "10000/min"},
        )
        try:
            token, flight_id = _prepare(stack)
            scenarios = {
                "gateway": (
                    f"{stack.gateway.url}/api/flights/{flight_id}/seats",
                    {"Authorization": f"Token {token}"},
                ),
                "flights": (f"{stack.flights.url}/flights/{flight_id}/seat_map", None),
                "reservations": (f"{stack.reservations.url}/reservations?flight_id={flight_id}", None),
            }
            for url, headers in scenarios.values():  # warm pools, caches and lazy imports
                wrk(url, duration=1, connections=connections, headers=headers)
            figures = {}
            for name, (url, headers) in scenarios.items():
                figures[name] = wrk(url, duration=duration, connections=connections, headers=headers)
                time.sleep(0.5)
        finally:
            stack.stop()
    upstream_p50 = max(figures["flights"]["p50_ms"], figures["reservations"]["p50_ms"])
    upstream_p99 = max(figures["flights"]["p99_ms"], figures["reservations"]["p99_ms"])
    result = {
        "benchmark": "seat_chart",
        "connections": connections,
        "duration_s": duration,
        "upstream_workers": workers,
        "gateway": f"{_gateway_workers(workers)} workers x {os.environ.get('BENCH_GATEWAY_THREADS', '8')} threads",
        "upstream_threads": int(os.environ.get("BENCH_UPSTREAM_THREADS", "4")),
        "scenarios": figures,
        "ratio_p50": round(figures["gateway"]["p50_ms"] / upstream_p50, 2),
        "ratio_p99": round(figures["gateway"]["p99_ms"] / upstream_p99, 2),
        "target_ratio": TARGET_RATIO,
    }
    result["meets_target"] = result["ratio_p50"] <= TARGET_RATIO and result["ratio_p99"] <= TARGET_RATIO
    if write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def report(result: dict) -> str:
    lines = [f"{'scenario':<14}{'p50_ms':>10}{'p99_ms':>10}{'requests':>10}{'errors':>8}"]
    for name, figures in result["scenarios"].items():
        errors = figures["non_2xx"] + figures["socket_errors"]
        lines.append(
            f"{name:<14}{figures['p50_ms']:>10.2f}{figures['p99_ms']:>10.2f}{figures['requests']:>10}{errors:>8}"
        )
    lines.append(
        f"ratio gateway / max(flights, reservations): p50 {result['ratio_p50']}  p99 {result['ratio_p99']}"
        f"  (target ≤ {TARGET_RATIO}: {'met' if result['meets_target'] else 'MISSED'})"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seat-chart latency: gateway vs direct upstream calls.")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of flights and reservations")
    args = parser.parse_args(argv)
    result = run(duration=args.duration, connections=args.connections, workers=args.workers)
    print(report(result))
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
