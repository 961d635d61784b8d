"""Start, stop or report the embedded Redis server used when REDIS_URL is unset."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from skyway import embedded_redis


class Command(BaseCommand):
    help = "Manage the embedded Redis server (only when REDIS_URL is unset)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["start", "stop", "status", "url"])
        parser.add_argument(
            "--all",
            action="store_true",
            help="with stop: every embedded server of this checkout (test runs too) and every orphan",
        )

    def handle(self, *args, action: str, all: bool = False, **options):
        directory = getattr(settings, "EMBEDDED_REDIS_DIR", None)
        if action == "stop" and all:
            pids = {
                *embedded_redis.stop_under(settings.BASE_DIR),
                *embedded_redis.stop_under(settings.VAR_DIR),
            }
            self.stdout.write(f"stopped {len(pids)}" + (f" (pids {sorted(pids)})" if pids else ""))
            return
        if directory is None:
            raise CommandError("REDIS_URL is set: this deployable uses that Redis, not the embedded one.")
        if action == "start":
            self.stdout.write(embedded_redis.ensure_running(directory))
        elif action == "stop":
            stopped = embedded_redis.stop(directory)
            self.stdout.write("stopped" if stopped else "not running")
        elif action == "status":
            self.stdout.write("running" if embedded_redis.is_running(directory) else "not running")
        else:
            self.stdout.write(embedded_redis.url_for(directory))
