"""The flights deployable: flights, schedules and seat maps in its own SQL database."""

from .base import *  # noqa: F403
from .base import ADMIN_APPS, KIT_APPS, MIDDLEWARE_HEAD, MIDDLEWARE_SESSION, MIDDLEWARE_TAIL, VAR_DIR
from skyway.env import database_from_env

SERVICE_NAME = "flights"
INSTALLED_APPS = [*ADMIN_APPS, *KIT_APPS, "flights"]
MIDDLEWARE = [*MIDDLEWARE_HEAD, *MIDDLEWARE_SESSION, *MIDDLEWARE_TAIL]
ROOT_URLCONF = "settings.urls.flights"
# Alone, flights owns the default database (its admin's users live beside its tables).
DATABASES = {"default": database_from_env("FLIGHTS_DATABASE_URL", VAR_DIR / "flights.sqlite3")}
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Skyway flights"}
