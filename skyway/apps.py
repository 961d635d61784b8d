"""App config of the infrastructure kit (it carries management commands and checks, no models)."""

import logging

from django.apps import AppConfig


class SkywayConfig(AppConfig):
    name = "skyway"
    verbose_name = "Skyway platform kit"

    def ready(self) -> None:
        # Registers the deploy checks and the login signal receivers (docs/adr/0065).
        from skyway import checks, login_throttle  # noqa: F401

        # Python's warnings become log records (logger py.warnings): one format on stderr (ADR 111).
        logging.captureWarnings(True)
