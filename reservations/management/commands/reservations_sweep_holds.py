"""Tidy expired seat holds: mark them expired and log HoldExpired (docs/adr/0142). Never needed to free
a seat — every script reads an expired hold as free by the Redis clock — so run it from cron, or not."""

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from reservations.errors import ReservationsError
from reservations.services import holds_sweep


class Command(BaseCommand):
    help = (
        "Mark every seat hold past its expiry as expired (one HoldExpired event each) and drop its seat "
        "entries; print a JSON report. Tidying only: an expired hold is free to every reader and writer "
        "whether this runs or not."
    )

    def handle(self, *args, **options):
        try:
            report = holds_sweep()
        except ReservationsError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(json.dumps(asdict(report)))
