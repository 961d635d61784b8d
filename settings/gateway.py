"""The gateway deployable: the public API (customers, tokens, idempotency keys) over HTTP upstreams."""

from .base import *  # noqa: F403
from .base import (
    ADMIN_APPS,
    CACHES,
    KIT_APPS,
    MIDDLEWARE_HEAD,
    MIDDLEWARE_SESSION,
    MIDDLEWARE_TAIL,
    SECURE_TRANSPORT,
    VAR_DIR,
)
from ._gateway import *  # noqa: F403
from ._redis import login_cache, login_embedded_dir
from skyway.env import database_from_env

SERVICE_NAME = "gateway"
# The public API is open to customers (their own auth); only /metrics needs the service credential.
SERVICE_AUTH_REQUIRED_FOR = ["django_prometheus"]
INSTALLED_APPS = [*ADMIN_APPS, *KIT_APPS, "rest_framework.authtoken", "gateway"]
MIDDLEWARE = [*MIDDLEWARE_HEAD, *MIDDLEWARE_SESSION, *MIDDLEWARE_TAIL]
ROOT_URLCONF = "settings.urls.gateway"
DATABASES = {"default": database_from_env("GATEWAY_DATABASE_URL", VAR_DIR / "gateway.sqlite3")}
HEALTH_CHECKS = ["skyway.health.database_checks", "gateway.health.upstream_checks"]
CACHES = {**CACHES, "login": login_cache(SERVICE_NAME, VAR_DIR)}
LOGIN_EMBEDDED_REDIS_DIR = login_embedded_dir(VAR_DIR)
SECURE_SSL_REDIRECT = SECURE_TRANSPORT  # the public surface: plain HTTP is redirected (docs/adr/0066)
SPECTACULAR_SETTINGS = {**SPECTACULAR_SETTINGS, "TITLE": "Skyway gateway (airline app API)"}
