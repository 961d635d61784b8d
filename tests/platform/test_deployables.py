"""Each deployable is its own Django project: own apps, own URLs, own databases, strict secrets."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.live  # starts real processes: kept out of make test-fast

ROOT = Path(__file__).resolve().parents[2]
CONTEXTS = ("flights", "reservations", "gateway")
PROBE_TOKEN = "probe-service-token-0123456789abcdef"

PROBE = """
import django, json
django.setup()
from django.conf import settings
print(json.dumps({
    "apps": list(settings.INSTALLED_APPS),
    "databases": {k: v.get("ENGINE", "dummy") for k, v in settings.DATABASES.items()},
    "urlconf": settings.ROOT_URLCONF,
    "debug": settings.DEBUG,
}))
"""


def _probe(settings_module: str, **env: str) -> subprocess.CompletedProcess:
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": settings_module, **env}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )


def _settings_of(settings_module: str) -> dict:
    import json

    result = _probe(
        settings_module, SECRET_KEY="probe", SERVICE_TOKENS=PROBE_TOKEN, SKYWAY_VAR_DIR="/tmp/skyway-probe"
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("deployable", ["flights", "reservations", "gateway", "platform"])
def test_outside_debug_a_missing_secret_key_stops_the_process(deployable):
    result = _probe(f"settings.{deployable}")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("deployable", ["flights", "reservations", "gateway", "platform"])
def test_outside_debug_a_missing_service_credential_stops_the_process(deployable):
    result = _probe(f"settings.{deployable}", SECRET_KEY="probe")
    assert result.returncode != 0
    assert "SERVICE_TOKENS must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize("deployable", ["flights", "reservations", "gateway", "platform"])
def test_outside_debug_a_short_or_renamed_service_credential_stops_the_process(deployable):
    short = _probe(f"settings.{deployable}", SECRET_KEY="probe", SERVICE_TOKENS=f"{PROBE_TOKEN},short")
    assert short.returncode != 0
    assert "token(s) [2] shorter than 32 characters" in short.stderr
    renamed = _probe(f"settings.{deployable}", SECRET_KEY="probe", SERVICE_TOKEN=PROBE_TOKEN)
    assert renamed.returncode != 0
    assert "SERVICE_TOKEN was renamed SERVICE_TOKENS" in renamed.stderr


@pytest.mark.parametrize("deployable", ["flights", "reservations", "gateway", "platform"])
def test_in_debug_the_service_credential_is_optional(deployable):
    assert _probe(f"settings.{deployable}", DEBUG="1", SKYWAY_VAR_DIR="/tmp/skyway-probe").returncode == 0


@pytest.mark.parametrize("deployable", ["flights", "reservations", "gateway", "platform"])
def test_debug_defaults_to_off(deployable):
    assert _settings_of(f"settings.{deployable}")["debug"] is False


def test_flights_alone_installs_only_the_flights_context():
    probe = _settings_of("settings.flights")
    assert "flights" in probe["apps"]
    assert "reservations" not in probe["apps"]
    assert "gateway" not in probe["apps"]
    assert probe["databases"] == {"default": "django.db.backends.sqlite3"}
    assert probe["urlconf"] == "settings.urls.flights"


def test_reservations_alone_has_no_sql_database_at_all():
    probe = _settings_of("settings.reservations")
    assert probe["apps"][-1] == "reservations"
    assert "flights" not in probe["apps"]
    assert "gateway" not in probe["apps"]
    assert probe["databases"] == {"default": "django.db.backends.dummy"}


def test_gateway_alone_installs_no_context_it_composes():
    probe = _settings_of("settings.gateway")
    assert "gateway" in probe["apps"]
    assert "flights" not in probe["apps"]
    assert "reservations" not in probe["apps"]


def test_platform_mounts_every_context_with_separate_databases():
    probe = _settings_of("settings.platform")
    assert {"flights", "reservations", "gateway"} <= set(probe["apps"])
    assert set(probe["databases"]) == {"default", "flights"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("context", CONTEXTS)
def test_no_context_imports_another_contexts_code(context):
    others = set(CONTEXTS) - {context}
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_modules(path) & others)
        for path in (ROOT / context).rglob("*.py")
        if _imported_modules(path) & others
    }
    assert offenders == {}
