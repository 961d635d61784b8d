"""Rebuild every flight hash and customer index from the reservation event log."""

from django.core.management.base import BaseCommand, CommandError

from reservations.errors import ReservationsError
from reservations.services import reservations_rebuild_from_log


class Command(BaseCommand):
    help = "Replay the reservations event stream into fresh hashes and indexes, then swap them in atomically."

    def handle(self, *args, **options):
        try:
            report = reservations_rebuild_from_log()
        except ReservationsError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(
            f"rebuilt {report.seats} seats on {report.flights} flights for {report.customers} customers "
            f"from the log up to {report.last_event_id} (attempts: {report.attempts})"
        )
