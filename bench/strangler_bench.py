"""What the strangler edge (skyway.strangler, ADR 155) costs on a path the gateway owns.

One gateway (the launcher's gateway sizing: 1 worker x 16 threads) and one edge in front of it, both
on loopback; wrk (1 thread, 16 keep-alive connections) alternates direct and through-the-edge runs
of the same path in the same run, and prints each through-the-edge figure as a ratio of the direct one.
The legacy upstream is a closed port: no legacy request is sent.

    .venv/bin/python bench/strangler_bench.py [--duration 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import BENCH_SERVICE_TOKEN, combine, wrk
from skyway.serve import ServerProcess, free_port
from skyway.strangler import EdgeProcess

PATHS = ["/ping", "/api/flights?flight_no=AA2532"]  # the cheapest view, and an API answer (401 problem)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="strangler-bench-"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}},
        "SECRET_KEY": "bench-only-not-secret",
        "SERVICE_TOKENS": BENCH_SERVICE_TOKEN,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SKYWAY_VAR_DIR": str(var),
        "FLIGHTS_URL": "http://127.0.0.1:9",
        "RESERVATIONS_URL": "http://127.0.0.1:9",
        "LEGACY_UPSTREAM_URL": f"http://127.0.0.1:{free_port()}",
        "TRUSTED_PROXY_COUNT": "1",
        "LOG_LEVEL": "WARNING",
    }
    gateway = ServerProcess("settings.gateway", free_port(), env, workers=None, threads=None,
                            log_path=var / "gateway.log")  # fmt: skip
    edge = EdgeProcess("settings.gateway", gateway.url, free_port(), env, log_path=var / "edge.log")
    gateway.start()
    try:
        edge.start()
        try:
            load = os.getloadavg()[0]
            print(f"strangler edge bench: {args.rounds} rounds x {args.duration:.0f} s, "
                  f"{args.connections} connections, load avg {load:.2f} at start")  # fmt: skip
            print(f"{'path':34} {'via':6} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}  ratio of direct")
            for path in PATHS:
                rounds: dict[str, list[dict]] = {"direct": [], "edge": []}
                for _ in range(args.rounds):
                    for via, base in (("direct", gateway.url), ("edge", edge.url)):
                        rounds[via].append(
                            wrk(base + path, duration=args.duration, connections=args.connections)
                        )
                direct, through = combine(rounds["direct"]), combine(rounds["edge"])
                for via, figures in (("direct", direct), ("edge", through)):
                    ratio = (
                        "1.00 (baseline)"
                        if via == "direct"
                        else f"req/s {figures['req_s'] / direct['req_s']:.2f}, "
                        f"p50 {figures['p50_ms'] / direct['p50_ms']:.2f}, p99 {figures['p99_ms'] / direct['p99_ms']:.2f}"
                    )
                    errors = figures["socket_errors"]
                    print(f"{path:34} {via:6} {figures['req_s']:9.1f} {figures['p50_ms']:8.2f} "
                          f"{figures['p99_ms']:8.2f}  {ratio}{f'  socket errors {errors}' if errors else ''}")  # fmt: skip
            print(f"load avg {os.getloadavg()[0]:.2f} at end")
        finally:
            edge.stop()
    finally:
        gateway.stop()


if __name__ == "__main__":
    main()
