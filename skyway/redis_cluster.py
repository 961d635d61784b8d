"""Redis Cluster through django-redis: a client class building redis-py's ``RedisCluster`` (docs/adr/0138).

django-redis 7 has no cluster client: its ``DefaultClient`` reads a comma-separated LOCATION as a
primary and its read replicas, and its ``ConnectionFactory`` builds one ``ConnectionPool`` per URL,
which ``RedisCluster`` cannot use (it keeps a pool per node itself). This class keeps every cache
method of ``DefaultClient`` (they route by key through ``RedisCluster``) and replaces only how the
client is made and closed.

The URL names the cluster: ``redis+cluster://[user:password@]host:port[,host:port…]`` (any node;
the rest are discovered), ``rediss+cluster://…`` for TLS (ElastiCache in-transit encryption, MemoryDB).
Query parameters: ``ssl_cert_reqs`` (``required``, the default, or ``none``) and ``ssl_ca_certs``.
A cluster has one database, so a path other than ``/`` or ``/0`` is refused.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from django.core.exceptions import ImproperlyConfigured
from django_redis.client import DefaultClient
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import (
    ClusterDownError,
    RedisClusterException,
    RedisError,
    ResponseError,
    SlotNotCoveredError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme → TLS
_SSL_CERT_REQS = {"required", "none", "optional"}
# One RedisCluster per URL and options in a process, as django-redis keeps one pool per URL: Django
# builds a cache backend per thread, and each new RedisCluster would first map the slots again.
_clusters: dict[tuple, RedisCluster] = {}
_clusters_lock = threading.Lock()


def is_cluster_url(url: str | None) -> bool:
    return bool(url) and url.partition("://")[0].lower() in SCHEMES


@dataclass(frozen=True)
class ClusterURL:
    nodes: list[tuple[str, int]]
    tls: bool
    username: str | None = None
    password: str | None = None
    options: dict[str, str] = field(default_factory=dict)


def parse_cluster_url(url: str) -> ClusterURL:
    """``redis+cluster://[user:pw@]h1:p1,h2:p2[/0][?ssl_cert_reqs=none]`` → its parts; ImproperlyConfigured if malformed."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise ImproperlyConfigured(
            f"a Redis Cluster URL starts with redis+cluster:// or rediss+cluster://, not {url!r}"
        )
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    if path not in {"", "0"}:
        raise ImproperlyConfigured(f"a Redis Cluster has only database 0; the URL asks for /{path}")
    userinfo, _, hosts = netloc.rpartition("@")
    username, _, password = userinfo.partition(":") if userinfo else ("", "", "")
    nodes = []
    for address in filter(None, (part.strip() for part in hosts.split(","))):
        host, colon, port = address.rpartition(":")
        if not colon or not host or not port.isdigit():
            raise ImproperlyConfigured(f"each Redis Cluster node is host:port, not {address!r}")
        nodes.append((host.strip("[]"), int(port)))
    if not nodes:
        raise ImproperlyConfigured("a Redis Cluster URL names at least one node (host:port)")
    options = {key: values[-1] for key, values in parse_qs(query).items()}
    unknown = set(options) - {"ssl_cert_reqs", "ssl_ca_certs"}
    if unknown:
        raise ImproperlyConfigured(f"unknown Redis Cluster URL parameter(s): {', '.join(sorted(unknown))}")
    if options.get("ssl_cert_reqs", "required") not in _SSL_CERT_REQS:
        raise ImproperlyConfigured(f"ssl_cert_reqs is one of {sorted(_SSL_CERT_REQS)}")
    return ClusterURL(
        nodes=nodes,
        tls=SCHEMES[scheme.lower()],
        username=unquote(username) or None,
        password=unquote(password) or None,
        options=options,
    )


class SkywayRedisCluster(RedisCluster):
    """RedisCluster whose outages are RedisErrors, as one node's are.

    redis-py raises ``SlotNotCoveredError`` (a slot whose master died and whose replica is not promoted
    yet) and "cannot be connected" as ``RedisClusterException``, which is not a ``RedisError``: code
    that turns Redis errors into a 503 (the store) or opens a brake (the login throttle) would let them
    through as 500s. They become ``ClusterDownError`` / ``ConnectionError``. Any other one (a CROSSSLOT
    command) stays a ``RedisClusterException``: that is a bug in the key layout, not an outage.
    """

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().execute_command(*args, **kwargs)
        except SlotNotCoveredError as exc:
            raise ClusterDownError(f"no master serves the slot now: {exc}") from exc
        except RedisClusterException as exc:
            raise _outage(exc) from exc


def _outage(exc: RedisClusterException) -> Exception:
    """No node answered the slot map's refresh (the cause is a connection error or timeout): an outage."""
    if isinstance(exc.__cause__, RedisError | OSError):
        return RedisConnectionError(str(exc))
    return exc


def cluster_from_url(url: str, options: dict[str, Any] | None = None) -> RedisCluster:
    """A ``RedisCluster`` for ``url`` with django-redis' socket OPTIONS (the same timeouts as one node)."""
    options = options or {}
    parsed = parse_cluster_url(url)
    pool = options.get("CONNECTION_POOL_KWARGS", {})
    kwargs: dict[str, Any] = {
        "startup_nodes": [ClusterNode(host, port) for host, port in parsed.nodes],
        "socket_timeout": options.get("SOCKET_TIMEOUT"),
        "socket_connect_timeout": options.get("SOCKET_CONNECT_TIMEOUT"),
        "require_full_coverage": True,
    }
    if "max_connections" in pool:
        kwargs["max_connections"] = pool["max_connections"]  # per node: RedisCluster pools per node
    if "health_check_interval" in pool:
        kwargs["health_check_interval"] = pool["health_check_interval"]
    if parsed.username or options.get("USERNAME"):
        kwargs["username"] = parsed.username or options.get("USERNAME")
    if parsed.password or options.get("PASSWORD"):
        kwargs["password"] = parsed.password or options.get("PASSWORD")
    if parsed.tls:
        kwargs["ssl"] = True
        kwargs["ssl_cert_reqs"] = parsed.options.get("ssl_cert_reqs", "required")
        if "ssl_ca_certs" in parsed.options:
            kwargs["ssl_ca_certs"] = parsed.options["ssl_ca_certs"]
    try:
        return SkywayRedisCluster(**kwargs)
    except RedisClusterException as exc:  # no startup node answered
        raise _outage(exc) from exc


class ClusterClient(DefaultClient):
    """django-redis' DefaultClient on one ``RedisCluster``: LOCATION is the whole cluster URL."""

    def __init__(self, server: str | list[str], params: dict[str, Any], backend: Any) -> None:
        super().__init__(server, params, backend)
        # DefaultClient split LOCATION at commas into primary + replicas; here the commas list nodes.
        self._server = [",".join(self._server)]
        self._clients = [None]
        parse_cluster_url(self._server[0])  # a malformed URL fails at the first cache access, clearly

    def connect(self, index: int = 0) -> RedisCluster:
        key = (self._server[0], repr(sorted(self._options.items())))
        with _clusters_lock:
            if key not in _clusters:
                _clusters[key] = cluster_from_url(self._server[0], self._options)
            return _clusters[key]

    def disconnect(self, index: int = 0, client: RedisCluster | None = None) -> None:
        """Drop the nodes' connections (they reconnect on next use), as DefaultClient drops its pool's."""
        client = client if client is not None else self._clients[index]
        if client is not None:
            client.disconnect_connection_pools()


def connection_for_key(client: Any, key: str) -> Any:
    """The single-node ``redis.Redis`` that serves ``key``: the client itself on one node, the key's
    master on a cluster. Commands that must share one connection (a write and the ``WAIT`` after it)
    go through its pipeline, which holds one connection for all of them."""
    if not isinstance(client, RedisCluster):
        return client
    try:
        node = client.get_node_from_key(key)
    except SlotNotCoveredError as exc:
        raise ClusterDownError(f"no master serves the slot now: {exc}") from exc
    if node.redis_connection is None:  # a node the slot map names but no command has used yet
        client.nodes_manager.create_redis_connections([node])
    return node.redis_connection


def topology_refresh(client: Any) -> None:
    """Map the slots again after a MOVED or a dead master (no-op on one node); an outage stays silent."""
    if isinstance(client, RedisCluster):
        with contextlib.suppress(RedisClusterException, RedisError, OSError):  # the next command reports it
            client.nodes_manager.initialize()


@contextlib.contextmanager
def one_connection(client: Any) -> Iterator[Callable[..., list]]:
    """``send(*commands)`` down ONE connection of a single-node client, pipelined, for as long as the
    block runs: its replies in order, an error reply as its exception object (every reply is read, so
    the connection stays in step). ``WAIT`` needs this: it counts the replicas that have the writes of
    its own connection, and a pipeline gives its connection back after each ``execute``."""
    pool = client.connection_pool
    connection = pool.get_connection()

    def send(*commands: tuple) -> list:
        connection.send_packed_command(connection.pack_commands(commands))
        replies: list = []
        for _ in commands:
            try:
                replies.append(connection.read_response())
            except ResponseError as exc:
                replies.append(exc)
        return replies

    try:
        yield send
    except BaseException:
        connection.disconnect()  # a reply may be left unread
        raise
    finally:
        pool.release(connection)
