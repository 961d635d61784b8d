"""Real processes for end-to-end, contention, rollout and fault tests.

`start_service("settings.reservations", env={...})` starts the deployable through the shipped launcher
(`python -m skyway.serve`, the Dockerfile's CMD) on a free loopback port, waits until /ping answers and
returns a LiveService you can stop, kill -9, reload (SIGHUP) or restart on the same port.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# free_port keeps the ports tests choose inside SKYWAY_TEST_PORTS (as the benches and local rollouts do)
from skyway.serve import ROOT, ServerProcess, free_port, port_range
from skyway.split import manage

__all__ = [
    "ROOT",
    "LiveService",
    "base_env",
    "free_port",
    "port_range",
    "run_manage",
    "running",
    "start_service",
]

VENV_BIN = Path(sys.executable).parent
# The service credential every process a test starts accepts (base_env), and the header that presents
# it — what a test sends when it calls an internal service directly, as the gateway does.
TEST_SERVICE_TOKEN = "test-only-service-token-0123456789abcdef"
SERVICE_HEADERS = {"X-Service-Token": TEST_SERVICE_TOKEN}


def base_env(**overrides: str) -> dict[str, str]:
    """The environment of a child process: this one's, minus pytest's Django settings, plus overrides."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    env.setdefault("SECRET_KEY", "test-only-not-secret")
    env.setdefault("SERVICE_TOKENS", TEST_SERVICE_TOKEN)
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


@dataclass
class LiveService(ServerProcess):
    """A deployable started by the shipped launcher (skyway.serve), as production starts it."""


def start_service(settings_module: str, *, env: dict[str, str] | None = None, port: int | None = None,
                  workers: int = 2, threads: int = 1, log_dir: Path | None = None) -> LiveService:  # fmt: skip
    name = settings_module.rsplit(".", 1)[-1]
    log_path = (log_dir / f"{name}.log") if log_dir else None
    return LiveService(
        settings_module=settings_module,
        port=port or free_port(),
        env=env or base_env(),
        workers=workers,
        threads=threads,
        log_path=log_path,
    ).start()


@contextmanager
def running(service: LiveService) -> Iterator[LiveService]:
    """`service` started for the with-block and stopped after it, also when the block fails."""
    service.start()
    try:
        yield service
    finally:
        service.stop()


def run_manage(settings_module: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `manage.py <args>` for a deployable (e.g. migrate_contexts, seed_flights); return stdout."""
    return manage(settings_module, *args, env=env or base_env())
