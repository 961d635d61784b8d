"""All contexts in one process (the modular monolith `manage.py runserver` starts by default).

Each context still keeps its own store: flights → DATABASES["flights"], reservations → Redis,
the gateway (and Django's auth/admin) → DATABASES["default"]. The router keeps them apart.
"""

from .base import *  # noqa: F403
from .base import (
    ADMIN_APPS,
    CACHES,
    EMBEDDED_REDIS_DIR,
    KIT_APPS,
    MIDDLEWARE_HEAD,
    MIDDLEWARE_SESSION,
    MIDDLEWARE_TAIL,
    REDIS_URL,
    SECURE_TRANSPORT,
    VAR_DIR,
)
from ._gateway import *  # noqa: F403
from ._redis import login_cache, login_embedded_dir, reservations_cache
from skyway.env import database_from_env

SERVICE_NAME = "platform"
# The contexts' internal APIs and /metrics need the service credential; the customer API does not.
SERVICE_AUTH_REQUIRED_FOR = ["flights", "reservations", "django_prometheus"]
INSTALLED_APPS = [*ADMIN_APPS, *KIT_APPS, "rest_framework.authtoken", "flights", "reservations", "gateway"]
MIDDLEWARE = [*MIDDLEWARE_HEAD, *MIDDLEWARE_SESSION, *MIDDLEWARE_TAIL]
ROOT_URLCONF = "settings.urls.platform"
DATABASES = {
    "default": database_from_env("GATEWAY_DATABASE_URL", VAR_DIR / "gateway.sqlite3"),
    "flights": database_from_env("FLIGHTS_DATABASE_URL", VAR_DIR / "flights.sqlite3"),
}
DATABASE_APPS_MAPPING = {"flights": "flights"}
CACHES = {
    **CACHES,
    "reservations": reservations_cache(REDIS_URL, EMBEDDED_REDIS_DIR),
    "login": login_cache(SERVICE_NAME, VAR_DIR),
}
LOGIN_EMBEDDED_REDIS_DIR = login_embedded_dir(VAR_DIR)
SECURE_SSL_REDIRECT = SECURE_TRANSPORT  # served publicly like the gateway (docs/adr/0066)
HEALTH_CHECKS = [
    "skyway.health.database_checks",
    "reservations.health.redis_checks",
    "gateway.health.upstream_checks",
]
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Skyway platform (all contexts)"}
