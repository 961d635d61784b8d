"""The gateway's admin, as an operator uses it: a seeded staff user, manage.py that says what to set,
seat holders per flight (read through the clients), idempotency keys and seat-move sagas read-only."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import override_settings

from tests.gateway.conftest import GATEWAY_DBS
from tests.support.live import ROOT, base_env

pytestmark = pytest.mark.django_db(databases=GATEWAY_DBS)


def test_seeding_in_debug_creates_a_staff_user_beside_the_demo_customers():
    with override_settings(DEBUG=True):
        call_command("seed_demo_customers", stdout=None)
        call_command("seed_demo_customers", stdout=None)  # idempotent

    staff = authenticate(username="staff", password="skyway-demo")
    assert staff is not None
    assert staff.is_staff
    assert staff.is_superuser
    assert authenticate(username="alice", password="skyway-demo").is_staff is False


def test_manage_py_outside_debug_says_exactly_what_to_set_without_a_traceback():
    env = {k: v for k, v in base_env().items() if k not in {"SECRET_KEY", "SERVICE_TOKENS"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    assert "DEBUG=1" in result.stderr
