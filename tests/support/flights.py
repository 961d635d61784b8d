"""Flights a test may still book: the gateway refuses reserves, cancels and moves on departed flights.

`seed_flights --days 1` seeds today's schedule, whose earliest departures may be over by the time the
suite runs (and after 23:30 UTC all of them are). Tests that change seats pick flights departing at
least `MARGIN` from now out of two seeded days, so the suite never depends on the time of day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

# Far more than any test takes; tomorrow's first departure (06:10 UTC) is always further away than this.
MARGIN = timedelta(hours=1)
SEED_DAYS = 2  # today and tomorrow: some flight is always at least MARGIN away


def open_after() -> datetime:
    """Flights departing after this are open for the whole test."""
    return datetime.now(UTC) + MARGIN


def seed_open_flights() -> list[dict[str, str]]:
    """Seed two days of schedule (platform mode, test database); the flights still open, earliest first."""
    from django.core.management import call_command

    from flights.models import Flight

    call_command("seed_flights", "--days", str(SEED_DAYS), stdout=None)
    return [
        {"flight_id": str(flight_id), "flight_no": flight_no, "departure": departure.isoformat()}
        for flight_id, flight_no, departure in Flight.objects.filter(departure__gt=open_after())
        .order_by("departure", "flight_no")
        .values_list("flight_id", "flight_no", "departure")
    ]


def search_dates() -> list[str]:
    """The days (YYYY-MM-DD, UTC) to search through an API for open flights: today and tomorrow."""
    today = datetime.now(UTC).date()
    return [(today + timedelta(days=offset)).isoformat() for offset in range(SEED_DAYS)]


def open_flights_of(flights: Iterable[dict]) -> list[dict]:
    """The flights of an API answer (``departure`` in ISO 8601) still open, earliest first."""
    cutoff = open_after()
    upcoming = [flight for flight in flights if _departure(flight) > cutoff]
    return sorted(upcoming, key=lambda flight: (_departure(flight), flight["flight_no"]))


def open_flights_via_api(client, flight_no: str | None = None) -> list[dict]:
    """The open flights a gateway lists for today and tomorrow (optionally one flight number), earliest
    first. ``client`` is an httpx.Client (or alike) with the gateway's base URL and a customer's token."""
    found: list[dict] = []
    for day in search_dates():
        params = {"date": day, **({"flight_no": flight_no} if flight_no else {})}
        response = client.get("/api/flights", params=params)
        response.raise_for_status()
        found.extend(response.json())
    return open_flights_of(found)


def _departure(flight: dict) -> datetime:
    value = datetime.fromisoformat(str(flight["departure"]))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
