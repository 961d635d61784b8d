"""The book's sample flight (AA2532 of 2020-05-17 13:20 UTC) as each side of the wire shows it.

Kept apart from the pinned bytes in tests/contract/wire/: tests compare what a service or client
returns with these dicts, so a drift in the wire files or in the code fails one of them.
"""

from __future__ import annotations

# Seeded with this id in every database (flights.seed_data.seed_flight_id), so docs can quote it.
BOOK_FLIGHT_ID = "a5b34aed-8f32-5790-921b-fd2d595e536a"

# What the gateway's flights client keeps of the flight, as the gateway's API lists it.
BOOK_FLIGHT = {
    "flight_id": BOOK_FLIGHT_ID,
    "flight_no": "AA2532",
    "departure": "2020-05-17T13:20:00Z",
    "origin_code": "JFK",
    "destination_code": "LAX",
    "aircraft": "Airbus A321",
}
# What the flights service answers for it: the gateway's fields and the layout's.
BOOK_FLIGHT_FROM_FLIGHTS = {**BOOK_FLIGHT, "aircraft_layout": "A321-16J156Y", "seat_count": 172}
