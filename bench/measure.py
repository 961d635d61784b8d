"""What every bench shares: one wrk run parsed, rounds combined, workers' CPU read from /proc.

Also what the server benches share around it: the environment of the servers they start, the Redis
they use and clean afterwards, the wrk script of a winning reserve, the seeded flight, the results
file and the command-line knobs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skyway.serve import ServerProcess

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
# The service credential of the processes a bench starts (SERVICE_TOKENS), and the header the gateway
# would send: benches call the internal services directly, as the gateway does.
BENCH_SERVICE_TOKEN = "bench-only-service-token-0123456789abcdef"  # noqa: S105 - loopback benches only
SERVICE_HEADERS = {"X-Service-Token": BENCH_SERVICE_TOKEN}
ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
KEY_PREFIX = "skyway-bench:"  # the Redis keys of a bench run, deleted afterwards on a shared Redis
LIST_SEATS = 150  # seats taken on the flight the list scenarios read

# One wrk request per call: a fresh seat (row 1-999 x A-K) and customer every time, so every PUT
# is a winning reserve on every server (distinct flight prefixes keep them apart). A flight id
# takes 180 seats, an aircraft's worth: the reserve script counts the customer's seats over the
# flight's hash (the seat limit, ADR 75), which a 10,989-seat flight would make unrepresentative.
PUT_LUA = """
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


def ms(text: str) -> float:
    """wrk's "812.00us" / "3.41ms" / "1.02s" → milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(number) * _UNITS_MS[unit], 3)


def wrk(
    url: str,
    *,
    duration: float,
    connections: int,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    """One wrk run (1 thread: the cores belong to the servers): req/s, p50/p99 in ms, errors."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)", out, re.MULTILINE))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "req_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), 1),
        "p50_ms": ms(percentiles["50"]),
        "p99_ms": ms(percentiles["99"]),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "seconds": float(re.search(r"requests in ([\d.]+)s", out).group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (scripts/bootstrap.sh installs it: apt-get install wrk)")


def wrk_with_cpu(server: ServerProcess, url: str, **wrk_args) -> dict:
    """One wrk run against one server, with the CPU seconds its workers used meanwhile (``cpu_s``)."""
    cpu_before = worker_cpu_seconds(server)
    figures = wrk(url, **wrk_args)
    figures["cpu_s"] = worker_cpu_seconds(server) - cpu_before
    return figures


def combine(rounds: list[dict]) -> dict:
    """Rounds of one scenario → req/s over all rounds, the median round's percentiles, error totals."""
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    return {
        "req_s": round(requests / seconds, 1),
        "p50_ms": statistics.median(r["p50_ms"] for r in rounds),
        "p99_ms": statistics.median(r["p99_ms"] for r in rounds),
        "requests": requests,
        "non_2xx": sum(r["non_2xx"] for r in rounds),
        "socket_errors": sum(r["socket_errors"] for r in rounds),
        "rounds_req_s": [r["req_s"] for r in rounds],
    }


def combine_with_cpu(rounds: list[dict]) -> dict:
    """combine() plus the workers' CPU per request (rounds measured by wrk_with_cpu)."""
    requests = sum(r["requests"] for r in rounds)
    return {
        **combine(rounds),
        "worker_cpu_us_per_req": round(sum(r["cpu_s"] for r in rounds) / max(requests, 1) * 1e6),
    }


def cpu_summary(cpu_ms_per_request: dict[str, float], sep: str = "  ") -> str:
    """ "gateway 1.71  reservations 1.04": each deployable that did measurable work in a scenario."""
    return sep.join(f"{server} {ms:.2f}" for server, ms in cpu_ms_per_request.items() if ms >= 0.01)


def worker_cpu_seconds(server: ServerProcess) -> float:
    """User + system CPU a server master's workers have used so far (Linux /proc; 0 elsewhere).

    Robust to a busy machine where wall-clock figures are not: CPU per request is what a change to
    the code moves.
    """
    pid = server.process.pid
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def start_server(
    settings_module: str | None,
    env: dict[str, str],
    workers: int,
    log: Path,
    *,
    app: str | None = None,
    ready_path: str = "/ping",
) -> ServerProcess:
    """A launcher process (skyway.serve) with the flags every side of a bench gets alike: one thread
    a worker, a deep backlog, a port of its own; ``app`` defaults to the deployable's WSGI app."""
    from skyway.serve import DEFAULT_APP, ServerProcess, free_port

    return ServerProcess(
        settings_module=settings_module,
        port=free_port(),
        env=env,
        workers=workers,
        threads=1,
        log_path=log,
        extra_args=["--backlog", "2048"],
        app=app or DEFAULT_APP,
        ready_path=ready_path,
    ).start()


def server_env(**settings: str) -> dict[str, str]:
    """The environment of a server a bench starts: the caller's, less its settings module and DEBUG,
    the venv first on PATH, the bench's service credential, loopback hosts, then ``settings``."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        SERVICE_TOKENS=BENCH_SERVICE_TOKEN,
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    env.update(settings)
    return env


def bench_redis(embedded_dir: Path) -> tuple[str, bool]:
    """REDIS_URL if set (keys under KEY_PREFIX), else an embedded Redis of the bench's own: (url, embedded)."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url, False
    from skyway import embedded_redis

    return embedded_redis.ensure_running(embedded_dir), True


def bench_redis_cleanup(redis_url: str, embedded: bool, embedded_dir: Path) -> None:
    """Stop the embedded Redis, or delete the run's keys (KEY_PREFIX) from the caller's."""
    if embedded:
        from skyway import embedded_redis

        embedded_redis.stop(embedded_dir)
        return
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{KEY_PREFIX}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


def put_script(work: Path, tag: str, run_id: str) -> Path:
    """A wrk script (PUT_LUA) whose seats start afresh under a flight prefix of its own (no 403s)."""
    script = work / f"put-{tag}.lua"
    script.write_text(PUT_LUA % {"flight": f"bench-{tag}-{run_id}", "token": BENCH_SERVICE_TOKEN})
    return script


def seed_taken_seats(service_url: str, flight_id: str) -> None:
    """LIST_SEATS seats taken on one flight, reserved through the server's own API."""
    import httpx

    seats = [f"{row}{letter}" for row in range(1, 26) for letter in "ABCDEF"][:LIST_SEATS]
    with httpx.Client(base_url=service_url, headers=SERVICE_HEADERS, timeout=10) as client:
        for n, seat in enumerate(seats):
            body = {"flight_id": flight_id, "customer_id": f"list-{n}", "seat_num": seat}
            client.put("/reservations", json=body).raise_for_status()
        assert len(client.get("/reservations", params={"flight_id": flight_id}).json()) == LIST_SEATS


def result_head(bench: str, *, workers: int, connections: int, duration: float, rounds: int) -> dict:
    """The first keys of a server bench's results file: which bench, when (UTC), the knobs it ran with."""
    return {
        "bench": bench,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "workers": workers,
        "connections": connections,
        "duration_s": duration,
        "rounds": rounds,
    }


def write_result(path: Path, result: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")


def server_bench_arguments(doc: str, *, duration: float, rounds: int, per: str) -> argparse.ArgumentParser:
    """--workers, --duration, --connections, --rounds: the knobs of every bench that starts servers."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=duration, help=f"seconds per {per}")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=rounds, help=f"alternating wrk runs per {per}")
    return parser


def server_bench_main(doc: str, run, table, results: Path, *, duration: float, rounds: int, per: str) -> None:
    """Parse the knobs, run the bench, print its table and where its figures went."""
    args = server_bench_arguments(doc, duration=duration, rounds=rounds, per=per).parse_args()
    result = run(
        workers=args.workers, duration=args.duration, connections=args.connections, rounds=args.rounds
    )
    print(table(result))
    print(f"wrote {results.relative_to(ROOT)}")
