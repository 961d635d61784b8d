"""Real processes for end-to-end, contention, rollout and fault tests.

`start_service("settings.reservations", env={...})` starts the deployable through the shipped launcher
(`python -m skyway.serve`, the Dockerfile's CMD) on a free loopback port, waits until /ping answers and
returns a LiveService you can stop, kill -9, reload (SIGHUP) or restart on the same port.
"""

from __future__ import annotations

import os
import random
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

# free_port is this module's own (SKYWAY_TEST_PORTS), not skyway.serve's: the ports tests choose stay in range
from skyway.serve import ROOT, ServerProcess
from skyway.split import manage

__all__ = ["ROOT", "LiveService", "base_env", "free_port", "run_manage", "start_service"]

VENV_BIN = Path(sys.executable).parent
# The service credential every process a test starts accepts (base_env), and the header that presents
# it — what a test sends when it calls an internal service directly, as the gateway does.
TEST_SERVICE_TOKEN = "test-only-service-token-0123456789abcdef"
SERVICE_HEADERS = {"X-Service-Token": TEST_SERVICE_TOKEN}


def port_range(spec: str | None = None) -> range | None:
    """SKYWAY_TEST_PORTS ("20000-29999") as a range, or None: the kernel picks (port 0)."""
    spec = os.environ.get("SKYWAY_TEST_PORTS", "") if spec is None else spec
    if not spec.strip():
        return None
    low, sep, high = spec.partition("-")
    if (
        not sep
        or not low.strip().isdigit()
        or not high.strip().isdigit()
        or not 0 < int(low) <= int(high) < 65536
    ):
        raise ValueError(f"SKYWAY_TEST_PORTS must be LOW-HIGH, e.g. 20000-29999, not {spec!r}")
    return range(int(low), int(high) + 1)


def free_port() -> int:
    """A loopback port nothing listens on now: the kernel's pick, or one of SKYWAY_TEST_PORTS.

    Machines whose firewall or neighbours reserve port ranges keep a test run inside one range; the
    pick is random so parallel runs (pytest-xdist workers) rarely try the same port.
    """
    ports = port_range()
    candidates = [0] if ports is None else random.sample(ports, min(len(ports), 200))
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free loopback port in SKYWAY_TEST_PORTS={os.environ.get('SKYWAY_TEST_PORTS')}")


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


def run_manage(settings_module: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `manage.py <args>` for a deployable (e.g. migrate_contexts, seed_flights); return stdout."""
    return manage(settings_module, *args, env=env or base_env())
