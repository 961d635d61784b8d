"""The reservations store: Redis, reached through the django-redis connection ``reservations``.

Keys (all behind ``settings.REDIS_KEY_PREFIX``):

- ``flights:{flight_id}``   hash  seat_no → customer_id  (the projection the API reads)
- ``customers:{customer_id}`` set  ``{flight_id}|{seat_no}`` (index of a customer's seats)
- ``reservations:events``   stream  SeatReserved / SeatReleased (the log; source of truth)
- ``operations:{flight_id}`` hash  seat_no → operation token of the reservation, when one was given
  (the gateway's seat-move saga passes its token so its steps are idempotent; docs/adr/0055)

Every change is one Lua script, so the hash, the index and the log change together or not at all.
Redis errors leave this module only as ``StoreUnavailable``. With the embedded Redis (REDIS_URL
unset), a command that cannot connect revives the server and is tried once more (ADR 82).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar

import redis
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from reservations.errors import RebuildConflict, StoreUnavailable

logger = logging.getLogger(__name__)
T = TypeVar("T")

EVENT_SEAT_RESERVED = "SeatReserved"
EVENT_SEAT_RELEASED = "SeatReleased"

# KEYS: flight hash, customer index, event stream, operations hash (the flight's keys are those of
# ONE flight: a move across flights is two scripts, never one).
# ARGV: flight_id, seat_no, customer_id, operation ('' = none), cap (seats one customer may hold on
# the flight; 0 = no cap), replaces (a seat of this flight the caller releases next, or '').
# The seat's holder decides first, so a retry at the cap still succeeds. Then the cap: the customer's
# seats are counted in this flight's own hash (no other key: the step stays in the flight's slot); a
# seat being replaced by a move counts as gone (ADR 75). Only then does HSETNX write; only the winner
# touches the index, the operation and the log. Returns {status, id}: 1 reserved, 2 already yours
# (through this operation, or with none given), 3 yours but not through this operation, 0 someone
# else's, 4 the customer's seat limit on this flight reached.
_RESERVE_LUA = """
local holder = redis.call('HGET', KEYS[1], ARGV[2])
if holder then
  if holder ~= ARGV[3] then
    return {0, ''}
  end
  if ARGV[4] == '' or redis.call('HGET', KEYS[4], ARGV[2]) == ARGV[4] then
    return {2, ''}
  end
  return {3, ''}
end
local cap = tonumber(ARGV[5])
if cap > 0 then
  local held = 0
  for _, customer in ipairs(redis.call('HVALS', KEYS[1])) do
    if customer == ARGV[3] then
      held = held + 1
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
  redis.call('SADD', KEYS[2], ARGV[1] .. '|' .. ARGV[2])
  local id
  if ARGV[4] ~= '' then
    redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
    id = redis.call('XADD', KEYS[3], '*', 'type', 'SeatReserved',
      'flight_id', ARGV[1], 'seat_no', ARGV[2], 'customer_id', ARGV[3], 'operation', ARGV[4])
  else
    redis.call('HDEL', KEYS[4], ARGV[2])
    id = redis.call('XADD', KEYS[3], '*', 'type', 'SeatReserved',
      'flight_id', ARGV[1], 'seat_no', ARGV[2], 'customer_id', ARGV[3])
  end
  return {1, id}
end
return {0, ''}
"""

# Compare-and-delete: only the holder releases (and, when an operation is given, only the reservation
# that operation made). Returns {1, id} released, {0, ''} free, {-1, ''} not yours, {-2, ''} yours but
# not through this operation.
_RELEASE_LUA = """
local holder = redis.call('HGET', KEYS[1], ARGV[2])
if not holder then
  return {0, ''}
end
if holder ~= ARGV[3] then
  return {-1, ''}
end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[4], ARGV[2]) ~= ARGV[4] then
  return {-2, ''}
end
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[4], ARGV[2])
redis.call('SREM', KEYS[2], ARGV[1] .. '|' .. ARGV[2])
local id
if ARGV[4] ~= '' then
  id = redis.call('XADD', KEYS[3], '*', 'type', 'SeatReleased',
    'flight_id', ARGV[1], 'seat_no', ARGV[2], 'customer_id', ARGV[3], 'operation', ARGV[4])
else
  id = redis.call('XADD', KEYS[3], '*', 'type', 'SeatReleased',
    'flight_id', ARGV[1], 'seat_no', ARGV[2], 'customer_id', ARGV[3])
end
return {1, id}
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


class _Connection:
    """The per-process client, key names and registered scripts (built once, on first use)."""

    __slots__ = ("client", "events_key", "prefix", "release", "reserve")

    def __init__(self) -> None:
        from django_redis import get_redis_connection

        if settings.EMBEDDED_REDIS_DIR is not None:
            from skyway import embedded_redis

            embedded_redis.ensure_running(settings.EMBEDDED_REDIS_DIR)
        self.client: redis.Redis = get_redis_connection("reservations")
        self.prefix: str = settings.REDIS_KEY_PREFIX or ""
        self.events_key = f"{self.prefix}reservations:events"
        # Script objects send EVALSHA and reload the script themselves on NOSCRIPT.
        self.reserve = self.client.register_script(_RESERVE_LUA)
        self.release = self.client.register_script(_RELEASE_LUA)

    def flight_key(self, flight_id: str) -> str:
        return f"{self.prefix}flights:{flight_id}"

    def customer_key(self, customer_id: str) -> str:
        return f"{self.prefix}customers:{customer_id}"

    def operations_key(self, flight_id: str) -> str:
        return f"{self.prefix}operations:{flight_id}"


_connection: _Connection | None = None


def _conn() -> _Connection:
    global _connection
    if _connection is None:
        try:
            _connection = _Connection()
        except (redis.RedisError, OSError, RuntimeError) as exc:
            raise _unavailable(exc) from exc
    return _connection


@receiver(setting_changed)
def _forget_connection(*, setting: str, **kwargs: object) -> None:
    """Tests that swap CACHES or the key prefix get a fresh connection."""
    global _connection
    if setting in {"CACHES", "REDIS_KEY_PREFIX", "EMBEDDED_REDIS_DIR"}:
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


def reservation_add(
    *,
    flight_id: str,
    seat_no: str,
    customer_id: str,
    operation: str | None = None,
    cap: int = 0,
    replaces: str | None = None,
) -> ReserveResult:
    """HSETNX the seat; the winner also indexes it and logs SeatReserved (one Lua script).

    With an ``operation`` token the reservation remembers it: the same operation reserving again is
    ALREADY_YOURS, while the customer holding the seat otherwise is YOURS_OTHERWISE. A customer who
    already holds ``cap`` seats on the flight (0 = no cap) gets LIMIT_REACHED; ``replaces``, a seat of
    the same flight the caller releases next (a seat move), does not count.
    """
    status, _event_id = _supervised(
        lambda conn: conn.reserve(
            keys=_keys(conn, flight_id, customer_id),
            args=[flight_id, seat_no, customer_id, operation or "", max(0, cap), replaces or ""],
        )
    )
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


def _keys(conn: _Connection, flight_id: str, customer_id: str) -> list[str]:
    return [
        conn.flight_key(flight_id),
        conn.customer_key(customer_id),
        conn.events_key,
        conn.operations_key(flight_id),
    ]


def reservation_remove(
    *, flight_id: str, seat_no: str, customer_id: str, operation: str | None = None
) -> ReleaseResult:
    """Compare-and-delete: release only if ``customer_id`` holds the seat (and, given an ``operation``,
    only if that operation reserved it); log SeatReleased."""
    status, _event_id = _supervised(
        lambda conn: conn.release(
            keys=_keys(conn, flight_id, customer_id), args=[flight_id, seat_no, customer_id, operation or ""]
        )
    )
    return _RELEASE_RESULTS[status]


def flight_seats(*, flight_id: str) -> dict[str, str]:
    """Seat → customer of one flight, unordered."""
    raw = _supervised(lambda conn: conn.client.hgetall(conn.flight_key(flight_id)))
    return {_text(seat): _text(customer) for seat, customer in raw.items()}


def customer_seats(*, customer_id: str) -> list[tuple[str, str]]:
    """(flight_id, seat_no) pairs a customer holds, unordered."""
    members = _supervised(lambda conn: conn.client.smembers(conn.customer_key(customer_id)))
    pairs = []
    for member in members:
        flight_id, _, seat_no = _text(member).rpartition("|")
        pairs.append((flight_id, seat_no))
    return pairs


def _at_from_id(event_id: str) -> str:
    # The stream id's first part is the Redis server's clock (ms) when the event was appended.
    millis = int(event_id.split("-", 1)[0])
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
    )


def events_after(*, since: str, count: int) -> list[Event]:
    """Up to ``count`` events with ids strictly after ``since`` (``0`` = from the beginning)."""
    entries = _supervised(
        lambda conn: conn.client.xrange(conn.events_key, min=f"({since}", max="+", count=count)
    )
    return [_event(entry_id, fields) for entry_id, fields in entries]


def ping() -> None:
    """One round trip to Redis; raises StoreUnavailable if it fails."""
    _supervised(lambda conn: conn.client.ping())


def _scan(client: redis.Redis, pattern: str) -> list[str]:
    return [_text(key) for key in client.scan_iter(match=pattern, count=1000)]


@dataclass(frozen=True, slots=True)
class Projection:
    """The state the log implies: flight → seat → customer."""

    flights: dict[str, dict[str, str]]
    last_event_id: str

    def customers(self) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for flight_id, seats in self.flights.items():
            for seat_no, customer_id in seats.items():
                index.setdefault(customer_id, set()).add(f"{flight_id}|{seat_no}")
        return index


def projection_apply(flights: dict[str, dict[str, str]], event: Event) -> None:
    """Fold one event into an in-memory projection (the same rules the Lua scripts enforce)."""
    if event.type == EVENT_SEAT_RESERVED:
        flights.setdefault(event.flight_id, {}).setdefault(event.seat_no, event.customer_id)
    elif event.type == EVENT_SEAT_RELEASED:
        seats = flights.get(event.flight_id, {})
        if seats.get(event.seat_no) == event.customer_id:
            del seats[event.seat_no]
            if not seats:
                del flights[event.flight_id]


def projection_from_log(*, since: str = "0", flights: dict[str, dict[str, str]] | None = None) -> Projection:
    """Replay the log (optionally continuing a projection from ``since``)."""
    flights = {} if flights is None else flights
    last = since
    for event in events_all(since=since):
        projection_apply(flights, event)
        last = event.event_id
    return Projection(flights=flights, last_event_id=last)


def events_all(*, since: str = "0", batch: int = 1000) -> Iterator[Event]:
    """Every event after ``since`` in order, read in batches."""
    while True:
        events = events_after(since=since, count=batch)
        yield from events
        if len(events) < batch:
            return
        since = events[-1].event_id


def live_state() -> tuple[dict[str, dict[str, str]], dict[str, set[str]]]:
    """Every flight hash and customer index as they are in Redis now (for rebuild checks)."""
    conn = _conn()
    client = conn.client
    try:
        flights = {}
        for key in _scan(client, f"{_glob_escape(conn.prefix)}flights:*"):
            seats = {_text(s): _text(c) for s, c in client.hgetall(key).items()}
            if seats:
                flights[key[len(conn.prefix) + len("flights:") :]] = seats
        customers = {}
        for key in _scan(client, f"{_glob_escape(conn.prefix)}customers:*"):
            members = {_text(m) for m in client.smembers(key)}
            if members:
                customers[key[len(conn.prefix) + len("customers:") :]] = members
    except redis.RedisError as exc:
        raise _unavailable(exc) from exc
    return flights, customers


def _glob_escape(text: str) -> str:
    return "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in text)


@dataclass(frozen=True, slots=True)
class ConsistencyReport:
    """Hash-vs-log: the seats whose holder in the flight hashes differs from the one the log implies."""

    consistent: bool
    flights: int
    seats: int
    mismatches: list[dict[str, str | None]]
    unsettled: int  # seats written while the check read, left out of the comparison
    last_event_id: str


def projection_check() -> ConsistencyReport:
    """Compare every flight hash with the projection of the event log, without stopping writes.

    The log is replayed first (up to L), then the hashes are read. One Lua script writes a seat's hash
    and its event together, so a difference can come only from a write after L: the events after L
    name those seats, which are left out (counted as unsettled). Every other difference is real — a
    build that wrote the hash without the log, or the log without the hash (the rollout's consistency
    gate, docs/adr/0114).
    """
    projection = projection_from_log()
    live, _customers = live_state()
    unsettled = {(e.flight_id, e.seat_no) for e in events_all(since=projection.last_event_id)}
    mismatches: list[dict[str, str | None]] = []
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
    return ConsistencyReport(
        consistent=not mismatches,
        flights=len(live),
        seats=sum(len(seats) for seats in live.values()),
        mismatches=mismatches,
        unsettled=len(unsettled),
        last_event_id=projection.last_event_id,
    )


@dataclass(frozen=True, slots=True)
class RebuildReport:
    flights: int
    seats: int
    customers: int
    last_event_id: str
    attempts: int


def projection_rebuild(*, max_attempts: int = 5) -> RebuildReport:
    """Rebuild every flight hash and customer index from the log, then swap them in atomically.

    The new keys are written under a temporary name, then one MULTI/EXEC deletes the live keys
    and RENAMEs the new ones into place. The stream is WATCHed: if a reservation lands meanwhile,
    EXEC aborts, the new events are folded in and the swap is tried again.
    """
    conn = _conn()
    client = conn.client
    temp_prefix = f"{conn.prefix}rebuild:{secrets.token_hex(6)}:"
    try:
        projection = projection_from_log()
        for attempt in range(1, max_attempts + 1):
            customers = projection.customers()
            temp_keys = _write_temp_keys(client, temp_prefix, projection.flights, customers)
            if _swap_in(conn, temp_prefix, temp_keys, projection.last_event_id):
                return RebuildReport(
                    flights=len(projection.flights),
                    seats=sum(len(seats) for seats in projection.flights.values()),
                    customers=len(customers),
                    last_event_id=projection.last_event_id,
                    attempts=attempt,
                )
            if temp_keys:
                client.delete(*temp_keys)
            projection = projection_from_log(since=projection.last_event_id, flights=projection.flights)
    except redis.RedisError as exc:
        raise _unavailable(exc) from exc
    raise RebuildConflict()


def _swap_in(conn: _Connection, temp_prefix: str, temp_keys: list[str], last_event_id: str) -> bool:
    """Replace the live keys by the temporary ones, unless the log moved past ``last_event_id``."""
    live_patterns = [f"{_glob_escape(conn.prefix)}flights:*", f"{_glob_escape(conn.prefix)}customers:*"]
    with conn.client.pipeline(transaction=True) as pipe:
        try:
            pipe.watch(conn.events_key)
            newest = pipe.xrevrange(conn.events_key, count=1)
            if (_text(newest[0][0]) if newest else "0") != last_event_id:
                return False
            live = [key for pattern in live_patterns for key in _scan(pipe, pattern)]
            pipe.multi()
            if live:
                pipe.delete(*live)
            for temp_key in temp_keys:
                live_key = conn.prefix + temp_key[len(temp_prefix) :]
                pipe.rename(temp_key, live_key)
                pipe.persist(live_key)  # RENAME keeps the temporary key's TTL
            pipe.execute()
        except redis.WatchError:
            return False
    return True


_TEMP_TTL_SECONDS = 3600  # a crashed rebuild leaves nothing behind for long


def _write_temp_keys(
    client: redis.Redis,
    temp_prefix: str,
    flights: dict[str, dict[str, str]],
    customers: dict[str, set[str]],
) -> list[str]:
    keys = []
    with client.pipeline(transaction=False) as pipe:
        for flight_id, seats in flights.items():
            key = f"{temp_prefix}flights:{flight_id}"
            pipe.delete(key)
            pipe.hset(key, mapping=seats)
            pipe.expire(key, _TEMP_TTL_SECONDS)
            keys.append(key)
        for customer_id, members in customers.items():
            key = f"{temp_prefix}customers:{customer_id}"
            pipe.delete(key)
            pipe.sadd(key, *members)
            pipe.expire(key, _TEMP_TTL_SECONDS)
            keys.append(key)
        pipe.execute()
    return keys
