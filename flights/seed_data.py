"""Demo data of the flights context: two narrow-body layouts and a two-week schedule of four routes.

Kept apart from services.py because it is data, not behaviour; `flights_seed` turns it into rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time

from flights.seat_maps import CabinSpec

# uuid5 namespace of seeded flights: the same (flight_no, departure) gets the same flight_id in every
# database, so a seeded split deployment and a seeded platform agree on ids (and docs can quote them).
SEED_NAMESPACE = uuid.UUID("5b0c6a8e-7f1d-4c3e-9a57-2d7b1c9e4f10")


@dataclass(frozen=True)
class LayoutDef:
    code: str
    aircraft_type: str
    cabins: tuple[CabinSpec, ...]


@dataclass(frozen=True)
class RouteDef:
    origin_code: str
    destination_code: str
    layout_code: str
    departures: tuple[tuple[str, time], ...]  # (flight_no, UTC departure time), one per daily flight


LAYOUTS: tuple[LayoutDef, ...] = (
    # 16 business (2-2) + 156 economy (3-3) = 172 seats.
    LayoutDef(
        code="A321-16J156Y",
        aircraft_type="Airbus A321",
        cabins=(
            CabinSpec("Business", 1, 4, "AC DF", facilities=("PowerOutlet",)),
            CabinSpec(
                "Economy",
                7,
                32,
                "ABC DEF",
                wing=(12, 21),
                exit_rows=frozenset({12, 13}),
                extra_legroom_rows=frozenset({7, 8}),
                restricted_recline_rows=frozenset({11, 32}),
            ),
        ),
    ),
    # 16 business (2-2) + 138 economy (3-3) = 154 seats.
    LayoutDef(
        code="B738-16J138Y",
        aircraft_type="Boeing 737-800",
        cabins=(
            CabinSpec("Business", 1, 4, "AC DF", facilities=("PowerOutlet",)),
            CabinSpec(
                "Economy",
                10,
                32,
                "ABC DEF",
                wing=(14, 22),
                exit_rows=frozenset({16, 17}),
                extra_legroom_rows=frozenset({10}),
                restricted_recline_rows=frozenset({15, 32}),
            ),
        ),
    ),
)

ROUTES: tuple[RouteDef, ...] = (
    RouteDef("JFK", "LAX", "A321-16J156Y", (("AA2532", time(13, 20)), ("AA2534", time(21, 5)))),
    RouteDef("LAX", "JFK", "A321-16J156Y", (("AA2533", time(6, 10)), ("AA2535", time(15, 45)))),
    RouteDef("BOS", "SFO", "B738-16J138Y", (("UA1520", time(11, 0)), ("UA1524", time(23, 30)))),
    RouteDef("SEA", "DEN", "B738-16J138Y", (("DL880", time(7, 15)), ("DL884", time(18, 40)))),
)

# The book's request: GET /flights?flight_no=AA2532&departure_date_time=2020-05-17T13:20
BOOK_FLIGHT = ("AA2532", datetime(2020, 5, 17, 13, 20, tzinfo=UTC), "JFK", "LAX", "A321-16J156Y")

DEFAULT_DAYS = 14


def seed_flight_id(flight_no: str, departure: datetime) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, f"{flight_no}@{departure.astimezone(UTC):%Y-%m-%dT%H:%M}")
