"""The flights deployable: flights, schedules and seat maps in its own SQL database."""

from .base import *  # noqa: F403
from .base import ADMIN_APPS, CACHES, KIT_APPS, MIDDLEWARE_HEAD, MIDDLEWARE_SESSION, MIDDLEWARE_TAIL, VAR_DIR
from ._redis import login_cache, login_embedded_dir
from skyway.env import database_from_env

SERVICE_NAME = "flights"
INSTALLED_APPS = [*ADMIN_APPS, *KIT_APPS, "flights"]
MIDDLEWARE = [*MIDDLEWARE_HEAD, *MIDDLEWARE_SESSION, *MIDDLEWARE_TAIL]
ROOT_URLCONF = "settings.urls.flights"
# Alone, flights owns the default database (its admin's users live beside its tables).
DATABASES = {"default": database_from_env("FLIGHTS_DATABASE_URL", VAR_DIR / "flights.sqlite3")}
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Skyway flights"}
# Its admin's login is throttled like the gateway's, with counts in the shared cache (docs/adr/0065).
CACHES = {**CACHES, "login": login_cache(SERVICE_NAME, VAR_DIR)}
LOGIN_EMBEDDED_REDIS_DIR = login_embedded_dir(VAR_DIR)
# Internal: the gateway and the kubelet reach it over plain HTTP inside the cluster, so it never
# redirects to HTTPS and the one check about that is silenced (docs/adr/0066).
SILENCED_SYSTEM_CHECKS = ["security.W008"]
