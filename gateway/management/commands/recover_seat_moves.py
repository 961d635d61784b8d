"""`manage.py recover_seat_moves`: drive every unfinished seat-move saga to done or compensated."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from gateway.seat_moves import seat_moves_recover


class Command(BaseCommand):
    help = (
        "Finish every seat-move saga a crashed gateway left unfinished (lease expired): forward to done, "
        "or compensated. Safe to run at any time and from several places at once (docs/adr/0055)."
    )

    def handle(self, *args, **options) -> None:
        report = seat_moves_recover()
        self.stdout.write(f"seat move recovery: {report.summary()}")
