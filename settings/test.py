"""The test suite's settings: the platform with test-only conveniences. Never deployed."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("SERVICE_TOKENS", "test-only-service-token-0123456789abcdef")
# Tests and the processes they start speak plain HTTP on loopback: no HTTPS redirect, no Secure cookies.
os.environ.setdefault("SECURE_TRANSPORT", "0")
# One state directory (embedded Redis socket, files) per test run, so concurrent runs never share a
# server; set in the environment so the gunicorn processes an e2e test starts find the same one.
os.environ.setdefault(
    "SKYWAY_VAR_DIR",
    os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test", f"run-{os.getpid()}"),
)

from .platform import *  # noqa: F403

ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
