"""Hand-picked hostile input on every deployable through the launcher: a 4xx with a JSON message, never a 5xx.

Complements the schema-driven fuzzer with what it does not generate: bytes that are not UTF-8, NUL
bytes, absurd nesting, non-ASCII digits, wrong media types, huge numbers, odd request ids.
"""

from __future__ import annotations

import httpx
import pytest

from tests.faults.deployment import Split
from tests.support.live import SERVICE_HEADERS

pytestmark = pytest.mark.e2e

JSON = "application/json"
DEEP_SMALL = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
RESERVE_BODIES = [
    b"\xff\xfe\x00",
    b"{",
    b"[]",
    b"null",
    b'"text"',
    b'{"flight_id": null, "customer_id": null, "seat_num": null}',
    b'{"flight_id": ["F1"], "customer_id": {"$ne": 1}, "seat_num": 12}',
    b'{"flight_id": "F1", "customer_id": "c1", "seat_num": "\\u0661\\u0662C"}',  # Arabic-Indic digits
    b'{"flight_id": "F1", "customer_id": "c1", "seat_num": "12C\\u0000"}',
    b'{"flight_id": "F\\u00e9", "customer_id": "c1", "seat_num": "12C"}',
    b'{"flight_id": "F1", "customer_id": "c1", "seat_num": 1e999}',
    b'{"flight_id": "F1", "customer_id": "c1", "seat_num": NaN}',
    b'{"flight_id": "F1", "customer_id": "c1", "seat_num": "99999999999999999999C"}',
    DEEP_SMALL,
]


def assert_clear(response: httpx.Response) -> None:
    """A 4xx with a JSON body that carries a message (or a 2xx)."""
    assert response.status_code < 500, (response.request.method, response.request.url, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert body.get("description") or body.get("detail"), response.text[:500]


def reserve_on_reservations(urls: dict[str, str], body: bytes, content_type: str = JSON) -> httpx.Response:
    """The book's PUT /reservations with `body`, as a service sends it (service credentials)."""
    headers = {"Content-Type": content_type, **SERVICE_HEADERS}
    return httpx.put(f"{urls['reservations']}/reservations", content=body, headers=headers, timeout=15)


def reserve_on_the_gateway(
    urls: dict[str, str], auth: dict[str, str], flight: str, body: bytes, content_type: str = JSON
) -> httpx.Response:
    """The gateway's reserve of a seat on `flight` with `body`, as a signed-in customer sends it."""
    return httpx.post(
        f"{urls['gateway']}/api/flights/{flight}/reservations",
        content=body,
        headers={"Content-Type": content_type, **auth},
        timeout=15,
    )


@pytest.fixture(scope="module")
def urls(fuzz_split: Split) -> dict[str, str]:
    assert fuzz_split.flights is not None
    assert fuzz_split.reservations is not None
    assert fuzz_split.gateway is not None
    return {
        "flights": fuzz_split.flights.url,
        "reservations": fuzz_split.reservations.url,
        "gateway": fuzz_split.gateway.url,
    }


@pytest.fixture(scope="module")
def auth(fuzz_split: Split) -> dict[str, str]:
    return {"Authorization": f"Token {fuzz_split.customers[0].token}"}


@pytest.mark.parametrize("body", RESERVE_BODIES, ids=range(len(RESERVE_BODIES)))
def test_hostile_reserve_bodies_on_reservations(urls, body: bytes) -> None:
    assert_clear(reserve_on_reservations(urls, body))


@pytest.mark.parametrize("body", RESERVE_BODIES, ids=range(len(RESERVE_BODIES)))
def test_hostile_reserve_bodies_on_the_gateway(urls, auth, fuzz_split: Split, body: bytes) -> None:
    assert_clear(reserve_on_the_gateway(urls, auth, fuzz_split.flight_ids[0], body))


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"flight_id=F1"),
        ("application/x-www-form-urlencoded", b"flight_id=F1&customer_id=c1&seat_num=1A"),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n",
        ),
        ("application/json; charset=latin-1", b'{"flight_id": "F\xe9"}'),
    ],
)
def test_wrong_media_types(urls, auth, fuzz_split: Split, content_type: str, body: bytes) -> None:
    assert_clear(reserve_on_reservations(urls, body, content_type))
    assert_clear(reserve_on_the_gateway(urls, auth, fuzz_split.flight_ids[0], body, content_type))
    headers = {"Content-Type": content_type}
    assert_clear(httpx.post(f"{urls['gateway']}/api/auth/token", content=body, headers=headers, timeout=15))


HOSTILE_READS = [
    ("flights", "/flights?flight_no=%00"),
    ("flights", "/flights?flight_no=AA%D9%A2%D9%A5%D9%A3%D9%A2"),  # Arabic-Indic digits
    ("flights", "/flights?flight_no=AA2532&departure_date_time=2020-13-45T99:99"),
    ("flights", "/flights?flight_no=AA2532&departure_date_time=9999-12-31T23:59"),
    ("flights", "/flights?flight_no=AA2532&departure_date_time=0000-00-00"),
    ("flights", "/flights?flight_no=" + "A" * 3000),
    ("flights", "/flights/%00/seat_map"),
    ("flights", "/flights/%FF%FE/seat_map"),
    ("flights", "/flights/00000000-0000-0000-0000-00000000000G/seat_map"),
    ("flights", "/flights/" + "9" * 3000),
    ("reservations", "/reservations?flight_id=%00"),
    ("reservations", "/reservations?flight_id=" + "x" * 3000),
    ("reservations", "/reservations?flight_id=F1&flight_id=F2"),
    ("reservations", "/reservations?customer_id=%FF"),
    ("reservations", "/reservations/events?since=99999999999999999999999-1"),
    ("reservations", "/reservations/events?since=1-99999999999999999999999"),
    ("reservations", "/reservations/events?count=-1"),
    ("reservations", "/reservations/events?count=1e3"),
    ("reservations", "/reservations/events?count=%D9%A1"),
    ("gateway", "/api/flights?flight_no=AA2532&date=2020-02-30"),
    ("gateway", "/api/flights?flight_no=AA2532&date=99999-01-01"),
    ("gateway", "/api/flights/%00/seats"),
    ("gateway", "/api/flights/" + "f" * 3000 + "/seats"),
    ("gateway", "/api/flights/00000000-0000-0000-0000-000000000000/seats"),
]
HOSTILE_CANCELS = [
    ("reservations", "/reservations/F1/1A"),  # customer_id missing
    ("reservations", "/reservations/F1/1A?customer_id=%00"),
    ("reservations", "/reservations/%FF/1A?customer_id=c1"),
    ("reservations", "/reservations/F1/%D9%A1A?customer_id=c1"),
    ("gateway", "/api/flights/%00/reservations/1A"),
    ("gateway", "/api/flights/00000000-0000-0000-0000-000000000000/reservations/999Z"),
]


@pytest.mark.parametrize(
    ("method", "service", "path"),
    [("GET", *case) for case in HOSTILE_READS] + [("DELETE", *case) for case in HOSTILE_CANCELS],
)
def test_hostile_reads_and_cancels(urls, auth, method: str, service: str, path: str) -> None:
    assert_clear(
        httpx.request(
            method,
            f"{urls[service]}{path}",
            headers=auth if service == "gateway" else SERVICE_HEADERS,
            timeout=15,
        )
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"from_flight_id": 1, "from_seat": [], "to_flight_id": {}, "to_seat": null}',
        b'{"from_flight_id": "00000000-0000-0000-0000-000000000000", "from_seat": "1A", '
        b'"to_flight_id": "00000000-0000-0000-0000-000000000000", "to_seat": "1A"}',
        b"\xff",
        DEEP_SMALL,
    ],
)
def test_hostile_moves(urls, auth, body: bytes) -> None:
    assert_clear(
        httpx.post(
            f"{urls['gateway']}/api/reservations/move",
            content=body,
            headers={"Content-Type": JSON, **auth},
            timeout=15,
        )
    )


@pytest.mark.parametrize("key", ["x" * 4000, "ключ-\u00e9", "a\tb"])
def test_odd_idempotency_keys(urls, auth, fuzz_split: Split, key: str) -> None:
    flight = fuzz_split.flight_ids[1]
    response = httpx.post(
        f"{urls['gateway']}/api/flights/{flight}/reservations",
        json={"seat": "1A"},
        headers={**auth, "Idempotency-Key": key.encode()},  # raw UTF-8 bytes on the wire
        timeout=15,
    )
    assert_clear(response)


@pytest.mark.parametrize("request_id", ["x" * 4000, "../../etc/passwd", "id with spaces", "\u00e9\u00e8"])
@pytest.mark.parametrize("service", ["flights", "reservations", "gateway"])
def test_odd_request_ids_are_not_a_server_error(urls, service: str, request_id: str) -> None:
    response = httpx.get(f"{urls[service]}/ping", headers={"X-Request-ID": request_id.encode()}, timeout=15)
    assert response.status_code == 200
    echoed = response.headers.get("X-Request-ID", "")
    assert len(echoed) <= 200, "a request id is echoed unbounded"


@pytest.mark.parametrize("service", ["flights", "reservations", "gateway"])
def test_a_request_head_over_the_servers_buffer_is_refused_before_django(urls, service: str) -> None:
    """Request line + headers over the server's 16 KiB buffer (skyway.serve.HTTP1_BUFFER_SIZE): the
    server answers 431 itself (no X-Request-ID: Django never ran), not a 5xx."""
    response = httpx.get(f"{urls[service]}/ping?pad=" + "x" * 17_000, timeout=15)
    assert response.status_code == 431
    assert "x-request-id" not in response.headers


@pytest.mark.parametrize("service", ["flights", "reservations", "gateway"])
def test_a_long_request_line_under_the_buffer_is_served_not_a_server_error(urls, service: str) -> None:
    """5,000 bytes (gunicorn refused these with 414; granian's limit is the whole head) reach Django."""
    response = httpx.get(f"{urls[service]}/ping?pad=" + "x" * 5000, timeout=15)
    assert response.status_code == 200
    assert response.headers.get("x-request-id")
