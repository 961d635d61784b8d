"""The peer: the book's ms-reservations service, rewritten from its published contract (bench only).

"Microservices: Up and Running" ships its reservations service as a small Flask app on Redis, run by
gunicorn's sync worker: `PUT /reservations` {flight_id, customer_id, seat_num} does one HSETNX on the
flight's hash (200 `{"status": "success"}`, or 403 with the book's conflict text), `GET
/reservations?flight_id=` one HGETALL, `GET /ping` a liveness answer. This module does exactly that
and no more, with one Redis call per request as the book makes it, with
hiredis if installed, as the book's image has it. bench/vs_book.py runs it under gunicorn sync (as the
book ships it) and under Skyway's own server, next to Skyway's reservations deployable.

Configured by REDIS_URL and REDIS_KEY_PREFIX. Never part of a deployable.
"""

from __future__ import annotations

import os

import redis
from flask import Flask, jsonify, request

app = Flask(__name__)
_redis = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
_prefix = os.environ.get("REDIS_KEY_PREFIX", "")


@app.get("/ping")
def ping():
    return jsonify(status="pass")


@app.get("/reservations")
def reservations_list():
    flight_id = request.args.get("flight_id", "")
    seats = _redis.hgetall(f"{_prefix}flights:{flight_id}")
    ordered = sorted(seats, key=lambda seat: (int(seat[:-1]), seat[-1]))
    return jsonify([{"seat_no": seat, "customer_id": seats[seat]} for seat in ordered])


@app.put("/reservations")
def reservation_add():
    body = request.get_json()
    won = _redis.hsetnx(f"{_prefix}flights:{body['flight_id']}", body["seat_num"], body["customer_id"])
    if won:
        return jsonify(status="success")
    return jsonify(error="Conflict", description="Seat already reserved. Cannot double-book"), 403
