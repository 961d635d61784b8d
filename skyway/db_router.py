"""One router for every deployable: each app label lives in exactly one database alias.

settings.DATABASE_APPS_MAPPING maps a context's app label to its alias (``{"flights": "flights"}``);
every app not named there (Django's own, the gateway's) lives in ``default``. Migrations run only
in an app's home alias and relations never cross aliases, so contexts that share one process
(settings.platform) still never share tables.
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
        return db == database_for_app(app_label)
