"""Key layout v2 (docs/adr/0115): partitions under hash tags, one slot per script, the layout guarded."""

from __future__ import annotations

import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest
import redis.connection
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from redis.crc import key_slot

from reservations import services, store
from reservations.errors import LayoutMismatch, StoreUnavailable
from settings._redis import reservations_layout_validate
from tests.reservations.conftest import key
from tests.support.live import base_env

REPO = Path(__file__).resolve().parents[2]

# -- every script and every transaction touches one hash slot ------------------------------------

_KEYS_OF = {
    "DEL": slice(1, None),
    "RENAME": slice(1, 3),
    "UNLINK": slice(1, None),
}  # else: the first argument


def _text(arg: object) -> str:
    return arg.decode() if isinstance(arg, bytes) else str(arg)


def _command_keys(command: tuple) -> list[str]:
    name = _text(command[0]).upper()
    if name in {"EVAL", "EVALSHA"}:
        return [_text(k) for k in command[3 : 3 + int(command[2])]]
    if name in {"MULTI", "EXEC", "WATCH", "UNWATCH", "DISCARD"}:
        return []
    return [_text(k) for k in command[_KEYS_OF.get(name, slice(1, 2))]]


@pytest.fixture
def sent(monkeypatch) -> list[tuple]:
    """Every command this process sends to Redis, as argument tuples, in order."""
    commands: list[tuple] = []
    connection = redis.connection.AbstractConnection
    send_command, pack_commands = connection.send_command, connection.pack_commands

    def one(self, *args, **kwargs):
        commands.append(args)
        return send_command(self, *args, **kwargs)

    def many(self, batch):
        batch = list(batch)
        commands.extend(tuple(cmd) for cmd in batch)
        return pack_commands(self, batch)

    monkeypatch.setattr(connection, "send_command", one)
    monkeypatch.setattr(connection, "pack_commands", many)
    return commands


def _scripts_and_transactions(commands: list[tuple]) -> tuple[list[list[str]], list[list[str]]]:
    scripts, transactions, current = [], [], None
    for command in commands:
        name = _text(command[0]).upper()
        if name == "MULTI":
            current = []
        elif name == "EXEC":
            transactions.append(current or [])
            current = None
        elif current is not None:
            current.extend(_command_keys(command))
        if name in {"EVAL", "EVALSHA"}:
            scripts.append(_command_keys(command))
    return scripts, transactions


def test_every_script_and_every_transaction_touches_keys_of_one_slot(redis, sent):
    for n in range(40):
        flight, customer = f"FL{n}", f"c{n % 7}"
        services.seat_reserve(flight_id=flight, seat_no="1A", customer_id=customer, operation=f"op-{n}")
        services.seat_reserve(flight_id=flight, seat_no="1B", customer_id=customer, replaces="1A")
        services.seat_release(flight_id=flight, seat_no="1A", customer_id=customer, operation=f"op-{n}")
    redis.hset(store._conn().customer_key("c1"), "FL1|9Z", "+1-0")  # something for the rebuild to repair
    store.projection_rebuild()
    store.projection_check()

    scripts, transactions = _scripts_and_transactions(sent)

    assert len(scripts) >= 40 * 5
    assert len(transactions) == store.partitions()  # one swap per partition
    for keys in scripts + transactions:
        assert len({key_slot(k.encode()) for k in keys}) <= 1, keys
    flight_scripts = [keys for keys in scripts if len(keys) == 4]  # hash, events, operations, holds
    assert len(flight_scripts) >= 40 * 3  # (plus a retry after NOSCRIPT on first use)
    assert {keys[0][: keys[0].index("}") + 1] for keys in flight_scripts} == {
        key(store.partition_tag(store.partition_of(f"FL{n}"))) for n in range(40)
    }


def test_a_partition_is_crc32_of_the_flight_id_modulo_the_partition_count(settings):
    assert store.partition_of("F1") == zlib.crc32(b"F1") % 128 == 70  # fixed: stable across processes
    settings.RESERVATIONS_PARTITIONS = 16
    assert store.partition_of("F1") == 70 % 16


def test_flights_spread_evenly_over_the_partitions_and_partitions_over_the_slots():
    per_partition = Counter(store.partition_for(f"flight-{n:06d}", 128) for n in range(20_000))
    mean = 20_000 / 128

    assert set(per_partition) == set(range(128))
    assert 0.7 * mean < min(per_partition.values()) <= max(per_partition.values()) < 1.3 * mean
    slots = {key_slot(f"store:{store.partition_tag(n)}:events".encode()) for n in range(128)}
    assert len(slots) == 128  # no two partitions share a slot: each moves alone when shards are added


@pytest.mark.parametrize("shards", [3, 4, 6, 7, 16])
def test_every_shard_of_an_evenly_split_cluster_holds_an_even_share_of_partitions(shards):
    """Redis Cluster's even split gives shard i the slots [i*16384/n, (i+1)*16384/n) (and `--cluster
    rebalance` evens slot counts after a shard is added): each holds ⌊128/n⌋ or ⌈128/n⌉ partitions.
    With plain ``{r<n>}`` tags the CRC16 slots fell unevenly: 37/42/49 on 3 shards, 2 to 15 on 16."""
    per_shard = Counter(key_slot(store.partition_tag(n).encode()) * shards // 16384 for n in range(128))

    assert set(per_shard) == set(range(shards))
    assert sum(per_shard.values()) == 128
    assert max(per_shard.values()) - min(per_shard.values()) <= 1


@pytest.mark.parametrize("partitions", [1, 3, 128, 1024])
def test_each_partition_s_tag_lies_in_its_own_share_of_the_slots(partitions):
    tags = store._partition_tags(partitions)

    for n, tag in enumerate(tags):
        assert n * 16384 // partitions <= key_slot(tag.encode()) < (n + 1) * 16384 // partitions
    assert tags[:2] == store._partition_tags(partitions)[:2]  # deterministic: data keys depend on it


# -- the layout key ------------------------------------------------------------------------------


@pytest.fixture
def fresh_connection(monkeypatch):
    """The next store call builds a new connection (and checks the layout again)."""
    monkeypatch.setattr(store, "_connection", None)


def test_the_layout_is_written_on_first_use(redis, fresh_connection):
    store.ping()

    assert redis.get(key("reservations:layout")) == b"v2 partitions=128"


def test_a_partition_count_other_than_the_stored_one_is_refused(redis, fresh_connection, api):
    redis.set(key("reservations:layout"), "v2 partitions=128")

    with override_settings(RESERVATIONS_PARTITIONS=64):
        with pytest.raises(LayoutMismatch, match="RESERVATIONS_PARTITIONS=64") as refused:
            store.reservation_add(flight_id="F1", seat_no="1A", customer_id="c1")
        response = api.put_json("/reservations", {"flight_id": "F1", "customer_id": "c1", "seat_num": "1A"})

    assert isinstance(refused.value, StoreUnavailable)
    assert "'v2 partitions=128'" in refused.value.detail
    assert response.status_code == 503
    assert list(redis.scan_iter(match=key("*flights:*"))) == []  # nothing written


def test_data_in_the_v1_layout_is_refused_until_migrated(redis, fresh_connection):
    redis.xadd(key("reservations:events"), {"type": "SeatReserved", "flight_id": "F1", "seat_no": "1A"})

    with pytest.raises(LayoutMismatch, match="reservations_migrate_layout"):
        store.flight_seats(flight_id="F1")


# -- the settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["{skyway}:", "sky}way:", "{"])
def test_a_key_prefix_with_a_brace_is_refused(prefix):
    with pytest.raises(ImproperlyConfigured, match="one hash slot"):
        reservations_layout_validate(key_prefix=prefix, partitions=128)


@pytest.mark.parametrize("partitions", [0, -1, 1025, 16384])
def test_a_partition_count_outside_the_slots_is_refused(partitions):
    with pytest.raises(ImproperlyConfigured, match="RESERVATIONS_PARTITIONS"):
        reservations_layout_validate(key_prefix="skyway:", partitions=partitions)


def test_a_deployable_does_not_start_with_a_braced_prefix():
    env = base_env(DJANGO_SETTINGS_MODULE="settings.reservations", REDIS_KEY_PREFIX="{skyway}:")

    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.returncode != 0
    assert "REDIS_KEY_PREFIX='{skyway}:' contains a brace" in started.stderr
