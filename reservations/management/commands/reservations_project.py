"""Project the customer index ("my seats") from every partition's event stream (consumer group customer-index)."""

import signal
import threading

from reservations.management.base import ReservationsCommand
from reservations.projector import consumer_name_default, projector_run


class Command(ReservationsCommand):
    help = (
        "Run the customer index projector: read every partition's stream through the consumer group "
        "customer-index, apply, acknowledge, reclaim what a crashed consumer left pending. Runs until "
        "SIGTERM/SIGINT; --once stops when nothing is left to apply (tests, cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="stop when a cycle finds nothing to apply")
        parser.add_argument("--consumer", default=None, help="this consumer's name (default: host-pid)")
        parser.add_argument("--batch", type=int, default=None, help="entries per partition per read")
        parser.add_argument(
            "--claim-idle",
            type=float,
            default=None,
            help="seconds before another consumer's pending entry is reclaimed",
        )

    def handle(self, *args, **options):
        stop = threading.Event()
        if not options["once"] and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
        consumer = options["consumer"] or consumer_name_default()
        report = projector_run(
            consumer=consumer,
            once=options["once"],
            batch=options["batch"],
            claim_idle_seconds=options["claim_idle"],
            stop=stop,
        )
        self.stdout.write(
            f"consumer {consumer} applied {report.delivered} events ({report.reclaimed} reclaimed, "
            f"{report.changed} index fields changed); lag {report.lag}"
        )
