"""Queries of the reservations context: plain data, sorted the way clients show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reservations import history, holds, store
from reservations.errors import HoldNotFound
from reservations.holds import Hold
from reservations.store import ConsistencyReport, Event, IndexFreshness
from reservations.validation import seat_sort_key


def flight_reservations_list(*, flight_id: str) -> list[dict[str, str]]:
    """The reserved seats of a flight, ``[{"seat_no", "customer_id"}]`` by row then letter."""
    seats = store.flight_seats(flight_id=flight_id)
    return [
        {"seat_no": seat_no, "customer_id": seats[seat_no]} for seat_no in sorted(seats, key=seat_sort_key)
    ]


@dataclass(frozen=True, slots=True)
class FlightHistory:
    """A flight's seats at an instant, in the list shape of ``flight_reservations_list``, and whence."""

    seats: list[dict[str, str]]
    at: str  # the instant answered, RFC 3339 to the millisecond (stream ids' resolution)
    as_of_event: str  # the newest event of the flight's partition at or before it ('0': none)
    snapshot_event: str  # the snapshot the answer was replayed from ('0': none)
    replayed_events: int


def flight_history_read(*, flight_id: str, at: datetime) -> FlightHistory:
    """The reserved seats of a flight as they were at ``at`` (every event up to its millisecond)."""
    state = history.flight_state_at(flight_id=flight_id, at=at)
    return FlightHistory(
        seats=[
            {"seat_no": seat_no, "customer_id": state.seats[seat_no]}
            for seat_no in sorted(state.seats, key=seat_sort_key)
        ],
        at=history.rfc3339(history.instant_at_ms(at)),
        as_of_event=state.as_of_event,
        snapshot_event=state.snapshot_event,
        replayed_events=state.replayed_events,
    )


def customer_reservations_list(*, customer_id: str) -> list[dict[str, str]]:
    """A customer's seats, ``[{"flight_id", "seat_no", "customer_id"}]`` by flight, then seat."""
    pairs = store.customer_seats(customer_id=customer_id)
    pairs.sort(key=lambda pair: (pair[0], seat_sort_key(pair[1])))
    return [
        {"flight_id": flight_id, "seat_no": seat_no, "customer_id": customer_id}
        for flight_id, seat_no in pairs
    ]


def flight_holds_list(*, flight_id: str, now_ms: int | None = None) -> list[dict[str, object]]:
    """The flight's seats in live holds, ``[{"seat_no", "customer_id", "hold_id", "expires_at"}]`` by seat."""
    held = sorted(
        holds.flight_holds(flight_id=flight_id, now_ms=now_ms), key=lambda h: seat_sort_key(h.seat_no)
    )
    return [
        {
            "seat_no": h.seat_no,
            "customer_id": h.customer_id,
            "hold_id": h.hold_id,
            "expires_at": store._iso_millis(h.expires_at_ms),
        }
        for h in held
    ]


def hold_get(*, hold_id: str, customer_id: str, now_ms: int | None = None) -> Hold:
    """The customer's hold as it stands now; no such hold, or another customer's → HoldNotFound."""
    hold = holds.hold_read(hold_id=hold_id, now_ms=now_ms)
    if hold is None or hold.customer_id != customer_id:
        raise HoldNotFound()
    return hold


def customer_index_freshness() -> IndexFreshness:
    """How fresh the customer index is: events not yet applied by the projector when it last reported.

    The customer's own writes are in it already (write-through): the lag counts writes a
    write-through missed, which the projector applies."""
    return store.index_freshness()


def events_read(*, partition: int, since: str = "0", count: int = 100) -> list[Event]:
    """Up to ``count`` events of one partition's log after the stream id ``since``, oldest first."""
    return store.events_after(partition=partition, since=since, count=count)


def events_partitions() -> int:
    """How many partitions (each with its own log) the store has."""
    return store.partitions()


def events_partition_of(*, flight_id: str) -> int:
    """The partition whose log holds a flight's events."""
    return store.partition_of(flight_id)


def projection_consistency() -> ConsistencyReport:
    """Do the flight hashes say what the event log says? (seats written meanwhile are left out)"""
    return store.projection_check()
