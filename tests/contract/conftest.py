"""The book's wire contracts, pinned byte for byte in tests/contract/wire/.

Each file there is one response body exactly as it crosses the wire (compact JSON, key order as
sent, no trailing newline). The provider tests (test_flights_contract.py,
test_reservations_contract.py) prove the contexts still send those bytes; the consumer tests
(test_gateway_consumer.py) feed the same bytes to the gateway's clients and prove they parse them.
Changing a file here is changing a public contract: a client written for the book's services
(ms-flights, ms-reservations) must keep working, so extensions are additive only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

WIRE = Path(__file__).resolve().parent / "wire"

# The book's own request for its sample flight (its id: tests.support.book), and the ids the wire files
# were captured with.
BOOK_LOOKUP = "/flights?flight_no=AA2532&departure_date_time=2020-05-17T13:20"
# The seat map pinned in wire/seat_map.json is SeatMapFactory's (8 business + 24 economy seats).
SEAT_MAP_FLIGHT = {"flight_no": "SK7", "departure": datetime(2031, 3, 1, 9, 30, tzinfo=UTC)}
RESERVATION = {"flight_id": "f8a3c1d2", "customer_id": "dd2e4d5b", "seat_num": "12C"}
OTHER_CUSTOMER = "a1b2c3"

# What the book's sample flight carries, and what this platform adds to it (additive only).
BOOK_FLIGHT_KEYS = ("flight_id", "flight_no", "departure", "origin_code", "destination_code")
ADDED_FLIGHT_KEYS = ("aircraft", "aircraft_layout", "seat_count")


def wire(name: str) -> bytes:
    """The pinned bytes of one response body."""
    return (WIRE / name).read_bytes()


@pytest.fixture
def seeded_book_flight() -> None:
    """The seed data, which holds the book's AA2532 of 2020-05-17 13:20 UTC with its fixed id."""
    from flights.services import flights_seed

    flights_seed(start=date(2031, 3, 1), days=1)
