"""Real processes for end-to-end, contention, rollout and fault tests.

`start_service("settings.reservations", env={...})` starts gunicorn on a free loopback port, waits
until /ping answers and returns a LiveService you can stop, kill -9 or restart on the same port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
# The service credential every process a test starts accepts (base_env), and the header that presents
# it — what a test sends when it calls an internal service directly, as the gateway does.
TEST_SERVICE_TOKEN = "test-only-service-token-0123456789abcdef"
SERVICE_HEADERS = {"X-Service-Token": TEST_SERVICE_TOKEN}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def _pin_to(cpus: frozenset[int]):
    """A preexec_fn pinning the child (and so every worker it forks) to `cpus`."""

    def pin() -> None:
        os.sched_setaffinity(0, cpus)

    return pin


@dataclass
class LiveService:
    """One gunicorn master on loopback. `settings_module` None serves a plain WSGI `app` (no Django)."""

    settings_module: str | None
    port: int
    env: dict[str, str]
    workers: int = 2
    threads: int = 1
    log_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None
    app: str = "settings.wsgi:application"
    ready_path: str = "/ping"
    cpus: frozenset[int] | None = None  # pin master and workers to these CPUs (Linux; benches)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LiveService:
        env = dict(self.env)
        if self.settings_module:
            env["DJANGO_SETTINGS_MODULE"] = self.settings_module
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                self.app,
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(self.workers),
                "--threads", str(self.threads),
                "--timeout", "30",
                "--graceful-timeout", "5",
                "--keep-alive", "5",
                *self.extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_pin_to(self.cpus) if self.cpus else None,
        )  # fmt: skip
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.settings_module} exited with {self.process.returncode}; log: {self.log_path}"
                )
            try:
                if httpx.get(f"{self.url}{self.ready_path}", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(
            f"{self.settings_module} on :{self.port} not ready after {timeout}s; log: {self.log_path}"
        )

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the whole process group), SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """kill -9 of the master and every worker: a crash, not a shutdown."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def restart(self, timeout: float = 30.0) -> LiveService:
        self.stop()
        return self.start(timeout)


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
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**(env or base_env()), "DJANGO_SETTINGS_MODULE": settings_module},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout
