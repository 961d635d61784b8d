"""Move reservations data of key layout v1 (one global stream) into layout v2 (partitions; ADR 115)."""

from reservations.management.base import ReservationsCommand
from reservations.services import reservations_layout_migrate


class Command(ReservationsCommand):
    help = (
        "One-off: copy the v1 stream reservations:events into the partition streams (explicit ids, order "
        "kept per partition), move the operation tokens, drop the v1 index sets, write the layout and "
        "rebuild. Idempotent: a second run (or the rerun of a crashed one) copies nothing twice. Stop "
        "the v1 build's writers first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--v1-prefix",
            default=None,
            help="the key prefix the v1 data was written under (e.g. '{skyway}:' on a cluster); "
            "default REDIS_KEY_PREFIX",
        )

    def handle(self, *args, **options):
        report = reservations_layout_migrate(v1_prefix=options["v1_prefix"])
        if report.already_migrated:
            self.stdout.write("nothing to migrate: no v1 event stream (the store is in layout v2)")
            return
        rebuilt = report.rebuild
        self.stdout.write(
            f"migrated {report.events} events ({report.skipped} copied by an earlier run) and "
            f"{report.operations} operation tokens; rebuilt {rebuilt.seats} seats on {rebuilt.flights} "
            f"flights for {rebuilt.customers} customers in {rebuilt.partitions} partitions"
        )
