"""The cluster client's URL form and its selection by settings (no cluster needed: tests/cluster has those)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import ConnectionError as RedisConnectionError

from settings._redis import login_cache, reservations_cache
from skyway.redis_cluster import ClusterClient, cluster_from_url, is_cluster_url, parse_cluster_url
from tests.support.live import free_port


def test_a_cluster_url_lists_its_nodes():
    parsed = parse_cluster_url("redis+cluster://10.0.0.1:6379,10.0.0.2:6380/0")

    assert parsed.nodes == [("10.0.0.1", 6379), ("10.0.0.2", 6380)]
    assert parsed.tls is False
    assert parsed.password is None


def test_a_tls_cluster_url_carries_credentials_and_certificate_options():
    parsed = parse_cluster_url(
        "rediss+cluster://app:s%40cret@clustercfg.skyway.cache.amazonaws.com:6379?ssl_cert_reqs=none"
    )

    assert parsed.nodes == [("clustercfg.skyway.cache.amazonaws.com", 6379)]
    assert parsed.tls is True
    assert (parsed.username, parsed.password) == ("app", "s@cret")
    assert parsed.options == {"ssl_cert_reqs": "none"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redis+cluster://127.0.0.1:7000/3", "only database 0"),
        ("redis+cluster://127.0.0.1", "host:port"),
        ("redis+cluster://", "at least one node"),
        ("redis+cluster://127.0.0.1:7000?db=2", "unknown Redis Cluster URL parameter"),
        ("rediss+cluster://127.0.0.1:7000?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
        ("redis://127.0.0.1:7000", "starts with redis\\+cluster://"),
    ],
)
def test_a_malformed_cluster_url_is_refused_with_the_reason(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_cluster_url(url)


def test_only_the_cluster_schemes_select_the_cluster_client():
    assert is_cluster_url("redis+cluster://h:1")
    assert is_cluster_url("REDISS+CLUSTER://h:1")
    assert not is_cluster_url("redis://h:6379/0")
    assert not is_cluster_url("unix:///tmp/redis.sock?db=0")
    assert not is_cluster_url(None)


def test_both_redis_caches_use_the_cluster_client_when_the_url_says_cluster(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis+cluster://127.0.0.1:7000,127.0.0.1:7001")
    monkeypatch.delenv("LOGIN_REDIS_URL", raising=False)

    reservations = reservations_cache("redis+cluster://127.0.0.1:7000,127.0.0.1:7001", None)
    login = login_cache("gateway", tmp_path)

    for cache in (reservations, login):
        assert cache["OPTIONS"]["CLIENT_CLASS"] == "skyway.redis_cluster.ClusterClient"
        assert cache["LOCATION"] == "redis+cluster://127.0.0.1:7000,127.0.0.1:7001"
        assert (
            cache["OPTIONS"]["SOCKET_TIMEOUT"]
            == reservations_cache("redis://h:1/0", None)["OPTIONS"]["SOCKET_TIMEOUT"]
        )


def test_a_single_node_and_the_embedded_server_keep_the_default_client(tmp_path):
    for cache in (reservations_cache("redis://127.0.0.1:6379/9", None), reservations_cache(None, tmp_path)):
        assert cache["OPTIONS"]["CLIENT_CLASS"] == "django_redis.client.DefaultClient"


def test_the_cluster_client_keeps_the_whole_url_as_one_location():
    client = ClusterClient("redis+cluster://127.0.0.1:7000,127.0.0.1:7001", {"OPTIONS": {}}, backend=None)

    assert client._server == ["redis+cluster://127.0.0.1:7000,127.0.0.1:7001"]


def test_an_unreachable_cluster_is_a_connection_error_as_one_node_is():
    # RedisCluster says so with RedisClusterException, which is no RedisError: the store's 503 and the
    # login throttle's open brake catch RedisError only.
    with pytest.raises(RedisConnectionError):
        cluster_from_url(f"redis+cluster://127.0.0.1:{free_port()}", {"SOCKET_CONNECT_TIMEOUT": 0.5})


def test_replica_acks_need_a_wait_timeout_below_the_socket_timeout(monkeypatch):
    from settings._redis import reservations_wait_validate

    monkeypatch.setenv("REDIS_TIMEOUT", "1.0")
    reservations_wait_validate(replicas=1, timeout_ms=200)
    reservations_wait_validate(replicas=0, timeout_ms=5000)  # off: the timeout is not used
    with pytest.raises(ImproperlyConfigured, match="below REDIS_TIMEOUT"):
        reservations_wait_validate(replicas=1, timeout_ms=1000)
    with pytest.raises(ImproperlyConfigured, match="RESERVATIONS_WAIT_REPLICAS"):
        reservations_wait_validate(replicas=-1, timeout_ms=200)
