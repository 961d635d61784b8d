"""What Prometheus multiprocess mode costs a request and a scrape (ADR 123), next to the in-memory registry.

One "request's metrics" is what django-prometheus records per request here: 8 labelled counter
increments and 3 labelled histogram observations. Each mode runs in a fresh interpreter (prometheus_client
picks its value class at import), rounds alternate (memory, files, files, memory …) and each figure is
the median round's CPU µs. The scrape is generate_latest() of the default registry against
MultiProcessCollector over two workers' files holding the same series.

    .venv/bin/python bench/metrics_bench.py [--rounds 6] [--number 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKLOAD = r"""
import json, os, sys, time
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
number = int(sys.argv[1])
counters = [Counter(f"bench_counter_{i}", "c", ["view", "method", "status"]) for i in range(8)]
histograms = [Histogram(f"bench_histogram_{i}", "h", ["view", "method"]) for i in range(3)]
views = [f"view_{i}" for i in range(20)]
def one_request(i):
    view = views[i % 20]
    for counter in counters:
        counter.labels(view=view, method="GET", status="200").inc()
    for histogram in histograms:
        histogram.labels(view=view, method="GET").observe(0.003)
if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and os.fork() == 0:  # a second worker with its own files
    for i in range(1000):
        one_request(i)
    os._exit(0)
start = time.process_time()
for i in range(number):
    one_request(i)
record_us = (time.process_time() - start) / number * 1e6
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.wait()
    from prometheus_client import multiprocess
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
else:
    registry = REGISTRY
start = time.process_time()
for _ in range(20):
    page = generate_latest(registry)
scrape_ms = (time.process_time() - start) / 20 * 1e3
print(json.dumps({"record_us": record_us, "scrape_ms": scrape_ms, "page_bytes": len(page)}))
"""


def run_mode(mode: str, number: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    with tempfile.TemporaryDirectory() as directory:
        if mode == "files":
            env["PROMETHEUS_MULTIPROC_DIR"] = directory
        out = subprocess.run(
            [sys.executable, "-c", WORKLOAD, str(number)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return json.loads(out)


def run(*, rounds: int = 6, number: int = 20_000) -> dict:
    """Median CPU µs per request's metrics and ms per scrape, per mode, and the files/memory ratios."""
    results: dict[str, list[dict[str, float]]] = {"memory": [], "files": []}
    for round_ in range(rounds):
        for mode in ("memory", "files") if round_ % 2 == 0 else ("files", "memory"):
            results[mode].append(run_mode(mode, number))
    median = {
        mode: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for mode, runs in results.items()
    }
    return {
        "rounds": rounds,
        "number": number,
        "load_avg": os.getloadavg()[0],
        "median": median,
        "ratio_record": median["files"]["record_us"] / median["memory"]["record_us"],
        "ratio_scrape": median["files"]["scrape_ms"] / median["memory"]["scrape_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--number", type=int, default=20_000)
    args = parser.parse_args()
    figures = run(rounds=args.rounds, number=args.number)
    print(
        f"metrics bench: {args.rounds} rounds x {args.number} requests' metrics, load avg {figures['load_avg']:.2f}"
    )
    print(f"{'mode':<28} {'record µs/req':>14} {'scrape ms':>10} {'page bytes':>11}")
    for mode, label in (("memory", "in-memory registry (before)"), ("files", "multiprocess, 2 workers")):
        m = figures["median"][mode]
        print(f"{label:<28} {m['record_us']:>14.1f} {m['scrape_ms']:>10.2f} {m['page_bytes']:>11.0f}")
    print(f"ratio files/memory: record {figures['ratio_record']:.2f}, scrape {figures['ratio_scrape']:.2f}")


if __name__ == "__main__":
    main()
