"""Fixtures of the reservations suite: a clean real Redis, key names, a dead Redis, an HTTP client."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client, override_settings

from settings._redis import reservations_cache
from tests.support.internal import internal_client
from tests.support.live import free_port


def key(name: str) -> str:
    """A Redis key as the store names it (CI isolates the suite with REDIS_KEY_PREFIX)."""
    return f"{settings.REDIS_KEY_PREFIX or ''}{name}"


def stream_events(client, flight_id: str | None = None) -> list[dict[str, str]]:
    """Every entry of the event stream as decoded dicts (with the entry id as ``id``)."""
    entries = client.xrange(key("reservations:events"))
    events = [
        {"id": entry_id.decode(), **{k.decode(): v.decode() for k, v in fields.items()}}
        for entry_id, fields in entries
    ]
    return [e for e in events if flight_id is None or e["flight_id"] == flight_id]


@pytest.fixture
def redis(redis_client):
    """The reservations Redis, empty before and after the test."""
    return redis_client


@pytest.fixture
def store_down():
    """Point the reservations connection at a loopback port where nothing listens."""
    dead = reservations_cache(f"redis://127.0.0.1:{free_port()}/0", None)
    with override_settings(CACHES={**settings.CACHES, "reservations": dead}, EMBEDDED_REDIS_DIR=None):
        yield


class JsonClient(Client):
    def put_json(self, path: str, payload: object):
        return self.put(path, json.dumps(payload), content_type="application/json")


@pytest.fixture
def api() -> JsonClient:
    return internal_client(JsonClient)
