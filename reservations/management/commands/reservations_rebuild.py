"""Rebuild every flight hash and customer index from the reservation event log."""

from reservations.management.base import ReservationsCommand
from reservations.services import reservations_rebuild_from_log


class Command(ReservationsCommand):
    help = (
        "Replay each partition's event stream into fresh flight hashes and swap them in atomically (one "
        "slot per partition), then repair the customer index from the replay (newer writes kept)."
    )

    def handle(self, *args, **options):
        report = reservations_rebuild_from_log()
        self.stdout.write(
            f"rebuilt {report.seats} seats on {report.flights} flights for {report.customers} customers "
            f"from the log up to {report.last_event_id} (attempts: {report.attempts}); "
            f"{report.partitions} partitions, {report.index_repaired} customer index fields repaired"
        )
