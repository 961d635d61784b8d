"""The django-redis connections the deployables share: reservations' store and the login throttle's counts."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from skyway.embedded_redis import url_for
from skyway.env import env_float, env_str
from skyway.redis_cluster import is_cluster_url

# The embedded server's db for login counts (reservations use db 0), so the two never mix.
LOGIN_EMBEDDED_DB = 1


def redis_cache(location: str, **extra) -> dict:
    """A django-redis cache on `location`: one server, or a cluster (redis+cluster://, docs/adr/0138)."""
    client_class = (
        "skyway.redis_cluster.ClusterClient"
        if is_cluster_url(location)
        else "django_redis.client.DefaultClient"
    )
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": location,
        "OPTIONS": {
            "CLIENT_CLASS": client_class,
            "SOCKET_CONNECT_TIMEOUT": env_float("REDIS_CONNECT_TIMEOUT", 1.0),
            "SOCKET_TIMEOUT": env_float("REDIS_TIMEOUT", 1.0),
            "CONNECTION_POOL_KWARGS": {"max_connections": 64, "health_check_interval": 30},
        },
        **extra,
    }


def reservations_cache(redis_url: str | None, embedded_dir) -> dict:
    return redis_cache(redis_url or url_for(embedded_dir))


def login_embedded_dir(var_dir: Path) -> Path | None:
    """Where the login counts' embedded server lives, or None when a Redis URL is configured."""
    return None if env_str("LOGIN_REDIS_URL") or env_str("REDIS_URL") else var_dir / "redis"


def login_cache(service_name: str, var_dir: Path) -> dict:
    """The shared cache of login throttle counts (docs/adr/0065), one key prefix per deployable.

    LOGIN_REDIS_URL, else REDIS_URL, else the embedded server's db 1: two workers on one machine
    share counts with no setup; pods share them once a Redis URL is set (check --deploy insists).
    """
    embedded = login_embedded_dir(var_dir)
    location = env_str("LOGIN_REDIS_URL") or env_str("REDIS_URL") or url_for(embedded, db=LOGIN_EMBEDDED_DB)
    return redis_cache(location, KEY_PREFIX=f"login:{service_name}")


def reservations_layout_validate(*, key_prefix: str, partitions: int) -> None:
    """The key layout's settings (docs/adr/0115): refused at start, with what to set instead.

    A brace in the prefix would make Redis Cluster hash every key by that one tag (one slot, one
    shard for the whole airline): the layout's own tags ``{r<n>.<k>}`` must be the first braces of a key.
    At most 1,024 partitions: each tag is searched for within its 1/P of the slots (16 slots wide at
    1,024), and no Redis Cluster has more shards than that to spread over.
    """
    if "{" in key_prefix or "}" in key_prefix:
        raise ImproperlyConfigured(
            f"REDIS_KEY_PREFIX={key_prefix!r} contains a brace: on a Redis Cluster it would pin every "
            "reservations key to one hash slot. Use a prefix without braces (e.g. 'skyway:'); the "
            "store puts each partition's keys under its own hash tag."
        )
    if not 1 <= partitions <= 1024:
        raise ImproperlyConfigured(
            f"RESERVATIONS_PARTITIONS={partitions} must be from 1 to 1024 (each partition takes its own "
            "1/P of the cluster's 16,384 hash slots)"
        )


def reservations_wait_validate(*, replicas: int, timeout_ms: int) -> None:
    """Replica acks (docs/adr/0139): WAIT must give up before the socket does, or every slow ack is a
    connection error instead of a clear 'not confirmed in time'."""
    if replicas < 0:
        raise ImproperlyConfigured("RESERVATIONS_WAIT_REPLICAS must be 0 (off) or more")
    socket_ms = env_float("REDIS_TIMEOUT", 1.0) * 1000
    if replicas and not 0 < timeout_ms < socket_ms:
        raise ImproperlyConfigured(
            f"RESERVATIONS_WAIT_TIMEOUT_MS={timeout_ms} must be above 0 and below REDIS_TIMEOUT "
            f"({socket_ms:.0f} ms): WAIT has to answer before the socket times out"
        )
