"""Migrate every SQL database of this deployable, each with only the apps the router keeps there.

A checkout migrated before ADR 100 has a flights database that *records* Django's own apps as applied
(plain ``migrate --database`` records every app) without their tables, and the flights deployable
started alone on that file (``make run-split`` after ``make run``) crashed on ``django_content_type``.
Before migrating, an app the router now keeps in an alias whose migrations are recorded there while
none of its tables exists is forgotten, so ``migrate`` creates it: the checkout heals itself.
"""

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections, router
from django.db.migrations.recorder import MigrationRecorder


def phantom_apps_forget(alias: str) -> list[str]:
    """Drop the migration records of apps homed in ``alias`` that have none of their tables there."""
    connection = connections[alias]
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    tables = set(connection.introspection.table_names())
    recorded = set(recorder.migration_qs.values_list("app", flat=True))
    phantoms = []
    for config in apps.get_app_configs():
        if config.label not in recorded or not router.allow_migrate(alias, config.label):
            continue
        own_tables = {model._meta.db_table for model in config.get_models() if model._meta.managed}
        if own_tables and not own_tables & tables:
            phantoms.append(config.label)
    if phantoms:
        # Records of apps that never live here go too: some depend on a phantom (authtoken on auth), and
        # migrate refuses a history where a dependant is applied before its dependency.
        foreign = [label for label in recorded if not router.allow_migrate(alias, label)]
        recorder.migration_qs.filter(app__in=[*phantoms, *foreign]).delete()
    return phantoms


class Command(BaseCommand):
    help = "Run migrate once per database alias (the router keeps each context in its own alias)."

    def handle(self, *args, **options):
        for alias in connections:
            if connections[alias].settings_dict.get("ENGINE") == "django.db.backends.dummy":
                continue
            phantoms = phantom_apps_forget(alias)
            healed = f" (recreating {', '.join(phantoms)}: recorded without tables)" if phantoms else ""
            self.stdout.write(f"migrating database '{alias}'{healed}")
            call_command("migrate", database=alias, interactive=False, verbosity=options["verbosity"])
