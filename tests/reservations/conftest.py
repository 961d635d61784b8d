"""Fixtures of the reservations suite: a clean real Redis, key names, a dead Redis, an HTTP client."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client, override_settings

from reservations import store
from settings._redis import reservations_cache
from tests.support.internal import internal_client
from tests.support.live import free_port


def key(name: str) -> str:
    """A Redis key outside any partition as the store names it (CI isolates the suite with REDIS_KEY_PREFIX)."""
    return f"{settings.REDIS_KEY_PREFIX or ''}{name}"


def partition_key(partition: int, suffix: str) -> str:
    """A key of one partition: the prefix, the partition's hash tag, the name (docs/adr/0115)."""
    return key(f"{store.partition_tag(partition)}:{suffix}")


def flight_key(flight_id: str) -> str:
    return partition_key(store.partition_of(flight_id), f"flights:{flight_id}")


def operations_key(flight_id: str) -> str:
    return partition_key(store.partition_of(flight_id), f"operations:{flight_id}")


def events_key(partition: int) -> str:
    return partition_key(partition, "events")


def customer_key(customer_id: str) -> str:
    return key(f"customers:{customer_id}")


def held_seats(client, customer_id: str) -> set[str]:
    """The customer's ``flight|seat`` the index says are held (its ``+`` fields)."""
    raw = client.hgetall(customer_key(customer_id))
    return {name.decode() for name, value in raw.items() if value.startswith(b"+")}


def stream_events(client, flight_id: str | None = None) -> list[dict[str, str]]:
    """Every entry of the event streams as decoded dicts (with the entry id as ``id``): the flight's
    partition when a flight is named (then only its events), else every partition's, by id."""
    partitions = [store.partition_of(flight_id)] if flight_id else range(store.partitions())
    events = []
    for partition in partitions:
        for entry_id, fields in client.xrange(events_key(partition)):
            events.append({"id": entry_id.decode(), **{k.decode(): v.decode() for k, v in fields.items()}})
    events.sort(key=lambda e: tuple(int(part) for part in e["id"].split("-")))
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
