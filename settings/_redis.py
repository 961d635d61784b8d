"""The reservations context's django-redis connection, shared by the deployables that mount it."""

from skyway.embedded_redis import url_for
from skyway.env import env_float


def reservations_cache(redis_url: str | None, embedded_dir) -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": redis_url or url_for(embedded_dir),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": env_float("REDIS_CONNECT_TIMEOUT", 1.0),
            "SOCKET_TIMEOUT": env_float("REDIS_TIMEOUT", 1.0),
            "CONNECTION_POOL_KWARGS": {"max_connections": 64, "health_check_interval": 30},
        },
    }
