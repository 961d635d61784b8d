"""Skyway's reservations deployable against the book's own Flask service, interleaved in one run.

Three servers on loopback, the same Redis, the same worker count:

- ``book``        bench/book_peer.py under gunicorn's sync worker, as the book ships it;
- ``book_ours``   the same peer under Skyway's launcher (skyway.serve), so the server and the
                  framework can be told apart;
- ``skyway``      settings.reservations started as ``make serve-reservations`` starts it.

Four scenarios, each server in turn within every round (the order rotates) so a change in the shared
machine's load hits all three alike: ``GET /ping``; ``GET /reservations?flight_id=`` on 150 taken
seats; ``PUT /reservations`` with a new seat each time; ``PUT`` of one contended seat (one 200, the
rest the book's 403). Prints req/s, the ratios Skyway / book and Skyway / book-on-our-server, and the
workers' CPU per request (ms, from /proc). Writes bench/results/vs_book.json.

    .venv/bin/python bench/vs_book.py [--workers 2] [--duration 8] [--rounds 3] [--connections 16]

Bounded: ``duration`` seconds per scenario and server, loopback only.
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
from skyway.serve import ServerProcess, free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "vs_book.json"
SCENARIOS = ("ping", "list", "reserve_new", "reserve_contended")
SERVERS = ("book", "book_ours", "skyway")

# Every request PUTs the same seat: the first wins, every other is the book's 403.
_CONTENDED_LUA = """
request = function()
  return wrk.format("PUT", "/reservations", {["Content-Type"] = "application/json",
    ["X-Service-Token"] = "%(token)s"},
    '{"flight_id":"%(flight)s","customer_id":"c1","seat_num":"1A"}')
end
"""


class GunicornProcess(ServerProcess):
    """The peer as the book ships it: gunicorn, sync workers (a new connection per request)."""

    def command(self) -> list[str]:
        return [str(measure.VENV_BIN / "gunicorn"), "--worker-class", "sync", "--workers", str(self.workers),
                "--bind", f"127.0.0.1:{self.port}", "--backlog", "2048", "--log-level", "warning",
                self.app]  # fmt: skip


def _servers(env: dict[str, str], workers: int, work: Path) -> dict[str, ServerProcess]:
    peer = "bench.book_peer:app"
    specs = {
        "book": GunicornProcess(settings_module=None, port=free_port(), env=env, workers=workers, app=peer,
                                log_path=work / "book.log"),
        "book_ours": ServerProcess(settings_module=None, port=free_port(), env=env, workers=workers, threads=None,
                                   app=peer, log_path=work / "book_ours.log"),
        "skyway": ServerProcess(settings_module="settings.reservations", port=free_port(), env=env,
                                workers=workers, threads=None, log_path=work / "skyway.log"),
    }  # fmt: skip
    started: dict[str, ServerProcess] = {}
    try:
        for name, server in specs.items():
            started[name] = server.start()
    except BaseException:
        for server in started.values():
            server.stop()
        raise
    return started


def _contended_script(work: Path, name: str, run_id: str) -> Path:
    script = work / f"contended-{name}.lua"
    script.write_text(
        _CONTENDED_LUA % {"flight": f"bench-one-{name}-{run_id}", "token": measure.BENCH_SERVICE_TOKEN}
    )
    return script


def run(*, workers: int = 2, duration: float = 8.0, rounds: int = 3, connections: int = 16,
        write: bool = True) -> dict:  # fmt: skip
    measure.require_wrk()
    embedded_dir = ROOT / "var" / "bench-redis"
    redis_url, embedded = measure.bench_redis(embedded_dir)
    run_id = uuid.uuid4().hex[:6]
    env = measure.server_env(
        PYTHONPATH=str(ROOT),
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-not-secret"),
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=KEY_PREFIX,
        LOG_LEVEL="ERROR",  # the contended scenario's 403s are what it measures, not news
    )
    work = Path(tempfile.mkdtemp(prefix="vs-book-"))
    servers = _servers(env, workers, work)
    per_round = duration / rounds
    figures: dict[str, dict[str, list[dict]]] = {s: {n: [] for n in SERVERS} for s in SCENARIOS}
    try:
        list_flight = f"bench-list-{run_id}"
        for name in ("book", "skyway"):  # the two peers share one store (same keys), so one seeding
            measure.seed_taken_seats(servers[name].url, list_flight)
        for round_no in range(rounds):
            order = SERVERS[round_no % 3 :] + SERVERS[: round_no % 3]
            for scenario in SCENARIOS:
                for name in order:
                    server = servers[name]
                    url, script = _target(scenario, server, name, work, f"{run_id}-{round_no}", list_flight)
                    if round_no == 0:  # imports, pools, the first connections: not measured
                        wrk(url, duration=1, connections=connections, script=script, headers=SERVICE_HEADERS)
                        url, script = _target(scenario, server, name, work, f"{run_id}-m", list_flight)
                    row = measure.wrk_with_cpu(server, url, duration=per_round, connections=connections, script=script,
                                       headers=SERVICE_HEADERS)  # fmt: skip
                    figures[scenario][name].append(row)
    finally:
        for server in servers.values():
            server.stop()
        measure.bench_redis_cleanup(redis_url, embedded, embedded_dir)
        shutil.rmtree(work, ignore_errors=True)
    rows = []
    for scenario in SCENARIOS:
        combined = {name: measure.combine_with_cpu(figures[scenario][name]) for name in SERVERS}
        sky = combined["skyway"]["req_s"]
        rows.append(
            {
                "scenario": scenario,
                **{f"{name}_req_s": combined[name]["req_s"] for name in SERVERS},
                "skyway_vs_book": round(sky / (combined["book"]["req_s"] or 1.0), 3),
                "skyway_vs_book_ours": round(sky / (combined["book_ours"]["req_s"] or 1.0), 3),
                **{f"{name}_cpu_ms": round(combined[name]["worker_cpu_us_per_req"] / 1000, 3) for name in SERVERS},
                **{f"{name}_non_2xx": combined[name]["non_2xx"] for name in SERVERS},
                **{f"{name}_socket_errors": combined[name]["socket_errors"] for name in SERVERS},
            }
        )  # fmt: skip
    knobs = {"workers": workers, "connections": connections, "duration": duration, "rounds": rounds}
    result = {
        **measure.result_head("vs_book", **knobs),
        "load_before": os.getloadavg()[0],
        "redis": "embedded (unix socket)" if embedded else "REDIS_URL",
        "scenarios": rows,
    }
    if write:
        measure.write_result(RESULTS, result)
    return result


def _target(scenario: str, server: ServerProcess, name: str, work: Path, tag: str, list_flight: str):
    if scenario == "ping":
        return server.url + "/ping", None
    if scenario == "list":
        return f"{server.url}/reservations?flight_id={list_flight}", None
    if scenario == "reserve_new":
        return server.url + "/reservations", measure.put_script(work, f"{name}-{tag}", tag)
    return server.url + "/reservations", _contended_script(work, name, tag)


def table(result: dict) -> str:
    lines = [
        f"{'scenario':<18} {'book':>8} {'book_ours':>10} {'skyway':>8} {'sky/book':>9} {'sky/book_ours':>14}"
        f" {'cpu_ms book/ours/skyway':>25}"
    ]
    for row in result["scenarios"]:
        cpu = f"{row['book_cpu_ms']:.2f}/{row['book_ours_cpu_ms']:.2f}/{row['skyway_cpu_ms']:.2f}"
        errors = sum(row[f"{n}_socket_errors"] for n in SERVERS)
        lines.append(
            f"{row['scenario']:<18} {row['book_req_s']:>8.0f} {row['book_ours_req_s']:>10.0f} {row['skyway_req_s']:>8.0f}"
            f" {row['skyway_vs_book']:>9.2f} {row['skyway_vs_book_ours']:>14.2f} {cpu:>25}"
            + (f"  ({errors} socket errors)" if errors else "")
        )  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = measure.server_bench_arguments(__doc__, duration=8.0, rounds=3, per="scenario and server")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    result = run(workers=args.workers, duration=args.duration, rounds=args.rounds,
                 connections=args.connections, write=not args.no_write)  # fmt: skip
    print(f"load average before: {result['load_before']:.2f}")
    print(table(result))


if __name__ == "__main__":
    main()
