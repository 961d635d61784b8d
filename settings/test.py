"""The test suite's settings: the platform with test-only conveniences. Never deployed."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("SERVICE_TOKENS", "test-only-service-token-0123456789abcdef")
# Tests and the processes they start speak plain HTTP on loopback: no HTTPS redirect, no Secure cookies.
os.environ.setdefault("SECURE_TRANSPORT", "0")
# The embedded Redis servers of a test run (and of the processes it starts) write their AOF without
# fsync: tests kill processes, never the machine, and on a busy CI disk an fsync held the server past
# the clients' 1 s read timeout (docs/adr/0158). `make run` keeps `always`.
os.environ.setdefault("EMBEDDED_REDIS_APPENDFSYNC", "no")
# One state directory (embedded Redis socket, files) per test run, so concurrent runs never share a
# server; set in the environment so the gunicorn processes an e2e test starts find the same one.
# Each pytest-xdist worker is a run of its own (its tests flush its Redis, its teardown removes its
# directory), but it inherits the controller's environment, SKYWAY_VAR_DIR included: a worker that
# finds a directory not stamped with its own id takes its own (docs/adr/0106). Processes a worker
# starts inherit both variables and keep the worker's directory.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if "SKYWAY_VAR_DIR" not in os.environ or os.environ.get("SKYWAY_TEST_RUN_OWNER", _worker) != _worker:
    os.environ["SKYWAY_VAR_DIR"] = os.path.join(
        os.path.dirname(os.path.dirname(__file__)), "var", "test", f"run-{os.getpid()}"
    )
    os.environ["SKYWAY_TEST_RUN_OWNER"] = _worker

from .platform import *  # noqa: E402, F403

ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
