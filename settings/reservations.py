"""The reservations deployable: seat reservations in Redis, no SQL database at all."""

from .base import *  # noqa: F403
from .base import EMBEDDED_REDIS_DIR, KIT_APPS, MIDDLEWARE_HEAD, MIDDLEWARE_TAIL, REDIS_URL
from ._redis import reservations_cache

SERVICE_NAME = "reservations"
INSTALLED_APPS = [*KIT_APPS, "reservations"]
MIDDLEWARE = [
    *MIDDLEWARE_HEAD,
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",  # its Swagger UI is HTML
    *MIDDLEWARE_TAIL,
]
ROOT_URLCONF = "settings.urls.reservations"
DATABASES: dict = {}  # Django's dummy backend: nothing here may touch SQL
CACHES = {**CACHES, "reservations": reservations_cache(REDIS_URL, EMBEDDED_REDIS_DIR)}
HEALTH_CHECKS = ["reservations.health.redis_checks"]
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Skyway reservations"}
# Internal and cookie-less (docs/adr/0066): plain HTTP inside the cluster (no HTTPS redirect, W008), and
# no session or cookie for CSRF to protect (no CsrfViewMiddleware, W003).
SILENCED_SYSTEM_CHECKS = ["security.W003", "security.W008"]
