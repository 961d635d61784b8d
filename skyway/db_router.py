"""One router for every deployable: each app label lives in exactly one database alias.

settings.DATABASE_APPS_MAPPING maps a context's app label to its alias (``{"flights": "flights"}``);
every app not named there (Django's own, the gateway's) lives in ``default``. Migrations of a context
run only in its home alias and relations never cross aliases, so contexts that share one process
(settings.platform) still never share tables.

Django's own tables (``settings.DATABASE_INFRASTRUCTURE_APPS``: contenttypes, auth, admin, sessions)
are the exception (ADR 100): they are created in *every* alias, because every database file is also
the whole database of the deployable that owns it alone — the flights deployable keeps its admin's
users beside its flights. Reads and writes of those apps still go to ``default``.
"""

from __future__ import annotations

from django.conf import settings


def database_for_app(app_label: str) -> str:
    return getattr(settings, "DATABASE_APPS_MAPPING", {}).get(app_label, "default")


class ContextRouter:
    def db_for_read(self, model, **hints) -> str:
        return database_for_app(model._meta.app_label)

    def db_for_write(self, model, **hints) -> str:
        return database_for_app(model._meta.app_label)

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return database_for_app(obj1._meta.app_label) == database_for_app(obj2._meta.app_label)

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        if app_label in getattr(settings, "DATABASE_INFRASTRUCTURE_APPS", ()):
            return True
        return db == database_for_app(app_label)
