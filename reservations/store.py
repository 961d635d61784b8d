"""The reservations store: Redis, reached through the django-redis connection ``reservations``.

Key layout v2 (docs/adr/0115). Every flight hashes to one of ``RESERVATIONS_PARTITIONS`` partitions,
``partition_of(flight_id) = crc32(flight_id) % partitions``; every key of partition ``n`` carries the
hash tag ``{r<n>.<k>}`` (``partition_tag``: ``k`` is chosen once, so that partition ``n``'s slot lies in
the ``n``-th of ``partitions`` equal ranges of the 16,384 slots), so each Lua script and each MULTI
touches one hash slot, and a cluster that splits its slots evenly holds an even share of partitions
on every shard. Keys (P = ``REDIS_KEY_PREFIX``, t = the partition's tag):

- ``P t:flights:<flight_id>``         hash  seat_no → customer_id  (the projection the API reads)
- ``P t:operations:<flight_id>``      hash  seat_no → operation token of the reservation, when one was
  given (the gateway's seat-move saga passes its token so its steps are idempotent; docs/adr/0055)
- ``P t:events``                      stream  SeatReserved / SeatReleased of the partition's flights
  (the log; source of truth; ids are monotonic within a partition only)
- ``P customers:<customer_id>``       hash  ``<flight_id>|<seat_no>`` → ``+<event id>`` (held) or
  ``-<event id>`` (released, a tombstone): the "my seats" index, a projection of every partition's
  log that spans slots, so no script writes it. The consumer group ``customer-index``
  (reservations.projector) builds it; the write path applies the same last-writer-wins update right
  after a winning script (write-through), so a customer reads their own writes.
- ``P reservations:layout``           string  ``v2 partitions=<n>``, written on first use; a process
  whose setting disagrees refuses to run.
- ``P reservations:projector``        hash  what the projector last reported (lag, time).

A seat change is one Lua script over one partition's keys, so the hash and the log change together
or not at all. Redis errors leave this module only as ``StoreUnavailable``. With the embedded Redis
(REDIS_URL unset), a command that cannot connect revives the server and is tried once more (ADR 82).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.crc import key_slot

from reservations.errors import LayoutMismatch, RebuildConflict, StoreUnavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")

EVENT_SEAT_RESERVED = "SeatReserved"
EVENT_SEAT_RELEASED = "SeatReleased"
# A hold's life (reservations.holds, docs/adr/0142). None of them reserves or releases a seat: a
# confirm logs SeatReserved for each seat (then HoldConfirmed), so a fold of SeatReserved/SeatReleased
# alone (projection_apply, the customer index, history snapshots) stays right and ignores these.
EVENT_SEATS_HELD = "SeatsHeld"
EVENT_HOLD_CONFIRMED = "HoldConfirmed"
EVENT_HOLD_RELEASED = "HoldReleased"
EVENT_HOLD_EXPIRED = "HoldExpired"
HOLD_EVENTS = (EVENT_SEATS_HELD, EVENT_HOLD_CONFIRMED, EVENT_HOLD_RELEASED, EVENT_HOLD_EXPIRED)
LAYOUT_VERSION = "v2"
INDEX_GROUP = "customer-index"  # the consumer group that projects the customer index
V1_EVENTS_SUFFIX = "reservations:events"  # layout v1's one global stream (reservations_migrate_layout)

# KEYS: flight hash, partition event stream, operations hash, the flight's seat holds (reservations.holds)
# — the keys of ONE flight, so of one partition (a move across flights is two scripts, never one).
# ARGV: flight_id, seat_no, customer_id, operation ('' = none), cap (seats one customer may hold on
# the flight; 0 = no cap), replaces (a seat of this flight the caller releases next, or ''), now (ms;
# '' = the Redis clock, TIME; tests inject it).
# The seat's holder decides first, so a retry at the cap still succeeds. A seat in a live hold (its
# expiry after now; anyone's, the holder's own too: a hold ends by its confirm) is taken; an expired one
# is free. Then the cap: the customer's seats are counted in this flight's own hash plus the seats of
# their live holds on the flight (no other key: the step stays in the flight's slot); a seat being
# replaced by a move counts as gone (ADR 75, ADR 142). Only then does HSETNX write; only the winner
# touches the operation and the log. Returns {status, id}: 1 reserved, 2 already yours (through this
# operation, or with none given), 3 yours but not through this operation, 0 someone else's (or held),
# 4 the customer's seat limit on this flight reached.
_RESERVE_LUA = """
local holder = redis.call('HGET', KEYS[1], ARGV[2])
if holder then
  if holder ~= ARGV[3] then
    return {0, ''}
  end
  if ARGV[4] == '' or redis.call('HGET', KEYS[3], ARGV[2]) == ARGV[4] then
    return {2, ''}
  end
  return {3, ''}
end
local holds = redis.call('EXISTS', KEYS[4]) == 1
local now = 0
if holds then
  now = tonumber(ARGV[7])
  if not now then
    local t = redis.call('TIME')
    now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  local entry = redis.call('HGET', KEYS[4], ARGV[2])
  if entry and tonumber(string.match(entry, '^(%d+)|')) > now then
    return {0, ''}
  end
end
local cap = tonumber(ARGV[5])
if cap > 0 then
  local held = 0
  for _, customer in ipairs(redis.call('HVALS', KEYS[1])) do
    if customer == ARGV[3] then
      held = held + 1
    end
  end
  if holds then
    for _, entry in ipairs(redis.call('HVALS', KEYS[4])) do
      local expires, customer = string.match(entry, '^(%d+)|([^|]*)|')
      if customer == ARGV[3] and tonumber(expires) > now then
        held = held + 1
      end
    end
  end
  if ARGV[6] ~= '' and redis.call('HGET', KEYS[1], ARGV[6]) == ARGV[3] then
    held = held - 1
  end
  if held >= cap then
    return {4, tostring(held)}
  end
end
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 1 then
  local id
  if ARGV[4] ~= '' then
    redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
    id = redis.call('XADD', KEYS[2], '*', 'type', 'SeatReserved',
      'flight_id', ARGV[1], 'seat_no', ARGV[2], 'customer_id', ARGV[3], 'operation', ARGV[4])
  else
    redis.call('HDEL', KEYS[3], ARGV[2])
    id = redis.call('XADD', KEYS[2], '*', 'type', 'SeatReserved',
      'flight_id', ARGV[1], 'seat_no', ARGV[2], 'customer_id', ARGV[3])
  end
  return {1, id}
end
return {0, ''}
"""

# Compare-and-delete: only the holder releases (and, when an operation is given, only the reservation
# that operation made). KEYS as the reserve's. Returns {1, id} released, {0, ''} free, {-1, ''} not
# yours, {-2, ''} yours but not through this operation.
_RELEASE_LUA = """
local holder = redis.call('HGET', KEYS[1], ARGV[2])
if not holder then
  return {0, ''}
end
if holder ~= ARGV[3] then
  return {-1, ''}
end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[3], ARGV[2]) ~= ARGV[4] then
  return {-2, ''}
end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
local id
if ARGV[4] ~= '' then
  id = redis.call('XADD', KEYS[2], '*', 'type', 'SeatReleased',
    'flight_id', ARGV[1], 'seat_no', ARGV[2], 'customer_id', ARGV[3], 'operation', ARGV[4])
else
  id = redis.call('XADD', KEYS[2], '*', 'type', 'SeatReleased',
    'flight_id', ARGV[1], 'seat_no', ARGV[2], 'customer_id', ARGV[3])
end
return {1, id}
"""

# The customer index's last-writer-wins update. KEYS: one customer hash (its own slot). ARGV: pairs of
# field (flight_id|seat_no) and value ('+<event id>' held, '-<event id>' released). A value is written
# only if its event id is newer than the stored one's: the ids of one seat all come from one partition's
# stream, so they compare, and applying an update twice or out of order changes nothing. Stream ids are
# compared as two decimal numbers (length first, then digits: no float rounding). A stored value that is
# not of this form (damage) counts as oldest. Returns how many fields changed.
_INDEX_APPLY_LUA = """
local function before(a, b)
  if #a ~= #b then
    return #a < #b
  end
  return a < b
end
local function older(stored, incoming)
  local sms, sseq = string.match(stored, '^[+-](%d+)-(%d+)$')
  if not sms then
    return true
  end
  local ims, iseq = string.match(incoming, '^[+-](%d+)-(%d+)$')
  if sms ~= ims then
    return before(sms, ims)
  end
  return before(sseq, iseq)
end
local changed = 0
for i = 1, #ARGV, 2 do
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  if not stored or older(stored, ARGV[i + 1]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    changed = changed + 1
  end
end
return changed
"""

# The rebuild's repair of a customer index: compare-and-set per field, so a write that lands while the
# rebuild runs (a newer value) is never overwritten. KEYS: one customer hash. ARGV: triples of field,
# expected value ('' = absent) and new value ('' = delete). Returns how many fields changed.
_INDEX_REPAIR_LUA = """
local changed = 0
for i = 1, #ARGV, 3 do
  local stored = redis.call('HGET', KEYS[1], ARGV[i]) or ''
  if stored == ARGV[i + 1] then
    if ARGV[i + 2] == '' then
      redis.call('HDEL', KEYS[1], ARGV[i])
    else
      redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2])
    end
    changed = changed + 1
  end
end
return changed
"""


class ReserveResult(Enum):
    RESERVED = "reserved"
    ALREADY_YOURS = "already_yours"
    YOURS_OTHERWISE = "yours_otherwise"  # held by the customer, but not through the given operation
    TAKEN = "taken"
    LIMIT_REACHED = "limit_reached"  # the customer holds the most seats one may on the flight (ADR 75)


class ReleaseResult(Enum):
    RELEASED = "released"
    NOT_RESERVED = "not_reserved"
    NOT_YOURS = "not_yours"
    YOURS_OTHERWISE = "yours_otherwise"  # the customer's, but not reserved by the given operation


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    type: str
    flight_id: str
    seat_no: str
    customer_id: str
    at: str
    hold_id: str = ""  # hold events only (seat_no is '' there: a hold names its seats in ``seats``)
    seats: tuple[str, ...] = ()


# -- the layout: partitions and key names -------------------------------------------------------


def partition_for(flight_id: str, partitions: int) -> int:
    """The partition of a flight among ``partitions``: crc32, stable across processes and languages."""
    return zlib.crc32(flight_id.encode()) % partitions


def partitions() -> int:
    """How many partitions the running layout has (RESERVATIONS_PARTITIONS)."""
    return settings.RESERVATIONS_PARTITIONS


def partition_of(flight_id: str) -> int:
    return partition_for(flight_id, partitions())


CLUSTER_SLOTS = 16384
MAX_PARTITIONS = 1024


def partition_tag(partition: int) -> str:
    """The hash tag every key of the partition carries: ``{r17.10}`` (docs/adr/0115)."""
    return partition_tag_for(partition, partitions())


def partition_tag_for(partition: int, partition_count: int) -> str:
    """The tag of a partition among ``partition_count``, without settings (benches and test harnesses)."""
    return _partition_tags(partition_count)[partition]


@functools.lru_cache(maxsize=4)
def _partition_tags(partition_count: int) -> tuple[str, ...]:
    """Tag ``n`` is ``{r<n>.<k>}`` with the smallest ``k`` whose CRC16 slot lies in the ``n``-th of
    ``partition_count`` equal ranges of the slots: partitions sit evenly spaced over the slot range,
    so Redis Cluster's even split of slots over n shards (and ``--cluster rebalance``, which evens
    slot counts) gives every shard ⌊P/n⌋ or ⌈P/n⌉ partitions. Deterministic, computed once per
    process (about 128 CRC16s a partition: a few ms for 128 partitions)."""
    tags = []
    for n in range(partition_count):
        low, high = n * CLUSTER_SLOTS // partition_count, (n + 1) * CLUSTER_SLOTS // partition_count
        k = 0
        while not low <= key_slot(f"r{n}.{k}".encode()) < high:
            k += 1
        tags.append(f"{{r{n}.{k}}}")
    return tuple(tags)


def layout_description(partition_count: int) -> str:
    return f"{LAYOUT_VERSION} partitions={partition_count}"


class _Connection:
    """The per-process client, key names and registered scripts (built once, on first use)."""

    __slots__ = (
        "client",
        "index_apply",
        "index_repair",
        "layout_key",
        "partitions",
        "prefix",
        "release",
        "reserve",
        "status_key",
    )

    def __init__(self, *, check_layout: bool = True) -> None:
        from django_redis import get_redis_connection

        if settings.EMBEDDED_REDIS_DIR is not None:
            from skyway import embedded_redis

            embedded_redis.ensure_running(settings.EMBEDDED_REDIS_DIR)
        self.client: redis.Redis = get_redis_connection("reservations")
        self.prefix: str = settings.REDIS_KEY_PREFIX or ""
        self.partitions: int = settings.RESERVATIONS_PARTITIONS
        self.layout_key = f"{self.prefix}reservations:layout"
        self.status_key = f"{self.prefix}reservations:projector"
        # Script objects send EVALSHA and reload the script themselves on NOSCRIPT.
        self.reserve = self.client.register_script(_RESERVE_LUA)
        self.release = self.client.register_script(_RELEASE_LUA)
        self.index_apply = self.client.register_script(_INDEX_APPLY_LUA)
        self.index_repair = self.client.register_script(_INDEX_REPAIR_LUA)
        if check_layout:
            self.layout_check()

    # Key names (LAYOUT.md's names: other modules of this context build keys through these).
    def partition_tag(self, partition: int) -> str:
        return partition_tag_for(partition, self.partitions)

    def key(self, partition: int, suffix: str) -> str:
        return f"{self.prefix}{self.partition_tag(partition)}:{suffix}"

    def partition_of(self, flight_id: str) -> int:
        return partition_for(flight_id, self.partitions)

    def flight_key(self, flight_id: str) -> str:
        return self.key(self.partition_of(flight_id), f"flights:{flight_id}")

    def operations_key(self, flight_id: str) -> str:
        return self.key(self.partition_of(flight_id), f"operations:{flight_id}")

    def events_key(self, partition: int) -> str:
        return self.key(partition, "events")

    def customer_key(self, customer_id: str) -> str:
        return f"{self.prefix}customers:{customer_id}"

    def v1_events_key(self) -> str:
        return f"{self.prefix}{V1_EVENTS_SUFFIX}"

    def layout_check(self) -> None:
        """Write the layout on first use; refuse a setting that disagrees with the stored one, or v1 data."""
        expected = layout_description(self.partitions)
        stored = self.client.get(self.layout_key)
        if stored is None:
            if self.client.exists(self.v1_events_key()):
                raise LayoutMismatch(
                    "The reservations store holds data in layout v1 (one global stream "
                    f"{self.v1_events_key()}); run `manage.py reservations_migrate_layout` first."
                )
            self.client.set(self.layout_key, expected, nx=True)
            stored = self.client.get(self.layout_key)
        if stored is not None and _text(stored) != expected:
            raise LayoutMismatch(
                f"The reservations store's layout is '{_text(stored)}' but RESERVATIONS_PARTITIONS="
                f"{self.partitions} means '{expected}'; the partition count is fixed for the life of the "
                "data: set it back."
            )


_connection: _Connection | None = None


def _conn() -> _Connection:
    global _connection
    if _connection is None:
        try:
            _connection = _Connection()
        except LayoutMismatch:
            logger.error("reservations store layout refused", exc_info=True)
            raise
        except (redis.RedisError, OSError, RuntimeError) as exc:
            raise _unavailable(exc) from exc
    return _connection


def _conn_unchecked() -> _Connection:
    """A connection that skips the layout check (the v1 migration, which writes the layout itself)."""
    try:
        return _Connection(check_layout=False)
    except (redis.RedisError, OSError, RuntimeError) as exc:
        raise _unavailable(exc) from exc


@receiver(setting_changed)
def _forget_connection(*, setting: str, **kwargs: object) -> None:
    """Tests that swap CACHES, the key prefix or the partition count get a fresh connection."""
    global _connection
    if setting in {"CACHES", "REDIS_KEY_PREFIX", "EMBEDDED_REDIS_DIR", "RESERVATIONS_PARTITIONS"}:
        _connection = None


def _unavailable(exc: Exception) -> StoreUnavailable:
    # The client gets the kind of failure; addresses and paths stay in the log.
    logger.warning("reservations store unavailable: %s: %s", type(exc).__name__, exc)
    return StoreUnavailable(f"The reservations store is unavailable ({type(exc).__name__}); retry later.")


def _supervised(operation: Callable[[_Connection], T]) -> T:
    """Run one store command; a crashed embedded server is restarted and the command tried once more.

    A retried reserve whose first try did reach the server before the crash finds the seat already
    its customer's (ALREADY_YOURS), a retried release finds it free: the answers stay truthful.
    """
    conn = _conn()
    try:
        return operation(conn)
    except redis.ConnectionError as exc:
        if settings.EMBEDDED_REDIS_DIR is None:
            raise _unavailable(exc) from exc
        from skyway import embedded_redis

        logger.warning("embedded Redis unreachable (%s); restarting it", exc)
        try:
            embedded_redis.revive(settings.EMBEDDED_REDIS_DIR)
            return operation(conn)
        except (redis.RedisError, OSError, RuntimeError) as again:
            raise _unavailable(again) from again
    except redis.RedisError as exc:
        raise _unavailable(exc) from exc


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# -- the write path -----------------------------------------------------------------------------


def reservation_add(
    *,
    flight_id: str,
    seat_no: str,
    customer_id: str,
    operation: str | None = None,
    cap: int = 0,
    replaces: str | None = None,
    now_ms: int | None = None,
) -> ReserveResult:
    """HSETNX the seat; the winner also logs SeatReserved (one Lua script), then indexes it.

    With an ``operation`` token the reservation remembers it: the same operation reserving again is
    ALREADY_YOURS, while the customer holding the seat otherwise is YOURS_OTHERWISE. A customer who
    already holds ``cap`` seats on the flight (0 = no cap) gets LIMIT_REACHED; ``replaces``, a seat of
    the same flight the caller releases next (a seat move), does not count. A seat in someone's live
    hold is TAKEN, and the customer's live held seats count towards the cap (reservations.holds);
    ``now_ms`` replaces the Redis clock (tests of the expiry boundary only).
    """
    status, event_id = _supervised(
        lambda conn: _acknowledged(
            conn,
            conn.reserve,
            keys=_keys(conn, flight_id),
            args=[
                flight_id,
                seat_no,
                customer_id,
                operation or "",
                max(0, cap),
                replaces or "",
                "" if now_ms is None else now_ms,
            ],
        )
    )
    if status == 1:
        _index_write_through(customer_id, flight_id, seat_no, f"+{_text(event_id)}")
    return _RESERVE_RESULTS[status]


_RESERVE_RESULTS = {
    1: ReserveResult.RESERVED,
    2: ReserveResult.ALREADY_YOURS,
    3: ReserveResult.YOURS_OTHERWISE,
    0: ReserveResult.TAKEN,
    4: ReserveResult.LIMIT_REACHED,
}
_RELEASE_RESULTS = {
    1: ReleaseResult.RELEASED,
    0: ReleaseResult.NOT_RESERVED,
    -1: ReleaseResult.NOT_YOURS,
    -2: ReleaseResult.YOURS_OTHERWISE,
}


def _keys(conn: _Connection, flight_id: str) -> list[str]:
    """The script's keys: all of one partition (one hash slot)."""
    partition = conn.partition_of(flight_id)
    return [
        conn.key(partition, f"flights:{flight_id}"),
        conn.events_key(partition),
        conn.key(partition, f"operations:{flight_id}"),
        conn.key(partition, f"holds:{flight_id}"),
    ]


def reservation_remove(
    *, flight_id: str, seat_no: str, customer_id: str, operation: str | None = None
) -> ReleaseResult:
    """Compare-and-delete: release only if ``customer_id`` holds the seat (and, given an ``operation``,
    only if that operation reserved it); log SeatReleased, then mark the seat released in the index."""
    status, event_id = _supervised(
        lambda conn: _acknowledged(
            conn,
            conn.release,
            keys=_keys(conn, flight_id),
            args=[flight_id, seat_no, customer_id, operation or ""],
        )
    )
    if status == 1:
        _index_write_through(customer_id, flight_id, seat_no, f"-{_text(event_id)}")
    return _RELEASE_RESULTS[status]


# A write for WAIT to wait on when the reserve script wrote nothing (the seat was already the customer's:
# a retry after a 503). It rewrites the holder the seat has, only if it still has it, so the replicas must
# reach at least the original write. KEYS: flight hash. ARGV: seat_no, customer_id. Returns 1 if held.
_REAFFIRM_LUA = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""
_WROTE = 1  # both scripts' status when they changed the seat (RESERVED / RELEASED)
_HELD_ALREADY = (2, 3)  # the reserve's ALREADY_YOURS / YOURS_OTHERWISE: acknowledged, nothing written


def _acknowledged(
    conn: _Connection, script: redis.commands.core.Script, *, keys: list[str], args: list
) -> list:
    """Run a seat-changing script; with RESERVATIONS_WAIT_REPLICAS > 0, answer only once that many replicas
    have its write (docs/adr/0139), else StoreUnavailable: a 503, and the change is not acknowledged.

    WAIT counts the replicas that have every write *of its own connection*, so the script and the WAIT
    go down one connection to the master of the keys' slot, pipelined: one round trip. A reserve that
    finds the seat already the customer's wrote nothing to wait on: the seat's holder is rewritten
    (only if unchanged) and waited on, so a retry is not acknowledged before the first write is safe.
    """
    replicas = settings.RESERVATIONS_WAIT_REPLICAS
    if replicas <= 0:
        return script(keys=keys, args=args)
    from skyway import redis_cluster

    wait = ("WAIT", replicas, settings.RESERVATIONS_WAIT_TIMEOUT_MS)
    for attempt in range(3):  # a failover moves the slot: map it again, retry on the new master
        node = redis_cluster.connection_for_key(conn.client, keys[0])
        try:
            with redis_cluster.one_connection(node) as send:
                result, confirmed = send(("EVALSHA", script.sha, len(keys), *keys, *args), wait)
                if isinstance(result, redis.exceptions.NoScriptError):
                    result, confirmed = send(("EVAL", script.script, len(keys), *keys, *args), wait)
                if isinstance(result, Exception):
                    raise result
                if script is conn.reserve and result[0] in _HELD_ALREADY:
                    held, confirmed = send(("EVAL", _REAFFIRM_LUA, 1, keys[0], args[1], args[2]), wait)
                    if held != 1:
                        raise redis.ResponseError(
                            "the seat changed between the reserve and its acknowledgement"
                        )
        except (redis.ConnectionError, redis.TimeoutError, redis.exceptions.MovedError) as exc:
            if attempt == 2 or not isinstance(conn.client, redis.RedisCluster):
                raise
            logger.warning("reservations write: its master moved or is gone (%s); retrying", exc)
            redis_cluster.topology_refresh(conn.client)
            continue
        if isinstance(confirmed, Exception):
            raise confirmed
        if result[0] in (_WROTE, *_HELD_ALREADY) and confirmed < replicas:
            logger.warning(
                "seat change confirmed by %s of %s replicas in %s ms: not acknowledged",
                confirmed,
                replicas,
                settings.RESERVATIONS_WAIT_TIMEOUT_MS,
            )
            raise StoreUnavailable(
                "The reservations store could not confirm the change on a replica in time; it is not "
                "acknowledged (it may still apply: a retry tells)."
            )
        return result
    raise AssertionError("unreachable")


def _index_write_through(customer_id: str, flight_id: str, seat_no: str, value: str) -> None:
    """Read-your-writes: the index update the projector would make, applied now. Best effort: the
    seat is already the customer's (or free) and logged, so a failure here is logged and the
    projector converges the index from the log."""
    try:
        conn = _conn()
        conn.index_apply(keys=[conn.customer_key(customer_id)], args=[f"{flight_id}|{seat_no}", value])
    except (redis.RedisError, OSError, StoreUnavailable) as exc:
        logger.warning(
            "customer index write-through failed (the projector will apply it): %s: %s",
            type(exc).__name__,
            exc,
        )


# -- reads --------------------------------------------------------------------------------------


def flight_seats(*, flight_id: str) -> dict[str, str]:
    """Seat → customer of one flight, unordered."""
    raw = _supervised(lambda conn: conn.client.hgetall(conn.flight_key(flight_id)))
    if raw and isinstance(next(iter(raw)), bytes):  # one client answers bytes throughout: decode inline
        return {seat.decode(): customer.decode() for seat, customer in raw.items()}
    return {_text(seat): _text(customer) for seat, customer in raw.items()}


def customer_seats(*, customer_id: str) -> list[tuple[str, str]]:
    """(flight_id, seat_no) pairs a customer holds (the index's ``+`` fields), unordered."""
    raw = _supervised(lambda conn: conn.client.hgetall(conn.customer_key(customer_id)))
    return [_index_field(name) for name, value in raw.items() if _text(value).startswith("+")]


def _index_field(name: bytes | str) -> tuple[str, str]:
    flight_id, _, seat_no = _text(name).rpartition("|")
    return flight_id, seat_no


@dataclass(frozen=True, slots=True)
class IndexFreshness:
    """What the projector last reported: events not yet applied to the customer index, and when."""

    lag: int | None  # None: no projector has reported on this store
    reported_at: str | None


def index_freshness() -> IndexFreshness:
    raw = _supervised(lambda conn: conn.client.hgetall(conn.status_key))
    status = {_text(k): _text(v) for k, v in raw.items()}
    if "lag" not in status:
        return IndexFreshness(lag=None, reported_at=None)
    return IndexFreshness(lag=int(status["lag"]), reported_at=status.get("at"))


def _at_from_id(event_id: str) -> str:
    # The stream id's first part is the Redis server's clock (ms) when the event was appended.
    millis = int(event_id.split("-", 1)[0])
    return _iso_millis(millis)


def _iso_millis(millis: int) -> str:
    return (
        datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _event(entry_id: bytes | str, fields: dict) -> Event:
    event_id = _text(entry_id)
    data = {_text(k): _text(v) for k, v in fields.items()}
    return Event(
        event_id=event_id,
        type=data.get("type", ""),
        flight_id=data.get("flight_id", ""),
        seat_no=data.get("seat_no", ""),
        customer_id=data.get("customer_id", ""),
        at=_at_from_id(event_id),
        hold_id=data.get("hold_id", ""),
        seats=tuple(data["seats"].split(",")) if data.get("seats") else (),
    )


def events_after(*, partition: int, since: str, count: int) -> list[Event]:
    """Up to ``count`` events of one partition with ids strictly after ``since`` (``0`` = from the start)."""
    entries = _supervised(
        lambda conn: conn.client.xrange(conn.events_key(partition), min=f"({since}", max="+", count=count)
    )
    return [_event(entry_id, fields) for entry_id, fields in entries]


def events_all(*, partition: int, since: str = "0", batch: int = 1000) -> Iterator[Event]:
    """Every event of one partition after ``since`` in order, read in batches."""
    while True:
        events = events_after(partition=partition, since=since, count=batch)
        yield from events
        if len(events) < batch:
            return
        since = events[-1].event_id


def ping() -> None:
    """One round trip to Redis; raises StoreUnavailable if it fails."""
    _supervised(lambda conn: conn.client.ping())


# -- the customer index projection (consumer group customer-index; reservations.projector) -------


def index_value(event: Event) -> tuple[str, str, str] | None:
    """(customer key's id, field, value) of the index update an event makes, or None."""
    if event.type == EVENT_SEAT_RESERVED:
        sign = "+"
    elif event.type == EVENT_SEAT_RELEASED:
        sign = "-"
    else:
        return None
    return event.customer_id, f"{event.flight_id}|{event.seat_no}", f"{sign}{event.event_id}"


def index_apply_events(events: Iterable[Event]) -> int:
    """Apply the index updates of ``events`` (LWW, one script per customer hash); returns fields changed."""
    updates: dict[str, list[str]] = {}
    for event in events:
        update = index_value(event)
        if update is not None:
            customer_id, name, value = update
            updates.setdefault(customer_id, []).extend([name, value])
    if not updates:
        return 0

    def apply(conn: _Connection) -> int:
        with conn.client.pipeline(transaction=False) as pipe:
            for customer_id, args in updates.items():
                # EVAL in a pipeline (a cluster pipeline routes it by its key; it blocks EVALSHA and
                # its eval() helper, and an EVAL needs no script cache).
                pipe.execute_command("EVAL", _INDEX_APPLY_LUA, 1, conn.customer_key(customer_id), *args)
            return sum(int(changed) for changed in pipe.execute())

    return _supervised(apply)


def index_groups_ensure() -> None:
    """Create the consumer group on every partition stream (MKSTREAM: a partition with no event yet)."""

    def create(conn: _Connection) -> None:
        for partition in range(conn.partitions):
            try:
                conn.client.xgroup_create(conn.events_key(partition), INDEX_GROUP, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    _supervised(create)


@dataclass(frozen=True, slots=True)
class Delivery:
    """Entries of one partition handed to a consumer (to be applied, then acknowledged)."""

    partition: int
    events: list[Event]
    reclaimed: bool = False  # taken over from a consumer that read them and did not acknowledge


def index_read(*, consumer: str, count: int, pending_idle_ms: int | None = None) -> list[Delivery]:
    """New entries for ``consumer`` from every partition (XREADGROUP ``>``); with ``pending_idle_ms``,
    first the entries other consumers read and left unacknowledged that long (XAUTOCLAIM)."""

    def read(conn: _Connection) -> list[Delivery]:
        keys = [conn.events_key(partition) for partition in range(conn.partitions)]
        deliveries: list[Delivery] = []
        if pending_idle_ms is not None:
            with conn.client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.xautoclaim(key, INDEX_GROUP, consumer, min_idle_time=pending_idle_ms, count=count)
                claimed = pipe.execute()
            for partition, answer in enumerate(claimed):
                entries = [entry for entry in answer[1] if entry and entry[1]]  # deleted entries come as nil
                if entries:
                    deliveries.append(Delivery(partition, [_event(i, f) for i, f in entries], reclaimed=True))
        with conn.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.xreadgroup(INDEX_GROUP, consumer, {key: ">"}, count=count)
            answers = pipe.execute()
        for partition, answer in enumerate(answers):
            for _stream, entries in answer or []:
                if entries:
                    deliveries.append(Delivery(partition, [_event(i, f) for i, f in entries]))
        return deliveries

    return _supervised(read)


def index_ack(deliveries: Iterable[Delivery]) -> None:
    def ack(conn: _Connection) -> None:
        with conn.client.pipeline(transaction=False) as pipe:
            for delivery in deliveries:
                if delivery.events:
                    pipe.xack(
                        conn.events_key(delivery.partition),
                        INDEX_GROUP,
                        *[event.event_id for event in delivery.events],
                    )
            pipe.execute()

    _supervised(ack)


def index_lag() -> int:
    """Events of every partition the group has not yet applied: pending (read, not acknowledged) plus
    not yet delivered. Redis 7 reports the latter (XINFO GROUPS ``lag``); on older servers it is
    counted with XRANGE, up to 10,000 per partition."""

    def lag(conn: _Connection) -> int:
        keys = [conn.events_key(partition) for partition in range(conn.partitions)]
        with conn.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.xinfo_groups(key)
            answers = pipe.execute(raise_on_error=False)
        total = 0
        for key, groups in zip(keys, answers, strict=True):
            if isinstance(groups, Exception):
                continue  # no stream yet: nothing to apply
            group = next((g for g in groups if _text(g["name"]) == INDEX_GROUP), None)
            if group is None:
                total += conn.client.xlen(key)
                continue
            total += int(group["pending"])
            if group.get("lag") is not None:
                total += int(group["lag"])
            elif "lag" not in group:
                last = _text(group["last-delivered-id"])
                total += len(conn.client.xrange(key, min=f"({last}", max="+", count=10_000))
        return total

    return _supervised(lag)


def index_status_write(*, lag: int, consumer: str) -> None:
    """What the customer read reports in its freshness headers (the projector writes it each cycle)."""

    def write(conn: _Connection) -> None:
        seconds, micros = conn.client.time()
        at = _iso_millis(int(seconds) * 1000 + int(micros) // 1000)
        conn.client.hset(conn.status_key, mapping={"lag": lag, "at": at, "consumer": consumer})

    _supervised(write)


# -- replay, hash-vs-log check and rebuild, partition by partition ------------------------------


@dataclass(slots=True)
class Projection:
    """The state one partition's log implies: flight → seat → customer, and the customer index
    entries ((customer, flight|seat) → ±event id) of the events that changed a seat."""

    partition: int
    flights: dict[str, dict[str, str]]
    last_event_id: str
    index: dict[tuple[str, str], str] = field(default_factory=dict)
    # the retention floor snapshot the replay started from ('0': the stream's first event): the
    # replay cannot vouch for index tombstones older than it (their events were trimmed)
    base_event_id: str = "0"

    def customers(self) -> dict[str, set[str]]:
        """Customer → their held seats ``flight|seat`` (what the index's ``+`` fields must say)."""
        held: dict[str, set[str]] = {}
        for flight_id, seats in self.flights.items():
            for seat_no, customer_id in seats.items():
                held.setdefault(customer_id, set()).add(f"{flight_id}|{seat_no}")
        return held


def projection_apply(flights: dict[str, dict[str, str]], event: Event) -> bool:
    """Fold one event into an in-memory projection (the same rules the Lua scripts enforce); returns
    whether it changed a seat (a sound log's events all do)."""
    if event.type == EVENT_SEAT_RESERVED:
        seats = flights.setdefault(event.flight_id, {})
        if event.seat_no in seats:
            return False
        seats[event.seat_no] = event.customer_id
        return True
    if event.type == EVENT_SEAT_RELEASED:
        seats = flights.get(event.flight_id, {})
        if seats.get(event.seat_no) == event.customer_id:
            del seats[event.seat_no]
            if not seats:
                del flights[event.flight_id]
            return True
    return False


def projection_from_log(
    *, partition: int, since: str = "0", projection: Projection | None = None
) -> Projection:
    """Replay one partition's log (optionally continuing ``projection`` from its last event).

    From the start (``since`` ``0``, no projection) it is ``history.partition_replay``: the retention
    floor snapshot plus every event after it (the stream's first event when it was never trimmed), so
    a replay stays whole after retention trimmed the stream (docs/adr/0121). A continuation whose last
    event fell below a floor that rose meanwhile starts again from the new floor.
    """
    if projection is None:
        if since == "0":
            return _projection_from_floor(partition)
        projection = Projection(partition=partition, flights={}, last_event_id=since)
    continued_from = projection.last_event_id
    for event in events_all(partition=partition, since=continued_from):
        if projection_apply(projection.flights, event):
            customer_id, name, value = index_value(event)  # type: ignore[misc]
            projection.index[(customer_id, name)] = value
        projection.last_event_id = event.event_id
    # Retention deletes and trims in one script and its floor only rises: still at or below where the
    # read started, nothing after it was trimmed while reading.
    if _history().floor_above(partition=partition, event_id=continued_from):
        return _projection_from_floor(partition)
    return projection


def _history():
    # reservations.history builds on this module (it imports it), so it is imported when first used.
    from reservations import history

    return history


def _projection_from_floor(partition: int) -> Projection:
    """The partition's projection from ``history.partition_replay``, its customer index entries
    included: a held seat's ``+<its SeatReserved id>`` (kept in the snapshot when that event was
    trimmed) and a ``-<SeatReleased id>`` tombstone for each release the replay read."""
    replay = _history().partition_replay(partition=partition)
    index = {
        (customer_id, f"{flight_id}|{seat_no}"): f"-{event_id}"
        for (flight_id, seat_no, customer_id), event_id in replay.releases.items()
    }
    for flight_id, seats in replay.flights.items():
        for seat_no, customer_id in seats.items():
            index[(customer_id, f"{flight_id}|{seat_no}")] = f"+{replay.reserved_by[flight_id][seat_no]}"
    return Projection(
        partition=partition,
        flights={flight_id: dict(seats) for flight_id, seats in replay.flights.items()},
        last_event_id=replay.last_event_id,
        index=index,
        base_event_id=replay.base_event_id,
    )


_FLIGHT_KEY = re.compile(r"\{r([0-9]+)\.[0-9]+\}:flights:(.+)")


def _scan(client: redis.Redis, pattern: str) -> list[str]:
    # A cluster client's scan_iter walks every primary; a single node's, the one keyspace.
    return [_text(key) for key in client.scan_iter(match=pattern, count=1000)]


def _glob_escape(text: str) -> str:
    return "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in text)


def _live_flight_ids(conn: _Connection) -> dict[int, set[str]]:
    """Partition → the flight ids that have a hash (one SCAN; hand-written strays included)."""
    found: dict[int, set[str]] = {}
    for key in _scan(conn.client, f"{_glob_escape(conn.prefix)}{{r*}}:flights:*"):
        match = _FLIGHT_KEY.fullmatch(key[len(conn.prefix) :])
        if match and int(match[1]) < conn.partitions:
            found.setdefault(int(match[1]), set()).add(match[2])
    return found


def _hashes(conn: _Connection, flight_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    flight_ids = sorted(flight_ids)
    with conn.client.pipeline(transaction=False) as pipe:
        for flight_id in flight_ids:
            pipe.hgetall(conn.flight_key(flight_id))
        answers = pipe.execute()
    return {
        flight_id: {_text(s): _text(c) for s, c in raw.items()}
        for flight_id, raw in zip(flight_ids, answers, strict=True)
        if raw
    }


def _customer_indexes(conn: _Connection) -> dict[str, dict[str, str]]:
    """Customer → the raw fields of their index hash (tombstones included)."""
    indexes = {}
    for key in _scan(conn.client, f"{_glob_escape(conn.prefix)}customers:*"):
        raw = conn.client.hgetall(key)
        if raw:
            indexes[key[len(conn.prefix) + len("customers:") :]] = {
                _text(k): _text(v) for k, v in raw.items()
            }
    return indexes


def live_state() -> tuple[dict[str, dict[str, str]], dict[str, set[str]]]:
    """Every flight hash and every customer's held seats as they are in Redis now (for rebuild checks)."""

    def read(conn: _Connection) -> tuple[dict[str, dict[str, str]], dict[str, set[str]]]:
        flights: dict[str, dict[str, str]] = {}
        for flight_ids in _live_flight_ids(conn).values():
            flights.update(_hashes(conn, flight_ids))
        customers = {}
        for customer_id, fields in _customer_indexes(conn).items():
            held = {name for name, value in fields.items() if value.startswith("+")}
            if held:
                customers[customer_id] = held
        return flights, customers

    return _supervised(read)


@dataclass(frozen=True, slots=True)
class ConsistencyReport:
    """Hash-vs-log: the seats whose holder in the flight hashes differs from the one the log implies."""

    consistent: bool
    flights: int
    seats: int
    mismatches: list[dict[str, str | None]]
    unsettled: int  # seats written while the check read, left out of the comparison
    last_event_id: str  # the newest event the replay read, of any partition (by the server's clock)
    partitions: int


def projection_check() -> ConsistencyReport:
    """Compare every flight hash with the projection of its partition's log, without stopping writes.

    Per partition, the log is replayed first (up to L), then the partition's hashes are read. One Lua
    script writes a seat's hash and its event together, so a difference can come only from a write
    after L: the events after L name those seats, which are left out (counted as unsettled). Every
    other difference is real — a build that wrote the hash without the log, or the log without the
    hash (the rollout's consistency gate, docs/adr/0114).
    """
    conn = _conn()
    try:
        stray = _live_flight_ids(conn)
    except redis.RedisError as exc:
        raise _unavailable(exc) from exc
    mismatches: list[dict[str, str | None]] = []
    unsettled_count, flights, seats, newest = 0, 0, 0, "0-0"
    for partition in range(conn.partitions):
        projection = projection_from_log(partition=partition)
        live = _supervised(lambda c, p=projection: _hashes(c, set(p.flights) | stray.get(p.partition, set())))
        unsettled = {
            (e.flight_id, e.seat_no) for e in events_all(partition=partition, since=projection.last_event_id)
        }
        for flight_id in sorted(set(projection.flights) | set(live)):
            logged, hashed = projection.flights.get(flight_id, {}), live.get(flight_id, {})
            for seat_no in sorted(set(logged) | set(hashed)):
                if (flight_id, seat_no) in unsettled or logged.get(seat_no) == hashed.get(seat_no):
                    continue
                mismatches.append(
                    {
                        "flight_id": flight_id,
                        "seat_no": seat_no,
                        "log": logged.get(seat_no),
                        "hash": hashed.get(seat_no),
                    }
                )
        unsettled_count += len(unsettled)
        flights += len(live)
        seats += sum(len(s) for s in live.values())
        if _id_key(projection.last_event_id) > _id_key(newest):
            newest = projection.last_event_id
    mismatches.sort(key=lambda m: (m["flight_id"] or "", m["seat_no"] or ""))
    return ConsistencyReport(
        consistent=not mismatches,
        flights=flights,
        seats=seats,
        mismatches=mismatches,
        unsettled=unsettled_count,
        last_event_id=newest if newest != "0-0" else "0",
        partitions=conn.partitions,
    )


def _id_key(event_id: str) -> tuple[int, int]:
    millis, _, seq = event_id.partition("-")
    return int(millis), int(seq or 0)


@dataclass(frozen=True, slots=True)
class RebuildReport:
    flights: int
    seats: int
    customers: int
    last_event_id: str  # the newest event replayed, of any partition
    attempts: int  # the most swap attempts one partition needed
    partitions: int
    index_repaired: int  # customer index fields the rebuild corrected


def projection_rebuild(*, max_attempts: int = 5) -> RebuildReport:
    """Rebuild every partition's flight hashes from its log, then repair the customer index.

    Per partition: the new hashes are written under temporary names carrying the partition's hash
    tag, then one MULTI/EXEC deletes the live hashes and RENAMEs the new ones into place — all keys of
    one slot, so this works on a cluster. The partition's stream is WATCHed: if a reservation lands
    meanwhile, EXEC aborts, the new events are folded in and the swap is tried again.

    The customer index spans slots, so it is merged, not swapped: a field is set to what the replay
    says unless its stored event id is newer than the replay's end in that partition (a write that
    landed meanwhile), and every change is a compare-and-set. Tombstones older than
    RESERVATIONS_TOMBSTONE_SECONDS are dropped (no late, older update can arrive after that long).
    """
    conn = _conn()
    token = secrets.token_hex(6)
    projections: list[Projection] = []
    most_attempts = 0
    try:
        stray = _live_flight_ids(conn)
        for partition in range(conn.partitions):
            projection, attempts = _partition_rebuild(
                conn, partition, token, stray.get(partition, set()), max_attempts
            )
            projections.append(projection)
            most_attempts = max(most_attempts, attempts)
        repaired = _index_repair(conn, projections)
    except redis.RedisError as exc:
        raise _unavailable(exc) from exc
    customers: set[str] = set()
    for projection in projections:
        customers.update(projection.customers())
    newest = max((p.last_event_id for p in projections if p.last_event_id != "0"), key=_id_key, default="0")
    return RebuildReport(
        flights=sum(len(p.flights) for p in projections),
        seats=sum(len(seats) for p in projections for seats in p.flights.values()),
        customers=len(customers),
        last_event_id=newest,
        attempts=most_attempts,
        partitions=conn.partitions,
        index_repaired=repaired,
    )


def _partition_rebuild(
    conn: _Connection, partition: int, token: str, stray: set[str], max_attempts: int
) -> tuple[Projection, int]:
    projection = projection_from_log(partition=partition)
    temp_prefix = conn.key(partition, f"rebuild:{token}:")
    for attempt in range(1, max_attempts + 1):
        temp_keys = _write_temp_keys(conn.client, temp_prefix, projection.flights)
        if _swap_in(conn, partition, temp_keys, set(projection.flights) | stray, projection.last_event_id):
            return projection, attempt
        if temp_keys:
            conn.client.delete(*temp_keys)
        projection = projection_from_log(partition=partition, projection=projection)
    raise RebuildConflict()


def _swap_in(
    conn: _Connection, partition: int, temp_keys: dict[str, str], live_flights: set[str], last_event_id: str
) -> bool:
    """Replace the partition's flight hashes by the temporary ones, unless its log moved past
    ``last_event_id``. Every key here carries the partition's hash tag: one slot."""
    events_key = conn.events_key(partition)
    with conn.client.pipeline(transaction=True) as pipe:
        try:
            pipe.watch(events_key)
            newest = pipe.xrevrange(events_key, count=1)
            if (_text(newest[0][0]) if newest else "0") != last_event_id:
                return False
            pipe.multi()
            stale = [conn.flight_key(flight_id) for flight_id in sorted(live_flights)]
            if stale:
                pipe.delete(*stale)
            for flight_id, temp_key in temp_keys.items():
                live_key = conn.flight_key(flight_id)
                # (a cluster pipeline blocks its rename() helper; the command itself is fine in one slot)
                pipe.execute_command("RENAME", temp_key, live_key)
                pipe.persist(live_key)  # RENAME keeps the temporary key's TTL
            pipe.execute()
        except redis.WatchError:
            return False
    return True


_TEMP_TTL_SECONDS = 3600  # a crashed rebuild leaves nothing behind for long


def _write_temp_keys(
    client: redis.Redis, temp_prefix: str, flights: dict[str, dict[str, str]]
) -> dict[str, str]:
    """Flight id → temporary hash holding its rebuilt seats (named ``temp_prefix + flights:<id>``)."""
    keys = {}
    with client.pipeline(transaction=False) as pipe:
        for flight_id, seats in flights.items():
            key = f"{temp_prefix}flights:{flight_id}"
            pipe.delete(key)
            pipe.hset(key, mapping=seats)
            pipe.expire(key, _TEMP_TTL_SECONDS)
            keys[flight_id] = key
        pipe.execute()
    return keys


def _index_repair(conn: _Connection, projections: list[Projection]) -> int:
    """Merge the replayed index into the live one (newer live writes win; see projection_rebuild)."""
    horizon = {p.partition: _id_key(p.last_event_id) for p in projections}
    floors = {p.partition: _id_key(p.base_event_id) for p in projections}
    seconds, _micros = conn.client.time()
    expired_before = (int(seconds) - settings.RESERVATIONS_TOMBSTONE_SECONDS) * 1000
    wanted: dict[str, dict[str, str]] = {}
    for projection in projections:
        for (customer_id, name), value in projection.index.items():
            if value.startswith("-") and _id_key(value[1:])[0] < expired_before:
                continue  # an old tombstone is not kept (nor created)
            wanted.setdefault(customer_id, {})[name] = value
    live = _customer_indexes(conn)
    repairs: dict[str, list[str]] = {}
    newer: list[tuple[str, str, str]] = []  # (customer, field, value) stored after the replay's end
    for customer_id in set(wanted) | set(live):
        want, have = wanted.get(customer_id, {}), live.get(customer_id, {})
        for name in set(want) | set(have):
            current, target = have.get(name, ""), want.get(name, "")
            if current == target:
                continue
            if not target and _tombstone_before_floor(current, name, floors, expired_before, conn):
                continue  # its events were trimmed: the replay cannot say it is wrong
            if _newer_than_replay(current, name, horizon, conn):
                newer.append((customer_id, name, current))
                continue
            repairs.setdefault(customer_id, []).extend([name, current, target])
    # A value newer than the replay is kept only if its event is in the log: a write-through always
    # follows its script's XADD, so a value naming no logged event is damage, not a newer write.
    for (customer_id, name, current), logged in zip(newer, _events_logged(conn, newer), strict=True):
        if not logged:
            target = wanted.get(customer_id, {}).get(name, "")
            repairs.setdefault(customer_id, []).extend([name, current, target])
    if not repairs:
        return 0
    with conn.client.pipeline(transaction=False) as pipe:
        for customer_id, args in repairs.items():
            pipe.execute_command("EVAL", _INDEX_REPAIR_LUA, 1, conn.customer_key(customer_id), *args)
        return sum(int(changed) for changed in pipe.execute())


def _events_logged(conn: _Connection, values: list[tuple[str, str, str]]) -> list[bool]:
    """Is the event each index value names in its seat's partition log, for that customer and seat?"""
    if not values:
        return []
    with conn.client.pipeline(transaction=False) as pipe:
        for _customer_id, name, value in values:
            flight_id, _seat = _index_field(name)
            pipe.xrange(conn.events_key(conn.partition_of(flight_id)), min=value[1:], max=value[1:], count=1)
        answers = pipe.execute()
    logged = []
    for (customer_id, name, value), entries in zip(values, answers, strict=True):
        event = _event(*entries[0]) if entries else None
        logged.append(event is not None and index_value(event) == (customer_id, name, value))
    return logged


_INDEX_VALUE = re.compile(r"[+-]([0-9]+)-([0-9]+)")


def _tombstone_before_floor(
    value: str, name: str, floors: dict[int, tuple[int, int]], expired_before: int, conn: _Connection
) -> bool:
    """Is this stored value a live tombstone no newer than the floor snapshot its partition's replay
    started from? (The floor's own event is folded into the snapshot, so the replay did not read it.)"""
    match = _INDEX_VALUE.fullmatch(value)
    if match is None or not value.startswith("-") or int(match[1]) < expired_before:
        return False
    flight_id, _seat = _index_field(name)
    return (int(match[1]), int(match[2])) <= floors.get(conn.partition_of(flight_id), (0, 0))


def _newer_than_replay(value: str, name: str, horizon: dict[int, tuple[int, int]], conn: _Connection) -> bool:
    """Does this stored index value record an event after the replay of its seat's partition?"""
    match = _INDEX_VALUE.fullmatch(value)
    if match is None:
        return False
    flight_id, _seat = _index_field(name)
    return (int(match[1]), int(match[2])) > horizon.get(conn.partition_of(flight_id), (0, 0))


# -- the one-off migration from layout v1 (one global stream) -----------------------------------


@dataclass(frozen=True, slots=True)
class MigrationReport:
    events: int  # v1 events copied into partition streams by this run
    skipped: int  # v1 events a previous run had copied already
    operations: int  # operation tokens moved to their partition's hash
    rebuild: RebuildReport | None
    already_migrated: bool


def layout_migrate_v1(*, v1_prefix: str | None = None, batch: int = 1000) -> MigrationReport:
    """Move data of layout v1 (``flights:*``, ``operations:*``, ``customers:*`` sets, one global stream
    ``reservations:events``, under ``v1_prefix``, by default REDIS_KEY_PREFIX) into layout v2.

    Each v1 event is XADDed to its flight's partition stream with its own id: v1 ids increase across
    the one stream, so they increase within each partition and keep their order there (and the
    instants the events API reports). A partition's newest id tells which events a previous run
    copied: re-running skips them, so the migration is idempotent and a crashed run is resumed by
    running it again. Then the operation tokens move, the v1 index sets go (the v2 index is a hash of
    the same name), the layout is written and the rebuild makes the flight hashes and the index from
    the partition logs. The v1 stream is kept (a second run copies nothing from it; delete it when
    satisfied); the v1 flight hashes are deleted. Writers of the v1 build must be stopped first;
    processes of this build refuse to run until the layout is written.
    """
    conn = _conn_unchecked()
    old = conn.prefix if v1_prefix is None else v1_prefix
    client = conn.client
    v1_stream = f"{old}{V1_EVENTS_SUFFIX}"
    try:
        stored = client.get(conn.layout_key)
        if stored is not None and _text(stored) != layout_description(conn.partitions):
            raise LayoutMismatch(
                f"The store's layout is '{_text(stored)}', not '{layout_description(conn.partitions)}': "
                "set RESERVATIONS_PARTITIONS to match it."
            )
        if not client.exists(v1_stream):
            return MigrationReport(events=0, skipped=0, operations=0, rebuild=None, already_migrated=True)
        copied, skipped = _v1_events_copy(conn, v1_stream, batch)
        operations = _v1_operations_move(conn, old)
        for key in _scan(client, f"{_glob_escape(old)}customers:*"):
            if _text(client.type(key)) == "set":
                client.delete(key)
    except redis.RedisError as exc:
        raise _unavailable(exc) from exc
    global _connection
    _connection = None  # the next connection checks (and writes) the layout
    try:
        client.set(conn.layout_key, layout_description(conn.partitions), nx=True)
        rebuild = projection_rebuild()
        for key in _scan(client, f"{_glob_escape(old)}flights:*"):
            client.delete(key)
    except redis.RedisError as exc:
        raise _unavailable(exc) from exc
    return MigrationReport(
        events=copied, skipped=skipped, operations=operations, rebuild=rebuild, already_migrated=False
    )


def _v1_events_copy(conn: _Connection, v1_stream: str, batch: int) -> tuple[int, int]:
    client = conn.client
    newest: dict[int, tuple[int, int]] = {}
    with client.pipeline(transaction=False) as pipe:
        for partition in range(conn.partitions):
            pipe.xrevrange(conn.events_key(partition), count=1)
        for partition, last in enumerate(pipe.execute()):
            newest[partition] = _id_key(_text(last[0][0])) if last else (0, 0)
    copied = skipped = 0
    since = "-"
    while True:
        entries = client.xrange(v1_stream, min=since, max="+", count=batch)
        if not entries:
            return copied, skipped
        with client.pipeline(transaction=False) as pipe:
            for entry_id, fields in entries:
                event_id = _text(entry_id)
                partition = conn.partition_of(_text(fields.get(b"flight_id", fields.get("flight_id", ""))))
                if _id_key(event_id) <= newest[partition]:
                    skipped += 1
                    continue
                pipe.xadd(conn.events_key(partition), fields, id=event_id)
                newest[partition] = _id_key(event_id)
                copied += 1
            pipe.execute()
        since = f"({_text(entries[-1][0])}"


def _v1_operations_move(conn: _Connection, old: str) -> int:
    client, moved = conn.client, 0
    marker = f"{old}operations:"
    for key in _scan(client, f"{_glob_escape(old)}operations:*"):
        tokens = client.hgetall(key)
        flight_id = key[len(marker) :]
        if tokens:
            client.hset(conn.operations_key(flight_id), mapping=tokens)
            moved += len(tokens)
        client.delete(key)
    return moved
