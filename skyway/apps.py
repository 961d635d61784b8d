"""App config of the infrastructure kit (it carries management commands, no models)."""

from django.apps import AppConfig


class SkywayConfig(AppConfig):
    name = "skyway"
    verbose_name = "Skyway platform kit"
