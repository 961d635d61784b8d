"""Rebuild every flight hash and customer index from the reservation event log."""

from django.core.management.base import BaseCommand, CommandError

from reservations.errors import ReservationsError
from reservations.services import reservations_rebuild_from_log


class Command(BaseCommand):
    help = (
        "Replay each partition's event stream into fresh flight hashes and swap them in atomically (one "
        "slot per partition), then repair the customer index from the replay (newer writes kept)."
    )

    def handle(self, *args, **options):
        try:
            report = reservations_rebuild_from_log()
        except ReservationsError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(
            f"rebuilt {report.seats} seats on {report.flights} flights for {report.customers} customers "
            f"from the log up to {report.last_event_id} (attempts: {report.attempts}); "
            f"{report.partitions} partitions, {report.index_repaired} customer index fields repaired"
        )
