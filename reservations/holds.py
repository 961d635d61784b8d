"""Seat holds in the reservations store: all-or-nothing, expiring by the clock, all in Lua (ADR 142).

A hold takes 1..RESERVATIONS_MAX_HOLD_SEATS seats of one flight for one customer until ``expires_at``
(RESERVATIONS_HOLD_SECONDS after it was made). It lives on its flight's partition keys (layout v2,
docs/adr/0115; P = ``REDIS_KEY_PREFIX``, t = the partition's hash tag ``{r<n>}``):

- ``P t:holds:<flight_id>``  hash  seat_no → ``<expires ms>|<customer_id>|<hold_id>``: who holds the
  seat and until when. An entry whose expiry is not after "now" is free (nothing has to delete it).
- ``P t:hold:<hold_id>``     hash  flight_id, customer_id, seats (comma-separated), status (``held``,
  ``confirmed``, ``released``, ``expired``), created_at, expires_at, ended_at (ms). Kept
  RESERVATIONS_HOLD_RETAIN_SECONDS past its expiry so its holder can still read how it ended.
- ``P t:hold-expiries``      sorted set  hold_id by expiry: what the sweeper visits.

A hold id is ``<flight_id>.<24 hex digits>``: the flight, hence the partition, hence every key a
script on the hold needs, follows from the id alone, so each operation is one script in one slot.

"Now" is the Redis server's clock (TIME inside each script), so every process agrees and an expired
hold is free to the very next script that reads it: no background job is needed for correctness.
``now_ms`` replaces it in tests (the exact expiry boundary, no sleeps). A ``held`` hold whose expiry
has passed *is* expired; the first script that meets it (a confirm, a release, the sweeper) marks it
so and logs HoldExpired, once. Holds do not touch the flight hash until a confirm, which writes each
seat there as a reserve does and logs SeatReserved per seat, then HoldConfirmed: the book's
``GET /reservations?flight_id=`` lists reserved seats only, as before.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import Enum

import redis
from django.conf import settings

from reservations import store
from reservations.store import _Connection, _supervised, _text

HOLD_ID_RANDOM_HEX = 24
HELD, CONFIRMED, RELEASED, EXPIRED = "held", "confirmed", "released", "expired"

# Shared by the hold scripts: the clock, the seat entry's parts, the tidy-up of an ended hold, and
# how confirm and release find the hold they act on.
_PRELUDE = """
local function clock(given)
  local now = tonumber(given)
  if now then
    return now
  end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function entry_expires(entry)
  return tonumber(string.match(entry, '^(%d+)|'))
end
local function entry_live(entry, now)
  return entry and entry_expires(entry) > now
end
local function unlink(holds_key, hold_id)
  local suffix = '|' .. hold_id
  local flat = redis.call('HGETALL', holds_key)
  for i = 1, #flat, 2 do
    if string.sub(flat[i + 1], -#suffix) == suffix then
      redis.call('HDEL', holds_key, flat[i])
    end
  end
end
-- KEYS of every script that ends a hold: events, holds:F, hold:<id>, hold-expiries.
local function finish(hold_id, status, event, now, customer, flight_id, seats)
  unlink(KEYS[2], hold_id)
  redis.call('HSET', KEYS[3], 'status', status, 'ended_at', string.format('%d', now))
  redis.call('ZREM', KEYS[4], hold_id)
  return redis.call('XADD', KEYS[1], '*', 'type', event, 'flight_id', flight_id,
    'customer_id', customer, 'hold_id', hold_id, 'seats', seats)
end
-- A confirm's or release's first step (their KEYS and ARGV hold_id, customer_id): the customer's hold
-- if it is still held, and now; else how it stands: 'missing' (no such hold of this customer),
-- 'confirmed', 'released' or 'expired' (a held one past its expiry is marked so and logged now).
local function held_hold(given)
  local hold = redis.call('HMGET', KEYS[3], 'flight_id', 'customer_id', 'seats', 'status', 'expires_at')
  if not hold[1] or hold[2] ~= ARGV[2] then
    return nil, nil, 'missing'
  end
  local status = hold[4]
  if status == 'confirmed' or status == 'released' or status == 'expired' then
    return nil, nil, status
  end
  local now = clock(given)
  if tonumber(hold[5]) <= now then
    finish(ARGV[1], 'expired', 'HoldExpired', now, hold[2], hold[1], hold[3])
    return nil, nil, 'expired'
  end
  return hold, now, nil
end
"""

# KEYS: flight hash, events, holds:F, hold:<id>, hold-expiries. ARGV: flight_id, customer_id, hold_id,
# hold ms, cap (0 = none), now ('' = TIME), key lifetime ms, then the seats (distinct).
# All or nothing: every seat must be neither reserved nor in a live hold, or the answer is
# {0, taken seats...}. Then the cap (ADR 75) counts the customer's reserved seats on the flight, plus
# the seats of their live holds, plus these: over it → {4, seats held now}. Else {1, event id, expires,
# created}. {5} when the id exists already (a random collision: the caller draws another).
_HOLD_LUA = (
    _PRELUDE
    + """
local now = clock(ARGV[6])
if redis.call('EXISTS', KEYS[4]) == 1 then
  return {5}
end
local taken = {}
for i = 8, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 or entry_live(redis.call('HGET', KEYS[3], ARGV[i]), now) then
    taken[#taken + 1] = ARGV[i]
  end
end
if #taken > 0 then
  return {0, unpack(taken)}
end
local cap = tonumber(ARGV[5])
if cap > 0 then
  local held = 0
  for _, customer in ipairs(redis.call('HVALS', KEYS[1])) do
    if customer == ARGV[2] then
      held = held + 1
    end
  end
  for _, entry in ipairs(redis.call('HVALS', KEYS[3])) do
    local expires, customer = string.match(entry, '^(%d+)|([^|]*)|')
    if customer == ARGV[2] and tonumber(expires) > now then
      held = held + 1
    end
  end
  if held + (#ARGV - 7) > cap then
    return {4, held}
  end
end
local expires = now + tonumber(ARGV[4])
local value = string.format('%d|%s|%s', expires, ARGV[2], ARGV[3])
local seats = {}
for i = 8, #ARGV do
  redis.call('HSET', KEYS[3], ARGV[i], value)
  seats[#seats + 1] = ARGV[i]
end
local listed = table.concat(seats, ',')
redis.call('HSET', KEYS[4], 'flight_id', ARGV[1], 'customer_id', ARGV[2], 'seats', listed,
  'status', 'held', 'created_at', string.format('%d', now), 'expires_at', string.format('%d', expires))
redis.call('PEXPIRE', KEYS[4], ARGV[7])
redis.call('ZADD', KEYS[5], expires, ARGV[3])
local id = redis.call('XADD', KEYS[2], '*', 'type', 'SeatsHeld', 'flight_id', ARGV[1],
  'customer_id', ARGV[2], 'hold_id', ARGV[3], 'seats', listed, 'expires_at', string.format('%d', expires))
return {1, id, expires, now}
"""
)

# KEYS: events, holds:F, hold:<id>, hold-expiries, flight hash, operations hash. ARGV: hold_id,
# customer_id, now. Returns {1, seat, SeatReserved id, seat, id, ...} confirmed; {2} confirmed already (a retry);
# {-1} no such hold of this customer; {-3} released; {-4} expired (marked so now if it was still
# `held`); {-5, seat} a seat of the hold is not the hold's any more (damage: nothing is written).
_CONFIRM_LUA = (
    _PRELUDE
    + """
local hold, now, ended = held_hold(ARGV[3])
if ended then
  return {({missing = -1, confirmed = 2, released = -3, expired = -4})[ended]}
end
local value = string.format('%d|%s|%s', tonumber(hold[5]), hold[2], ARGV[1])
local seats = {}
for seat in string.gmatch(hold[3], '[^,]+') do
  if redis.call('HGET', KEYS[2], seat) ~= value or redis.call('HEXISTS', KEYS[5], seat) == 1 then
    return {-5, seat}
  end
  seats[#seats + 1] = seat
end
local out = {1}
for _, seat in ipairs(seats) do
  redis.call('HSET', KEYS[5], seat, hold[2])
  redis.call('HDEL', KEYS[6], seat)
  out[#out + 1] = seat
  out[#out + 1] = redis.call('XADD', KEYS[1], '*', 'type', 'SeatReserved', 'flight_id', hold[1],
    'seat_no', seat, 'customer_id', hold[2])
end
finish(ARGV[1], 'confirmed', 'HoldConfirmed', now, hold[2], hold[1], hold[3])
return out
"""
)

# KEYS: events, holds:F, hold:<id>, hold-expiries. ARGV: hold_id, customer_id, now.
# Returns {1, id} released; {2} released already; {3} expired (marked so now if still `held`);
# {-1} no such hold of this customer; {-2} confirmed (its seats are reservations: cancel those).
_RELEASE_LUA = (
    _PRELUDE
    + """
local hold, now, ended = held_hold(ARGV[3])
if ended then
  return {({missing = -1, confirmed = -2, released = 2, expired = 3})[ended]}
end
return {1, finish(ARGV[1], 'released', 'HoldReleased', now, hold[2], hold[1], hold[3])}
"""
)

# The sweeper's step. KEYS: events, holds:F, hold:<id>, hold-expiries. ARGV: hold_id, now.
# Returns 1 marked expired (HoldExpired logged); 0 nothing to do (ended already, or gone: its stale
# seat entries are dropped); -1 still live.
_EXPIRE_LUA = (
    _PRELUDE
    + """
local hold = redis.call('HMGET', KEYS[3], 'flight_id', 'customer_id', 'seats', 'status', 'expires_at')
local now = clock(ARGV[2])
if not hold[1] then
  unlink(KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[4], ARGV[1])
  return 0
end
if hold[4] ~= 'held' then
  redis.call('ZREM', KEYS[4], ARGV[1])
  return 0
end
if tonumber(hold[5]) > now then
  return -1
end
finish(ARGV[1], 'expired', 'HoldExpired', now, hold[2], hold[1], hold[3])
return 1
"""
)

# Reads. KEYS: holds:F. ARGV: now. Returns {now, seat, entry, seat, entry, ...} of live entries only.
_FLIGHT_HOLDS_LUA = (
    _PRELUDE
    + """
local now = clock(ARGV[1])
local out = {now}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  if entry_live(flat[i + 1], now) then
    out[#out + 1] = flat[i]
    out[#out + 1] = flat[i + 1]
  end
end
return out
"""
)

# KEYS: hold:<id>. ARGV: now. Returns {now, field, value, ...}.
_HOLD_READ_LUA = (
    _PRELUDE
    + """
local out = {clock(ARGV[1])}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat do
  out[#out + 1] = flat[i]
end
return out
"""
)


class HoldResult(Enum):
    HELD = "held"
    TAKEN = "taken"
    LIMIT_REACHED = "limit_reached"


class ConfirmResult(Enum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    NOT_FOUND = "not_found"
    RELEASED = "released"
    EXPIRED = "expired"
    DAMAGED = "damaged"


class ReleaseResult(Enum):
    RELEASED = "released"
    ALREADY_RELEASED = "already_released"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"
    CONFIRMED = "confirmed"


@dataclass(frozen=True, slots=True)
class Hold:
    hold_id: str
    flight_id: str
    customer_id: str
    seats: tuple[str, ...]
    status: str  # held | confirmed | released | expired (a `held` hold past its expiry reads as expired)
    created_at_ms: int
    expires_at_ms: int
    ended_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class HoldAttempt:
    result: HoldResult
    hold: Hold | None = None
    taken: tuple[str, ...] = ()  # the seats that were reserved or held (TAKEN)
    held_now: int = 0  # seats the customer holds on the flight (LIMIT_REACHED)


@dataclass(frozen=True, slots=True)
class HeldSeat:
    seat_no: str
    customer_id: str
    hold_id: str
    expires_at_ms: int


def hold_id_new(flight_id: str) -> str:
    return f"{flight_id}.{secrets.token_hex(HOLD_ID_RANDOM_HEX // 2)}"


def flight_of_hold(hold_id: str) -> str:
    """The flight a (well-formed) hold id belongs to."""
    return hold_id.rpartition(".")[0]


class _Scripts:
    __slots__ = ("confirm", "expire", "flight_holds", "hold", "read", "release")

    def __init__(self, client: redis.Redis) -> None:
        self.hold = client.register_script(_HOLD_LUA)
        self.confirm = client.register_script(_CONFIRM_LUA)
        self.release = client.register_script(_RELEASE_LUA)
        self.expire = client.register_script(_EXPIRE_LUA)
        self.flight_holds = client.register_script(_FLIGHT_HOLDS_LUA)
        self.read = client.register_script(_HOLD_READ_LUA)


_scripts: dict[int, _Scripts] = {}


def _scripts_of(conn: _Connection) -> _Scripts:
    """The hold scripts registered on this connection's client (a new connection gets its own)."""
    scripts = _scripts.get(id(conn))
    if scripts is None:
        _scripts.clear()  # the store replaced its connection (tests swap settings): forget the old one
        scripts = _scripts[id(conn)] = _Scripts(conn.client)
    return scripts


def _holds_key(conn: _Connection, flight_id: str) -> str:
    return conn.key(conn.partition_of(flight_id), f"holds:{flight_id}")


def _hold_key(conn: _Connection, hold_id: str) -> str:
    return conn.key(conn.partition_of(flight_of_hold(hold_id)), f"hold:{hold_id}")


def _expiries_key(conn: _Connection, partition: int) -> str:
    return conn.key(partition, "hold-expiries")


def _end_keys(conn: _Connection, hold_id: str) -> list[str]:
    """events, holds:F, hold:<id>, hold-expiries: the keys of every script that ends a hold."""
    flight_id = flight_of_hold(hold_id)
    partition = conn.partition_of(flight_id)
    return [
        conn.events_key(partition),
        _holds_key(conn, flight_id),
        _hold_key(conn, hold_id),
        _expiries_key(conn, partition),
    ]


def _now_arg(now_ms: int | None) -> str | int:
    return "" if now_ms is None else now_ms


# -- commands ------------------------------------------------------------------------------------


def seats_hold(
    *,
    flight_id: str,
    customer_id: str,
    seats: list[str],
    hold_seconds: int,
    cap: int = 0,
    now_ms: int | None = None,
) -> HoldAttempt:
    """Hold every seat of ``seats`` (distinct, one flight) for the customer, or none (the taken named)."""
    retain_ms = (hold_seconds + settings.RESERVATIONS_HOLD_RETAIN_SECONDS) * 1000

    def hold(conn: _Connection) -> tuple[str, list]:
        partition = conn.partition_of(flight_id)
        for _attempt in range(3):
            hold_id = hold_id_new(flight_id)
            answer = _scripts_of(conn).hold(
                keys=[
                    conn.flight_key(flight_id),
                    conn.events_key(partition),
                    _holds_key(conn, flight_id),
                    _hold_key(conn, hold_id),
                    _expiries_key(conn, partition),
                ],
                args=[
                    flight_id,
                    customer_id,
                    hold_id,
                    hold_seconds * 1000,
                    max(0, cap),
                    _now_arg(now_ms),
                    retain_ms,
                    *seats,
                ],
            )
            if int(answer[0]) != 5:
                return hold_id, answer
        raise redis.ResponseError("three random hold ids in a row were taken")

    hold_id, answer = _supervised(hold)
    status = int(answer[0])
    if status == 0:
        return HoldAttempt(HoldResult.TAKEN, taken=tuple(_text(seat) for seat in answer[1:]))
    if status == 4:
        return HoldAttempt(HoldResult.LIMIT_REACHED, held_now=int(answer[1]))
    expires, created = int(answer[2]), int(answer[3])
    return HoldAttempt(
        HoldResult.HELD,
        hold=Hold(hold_id, flight_id, customer_id, tuple(seats), HELD, created, expires),
    )


_CONFIRM_RESULTS = {
    2: ConfirmResult.ALREADY_CONFIRMED,
    -1: ConfirmResult.NOT_FOUND,
    -3: ConfirmResult.RELEASED,
    -4: ConfirmResult.EXPIRED,
    -5: ConfirmResult.DAMAGED,
}


def hold_confirm(*, hold_id: str, customer_id: str, now_ms: int | None = None) -> ConfirmResult:
    """Turn a live hold of the customer into reservations (SeatReserved per seat, then HoldConfirmed)."""
    flight_id = flight_of_hold(hold_id)

    def confirm(conn: _Connection) -> list:
        # Confirming makes reservations: with replica acks on, acknowledged only once replicas have them
        # (docs/adr/0139), the same path as a plain reserve's.
        return store._acknowledged(
            conn,
            _scripts_of(conn).confirm,
            keys=[*_end_keys(conn, hold_id), conn.flight_key(flight_id), conn.operations_key(flight_id)],
            args=[hold_id, customer_id, _now_arg(now_ms)],
        )

    answer = _supervised(confirm)
    status = int(answer[0])
    if status != 1:
        return _CONFIRM_RESULTS[status]
    for i in range(1, len(answer), 2):
        store._index_write_through(customer_id, flight_id, _text(answer[i]), f"+{_text(answer[i + 1])}")
    return ConfirmResult.CONFIRMED


_RELEASE_RESULTS = {
    1: ReleaseResult.RELEASED,
    2: ReleaseResult.ALREADY_RELEASED,
    3: ReleaseResult.EXPIRED,
    -1: ReleaseResult.NOT_FOUND,
    -2: ReleaseResult.CONFIRMED,
}


def hold_release(*, hold_id: str, customer_id: str, now_ms: int | None = None) -> ReleaseResult:
    """The holder gives a live hold's seats back (HoldReleased)."""
    answer = _supervised(
        lambda conn: _scripts_of(conn).release(
            keys=_end_keys(conn, hold_id), args=[hold_id, customer_id, _now_arg(now_ms)]
        )
    )
    return _RELEASE_RESULTS[int(answer[0])]


@dataclass(frozen=True, slots=True)
class SweepReport:
    expired: int  # holds marked expired now (one HoldExpired each)
    visited: int  # expiry entries looked at
    partitions: int


def holds_sweep(*, now_ms: int | None = None, batch: int = 500) -> SweepReport:
    """Tidy holds whose expiry has passed: mark them expired, drop their seat entries, log HoldExpired.

    Only tidies: every script already treats an expired hold as free, whether this ran or not.
    """

    def sweep(conn: _Connection) -> SweepReport:
        expired = visited = 0
        scripts = _scripts_of(conn)
        bound = now_ms if now_ms is not None else _server_ms(conn)
        for partition in range(conn.partitions):
            key = _expiries_key(conn, partition)
            while True:
                due = conn.client.zrangebyscore(key, "-inf", bound, start=0, num=batch)
                if not due:
                    break
                for raw in due:
                    hold_id = _text(raw)
                    visited += 1
                    if scripts.expire(keys=_end_keys(conn, hold_id), args=[hold_id, bound]) == 1:
                        expired += 1
                if len(due) < batch:
                    break
        return SweepReport(expired=expired, visited=visited, partitions=conn.partitions)

    return _supervised(sweep)


def _server_ms(conn: _Connection) -> int:
    seconds, micros = conn.client.time()
    return int(seconds) * 1000 + int(micros) // 1000


# -- reads ---------------------------------------------------------------------------------------


def flight_holds(*, flight_id: str, now_ms: int | None = None) -> list[HeldSeat]:
    """The flight's seats in live holds, unordered."""
    answer = _supervised(
        lambda conn: _scripts_of(conn).flight_holds(
            keys=[_holds_key(conn, flight_id)], args=[_now_arg(now_ms)]
        )
    )
    held = []
    for i in range(1, len(answer), 2):
        expires, customer_id, hold_id = _text(answer[i + 1]).split("|", 2)
        held.append(HeldSeat(_text(answer[i]), customer_id, hold_id, int(expires)))
    return held


def hold_read(*, hold_id: str, now_ms: int | None = None) -> Hold | None:
    """The hold as it stands now (a `held` one past its expiry reads as expired), or None."""
    answer = _supervised(
        lambda conn: _scripts_of(conn).read(keys=[_hold_key(conn, hold_id)], args=[_now_arg(now_ms)])
    )
    now = int(answer[0])
    fields = {_text(answer[i]): _text(answer[i + 1]) for i in range(1, len(answer) - 1, 2)}
    if "flight_id" not in fields:
        return None
    expires = int(fields["expires_at"])
    status = fields.get("status", HELD)
    if status == HELD and expires <= now:
        status = EXPIRED
    ended = fields.get("ended_at")
    return Hold(
        hold_id=hold_id,
        flight_id=fields["flight_id"],
        customer_id=fields["customer_id"],
        seats=tuple(fields["seats"].split(",")),
        status=status,
        created_at_ms=int(fields["created_at"]),
        expires_at_ms=expires,
        ended_at_ms=int(ended) if ended else (expires if status == EXPIRED else None),
    )
