"""App config of the infrastructure kit (it carries management commands and checks, no models)."""

import logging

from django.apps import AppConfig
from django.conf import settings


class SkywayConfig(AppConfig):
    name = "skyway"
    verbose_name = "Skyway platform kit"

    def ready(self) -> None:
        # Registers the deploy checks and the login signal receivers (docs/adr/0065).
        from skyway import checks, login_throttle  # noqa: F401
        from skyway.request_signals import drop_idle_receivers

        # No per-request receiver whose work is empty here: no SQL database, no cache that closes (ADR 160).
        drop_idle_receivers(
            databases=settings.DATABASES,
            caches=settings.CACHES,
            redis_close_default=getattr(settings, "DJANGO_REDIS_CLOSE_CONNECTION", False),
        )

        # Python's warnings become log records (logger py.warnings): one format on stderr (ADR 111).
        logging.captureWarnings(True)
