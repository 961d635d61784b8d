"""The split deployment as three launcher processes on loopback, for benches and end-to-end tests.

`split_start()` migrates and seeds, then starts flights, reservations and the gateway through
skyway.serve (the way the image starts them) on free ports and returns the running stack. `make
run-split` runs the same launcher from the Procfile instead (fixed ports, honcho in front).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from skyway import embedded_redis
from skyway.serve import ROOT, SIZING, ServerProcess, free_port

GATEWAY_THREADS = SIZING["settings.gateway"][1]


def local_env(**overrides: str) -> dict[str, str]:
    """This process's environment for local children: no inherited Django settings, and a fresh
    SECRET_KEY and service token unless the caller has set them (they never leave the machine)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    env.setdefault("SERVICE_TOKENS", secrets.token_urlsafe(32))
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


def manage(settings_module: str, *args: str, env: dict[str, str]) -> str:
    """Run `manage.py <args>` for a deployable (e.g. migrate_contexts, seed_flights); return stdout."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": settings_module},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class SplitStack:
    """Three live deployables sharing one var dir (SQLite files) and one Redis."""

    flights: ServerProcess
    reservations: ServerProcess
    gateway: ServerProcess
    var_dir: Path
    redis_url: str
    embedded_redis_dir: Path | None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def services(self) -> list[ServerProcess]:
        return [self.gateway, self.reservations, self.flights]

    def stop(self) -> None:
        for service in self.services:
            service.stop()
        if self.embedded_redis_dir is not None:
            embedded_redis.stop(self.embedded_redis_dir)


def split_start(
    *,
    var_dir: Path,
    base_env: dict[str, str] | None = None,
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

    base_env is the children's environment (default: local_env()). isolated=True (tests, benches)
    ignores the caller's database URLs and key prefix: every store lives under var_dir (SQLite
    files, an embedded Redis unless redis_url is given). cpus pins a deployable ("flights",
    "reservations", "gateway") to CPUs (benches: one core per deployable).
    """
    var_dir = Path(var_dir).resolve()
    var_dir.mkdir(parents=True, exist_ok=True)
    log_dir = Path(log_dir or var_dir / "logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    embedded_dir = None
    if not redis_url:
        embedded_dir = var_dir / "redis"
        redis_url = embedded_redis.ensure_running(embedded_dir)
    env = {**(base_env if base_env is not None else local_env())}
    env.setdefault("SECURE_TRANSPORT", "0")  # plain HTTP on loopback: no HTTPS redirect (docs/adr/0066)
    env.update(SKYWAY_VAR_DIR=str(var_dir), REDIS_URL=redis_url, **(env_overrides or {}))
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
        manage("settings.flights", "migrate_contexts", env=env)
        manage("settings.flights", "seed_flights", env=env)
        manage("settings.gateway", "migrate_contexts", env=env)
        # Demo passwords exist only in DEBUG: the seed runs with DEBUG even when the servers do not.
        print(manage("settings.gateway", "seed_demo_customers", env={**env, "DEBUG": "1"}).strip())

    def service(
        settings_module: str, port: int | None, extra_env: dict[str, str], n_workers: int, threads: int
    ) -> ServerProcess:
        name = settings_module.rsplit(".", 1)[-1]
        return ServerProcess(
            settings_module=settings_module,
            port=port or free_port(),
            env={**env, **extra_env},
            workers=n_workers,
            threads=threads,
            log_path=log_dir / f"{name}.log",
            host=host,
            cpus=(cpus or {}).get(name),
        )

    flights = service("settings.flights", flights_port, {}, workers, upstream_threads)
    reservations = service("settings.reservations", reservations_port, {}, workers, upstream_threads)
    started: list[ServerProcess] = []
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
