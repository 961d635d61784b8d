#!/usr/bin/env python
"""Run Skyway split: flights, reservations and the gateway as three gunicorn processes.

    python scripts/run_split.py [--host 127.0.0.1] [--gateway-port 8000] [--flights-port 8001]
                                [--reservations-port 8002] [--workers 2]

Migrates and seeds first (flights schedule, demo customers when DEBUG is on), shares one Redis
(REDIS_URL, or the embedded server under the var dir), prints the URLs and stops everything on
Ctrl-C. The gateway runs ONE gunicorn worker with threads so its Prometheus counters (read by
canary analysis) are process-wide; flights and reservations scale with --workers.

`split_start()` is the one implementation of this stack: the e2e tests and bench/ use it too.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from skyway import embedded_redis  # noqa: E402
from tests.support.live import LiveService, base_env, free_port, run_manage  # noqa: E402

GATEWAY_THREADS = 16


@dataclass
class SplitStack:
    """Three live deployables sharing one var dir (SQLite files) and one Redis."""

    flights: LiveService
    reservations: LiveService
    gateway: LiveService
    var_dir: Path
    redis_url: str
    embedded_redis_dir: Path | None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def services(self) -> list[LiveService]:
        return [self.gateway, self.reservations, self.flights]

    def stop(self) -> None:
        for service in self.services:
            service.stop()
        if self.embedded_redis_dir is not None:
            embedded_redis.stop(self.embedded_redis_dir)


def split_start(
    *,
    var_dir: Path,
    host: str = "127.0.0.1",
    gateway_port: int | None = None,
    flights_port: int | None = None,
    reservations_port: int | None = None,
    workers: int = 2,
    gateway_threads: int = GATEWAY_THREADS,
    gateway_workers: int = 1,
    upstream_threads: int = 1,
    redis_url: str | None = None,
    debug: bool = False,
    seed: bool = True,
    env_overrides: dict[str, str] | None = None,
    gateway_env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    isolated: bool = False,
    cpus: dict[str, frozenset[int]] | None = None,
) -> SplitStack:
    """Migrate, seed and start flights, reservations and the gateway; return the running stack.

    isolated=True (tests, benches) ignores the caller's database URLs and key prefix: every store
    lives under var_dir (SQLite files, an embedded Redis unless redis_url is given). cpus pins a
    deployable ("flights", "reservations", "gateway") to CPUs (benches: one core per deployable).
    """
    var_dir = Path(var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    log_dir = Path(log_dir or var_dir / "logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    embedded_dir = None
    if not redis_url:
        embedded_dir = var_dir / "redis"
        redis_url = embedded_redis.ensure_running(embedded_dir)
    env = base_env(SKYWAY_VAR_DIR=str(var_dir), REDIS_URL=redis_url, **(env_overrides or {}))
    if isolated:
        for name in (
            "FLIGHTS_DATABASE_URL",
            "GATEWAY_DATABASE_URL",
            "REDIS_KEY_PREFIX",
            "GATEWAY_ROUTES_FILE",
        ):
            env.pop(name, None)
        env.update(env_overrides or {})
    if debug:
        env["DEBUG"] = "1"

    if seed:
        run_manage("settings.flights", "migrate_contexts", env=env)
        run_manage("settings.flights", "seed_flights", env=env)
        run_manage("settings.gateway", "migrate_contexts", env=env)
        # Demo passwords exist only in DEBUG: the seed runs with DEBUG even when the servers do not.
        print(run_manage("settings.gateway", "seed_demo_customers", env={**env, "DEBUG": "1"}).strip())

    def service(
        settings_module: str, port: int | None, extra_env: dict[str, str], n_workers: int, threads: int
    ):
        port = port or free_port()
        extra = ["--bind", f"{host}:{port}"] if host not in {"127.0.0.1", "localhost"} else []
        name = settings_module.rsplit(".", 1)[-1]
        return LiveService(
            settings_module=settings_module,
            port=port,
            env={**env, **extra_env},
            workers=n_workers,
            threads=threads,
            log_path=log_dir / f"{name}.log",
            extra_args=extra,
            cpus=(cpus or {}).get(name),
        )

    flights = service("settings.flights", flights_port, {}, workers, upstream_threads)
    reservations = service("settings.reservations", reservations_port, {}, workers, upstream_threads)
    started: list[LiveService] = []
    try:
        for upstream in (flights, reservations):
            started.append(upstream.start())
        gateway = service(
            "settings.gateway",
            gateway_port,
            {"FLIGHTS_URL": flights.url, "RESERVATIONS_URL": reservations.url, **(gateway_env or {})},
            gateway_workers,
            gateway_threads,
        )
        started.append(gateway.start())
    except BaseException:
        for running in started:
            running.stop()
        if embedded_dir is not None:
            embedded_redis.stop(embedded_dir)
        raise
    return SplitStack(flights, reservations, gateway, var_dir, redis_url, embedded_dir, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--gateway-port", type=int, default=8000)
    parser.add_argument("--flights-port", type=int, default=8001)
    parser.add_argument("--reservations-port", type=int, default=8002)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of flights and reservations")
    parser.add_argument("--var-dir", type=Path, default=Path(os.environ.get("SKYWAY_VAR_DIR", ROOT / "var")))
    args = parser.parse_args(argv)

    debug = os.environ.get("DEBUG", "").lower() in {"1", "true", "yes", "on"}
    stack = split_start(
        var_dir=args.var_dir,
        host=args.host,
        gateway_port=args.gateway_port,
        flights_port=args.flights_port,
        reservations_port=args.reservations_port,
        workers=args.workers,
        redis_url=os.environ.get("REDIS_URL") or None,
        debug=debug,
    )
    host = args.host
    print(
        f"""
Skyway split mode (Ctrl-C stops all three):
  gateway        http://{host}:{stack.gateway.port}/          (seat-chart page; API under /api/, Swagger /schema/swagger-ui/)
  flights        http://{host}:{stack.flights.port}/flights?flight_no=AA2532&departure_date_time=2020-05-17T13:20
  reservations   http://{host}:{stack.reservations.port}/reservations?flight_id=<flight_id>
  redis          {stack.redis_url}
  logs           {stack.var_dir / "logs"}/{{flights,reservations,gateway}}.log
  gateway metrics http://{host}:{stack.gateway.port}/metrics  (1 worker x {GATEWAY_THREADS} threads)
""",
        flush=True,
    )

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            for service in stack.services:
                if service.process is not None and service.process.poll() is not None:
                    print(
                        f"{service.settings_module} exited ({service.process.returncode}); stopping",
                        flush=True,
                    )
                    stopping = True
            time.sleep(0.5)
    finally:
        print("stopping…", flush=True)
        # The embedded Redis outlives a split run like it outlives `make run` (`make stop` ends it).
        for service in stack.services:
            service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
