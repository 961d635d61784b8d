"""Seats together (gateway.seat_suggest): same row, then across the aisle, then rows front to back."""

from __future__ import annotations

from flights.seat_maps import CabinSpec, seat_map_build
from gateway.clients.flights import seat_layout_of
from gateway.seat_suggest import seats_suggest

LAYOUT = seat_layout_of(
    seat_map_build(
        cabins=[
            CabinSpec("Business", 1, 2, "AC DF"),
            CabinSpec("Economy", 7, 12, "ABC DEF", exit_rows=frozenset({12})),
        ]
    )
)
ECONOMY = {f"{row}{letter}" for row in range(7, 13) for letter in "ABCDEF"}
BUSINESS = {f"{row}{letter}" for row in (1, 2) for letter in "ACDF"}


def suggest(party, unavailable=(), prefer=()):
    found = seats_suggest(layout=LAYOUT, unavailable=set(unavailable), party=party, prefer=prefer)
    return None if found is None else (found.seats, found.arrangement)


def free_only(*seats):
    """Every seat taken except these."""
    return (ECONOMY | BUSINESS) - set(seats)


def test_a_party_sits_in_one_row_without_an_aisle_between_front_first():
    assert suggest(3) == (["7A", "7B", "7C"], "row")  # one economy section beats business across its aisle
    assert suggest(2) == (["1A", "1C"], "row")  # business row 1 is the front-most pair
    assert suggest(3, prefer=["economy"]) == (["7A", "7B", "7C"], "row")


def test_then_one_row_across_the_aisle():
    unavailable = free_only("8B", "8C", "8D", "8E", "9A", "10A")
    assert suggest(4, unavailable) == (["8B", "8C", "8D", "8E"], "across_aisle")


def test_then_consecutive_rows_front_to_back():
    unavailable = free_only("9B", "9C", "10B", "10C", "11F")
    assert suggest(4, unavailable) == (["9B", "9C", "10B", "10C"], "rows")


def test_last_any_free_seats_and_none_when_too_few():
    unavailable = free_only("7A", "9F", "11C")
    assert suggest(3, unavailable) == (["7A", "9F", "11C"], "scattered")
    assert suggest(4, unavailable) is None


def test_a_taken_seat_splits_a_block():
    unavailable = BUSINESS | {"7B", "7E"}
    assert suggest(2, unavailable) == (["8A", "8B"], "row")


def test_preferences_choose_among_blocks_of_one_tier():
    business_taken = BUSINESS
    assert suggest(1, business_taken, prefer=["aisle"]) == (["7C"], "row")
    assert suggest(2, business_taken, prefer=["aisle"]) == (["7B", "7C"], "row")
    assert suggest(2, business_taken, prefer=["window"]) == (["7A", "7B"], "row")
    assert suggest(3, business_taken, prefer=["exit_row"]) == (["12A", "12B", "12C"], "row")
    # four never fit one section of three: among the blocks across the aisle, the exit row's wins
    assert suggest(4, business_taken, prefer=["exit_row"]) == (["12A", "12B", "12C", "12D"], "across_aisle")
    # togetherness first: an exit-row seat does not split a party that fits in one row elsewhere
    assert suggest(3, business_taken | {"12B", "12E"}, prefer=["exit_row"]) == (["7A", "7B", "7C"], "row")


def test_a_cabin_preference_is_a_filter():
    assert suggest(2, prefer=["business", "window"]) == (["1A", "1C"], "row")
    assert suggest(2, BUSINESS, prefer=["business"]) is None
    assert suggest(9, prefer=["business"]) is None
