"""The bench's baseline: a bare WSGI app (no Django) doing what the reservations hot path must do.

PUT /reservations parses the same JSON body and does one HSETNX on the same Redis key; GET
/reservations?flight_id= does one HGETALL and renders the same sorted JSON. No validation beyond
what it needs to build the key, no middleware, no framework: the floor a Python service on the
same server settings can reach. Configured by REDIS_URL and REDIS_KEY_PREFIX (bench only).
"""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs

import redis

_client = redis.Redis.from_url(os.environ["REDIS_URL"])
_prefix = os.environ.get("REDIS_KEY_PREFIX", "")
_JSON = [("Content-Type", "application/json")]
_SUCCESS = b'{"status":"success"}'
_CONFLICT = b'{"error":"Conflict","description":"Seat already reserved. Cannot double-book"}'


def _reply(start_response, status: str, body: bytes) -> list[bytes]:
    start_response(status, [*_JSON, ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    if environ["PATH_INFO"] != "/reservations":
        return _reply(start_response, "404 Not Found", b'{"error":"Not Found","description":""}')
    method = environ["REQUEST_METHOD"]
    if method == "PUT":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = json.loads(environ["wsgi.input"].read(length))
        won = _client.hsetnx(
            f"{_prefix}flights:{payload['flight_id']}", payload["seat_num"].upper(), payload["customer_id"]
        )
        return (
            _reply(start_response, "200 OK", _SUCCESS)
            if won
            else _reply(start_response, "403 Forbidden", _CONFLICT)
        )
    if method == "GET":
        flight_id = parse_qs(environ.get("QUERY_STRING", "")).get("flight_id", [""])[0]
        seats = {k.decode(): v.decode() for k, v in _client.hgetall(f"{_prefix}flights:{flight_id}").items()}
        ordered = sorted(seats, key=lambda seat: (int(seat[:-1]), seat[-1]))
        body = json.dumps([{"seat_no": s, "customer_id": seats[s]} for s in ordered], separators=(",", ":"))
        return _reply(start_response, "200 OK", body.encode())
    return _reply(
        start_response, "405 Method Not Allowed", b'{"error":"Method Not Allowed","description":""}'
    )
