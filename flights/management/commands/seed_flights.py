"""`manage.py seed_flights`: demo layouts and a two-week schedule from today (idempotent)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from flights.errors import FlightsError
from flights.seed_data import DEFAULT_DAYS
from flights.services import flights_seed


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--start must be a date YYYY-MM-DD, got {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Seed aircraft layouts and flights (today + N days, and the book's AA2532 of 2020-05-17). Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--start", type=_iso_date, default=None, help="first day (UTC), default today")
        parser.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"days of schedule (default {DEFAULT_DAYS})"
        )

    def handle(self, *args, **options) -> None:
        start = options["start"] or timezone.now().date()
        try:
            result = flights_seed(start=start, days=options["days"])
        except FlightsError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(
            f"seed_flights: layouts +{result.layouts_created} (updated {result.layouts_updated}), "
            f"flights +{result.flights_created} (total {result.flights_total}) from {start:%Y-%m-%d} for {options['days']} days"
        )
