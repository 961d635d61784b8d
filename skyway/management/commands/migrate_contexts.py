"""Migrate every SQL database of this deployable, each holding only its own contexts' tables."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections


class Command(BaseCommand):
    help = "Run migrate once per database alias (the router keeps each app in its own alias)."

    def handle(self, *args, **options):
        for alias in connections:
            if connections[alias].settings_dict.get("ENGINE") == "django.db.backends.dummy":
                continue
            self.stdout.write(f"migrating database '{alias}'")
            call_command("migrate", database=alias, interactive=False, verbosity=options["verbosity"])
