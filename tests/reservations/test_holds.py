"""Seat holds in the store and its commands: every transition, expiry at the exact boundary, the cap.

Time is injected (``now_ms``): a hold made at T with RESERVATIONS_HOLD_SECONDS=S holds its seats for
every now < T + S*1000 and frees them at T + S*1000 exactly, with no sleep and no sweeper.
"""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from redis.crc import key_slot

from reservations import holds, selectors, services, store
from reservations.errors import (
    HoldConfirmed,
    HoldExpired,
    HoldNotFound,
    HoldReleased,
    SeatAlreadyReserved,
    SeatLimitReached,
    SeatsUnavailable,
)
from reservations.store import ReserveResult
from tests.reservations.conftest import flight_key, held_seats, partition_key, stream_events
from tests.reservations.test_layout import _scripts_and_transactions, sent  # noqa: F401 (a fixture)

T0 = 1_900_000_000_000  # an injected "now" (ms)
HOLD_MS = 600_000  # RESERVATIONS_HOLD_SECONDS's default, in ms
F = "F1"


def hold(seats, customer="c1", now=T0, flight=F):
    return services.seats_hold(flight_id=flight, customer_id=customer, seats=list(seats), now_ms=now)


def types(redis, flight=F):
    return [event["type"] for event in stream_events(redis, flight)]


def test_a_hold_takes_every_seat_and_logs_one_seats_held(redis):
    made = hold(["12A", "12B", "12C"])

    assert made.seats == ("12A", "12B", "12C")
    assert made.status == holds.HELD
    assert (made.created_at_ms, made.expires_at_ms) == (T0, T0 + HOLD_MS)
    assert made.hold_id.startswith(f"{F}.")
    assert len(made.hold_id) == len(F) + 1 + 24
    events = stream_events(redis, F)
    assert [e["type"] for e in events] == ["SeatsHeld"]
    assert {k: events[0][k] for k in ("seats", "hold_id", "customer_id", "expires_at")} == {
        "seats": "12A,12B,12C",
        "hold_id": made.hold_id,
        "customer_id": "c1",
        "expires_at": str(T0 + HOLD_MS),
    }
    # held is not reserved: the book's list and the customer's seats do not show it
    assert redis.hgetall(flight_key(F)) == {}
    assert selectors.flight_reservations_list(flight_id=F) == []
    assert held_seats(redis, "c1") == set()
    assert [s["seat_no"] for s in selectors.flight_holds_list(flight_id=F, now_ms=T0)] == [
        "12A",
        "12B",
        "12C",
    ]


def test_every_key_of_a_hold_is_in_its_flights_partition(redis):
    made = hold(["12A"])
    tag = store.partition_tag(store.partition_of(F))
    keys = {key.decode() for key in redis.scan_iter(match="*")}
    hold_keys = {key for key in keys if "hold" in key}
    assert hold_keys
    assert all(tag in key for key in hold_keys), hold_keys
    assert partition_key(store.partition_of(F), f"hold:{made.hold_id}") in keys


def test_a_hold_is_all_or_nothing_and_names_every_taken_seat(redis):
    store.reservation_add(flight_id=F, seat_no="12B", customer_id="c9")
    hold(["14A"], customer="c8")

    with pytest.raises(SeatsUnavailable) as refused:
        hold(["12A", "12B", "13A", "14A"])

    assert refused.value.extra == {"seats": ["12B", "14A"]}
    assert "12B, 14A are already reserved or held" in refused.value.detail
    assert selectors.flight_holds_list(flight_id=F, now_ms=T0)[0]["seat_no"] == "14A"
    assert len(selectors.flight_holds_list(flight_id=F, now_ms=T0)) == 1  # 12A, 13A were not held
    assert types(redis) == ["SeatReserved", "SeatsHeld"]


def test_a_live_hold_refuses_the_books_reserve_even_to_its_holder(redis):
    hold(["12A"])

    for customer in ("c2", "c1"):
        with pytest.raises(SeatAlreadyReserved):
            services.seat_reserve(flight_id=F, seat_no="12A", customer_id=customer)


def test_expiry_at_the_exact_boundary(redis):
    made = hold(["12A", "12B"])
    last_held, expiry = T0 + HOLD_MS - 1, T0 + HOLD_MS

    assert store.reservation_add(flight_id=F, seat_no="12A", customer_id="c2", now_ms=last_held) is (
        ReserveResult.TAKEN
    )
    with pytest.raises(SeatsUnavailable):
        hold(["12B"], customer="c2", now=last_held)
    assert selectors.hold_get(hold_id=made.hold_id, customer_id="c1", now_ms=last_held).status == "held"

    # at the expiry itself the seats are free to the next reader and writer, nobody having swept
    assert selectors.flight_holds_list(flight_id=F, now_ms=expiry) == []
    assert selectors.hold_get(hold_id=made.hold_id, customer_id="c1", now_ms=expiry).status == "expired"
    assert store.reservation_add(flight_id=F, seat_no="12A", customer_id="c2", now_ms=expiry) is (
        ReserveResult.RESERVED
    )
    again = hold(["12B"], customer="c3", now=expiry)
    assert again.status == "held"


def test_confirm_turns_the_hold_into_reservations(redis):
    made = hold(["12A", "12B"])

    confirmed = services.hold_confirm(hold_id=made.hold_id, customer_id="c1", now_ms=T0 + HOLD_MS - 1)

    assert confirmed.status == "confirmed"
    assert redis.hgetall(flight_key(F)) == {b"12A": b"c1", b"12B": b"c1"}
    assert types(redis) == ["SeatsHeld", "SeatReserved", "SeatReserved", "HoldConfirmed"]
    reserved = [e for e in stream_events(redis, F) if e["type"] == "SeatReserved"]
    assert [(e["seat_no"], e["customer_id"]) for e in reserved] == [("12A", "c1"), ("12B", "c1")]
    assert "operation" not in reserved[0]  # the very events a plain reserve logs
    assert held_seats(redis, "c1") == {f"{F}|12A", f"{F}|12B"}  # read-your-writes
    assert selectors.flight_holds_list(flight_id=F, now_ms=T0) == []
    assert store.projection_check().consistent
    # a retry of the confirm is the same answer and writes nothing
    assert services.hold_confirm(hold_id=made.hold_id, customer_id="c1").status == "confirmed"
    assert len(types(redis)) == 4
    # and the book's list shows the seats like any reservation
    assert selectors.flight_reservations_list(flight_id=F) == [
        {"seat_no": "12A", "customer_id": "c1"},
        {"seat_no": "12B", "customer_id": "c1"},
    ]


def test_confirm_at_the_expiry_is_refused_and_marks_the_hold_expired_once(redis):
    made = hold(["12A"])

    with pytest.raises(HoldExpired):
        services.hold_confirm(hold_id=made.hold_id, customer_id="c1", now_ms=T0 + HOLD_MS)
    with pytest.raises(HoldExpired):
        services.hold_confirm(hold_id=made.hold_id, customer_id="c1", now_ms=T0 + HOLD_MS + 5)

    assert types(redis) == ["SeatsHeld", "HoldExpired"]
    assert redis.hgetall(flight_key(F)) == {}


def test_release_by_the_holder_frees_the_seats(redis):
    made = hold(["12A", "12B"])

    released = services.hold_release(hold_id=made.hold_id, customer_id="c1", now_ms=T0 + 1)

    assert released.status == "released"
    assert selectors.flight_holds_list(flight_id=F, now_ms=T0 + 1) == []
    assert types(redis) == ["SeatsHeld", "HoldReleased"]
    assert services.hold_release(hold_id=made.hold_id, customer_id="c1").status == "released"  # a retry
    assert len(types(redis)) == 2
    with pytest.raises(HoldReleased):
        services.hold_confirm(hold_id=made.hold_id, customer_id="c1", now_ms=T0 + 2)
    assert hold(["12A", "12B"], customer="c2", now=T0 + 2).status == "held"


def test_another_customers_hold_is_not_found_for_every_operation(redis):
    made = hold(["12A"])

    for call in (
        lambda: selectors.hold_get(hold_id=made.hold_id, customer_id="c2"),
        lambda: services.hold_confirm(hold_id=made.hold_id, customer_id="c2", now_ms=T0),
        lambda: services.hold_release(hold_id=made.hold_id, customer_id="c2", now_ms=T0),
    ):
        with pytest.raises(HoldNotFound):
            call()
    assert types(redis) == ["SeatsHeld"]
    with pytest.raises(HoldNotFound):
        selectors.hold_get(hold_id=f"{F}.{'0' * 24}", customer_id="c1")


def test_a_confirmed_hold_cannot_be_released(redis):
    made = hold(["12A"])
    services.hold_confirm(hold_id=made.hold_id, customer_id="c1", now_ms=T0)

    with pytest.raises(HoldConfirmed):
        services.hold_release(hold_id=made.hold_id, customer_id="c1", now_ms=T0)
    assert redis.hget(flight_key(F), "12A") == b"c1"


def test_releasing_an_expired_hold_is_fine_and_logs_its_expiry(redis):
    made = hold(["12A"])

    assert services.hold_release(hold_id=made.hold_id, customer_id="c1", now_ms=T0 + HOLD_MS).status == (
        "expired"
    )
    assert types(redis) == ["SeatsHeld", "HoldExpired"]


def test_the_sweeper_only_tidies_expired_holds(redis):
    early, late = hold(["12A"], now=T0), hold(["13A"], customer="c2", now=T0 + 1000)

    report = services.holds_sweep(now_ms=T0 + HOLD_MS)

    assert (report.expired, report.visited) == (1, 1)
    assert selectors.hold_get(hold_id=early.hold_id, customer_id="c1").status == "expired"
    assert selectors.hold_get(hold_id=late.hold_id, customer_id="c2", now_ms=T0 + HOLD_MS).status == "held"
    assert [s["seat_no"] for s in selectors.flight_holds_list(flight_id=F, now_ms=T0 + HOLD_MS)] == ["13A"]
    assert redis.hkeys(partition_key(store.partition_of(F), f"holds:{F}")) == [b"13A"]
    assert services.holds_sweep(now_ms=T0 + HOLD_MS).expired == 0  # once only
    assert types(redis) == ["SeatsHeld", "SeatsHeld", "HoldExpired"]


def test_a_seat_taken_over_after_expiry_keeps_its_new_hold_when_the_old_one_is_swept(redis):
    old = hold(["12A", "12B"], now=T0)
    new = hold(["12B"], customer="c2", now=T0 + HOLD_MS)

    services.holds_sweep(now_ms=T0 + HOLD_MS)

    assert selectors.hold_get(hold_id=old.hold_id, customer_id="c1").status == "expired"
    assert selectors.flight_holds_list(flight_id=F, now_ms=T0 + HOLD_MS) == [
        {
            "seat_no": "12B",
            "customer_id": "c2",
            "hold_id": new.hold_id,
            "expires_at": store._iso_millis(T0 + 2 * HOLD_MS),
        }
    ]
    assert services.hold_confirm(hold_id=new.hold_id, customer_id="c2", now_ms=T0 + HOLD_MS + 1).status == (
        "confirmed"
    )


@override_settings(MAX_SEATS_PER_CUSTOMER_PER_FLIGHT=5)
def test_the_seat_limit_counts_held_and_reserved_seats_together(redis):
    store.reservation_add(flight_id=F, seat_no="1A", customer_id="c1", cap=5)
    hold(["2A", "2B", "2C"])

    with pytest.raises(SeatLimitReached) as refused:
        hold(["3A", "3B"])
    assert "at most 5 seats" in refused.value.detail
    assert "you have 4" in refused.value.detail
    assert store.reservation_add(flight_id=F, seat_no="3A", customer_id="c1", cap=5, now_ms=T0) is (
        ReserveResult.RESERVED
    )
    assert store.reservation_add(flight_id=F, seat_no="3B", customer_id="c1", cap=5, now_ms=T0) is (
        ReserveResult.LIMIT_REACHED
    )
    # an expired hold counts no more
    assert store.reservation_add(flight_id=F, seat_no="3B", customer_id="c1", cap=5, now_ms=T0 + HOLD_MS) is (
        ReserveResult.RESERVED
    )
    assert hold(["4A"], customer="c2").status == "held"  # other customers are not counted


def test_the_reserve_outcomes_without_holds_are_unchanged(redis):
    assert store.reservation_add(flight_id=F, seat_no="1A", customer_id="c1") is ReserveResult.RESERVED
    assert store.reservation_add(flight_id=F, seat_no="1A", customer_id="c1") is ReserveResult.ALREADY_YOURS
    assert store.reservation_add(flight_id=F, seat_no="1A", customer_id="c2") is ReserveResult.TAKEN
    assert not redis.exists(partition_key(store.partition_of(F), f"holds:{F}"))


def test_a_hold_on_the_redis_clock_lives_for_its_hold_time(redis):
    made = services.seats_hold(flight_id=F, customer_id="c1", seats=["12A"])

    assert made.expires_at_ms - made.created_at_ms == HOLD_MS
    assert selectors.hold_get(hold_id=made.hold_id, customer_id="c1").status == "held"
    ttl = redis.pttl(partition_key(store.partition_of(F), f"hold:{made.hold_id}"))
    assert HOLD_MS < ttl <= HOLD_MS + 24 * 3600 * 1000


def test_hold_events_read_back_with_their_hold_and_seats(redis):
    made = hold(["12A", "12B"])
    services.hold_release(hold_id=made.hold_id, customer_id="c1", now_ms=T0)

    events = selectors.events_read(partition=store.partition_of(F))

    assert [(e.type, e.hold_id, e.seats, e.seat_no) for e in events] == [
        ("SeatsHeld", made.hold_id, ("12A", "12B"), ""),
        ("HoldReleased", made.hold_id, ("12A", "12B"), ""),
    ]
    # the projections fold seats only: a hold event reserves nothing
    flights: dict = {}
    assert not any(store.projection_apply(flights, e) for e in events)
    assert store.index_value(events[0]) is None


def test_every_hold_script_touches_keys_of_one_slot(redis, sent):  # noqa: F811 (the imported fixture)
    for n in range(30):
        flight = f"FL{n}"
        first = hold(["1A", "1B"], customer=f"c{n}", flight=flight)
        services.hold_confirm(hold_id=first.hold_id, customer_id=f"c{n}", now_ms=T0)
        second = hold(["2A"], customer=f"c{n}", flight=flight)
        services.hold_release(hold_id=second.hold_id, customer_id=f"c{n}", now_ms=T0)
        hold(["3A"], customer=f"c{n}", flight=flight)
        selectors.flight_holds_list(flight_id=flight, now_ms=T0)
    services.holds_sweep(now_ms=T0 + HOLD_MS)

    scripts, _transactions = _scripts_and_transactions(sent)

    assert len(scripts) >= 30 * 7
    for keys in scripts:
        assert len({key_slot(k.encode()) for k in keys}) == 1, keys


def test_the_sweep_command_reports_what_it_tidied(redis, capsys):
    from django.core.management import call_command

    made = services.seats_hold(flight_id=F, customer_id="c1", seats=["12A"], now_ms=1_000)  # long expired

    call_command("reservations_sweep_holds")

    report = json.loads(capsys.readouterr().out)
    assert report == {"expired": 1, "visited": 1, "partitions": store.partitions()}
    assert selectors.hold_get(hold_id=made.hold_id, customer_id="c1").status == "expired"


def test_a_rebuild_from_the_log_keeps_confirmed_seats_and_leaves_live_holds_alone(redis):
    confirmed = hold(["12A", "12B"])
    services.hold_confirm(hold_id=confirmed.hold_id, customer_id="c1", now_ms=T0)
    live = services.seats_hold(flight_id=F, customer_id="c2", seats=["13A"])

    report = store.projection_rebuild()

    assert (report.seats, report.customers) == (2, 1)
    assert redis.hgetall(flight_key(F)) == {b"12A": b"c1", b"12B": b"c1"}
    assert held_seats(redis, "c1") == {f"{F}|12A", f"{F}|12B"}
    assert [s["hold_id"] for s in selectors.flight_holds_list(flight_id=F)] == [live.hold_id]
    assert store.projection_check().consistent


@override_settings(RESERVATIONS_SNAPSHOT_EVERY=2)
def test_history_folds_a_confirm_as_reservations_and_a_hold_as_nothing(redis):
    from datetime import UTC, datetime

    from reservations import history

    confirmed = services.seats_hold(flight_id=F, customer_id="c1", seats=["12A", "12B"])
    services.hold_confirm(hold_id=confirmed.hold_id, customer_id="c1")
    services.seats_hold(flight_id=F, customer_id="c2", seats=["13A"])  # held only: not a seat
    released = services.seats_hold(flight_id=F, customer_id="c3", seats=["14A"])
    services.hold_release(hold_id=released.hold_id, customer_id="c3")

    history.snapshots_take()  # snapshots fall between hold events too (one every 2 events)
    now = datetime.now(UTC)

    for use_snapshots in (True, False):
        state = history.flight_state_at(flight_id=F, at=now, use_snapshots=use_snapshots)
        assert state.seats == {"12A": "c1", "12B": "c1"}, use_snapshots
    assert history.partition_replay(partition=store.partition_of(F)).flights == {
        F: {"12A": "c1", "12B": "c1"}
    }
