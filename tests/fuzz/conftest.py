"""The deployables the fuzzer talks to: flights, reservations and the gateway as live processes (skyway.serve), seeded.

One split deployment per session (tests/faults/deployment.py) on a private Redis; the gateway's
auth throttle is opened wide so the fuzzer measures the API, not the password brake (which
tests/security checks on its own).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from tests.faults.deployment import Split, private_env, seed, split_on
from tests.support.live import SERVICE_HEADERS
from tests.support.load import PrivateRedis


@pytest.fixture(scope="session")
def fuzz_split(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Split]:
    root = tmp_path_factory.mktemp("fuzz")
    seeded = seed(root / "seed", customers=1)
    split_on(seeded, root)
    redis_server = PrivateRedis(root / "redis", appendfsync="everysec").start()
    env = private_env(root / "var", REDIS_URL=redis_server.url, GATEWAY_AUTH_THROTTLE_RATE="100000/min")
    split = Split(
        root=root, redis=redis_server, env=env, flight_ids=seeded.flight_ids, customers=seeded.customers
    )
    try:
        split.flights = split.start("settings.flights")
        split.reservations = split.start("settings.reservations")
        split.start_gateway()
        yield split
    finally:
        for service in reversed(split.services):
            service.kill()
        redis_server.shutdown()


def _schema(url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(
        f"{url}/schema?format=json", wait_for_schema=10, headers=SERVICE_HEADERS
    )


@pytest.fixture(scope="session")
def flights_schema(fuzz_split: Split) -> schemathesis.BaseSchema:
    assert fuzz_split.flights is not None
    return _schema(fuzz_split.flights.url)


@pytest.fixture(scope="session")
def reservations_schema(fuzz_split: Split) -> schemathesis.BaseSchema:
    assert fuzz_split.reservations is not None
    return _schema(fuzz_split.reservations.url)


@pytest.fixture(scope="session")
def gateway_schema(fuzz_split: Split) -> schemathesis.BaseSchema:
    assert fuzz_split.gateway is not None
    return _schema(fuzz_split.gateway.url)


@pytest.fixture(scope="session")
def customer_headers(fuzz_split: Split) -> dict[str, str]:
    """A seeded customer's token: the gateway's customer endpoints are fuzzed authenticated."""
    return {"Authorization": f"Token {fuzz_split.customers[0].token}"}
