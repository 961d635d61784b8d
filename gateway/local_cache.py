"""A bounded per-process map whose entries expire: the gateway's seat-map and token caches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LocalTTLCache(Generic[V]):
    """Reads take no lock; writes do. When full, expired entries go first, then the oldest quarter."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        """The value while it is fresh, else None."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key: Hashable, value: V, ttl: float) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                now = time.monotonic()
                self._entries = {k: entry for k, entry in self._entries.items() if entry[0] > now}
                if len(self._entries) >= self.max_entries:
                    for oldest in list(self._entries)[: self.max_entries // 4]:
                        del self._entries[oldest]
            self._entries[key] = (time.monotonic() + ttl, value)

    def pop(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def drop_where(self, predicate: Callable[[V], bool]) -> None:
        with self._lock:
            for key in [key for key, (_, value) in self._entries.items() if predicate(value)]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
