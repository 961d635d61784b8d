"""Hash-vs-log consistency: compare every flight hash with the projection of the event log."""

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError

from reservations.errors import ReservationsError
from reservations.selectors import projection_consistency


class Command(BaseCommand):
    help = (
        "Compare the flight hashes with the event log's projection; print a JSON report and exit 1 on a "
        "mismatch (a rollout's consistency gate: the local analysis per step, a Job metric on EKS)."
    )

    def handle(self, *args, **options):
        try:
            report = projection_consistency()
        except ReservationsError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(json.dumps(asdict(report)))
        if not report.consistent:
            raise CommandError(
                f"{len(report.mismatches)} seats differ between the hashes and the log", returncode=1
            )
