import pytest

from reservations import selectors, services, store
from reservations.errors import SeatAlreadyReserved, SeatHeldByAnotherCustomer, SeatNotReserved
from reservations.store import ReserveResult


def test_seat_reserve_refuses_a_seat_held_by_another_customer(redis):
    services.seat_reserve(flight_id="F1", seat_no="12C", customer_id="c1")

    with pytest.raises(SeatAlreadyReserved, match=r"Seat already reserved\. Cannot double-book"):
        services.seat_reserve(flight_id="F1", seat_no="12C", customer_id="c2")


def test_seat_reserve_is_idempotent_for_the_holder(redis):
    assert services.seat_reserve(flight_id="F1", seat_no="12C", customer_id="c1") is ReserveResult.RESERVED
    assert (
        services.seat_reserve(flight_id="F1", seat_no="12C", customer_id="c1") is ReserveResult.ALREADY_YOURS
    )
    assert len(selectors.events_read(partition=store.partition_of("F1"))) == 1


def test_seat_release_by_another_customer_is_refused(redis):
    services.seat_reserve(flight_id="F1", seat_no="12C", customer_id="c1")

    with pytest.raises(SeatHeldByAnotherCustomer):
        services.seat_release(flight_id="F1", seat_no="12C", customer_id="c2")
    assert selectors.flight_reservations_list(flight_id="F1") == [{"seat_no": "12C", "customer_id": "c1"}]


def test_seat_release_of_a_free_seat_is_not_found(redis):
    with pytest.raises(SeatNotReserved):
        services.seat_release(flight_id="F1", seat_no="12C", customer_id="c1")


def test_flight_reservations_are_listed_by_row_then_letter(redis):
    for seat in ["10A", "2C", "2A", "1K"]:
        services.seat_reserve(flight_id="F1", seat_no=seat, customer_id=f"c{seat}")
    services.seat_reserve(flight_id="F2", seat_no="3A", customer_id="other")

    assert selectors.flight_reservations_list(flight_id="F1") == [
        {"seat_no": "1K", "customer_id": "c1K"},
        {"seat_no": "2A", "customer_id": "c2A"},
        {"seat_no": "2C", "customer_id": "c2C"},
        {"seat_no": "10A", "customer_id": "c10A"},
    ]
    assert selectors.flight_reservations_list(flight_id="unknown") == []


def test_a_customers_reservations_span_flights_and_follow_releases(redis):
    services.seat_reserve(flight_id="F2", seat_no="10A", customer_id="c1")
    services.seat_reserve(flight_id="F1", seat_no="9B", customer_id="c1")
    services.seat_reserve(flight_id="F2", seat_no="2A", customer_id="c1")
    services.seat_reserve(flight_id="F1", seat_no="1A", customer_id="c2")
    services.seat_release(flight_id="F1", seat_no="9B", customer_id="c1")

    assert selectors.customer_reservations_list(customer_id="c1") == [
        {"flight_id": "F2", "seat_no": "2A", "customer_id": "c1"},
        {"flight_id": "F2", "seat_no": "10A", "customer_id": "c1"},
    ]
    assert selectors.customer_reservations_list(customer_id="nobody") == []


def test_events_read_pages_with_since_and_count(redis):
    for seat in ["1A", "1B", "1C"]:
        services.seat_reserve(flight_id="F1", seat_no=seat, customer_id="c1")
    services.seat_release(flight_id="F1", seat_no="1A", customer_id="c1")

    first = selectors.events_read(partition=store.partition_of("F1"), since="0", count=3)
    rest = selectors.events_read(partition=store.partition_of("F1"), since=first[-1].event_id, count=3)

    assert [(e.type, e.seat_no) for e in first + rest] == [
        ("SeatReserved", "1A"),
        ("SeatReserved", "1B"),
        ("SeatReserved", "1C"),
        ("SeatReleased", "1A"),
    ]
    assert selectors.events_read(partition=store.partition_of("F1"), since=rest[-1].event_id, count=3) == []
    assert len({e.event_id for e in first + rest}) == 4
