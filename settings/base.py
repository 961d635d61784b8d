"""Settings every deployable shares. Each deployable module imports this and adds its own apps,
URLs and databases. Everything that differs between environments is an environment variable."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from settings._redis import reservations_layout_validate, reservations_wait_validate
from skyway.env import env_bool, env_float, env_int, env_list, env_str
from skyway.faults import fault_settings_validate
from skyway.logs import log_format_from_env
from skyway.service_auth import service_tokens_validate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SKYWAY_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)
# Production secrets have no default: outside DEBUG a missing SECRET_KEY stops the process.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. For development set DEBUG=1 instead, as `make run` "
            "does (e.g. `DEBUG=1 python manage.py createsuperuser`)."
        )
    SECRET_KEY = "django-insecure-skyway-dev-only"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
RELEASE_ID = env_str("RELEASE_ID", "dev")
SERVICE_NAME = "skyway"  # each deployable names itself

# Apps every deployable installs; deployables add their contexts (and Django's admin where used).
KIT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "skyway",
]
ADMIN_APPS = [
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
]

# Fault injection for rehearsing rollouts of a "bad build" (docs/adr/0043): off unless set, refused in
# production. SKYWAY_ENV defaults to production whenever DEBUG is off, so faults need an explicit opt-in.
SKYWAY_ENV = env_str("SKYWAY_ENV", "development" if DEBUG else "production")
# Debug pages never in production (docs/adr/0066); in development only to loopback (docs/adr/0054).
if DEBUG and SKYWAY_ENV == "production":
    raise ImproperlyConfigured("DEBUG is refused when SKYWAY_ENV=production: debug pages leak settings.")
FAULT_ERROR_RATE = env_float("FAULT_ERROR_RATE", 0.0)
FAULT_LATENCY_MS = env_int("FAULT_LATENCY_MS", 0)
FAULT_WRONG_TAKEN_RATE = env_float("FAULT_WRONG_TAKEN_RATE", 0.0)  # reservations: reserves refused as taken
fault_settings_validate(
    environment=SKYWAY_ENV,
    error_rate=FAULT_ERROR_RATE,
    latency_ms=FAULT_LATENCY_MS,
    wrong_taken_rate=FAULT_WRONG_TAKEN_RATE,
)

# The internal services' credential (skyway.service_auth, docs/adr/0053): every token listed is accepted
# (a rotation lists new,old), the first is the one this process sends. Required outside DEBUG.
SERVICE_TOKENS = env_list("SERVICE_TOKENS", [])
service_tokens_validate(tokens=SERVICE_TOKENS, debug=DEBUG, legacy_token=env_str("SERVICE_TOKEN"))
# Which requests need it: "everything" but /ping and /health (internal deployables), or the views of
# these packages (the gateway and the platform set their own lists).
SERVICE_AUTH_REQUIRED_FOR: str | list[str] = "everything"
# Every request's time budget in seconds (0 = none); the rest of it travels upstream in a header and
# bounds every upstream call, retries included (docs/adr/0080).
REQUEST_BUDGET_SECONDS = env_float("REQUEST_BUDGET_SECONDS", 3.0)

MIDDLEWARE_HEAD = [
    "skyway.logs.AccessLogMiddleware",
    "skyway.debug_guard.LoopbackOnlyInDebugMiddleware",
    "skyway.request_id.RequestIdMiddleware",
    "skyway.deadline.DeadlineMiddleware",
    "skyway.service_auth.ServiceTokenMiddleware",
    "skyway.faults.FaultInjectionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
]
MIDDLEWARE_SESSION = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# Innermost: django-prometheus's request metric names, only the series something reads (docs/adr/0150).
MIDDLEWARE_TAIL = ["skyway.http_metrics.HttpMetricsMiddleware"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

WSGI_APPLICATION = "settings.wsgi.application"
DATABASE_ROUTERS = ["skyway.db_router.ContextRouter"]
DATABASE_APPS_MAPPING: dict[str, str] = {}
# Django's own tables exist in every alias: each database file is whole for the deployable owning it (ADR 100).
DATABASE_INFRASTRUCTURE_APPS = ("contenttypes", "auth", "admin", "sessions")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
HEALTH_CHECKS = ["skyway.health.database_checks"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic in dev and tests

# Request bodies above this are refused (413) before any view sees them; more fields or files than
# Django's defaults (1,000 fields per query string or form, 100 files) get 400 (docs/adr/0070).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 64 * 1024)

# Redis (the reservations context's store). Unset REDIS_URL → the embedded server under var/.
REDIS_URL = env_str("REDIS_URL")
EMBEDDED_REDIS_DIR = None if REDIS_URL else VAR_DIR / "redis"
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "")
# The reservations key layout (docs/adr/0115): flights hash to this many partitions, each under its own
# hash tag. Fixed for the life of the data (the store refuses a count that differs from the stored one).
RESERVATIONS_PARTITIONS = env_int("RESERVATIONS_PARTITIONS", 128)
reservations_layout_validate(key_prefix=REDIS_KEY_PREFIX or "", partitions=RESERVATIONS_PARTITIONS)
# The customer index projector (reservations.projector): entries another consumer read and left
# unacknowledged this long are reclaimed; released seats' tombstones are kept this long by a rebuild.
RESERVATIONS_PROJECTOR_CLAIM_IDLE_SECONDS = env_float("RESERVATIONS_PROJECTOR_CLAIM_IDLE_SECONDS", 60.0)
RESERVATIONS_PROJECTOR_BATCH = env_int("RESERVATIONS_PROJECTOR_BATCH", 500)
RESERVATIONS_TOMBSTONE_SECONDS = env_int("RESERVATIONS_TOMBSTONE_SECONDS", 7 * 24 * 3600)
# Seats one customer may hold on one flight (the usual party limit; 0 = no cap). Enforced atomically
# by the reservations store's reserve script. See docs/adr/0075.
MAX_SEATS_PER_CUSTOMER_PER_FLIGHT = env_int("MAX_SEATS_PER_CUSTOMER_PER_FLIGHT", 9)
if MAX_SEATS_PER_CUSTOMER_PER_FLIGHT < 0:
    raise ImproperlyConfigured("MAX_SEATS_PER_CUSTOMER_PER_FLIGHT must be 0 (no cap) or more")
# Temporal queries (docs/adr/0120, 0121): a snapshot of a partition every this many of its events, and
# how many snapshots per partition retention keeps (0: all, the stream is never trimmed; N > 0: the
# stream is trimmed up to the oldest kept one, and earlier instants answer 410 Gone).
RESERVATIONS_SNAPSHOT_EVERY = env_int("RESERVATIONS_SNAPSHOT_EVERY", 1000)
if RESERVATIONS_SNAPSHOT_EVERY < 1:
    raise ImproperlyConfigured("RESERVATIONS_SNAPSHOT_EVERY must be 1 or more (events between snapshots)")
RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS = env_int("RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS", 0)
if RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS < 0:
    raise ImproperlyConfigured(
        "RESERVATIONS_EVENTS_RETENTION_SNAPSHOTS must be 0 (keep every event) or the snapshots to keep"
    )
# Durable acknowledgements (docs/adr/0139): a seat change is acknowledged only once this many replicas
# confirm it (Redis WAIT on the write's own connection), else 503 and not acknowledged; 0 = off.
RESERVATIONS_WAIT_REPLICAS = env_int("RESERVATIONS_WAIT_REPLICAS", 0)
RESERVATIONS_WAIT_TIMEOUT_MS = env_int("RESERVATIONS_WAIT_TIMEOUT_MS", 200)
reservations_wait_validate(replicas=RESERVATIONS_WAIT_REPLICAS, timeout_ms=RESERVATIONS_WAIT_TIMEOUT_MS)
# Seat holds (docs/adr/0142): how long a hold keeps its seats, how many seats one hold may take, and how
# long an ended hold stays readable by its id. Expiry is decided by the Redis clock inside each script.
RESERVATIONS_HOLD_SECONDS = env_int("RESERVATIONS_HOLD_SECONDS", 600)
RESERVATIONS_MAX_HOLD_SEATS = env_int("RESERVATIONS_MAX_HOLD_SEATS", 9)
RESERVATIONS_HOLD_RETAIN_SECONDS = env_int("RESERVATIONS_HOLD_RETAIN_SECONDS", 24 * 3600)
if RESERVATIONS_HOLD_SECONDS < 1 or RESERVATIONS_MAX_HOLD_SEATS < 1 or RESERVATIONS_HOLD_RETAIN_SECONDS < 0:
    raise ImproperlyConfigured(
        "RESERVATIONS_HOLD_SECONDS and RESERVATIONS_MAX_HOLD_SEATS must be 1 or more, "
        "RESERVATIONS_HOLD_RETAIN_SECONDS 0 or more"
    )
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Keep pooled Redis connections across requests (also spares django-redis a settings lookup per request).
DJANGO_REDIS_CLOSE_CONNECTION = False

# Login protection (docs/adr/0065): counts in the shared "login" cache (settings/_redis.py), the client
# address from X-Forwarded-For only through this many trusted proxies (0: REMOTE_ADDR, header ignored).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
GATEWAY_AUTH_THROTTLE_RATE = env_str("GATEWAY_AUTH_THROTTLE_RATE", "10/min")  # attempts per address
LOGIN_ACCOUNT_FAILURES = env_int("LOGIN_ACCOUNT_FAILURES", 5)  # failures before an account is locked
LOGIN_ACCOUNT_LOCK_SECONDS = env_int("LOGIN_ACCOUNT_LOCK_SECONDS", 60)  # first lock; doubles per failure
LOGIN_ACCOUNT_MAX_LOCK_SECONDS = env_int("LOGIN_ACCOUNT_MAX_LOCK_SECONDS", 900)
LOGIN_EMBEDDED_REDIS_DIR = None  # deployables with a login set it when no Redis URL is configured

REST_FRAMEWORK = {
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # DRF's own throttles agree with skyway.login_throttle
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": None,
    # One handler, two envelopes by door: RFC 7807 under /api/, the book's elsewhere (docs/adr/0071).
    "EXCEPTION_HANDLER": "skyway.errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Skyway",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Both contexts' "status" choices side by side in the platform deployable's schema: named, not hashed.
    "ENUM_NAME_OVERRIDES": {
        "HoldStatusEnum": ["held", "confirmed", "released", "expired"],
        "SeatStatusEnum": ["free", "taken", "yours", "held", "unknown"],
    },
    # Both pages work offline (docs/adr/0112): scripts from drf-spectacular-sidecar, no call to
    # validator.swagger.io, Redoc in system fonts (skyway/templates/skyway/redoc.html drops Google Fonts).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "displayRequestDuration": True},
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "headings": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
                "code": {"fontFamily": "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"},
            }
        }
    },
}

# One logging setup (docs/adr/0111): every record, Django's included, leaves through one handler and one
# formatter (skyway.logs): a colored line in development, JSON in production. One access line per request
# comes from skyway.logs.AccessLogMiddleware, so the server's own access log stays off, django.server
# (runserver's) is muted and django.request keeps only tracebacks: a 4xx is logged once.
LOG_FORMAT = log_format_from_env()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "skyway.request_id.RequestIdLogFilter"},
        "request_guard": {"()": "skyway.errors.RequestGuardLogFilter"},
        "traceback_only": {"()": "skyway.logs.TracebackOnlyFilter"},
    },
    "formatters": {"structured": {"()": "skyway.logs.formatter", "renderer": LOG_FORMAT}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "structured", "filters": ["request_id"]},
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's default "django" handler (plain text, DEBUG only): Django's records reach
        # the root handler once instead of twice in two formats.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["traceback_only"]},
        "django.server": {"handlers": ["null"], "propagate": False},
        # A tripped request-size guard is the client's doing: one WARNING line, no traceback (ADR 0070).
        **{
            f"django.security.{guard}": {"filters": ["request_guard"]}
            for guard in ("TooManyFieldsSent", "TooManyFilesSent", "RequestDataTooBig")
        },
    },
}

# Transport security (docs/adr/0066). HSTS is only ever sent over HTTPS, so it is on whenever DEBUG is
# off; SECURE_TRANSPORT (cookies Secure, plain HTTP redirected on public deployables) is on too unless a
# loopback run over plain HTTP (tests, benches) turns it off.
SECURE_TRANSPORT = env_bool("SECURE_TRANSPORT", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_TRANSPORT
CSRF_COOKIE_SECURE = SECURE_TRANSPORT
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# Only a trusted proxy's X-Forwarded-Proto says a request arrived over TLS; without one it is ignored.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT > 0 else None
# Internal deployables never redirect (the gateway calls them over the cluster network); the public ones
# (settings.gateway, settings.platform) set SECURE_SSL_REDIRECT = SECURE_TRANSPORT. Probes and scrapes
# speak plain HTTP to the pod, so they are exempt.
SECURE_SSL_REDIRECT = False
SECURE_REDIRECT_EXEMPT = [r"^ping$", r"^health$", r"^metrics$"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False  # the seat-chart page reads it to send X-CSRFToken
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
