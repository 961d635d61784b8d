"""/ping, /health, /schema, Swagger UI and /metrics, served by every deployable (here: the platform)."""

import json

import pytest
from django.db import connections
from prometheus_client import REGISTRY

from skyway import health as health_module


def test_ping_answers_pass_in_health_json(client):
    response = client.get("/ping")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/health+json"
    assert response.json()["status"] == "pass"


@pytest.mark.django_db(databases=["default", "flights"])
def test_health_reports_each_database_response_time(client, redis_client):
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 200, body
    assert response["Content-Type"] == "application/health+json"
    assert body["status"] in {"pass", "warn"}
    for alias in ("default", "flights"):
        (check,) = next(
            checks for key, checks in body["checks"].items() if key.endswith(f":{alias}:responseTime")
        )
        assert check["status"] == "pass"
        assert check["observedUnit"] == "ms"
        assert check["observedValue"] >= 0


@pytest.mark.django_db(databases=["default", "flights"])
def test_health_is_503_when_a_database_is_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(connections["flights"], "cursor", broken_cursor)
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    failing = [key for key, checks in body["checks"].items() if checks[0]["status"] == "fail"]
    assert any(":flights:" in key for key in failing)
    assert "connection refused" in body["checks"][failing[0]][0]["output"]


def test_overall_status_is_the_worst_check():
    checks = {"a": [{"status": "pass"}], "b": [{"status": "warn"}]}
    assert health_module.overall_status(checks) == "warn"
    checks["c"] = [{"status": "fail"}]
    assert health_module.overall_status(checks) == "fail"
    assert health_module.overall_status({}) == "pass"


def test_ping_refuses_other_methods(client):
    assert client.post("/ping").status_code == 405


@pytest.mark.django_db
def test_openapi_schema_and_swagger_ui_render(client):
    schema = client.get("/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    swagger = client.get("/schema/swagger-ui/")
    assert swagger.status_code == 200
    assert b"swagger-ui" in swagger.content
    assert b"cdn." not in swagger.content  # assets are served locally (sidecar), no CDN needed


def test_metrics_are_prometheus_text(client):
    client.get("/ping")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _traffic() -> tuple[float, float]:
    """(200 responses counted, /ping latencies observed) in this process's registry."""
    return (
        _sample("django_http_responses_total_by_status_total", status="200"),
        _sample("django_http_requests_latency_seconds_by_view_method_count", view="ping", method="GET"),
    )


@pytest.mark.parametrize("user_agent", ["kube-probe/1.30", "Prometheus/2.53.0"])
def test_probes_and_scrapes_are_served_but_not_counted_as_traffic(client, user_agent):
    """A canary's error rate and latency are its customers' (issue 16): the kubelet probes every pod
    every few seconds and Prometheus scrapes it, and neither may dilute the analysis' counts."""
    before = _traffic()
    probed = client.get("/ping", HTTP_USER_AGENT=user_agent)
    after_probe = _traffic()
    called = client.get("/ping", HTTP_USER_AGENT="python-httpx/0.28")

    assert probed.status_code == called.status_code == 200
    assert after_probe == before
    assert _traffic() == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize("path", ["/nowhere", "/reservations/", "/flights/"])
def test_unknown_paths_get_a_json_404_not_an_html_page(client, settings, path):
    settings.DEBUG = False
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "not_found"


def test_unknown_paths_under_the_public_api_get_an_rfc_7807_404(client, settings):
    settings.DEBUG = False
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/not-found")
    assert (problem["status"], problem["instance"]) == (404, "/api/nothing-here")
    assert problem["title"]
    assert problem["detail"]


def test_an_unhandled_error_is_a_json_500_without_a_traceback(rf):
    from skyway.errors import handler500 as server_error

    response = server_error(rf.get("/x"))
    assert response.status_code == 500
    assert b"Traceback" not in response.content
    assert json.loads(response.content)["error"] == "server_error"
