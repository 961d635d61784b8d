"""Readable logs: one line per request (method, path, status, ms, request id), each 4xx once, JSON in
production and one colored line per record in development, also under runserver."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from skyway.logs import formatter

ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_a_successful_request_is_one_json_access_line_with_its_request_id(client, log_lines):
    client.get("/ping", HTTP_X_REQUEST_ID="req-ping-1")

    (line,) = log_lines()
    assert line["logger"] == "skyway.access"
    assert (line["method"], line["path"], line["status"], line["request_id"]) == (
        "GET",
        "/ping",
        200,
        "req-ping-1",
    )
    assert line["level"] == "info"
    assert isinstance(line["duration_ms"], float)
    assert line["timestamp"].endswith("Z")


def test_the_json_renderer_writes_one_parseable_object_per_record_with_the_traceback():
    record = logging.LogRecord("gateway.services", logging.ERROR, __file__, 1, "boom %s", ("x",), None)
    try:
        raise ValueError("bad")
    except ValueError:
        record.exc_info = sys.exc_info()
    record.request_id = "abc"

    rendered = formatter(renderer="json").format(record)

    assert "\n" not in rendered
    document = json.loads(rendered)
    assert (document["event"], document["level"], document["logger"], document["request_id"]) == (
        "boom x",
        "error",
        "gateway.services",
        "abc",
    )
    assert "ValueError: bad" in document["exception"]


def test_the_console_renderer_writes_one_colored_line_per_request():
    record = logging.LogRecord("skyway.access", logging.WARNING, __file__, 1, "%s %s %s %.0fms", None, None)
    record.args = ("GET", "/api/flights", 404, 3.2)
    record.method, record.path, record.status, record.duration_ms = "GET", "/api/flights", 404, 3.2
    record.request_id = "abc"

    rendered = formatter(renderer="console").format(record)

    assert "\x1b[" in rendered  # colored
    plain = ANSI.sub("", rendered)
    assert "\n" not in plain
    assert "GET /api/flights 404 3ms" in plain
    assert "request_id=abc" in plain
    assert "path=" not in plain  # said once, in the message


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        formatter(renderer="text")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.live  # starts a server or manage.py subprocess
def test_runserver_prints_the_reloader_line_once_and_one_line_per_request(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "settings.flights",
        "SKYWAY_VAR_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SKYWAY_ENV", None)
    for name in ("FLIGHTS_DATABASE_URL", "GATEWAY_DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX"):
        env.pop(name, None)  # its own SQLite file under tmp_path, whatever datastores CI points the suite at
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, "runserver exited"
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.1)  # polling a condition: the server answering
        httpx.get(f"http://127.0.0.1:{port}/no-such-page", headers={"X-Request-ID": "req-404"}, timeout=5)
        httpx.get(f"http://127.0.0.1:{port}/ping", headers={"X-Request-ID": "req-200"}, timeout=5)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    lines = [ANSI.sub("", line) for line in output.splitlines()]

    assert len([line for line in lines if "Watching for file changes" in line]) == 1, output
    assert len([line for line in lines if "/no-such-page" in line]) == 1, output
    (ok,) = [line for line in lines if "req-200" in line]
    assert "GET /ping 200" in ok
    (missing,) = [line for line in lines if "/no-such-page" in line]
    assert "404" in missing
    assert "request_id=req-404" in missing
    assert not [line for line in lines if line.lstrip().startswith("{")], output  # no JSON among them


ACCESS_PROBE = """
import django
django.setup()
from django.test import Client
Client().get("/ping", HTTP_HOST="localhost", HTTP_X_REQUEST_ID="probe-42")
"""


@pytest.mark.live  # starts a server or manage.py subprocess
@pytest.mark.parametrize("deployable", ["flights", "reservations", "gateway", "platform"])
def test_every_deployable_writes_a_json_access_line_with_the_request_id_in_production(deployable, tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": f"settings.{deployable}",
        "SECRET_KEY": "probe",
        "SERVICE_TOKENS": "probe-service-token-0123456789abcdef",
        "SKYWAY_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", ACCESS_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    (access,) = [line for line in lines if line["logger"] == "skyway.access"]
    assert (access["path"], access["status"], access["request_id"]) == ("/ping", 200, "probe-42")


SERVER_LOG_PROBE = """
import json, logging, logging.config
from skyway.serve import LOG_CONFIG
logging.config.dictConfig(json.loads(LOG_CONFIG.read_text()))
logging.getLogger("_granian").info("Starting granian (main PID: 1)")
"""


@pytest.mark.live  # starts a server or manage.py subprocess
def test_the_servers_own_lines_use_the_same_formatter_and_its_access_log_stays_off(tmp_path):
    from skyway.serve import LOG_CONFIG, server_command

    command = server_command(host="127.0.0.1", port=8000, workers=1, graceful_timeout=1)
    env = {"PATH": "/usr/bin:/bin", "SKYWAY_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", SERVER_LOG_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert "--access-log" not in command
    assert command[command.index("--log-config") + 1] == str(LOG_CONFIG)
    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(line) for line in result.stderr.splitlines()]
    assert (line["logger"], line["level"], line["event"]) == (
        "_granian",
        "info",
        "Starting granian (main PID: 1)",
    )


def test_django_request_keeps_the_tracebacks_and_drops_the_repeats_of_the_access_line():
    from skyway.logs import TracebackOnlyFilter

    repeat = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: /x", None, None)
    try:
        raise RuntimeError("bug")
    except RuntimeError:
        crash = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error: /x", None, sys.exc_info()
        )

    assert TracebackOnlyFilter().filter(repeat) is False
    assert TracebackOnlyFilter().filter(crash) is True
    assert logging.getLogger("django.request").filters[0].__class__ is TracebackOnlyFilter
