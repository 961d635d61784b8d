"""Temporal queries and rolling snapshots of the partition event streams (the book's event sourcing).

Every partition's stream (``P t:events``, t the partition's hash tag ``{r<n>.<k>}`` from
``store.partition_tag``) is the log of its flights. This module answers "which
seats did flight X hold at instant T" from the latest snapshot of X's partition at or before T plus the
partition's events after it up to T, and takes those snapshots. Keys, all under the partition's hash tag
``t`` (so every script and MULTI here touches one slot; docs/adr/0120):

- ``P t:snapshot:<event_id>``  hash: flight_id → JSON ``{seat_no: [customer_id, reserved_by]}``
  (flights holding at least one seat; ``reserved_by`` is the SeatReserved event's id, the version the
  customer index keeps, so a rebuild from a snapshot writes what a replay from the start would), and ``#meta`` → JSON ``{"event_id", "base", "ordinal"}``: the partition's state just
  after event ``event_id``, computed from snapshot ``base`` (``0``: the empty state before the first
  event) and the events between; ``ordinal`` counts the partition's events up to ``event_id``.
- ``P t:snapshots``  sorted set: member the snapshot's event id, score its milliseconds (the index).
- ``P t:history``    hash: ``floor`` — the oldest snapshot the stream can still be replayed from (set by
  retention; events before it may be trimmed); ``trimmed`` — how many entries retention removed.

Instants are the stream ids' milliseconds (the Redis server's clock when the event was appended): the
state "at T" is the state after every event whose id's milliseconds are at most T, truncated to the ms.

Cadence: a snapshot follows every ``RESERVATIONS_SNAPSHOT_EVERY`` events of a partition, counted from the
previous snapshot, so two takers computing from the same stream choose the same event ids and the same
content; committing one that exists already changes nothing (idempotent), and the commit is refused
when its base has fallen below the floor (its events may be gone). Retention
(``RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS`` = N > 0) keeps the newest N snapshots, deletes the older
ones and trims the stream (XTRIM MINID) up to the oldest kept one — never past an entry a consumer
group still has to read. Instants older than the floor answer ``HistoryTrimmed`` (410).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from django.conf import settings

from reservations import store
from reservations.errors import HistoryTrimmed, InstantInTheFuture, InvalidInput, StoreUnavailable

logger = logging.getLogger(__name__)

META = "#meta"  # the snapshot hash's metadata field: no flight id starts with '#'
BATCH = 1000  # events per XRANGE while replaying

# Stream ids compare as (ms, seq) pairs of unbounded decimal integers: by length, then by digits (ids
# are canonical: no leading zeros), so ids past 2^53 compare exactly too.
_LUA_ID_COMPARE = """
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  if not ms then ms, seq = id, '0' end
  return ms, seq
end
local function num_lt(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local function id_lt(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then return num_lt(am, bm) end
  return num_lt(as, bs)
end
"""

# KEYS: index, history hash. ARGV: the instant's ms. Returns {members at the latest score <= ms (the
# snapshots of that millisecond; the caller picks the newest), floor or '', server time s, us}.
# Read-only: TIME inside is allowed, and the answer is one round trip in the partition's slot.
_LOCATE_LUA = """
local top = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
local members = {}
if #top > 0 then
  members = redis.call('ZRANGEBYSCORE', KEYS[1], top[2], top[2])
end
local floor = redis.call('HGET', KEYS[2], 'floor') or ''
local now = redis.call('TIME')
return {members, floor, now[1], now[2]}
"""

# KEYS: snapshot hash, index, history hash. ARGV: event id, its ms, base id, meta JSON, ordinal, then
# flight_id / seats-JSON pairs. Returns 1 written, 0 there already (another taker was first), -1 refused:
# the base is older than the floor, so events after it may have been trimmed before they were read.
# The history hash's ``latest``/``ordinal`` name the newest snapshot (a slow taker never moves them back).
_COMMIT_LUA = (
    _LUA_ID_COMPARE
    + """
local floor = redis.call('HGET', KEYS[3], 'floor')
if floor and id_lt(ARGV[3], floor) then
  return -1
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], '#meta', ARGV[4])
for i = 6, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local latest = redis.call('HGET', KEYS[3], 'latest')
if not latest or id_lt(latest, ARGV[1]) then
  redis.call('HSET', KEYS[3], 'latest', ARGV[1], 'ordinal', ARGV[5])
end
return 1
"""
)

# KEYS: index, history hash, stream, then the snapshot hashes to delete. ARGV: the new floor (oldest
# kept snapshot), then the index members to delete. The floor only rises. The trim bound is the floor,
# or lower where a consumer group still needs older entries: its oldest pending entry (XPENDING; read
# but not acknowledged: a crashed projector's entries, which XAUTOCLAIM would skip once trimmed) and
# its last-delivered id (kept itself; every entry after it is unread). Read here, in the script, so no
# group moves between the look and the trim. Returns {entries trimmed, the bound}, or {-1} (stale plan).
_RETAIN_LUA = (
    _LUA_ID_COMPARE
    + """
local floor = redis.call('HGET', KEYS[2], 'floor')
if floor and id_lt(ARGV[1], floor) then
  return {-1}
end
local bound = ARGV[1]
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[3])
if ok then
  for _, group in ipairs(groups) do
    local info = {}
    for i = 1, #group, 2 do
      info[group[i]] = group[i + 1]
    end
    local delivered = info['last-delivered-id']
    if delivered and id_lt(delivered, bound) then
      bound = delivered
    end
    if tonumber(info['pending']) > 0 then
      local oldest = redis.call('XPENDING', KEYS[3], info['name'])[2]
      if oldest and id_lt(oldest, bound) then
        bound = oldest
      end
    end
  end
end
for i = 2, #ARGV do
  redis.call('ZREM', KEYS[1], ARGV[i])
end
for i = 4, #KEYS do
  redis.call('DEL', KEYS[i])
end
redis.call('HSET', KEYS[2], 'floor', ARGV[1])
local trimmed = redis.call('XTRIM', KEYS[3], 'MINID', bound)
redis.call('HINCRBY', KEYS[2], 'trimmed', trimmed)
return {trimmed, bound}
"""
)

# flight → seat → [customer_id, the id of the SeatReserved event that gave it] (the snapshots' JSON form)
Flights = dict[str, dict[str, list[str]]]


def id_key(event_id: str) -> tuple[int, int]:
    """A stream id as a comparable (ms, seq) pair; ``0`` is (0, 0), before every event."""
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def instant_of(event_id: str) -> datetime:
    """When the event was appended (the id's milliseconds), UTC."""
    return datetime.fromtimestamp(id_key(event_id)[0] / 1000, UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def instant_at_ms(moment: datetime) -> datetime:
    """The instant a query answers: ``moment`` truncated to its millisecond."""
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def millis_of(moment: datetime) -> int:
    """An aware datetime → epoch ms, truncated (sub-ms digits never include the next millisecond)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


@dataclass(slots=True)
class _Scripts:
    client: redis.Redis
    locate: object
    commit: object
    retain: object


_scripts: _Scripts | None = None


def _scripts_of(conn) -> _Scripts:
    """Registered once per store connection (the store forgets its connection when settings change)."""
    global _scripts
    if _scripts is None or _scripts.client is not conn.client:
        client = conn.client
        _scripts = _Scripts(
            client=client,
            locate=client.register_script(_LOCATE_LUA),
            commit=client.register_script(_COMMIT_LUA),
            retain=client.register_script(_RETAIN_LUA),
        )
    return _scripts


def _events_key(conn, partition: int) -> str:
    return conn.events_key(partition)


def _snapshot_key(conn, partition: int, event_id: str) -> str:
    return conn.key(partition, f"snapshot:{event_id}")


def _index_key(conn, partition: int) -> str:
    return conn.key(partition, "snapshots")


def _history_key(conn, partition: int) -> str:
    return conn.key(partition, "history")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# --- replay ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlightState:
    """One flight's seats as of a partition event, and how they were computed."""

    seats: dict[str, str]
    as_of_event: str  # the partition's newest event at or before the instant ('0': none)
    snapshot_event: str  # the snapshot the replay started from ('0': the empty state, a full replay)
    replayed_events: int  # partition events read after the snapshot


def _range(conn, partition: int, since: str, until: str, batch: int) -> Iterator[tuple[str, dict]]:
    """Entries with ids in (since, until], oldest first, read ``batch`` at a time."""
    key = _events_key(conn, partition)
    while True:
        entries = conn.client.xrange(key, min=f"({since}", max=until, count=batch)
        for entry_id, fields in entries:
            yield _text(entry_id), fields
        if len(entries) < batch:
            return
        since = _text(entries[-1][0])


def _field(fields: dict, name: bytes) -> str:
    """One field of a stream entry (bytes from django-redis' client; str from a decoding one)."""
    value = fields.get(name)
    if value is None:
        value = fields.get(name.decode(), "")
    return _text(value)


def _fold(seats: dict[str, list[str]], event_id: str, fields: dict) -> None:
    """One event into one flight's seats: the rules of store.projection_apply (and the Lua scripts)."""
    kind = _field(fields, b"type")
    seat_no, customer_id = _field(fields, b"seat_no"), _field(fields, b"customer_id")
    if kind == store.EVENT_SEAT_RESERVED:
        seats.setdefault(seat_no, [customer_id, event_id])
    elif kind == store.EVENT_SEAT_RELEASED and seat_no in seats and seats[seat_no][0] == customer_id:
        del seats[seat_no]


def _flight_of(fields: dict) -> str:
    return _field(fields, b"flight_id")


def flight_state_at(*, flight_id: str, at: datetime, use_snapshots: bool = True) -> FlightState:
    """The flight's seats after every event of its partition up to ``at`` (ms, inclusive).

    From the latest snapshot at or before ``at`` plus the events after it; ``use_snapshots=False``
    replays the partition from its first event (the bench's baseline; wrong once the stream is trimmed,
    so only for measuring). Raises InstantInTheFuture past the store's clock and HistoryTrimmed before
    the oldest instant retention kept.
    """
    partition = store.partition_of(flight_id)
    at_ms = millis_of(at)
    for _attempt in range(3):
        state = store._supervised(
            lambda conn: _flight_state(conn, partition, flight_id, at_ms, use_snapshots=use_snapshots)
        )
        if state is not None:
            return state
    # Retention overtook the replay three times in a row (a floor rising every few ms): retry later.
    raise StoreUnavailable("Retention kept trimming the partition during the query; retry later.")


def _flight_state(
    conn, partition: int, flight_id: str, at_ms: int, *, use_snapshots: bool
) -> FlightState | None:
    scripts = _scripts_of(conn)
    members, floor, now_s, now_us = scripts.locate(
        keys=[_index_key(conn, partition), _history_key(conn, partition)], args=[at_ms]
    )
    now_ms = int(now_s) * 1000 + int(now_us) // 1000
    if at_ms > now_ms:
        raise InstantInTheFuture(rfc3339(datetime.fromtimestamp(now_ms / 1000, UTC)))
    floor = _text(floor)
    base = max((_text(m) for m in members), key=id_key, default="0") if use_snapshots else "0"
    if floor and id_key(base) < id_key(floor):
        raise HistoryTrimmed(rfc3339(instant_of(floor)))
    seats: dict[str, list[str]] = {}
    if base != "0":
        raw = conn.client.hget(_snapshot_key(conn, partition, base), flight_id)
        if raw is None and not conn.client.exists(_snapshot_key(conn, partition, base)):
            return None  # retention deleted it since the locate: start again
        seats = json.loads(raw) if raw is not None else {}
    as_of, replayed = base, 0
    for event_id, fields in _range(conn, partition, base, str(at_ms), BATCH):
        as_of, replayed = event_id, replayed + 1
        if _flight_of(fields) == flight_id:
            _fold(seats, event_id, fields)
    # Retention deletes snapshots and trims in one script, and the floor only rises: if it is still at
    # or below the base now, nothing after the base was trimmed while we read.
    floor_now = conn.client.hget(_history_key(conn, partition), "floor")
    if floor_now is not None and id_key(base) < id_key(_text(floor_now)):
        return None
    return FlightState(
        seats={seat_no: held[0] for seat_no, held in seats.items()},
        as_of_event=as_of,
        snapshot_event=base,
        replayed_events=replayed,
    )


@dataclass(frozen=True, slots=True)
class PartitionReplay:
    """A partition's state replayed from the oldest point its stream still holds."""

    partition: int
    flights: dict[str, dict[str, str]]  # flight → seat → customer (what the flight hashes must say)
    reserved_by: dict[str, dict[str, str]]  # flight → seat → its SeatReserved event id (the index version)
    last_event_id: str  # the newest event folded in (the base when none followed it; '0': empty stream)
    base_event_id: str  # the snapshot it started from ('0': the stream's first event)
    # (flight, seat, customer) → the last SeatReleased event after the base that freed that customer's
    # seat (the customer index's tombstones the replay can vouch for; older ones it cannot see)
    releases: dict[tuple[str, str, str], str] = field(default_factory=dict)


def partition_replay(*, partition: int) -> PartitionReplay:
    """The partition's current state from the floor snapshot (or the stream's start, untrimmed) + events.

    The one correct replay once retention has trimmed the stream: the store's rebuild and check use it
    in place of reading the stream from ``0`` (which would miss every seat reserved before the trim).
    Starting from the oldest snapshot, not the newest, verifies as much of the log as is kept.
    """

    def replay(conn) -> PartitionReplay | None:
        floor = conn.client.hget(_history_key(conn, partition), "floor")
        base = _text(floor) if floor is not None else "0"
        flights = _snapshot_flights(conn, partition, base) if base != "0" else {}
        if flights is None:
            return None
        last = base
        releases: dict[tuple[str, str, str], str] = {}
        for event_id, fields in _range(conn, partition, base, "+", BATCH):
            if _field(fields, b"type") == store.EVENT_SEAT_RELEASED:
                flight_id, seat_no = _flight_of(fields), _field(fields, b"seat_no")
                customer_id = _field(fields, b"customer_id")
                if flights.get(flight_id, {}).get(seat_no, [None])[0] == customer_id:
                    releases[(flight_id, seat_no, customer_id)] = event_id
            _apply(flights, event_id, fields)
            last = event_id
        floor_now = conn.client.hget(_history_key(conn, partition), "floor")
        if floor_now is not None and id_key(base) < id_key(_text(floor_now)):
            return None
        return PartitionReplay(
            partition=partition,
            flights={f: {seat: held[0] for seat, held in seats.items()} for f, seats in flights.items()},
            reserved_by={f: {seat: held[1] for seat, held in seats.items()} for f, seats in flights.items()},
            last_event_id=last,
            base_event_id=base,
            releases=releases,
        )

    for _attempt in range(3):
        result = store._supervised(replay)
        if result is not None:
            return result
    raise StoreUnavailable("Retention kept trimming the partition during the replay; retry later.")


def _apply(flights: Flights, event_id: str, fields: dict) -> None:
    flight_id = _flight_of(fields)
    seats = flights.setdefault(flight_id, {})
    _fold(seats, event_id, fields)
    if not seats:
        del flights[flight_id]


def _snapshot_flights(conn, partition: int, event_id: str) -> Flights | None:
    """Every flight of a snapshot, or None if it no longer exists."""
    raw = conn.client.hgetall(_snapshot_key(conn, partition, event_id))
    if not raw:
        return None
    return {_text(k): json.loads(v) for k, v in raw.items() if _text(k) != META}


# --- taking snapshots --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartitionSnapshots:
    partition: int
    taken: list[str] = field(default_factory=list)  # snapshot ids this call committed
    already: int = 0  # snapshots another taker had committed first
    deleted: int = 0  # snapshots retention removed
    trimmed: int = 0  # stream entries retention removed


@dataclass(frozen=True, slots=True)
class SnapshotReport:
    partitions: list[PartitionSnapshots]

    @property
    def taken(self) -> int:
        return sum(len(p.taken) for p in self.partitions)

    @property
    def trimmed(self) -> int:
        return sum(p.trimmed for p in self.partitions)


def snapshots_take(partition: int | None = None) -> SnapshotReport:
    """Catch every partition's snapshots up with its stream (or one partition's), then apply retention.

    Any process may call it at any time, as often as it likes, concurrently with others: the snapshots'
    ids and content follow from the stream alone, a commit that exists already is a no-op, and a
    partition with fewer than RESERVATIONS_SNAPSHOT_EVERY new events costs one pipelined round trip.
    """
    every = settings.RESERVATIONS_SNAPSHOT_EVERY
    keep = settings.RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS
    if partition is not None and not 0 <= partition < store.partitions():
        raise InvalidInput("partition", f"must be 0 to {store.partitions() - 1} (RESERVATIONS_PARTITIONS)")
    selected = range(store.partitions()) if partition is None else [partition]
    due, kept, behind = store._supervised(lambda conn: _due(conn, selected, every))
    results = []
    for number in selected:
        taken: list[str] = []
        already = 0
        if number in due:
            taken, already = store._supervised(lambda conn, n=number: _catch_up(conn, n, every))
        deleted = trimmed = 0
        if keep > 0 and (kept[number] + len(taken) > keep or number in behind):
            deleted, trimmed = store._supervised(lambda conn, n=number: _retain(conn, n, keep))
        results.append(
            PartitionSnapshots(
                partition=number, taken=taken, already=already, deleted=deleted, trimmed=trimmed
            )
        )
    return SnapshotReport(partitions=results)


def _latest(conn, partition: int) -> tuple[str, int]:
    """The newest snapshot's id and ordinal, or ('0', 0)."""
    latest, ordinal = conn.client.hmget(_history_key(conn, partition), ["latest", "ordinal"])
    return (_text(latest), int(ordinal)) if latest is not None else ("0", 0)


def _due(conn, partitions: range | list[int], every: int) -> tuple[set[int], dict[int, int], set[int]]:
    """Partitions whose stream holds at least ``every`` events past the newest snapshot; how many
    snapshots each keeps; and those whose stream still starts before the floor (a consumer group held
    the last trim back): retention has work only where there are more snapshots than it keeps, or
    where the stream is behind its floor.

    Counted without reading the events, in one pipelined round trip (so an idle pass is cheap enough
    for the projector to make every cycle): XLEN less the entries up to the newest snapshot still in
    the stream (its ordinal less what retention trimmed). Only retention trims these streams; an
    entry deleted by hand delays the next snapshot by one event, never corrupts it (the snapshots'
    ids are chosen by reading the events).
    """
    with conn.client.pipeline(transaction=False) as pipe:
        for number in partitions:
            key = _events_key(conn, number)
            pipe.xlen(key)
            pipe.hmget(_history_key(conn, number), ["ordinal", "trimmed", "floor"])
            pipe.zcard(_index_key(conn, number))
            pipe.xrange(key, count=1)
        replies = pipe.execute()
    due, kept, behind = set(), {}, set()
    for index, number in enumerate(partitions):
        length, (ordinal, trimmed, floor), snapshots, first = replies[4 * index : 4 * index + 4]
        if length - (int(ordinal or 0) - int(trimmed or 0)) >= every:
            due.add(number)
        kept[number] = int(snapshots)
        if floor is not None and first and id_key(_text(first[0][0])) < id_key(_text(floor)):
            behind.add(number)
    return due, kept, behind


def _catch_up(conn, partition: int, every: int) -> tuple[list[str], int]:
    """Commit the snapshots the stream implies after the newest one; returns (committed, already there)."""
    base, ordinal = _latest(conn, partition)
    flights = _snapshot_flights(conn, partition, base) if base != "0" else {}
    if flights is None:
        return [], 0  # retention deleted the base meanwhile: the next call starts from a kept one
    scripts = _scripts_of(conn)
    key = _events_key(conn, partition)
    taken, already = [], 0
    while True:
        entries = conn.client.xrange(key, min=f"({base}", max="+", count=every)
        if len(entries) < every:
            return taken, already
        for entry_id, fields in entries:
            _apply(flights, _text(entry_id), fields)
        event_id = _text(entries[-1][0])
        ordinal += every
        meta = json.dumps({"event_id": event_id, "base": base, "ordinal": ordinal}, separators=(",", ":"))
        pairs = [
            item
            for flight_id in sorted(flights)
            for item in (flight_id, json.dumps(flights[flight_id], separators=(",", ":"), sort_keys=True))
        ]
        outcome = scripts.commit(
            keys=[
                _snapshot_key(conn, partition, event_id),
                _index_key(conn, partition),
                _history_key(conn, partition),
            ],
            args=[event_id, id_key(event_id)[0], base, meta, ordinal, *pairs],
        )
        if outcome == -1:
            logger.info(
                "partition %s: snapshot base %s fell below the retention floor; stopping", partition, base
            )
            return taken, already
        if outcome == 1:
            taken.append(event_id)
        else:
            already += 1
        base = event_id


def _retain(conn, partition: int, keep: int) -> tuple[int, int]:
    """Keep the newest ``keep`` snapshots; delete the rest and trim the stream up to the oldest kept
    (or less far: the script holds the trim back for every consumer group's unread entries)."""
    index = _index_key(conn, partition)
    members = sorted((_text(m) for m in conn.client.zrange(index, 0, -1)), key=id_key)
    if len(members) > keep:
        old, floor = members[:-keep], members[-keep]
    else:  # nothing to delete; trim up to the floor a consumer group held the last trim back from
        current = conn.client.hget(_history_key(conn, partition), "floor")
        if current is None:
            return 0, 0
        old, floor = [], _text(current)
    outcome = _scripts_of(conn).retain(
        keys=[
            index,
            _history_key(conn, partition),
            _events_key(conn, partition),
            *(_snapshot_key(conn, partition, m) for m in old),
        ],
        args=[floor, *old],
    )
    if int(outcome[0]) < 0:
        return 0, 0  # another snapshotter raised the floor past this plan first
    return len(old), int(outcome[0])


def floor_above(*, partition: int, event_id: str) -> bool:
    """Has retention raised the partition's floor past ``event_id``? (Then entries after it may be gone:
    a reader continuing from ``event_id`` must start again from the floor snapshot.)"""
    floor = store._supervised(lambda conn: conn.client.hget(_history_key(conn, partition), "floor"))
    return floor is not None and id_key(event_id) < id_key(_text(floor))
