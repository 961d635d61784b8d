"""What every bench shares: one wrk run parsed, rounds combined, workers' CPU read from /proc."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from skyway.serve import ServerProcess

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
# The service credential of the processes a bench starts (SERVICE_TOKENS), and the header the gateway
# would send: benches call the internal services directly, as the gateway does.
BENCH_SERVICE_TOKEN = "bench-only-service-token-0123456789abcdef"  # noqa: S105 - loopback benches only
SERVICE_HEADERS = {"X-Service-Token": BENCH_SERVICE_TOKEN}


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
