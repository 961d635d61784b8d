"""Take the rolling snapshots of the partition event streams (and apply event retention), once or forever."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import CommandError

from reservations.errors import ReservationsError
from reservations.management.base import ReservationsCommand
from reservations.services import reservations_snapshots_take


class Command(ReservationsCommand):
    help = (
        "Snapshot every partition whose stream has RESERVATIONS_SNAPSHOT_EVERY new events, then trim "
        "per RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS. Safe beside other snapshotters (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass over the partitions, then exit")
        parser.add_argument("--partition", type=int, help="only this partition")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes (default 5)")

    def handle(self, *args, once: bool, partition: int | None, interval: float, **options):
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds")
        stop = threading.Event()
        if not once:  # SIGTERM (a pod stopping) and Ctrl-C end the loop between passes
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            try:
                report = reservations_snapshots_take(partition=partition)
            except ReservationsError as exc:
                if once:  # ReservationsCommand turns it into the command's error
                    raise
                self.stderr.write(f"snapshot pass failed: {exc.detail}")
            else:
                if once or report.taken or report.trimmed:
                    deleted = sum(p.deleted for p in report.partitions)
                    self.stdout.write(
                        f"{report.taken} snapshots taken over {len(report.partitions)} partitions; "
                        f"retention deleted {deleted} snapshots and trimmed {report.trimmed} events"
                    )
            if once or stop.wait(interval):
                return
