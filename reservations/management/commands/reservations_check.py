"""Hash-vs-log consistency: compare every flight hash with the projection of the event log."""

from django.core.management.base import CommandError

from reservations.management.base import ReservationsCommand
from reservations.selectors import projection_consistency


class Command(ReservationsCommand):
    help = (
        "Compare the flight hashes with the event log's projection; print a JSON report and exit 1 on a "
        "mismatch (a rollout's consistency gate: the local analysis per step, a Job metric on EKS)."
    )

    def handle(self, *args, **options):
        report = projection_consistency()
        self.write_report(report)
        if not report.consistent:
            raise CommandError(
                f"{len(report.mismatches)} seats differ between the hashes and the log", returncode=1
            )
