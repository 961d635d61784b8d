"""The gateway's reads: flight search and the customer's seats (the API), seat holders (the admin).

Other contexts' data only through the clients. The seat chart, a read with its own cache and
fan-out, has its own module (seat_charts.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from gateway import clients
from gateway.clients.flights import Flight
from gateway.rules import seat_sort_key


@dataclass(frozen=True)
class Holder:
    seat: str
    customer_id: str
    username: str | None  # None: no gateway user has this id (e.g. a reservation made behind the gateway)


@dataclass(frozen=True)
class FlightSeatHolders:
    flight: Flight
    seat_map: dict[str, Any]
    holders: list[Holder] = field(default_factory=list)
    at: str | None = None  # the instant the holders are as of (None: now)

    def labels(self) -> dict[str, str]:
        """Seat id → who holds it, as the picture names them."""
        return {h.seat: h.username or f"customer {h.customer_id}" for h in self.holders}


def flights_find(
    *,
    flight_no: str | None = None,
    date: str | None = None,
    origin_code: str | None = None,
    destination_code: str | None = None,
) -> list[Flight]:
    return clients.flights().flights_search(
        flight_no=flight_no, date=date, origin_code=origin_code, destination_code=destination_code
    )


def reservations_of_customer(*, customer_id: str) -> list[dict[str, Any]]:
    """The customer's seats, each with its flight (fetched once per flight; null when it cannot be read)."""
    held = clients.reservations().seats_by_customer(customer_id)
    flights_by_id = clients.flights().flights_get_many(sorted({item["flight_id"] for item in held}))
    return [
        {
            "flight_id": item["flight_id"],
            "seat": item["seat_no"],
            "flight": flights_by_id.get(item["flight_id"]),
        }
        for item in sorted(held, key=lambda item: (item["flight_id"], seat_sort_key(item["seat_no"])))
    ]


def _admin_sort_key(seat: str) -> tuple[int, str]:
    # Holders come straight from reservations' store (any spelling it kept): never fail to sort.
    digits = "".join(ch for ch in seat if ch.isdigit())
    return (int(digits) if digits else 0, seat)


def flights_for_admin(*, date: str | None, flight_no: str | None) -> list[Flight]:
    """Flights by date and/or number, read from the flights context (its own validation applies)."""
    return clients.flights().flights_search(flight_no=flight_no or None, date=date or None)


def flight_seat_holders(*, flight_id: str, at: str | None = None) -> FlightSeatHolders:
    """One flight, its seat map and who holds which seat — now, or at the RFC 3339 instant ``at``
    (the reservations history) — usernames from the gateway's own users."""
    flight = clients.flights().flight_get(flight_id)
    seat_map = dict(clients.flights().seat_map_get(flight_id))
    reservations = clients.reservations()
    raw = (
        reservations.seats_by_flight(flight_id)
        if at is None
        else reservations.seats_by_flight_at(flight_id, at)
    )
    ids = {item["customer_id"] for item in raw}
    numeric = [int(i) for i in ids if i.isdigit()]
    names = {
        str(pk): name
        for pk, name in get_user_model().objects.filter(pk__in=numeric).values_list("pk", "username")
    }
    holders = sorted(
        (Holder(item["seat_no"], item["customer_id"], names.get(item["customer_id"])) for item in raw),
        key=lambda h: _admin_sort_key(h.seat),
    )
    return FlightSeatHolders(flight=flight, seat_map=seat_map, holders=holders, at=at)
