"""Tidy expired seat holds: mark them expired and log HoldExpired (docs/adr/0142). Never needed to free
a seat — every script reads an expired hold as free by the Redis clock — so run it from cron, or not."""

from reservations.management.base import ReservationsCommand
from reservations.services import holds_sweep


class Command(ReservationsCommand):
    help = (
        "Mark every seat hold past its expiry as expired (one HoldExpired event each) and drop its seat "
        "entries; print a JSON report. Tidying only: an expired hold is free to every reader and writer "
        "whether this runs or not."
    )

    def handle(self, *args, **options):
        report = holds_sweep()
        self.write_report(report)
