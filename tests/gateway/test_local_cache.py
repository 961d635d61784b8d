"""The gateway's bounded per-process TTL map (seat maps, tokens)."""

from __future__ import annotations

from gateway.local_cache import LocalTTLCache


def test_values_expire_after_their_ttl(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("gateway.local_cache.time.monotonic", lambda: clock[0])
    cache = LocalTTLCache(max_entries=4)
    cache.put("a", 1, ttl=5)

    assert cache.get("a") == 1
    clock[0] += 5
    assert cache.get("a") is None


def test_when_full_expired_entries_go_before_fresh_ones(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("gateway.local_cache.time.monotonic", lambda: clock[0])
    cache = LocalTTLCache(max_entries=4)
    cache.put("old", 0, ttl=1)
    for key in ("b", "c", "d"):
        cache.put(key, key, ttl=60)
    clock[0] += 2
    cache.put("e", "e", ttl=60)

    assert [cache.get(key) for key in ("b", "c", "d", "e")] == ["b", "c", "d", "e"]
    assert len(cache) == 4


def test_when_full_of_fresh_entries_the_oldest_quarter_goes():
    cache = LocalTTLCache(max_entries=8)
    for index in range(9):
        cache.put(index, index, ttl=60)

    assert len(cache) <= 8
    assert cache.get(0) is None
    assert cache.get(8) == 8


def test_pop_drop_where_and_clear():
    cache = LocalTTLCache(max_entries=8)
    for index in range(6):
        cache.put(index, index, ttl=60)
    cache.pop(0)
    cache.drop_where(lambda value: value % 2 == 1)

    assert [cache.get(index) for index in range(6)] == [None, None, 2, None, 4, None]
    cache.clear()
    assert len(cache) == 0
