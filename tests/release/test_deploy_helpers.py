"""The Python helpers the playbooks call: routes file writer, canary analysis, local state, filters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from deploy import analysis, localproc, routes
from deploy.__main__ import extravars_from, parse_args
from deploy.filter_plugins.skyway import traffic_target_arg
from skyway.routes import routes_parse
from tests.release.deploy_cli import deploy_run

# ---- routes file --------------------------------------------------------------------------------------


def test_routes_file_is_what_the_gateway_parses_and_keeps_other_services(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    path.write_text(
        json.dumps({"reservations": [{"name": "stable", "url": "http://127.0.0.1:9002", "weight": 100}]})
    )
    routes.routes_set(
        path=path,
        service="flights",
        targets=[
            routes.target_parse("stable=http://127.0.0.1:9001@90"),
            routes.target_parse("canary=http://127.0.0.1:9011@10"),
        ],
    )
    parsed = routes_parse(json.loads(path.read_text()))
    assert [(t.name, t.weight) for t in parsed["flights"]] == [("stable", 90), ("canary", 10)]
    assert [t.url for t in parsed["reservations"]] == ["http://127.0.0.1:9002"]
    assert not list(tmp_path.glob(".*tmp")), "the temporary file is renamed, never left behind"


def test_weight_zero_targets_are_dropped_and_an_all_zero_route_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "routes.json"
    routes.routes_set(
        path=path,
        service="flights",
        targets=[
            {"name": "stable", "url": "http://127.0.0.1:1", "weight": 0},
            {"name": "blue", "url": "http://127.0.0.1:2", "weight": 100},
        ],
    )
    assert [t["name"] for t in json.loads(path.read_text())["flights"]] == ["blue"]
    with pytest.raises(ValueError, match="weight above 0"):
        routes.routes_set(
            path=path, service="flights", targets=[{"name": "a", "url": "http://x:1", "weight": 0}]
        )


@pytest.mark.parametrize(
    "text", ["stable=127.0.0.1:1@5", "stable=http://h:1", "=http://h:1@5", "s=http://h:1@-1"]
)
def test_malformed_targets_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        routes.target_parse(text)


def test_filter_renders_the_target_argument_the_cli_parses() -> None:
    target = {"name": "canary", "url": "http://127.0.0.1:8011", "weight": "25"}
    assert routes.target_parse(traffic_target_arg(target)) == {**target, "weight": 25}


# ---- analysis -----------------------------------------------------------------------------------------


def gateway_metrics(calls: dict[tuple[str, str], tuple[int, int, float]]) -> str:
    """Real prometheus_client output with the gateway's metric names: (target, outcome) → (n, _, seconds)."""
    registry = CollectorRegistry()
    requests = Counter(
        "skyway_gateway_upstream_requests", "", ["service", "target", "outcome"], registry=registry
    )
    latency = Histogram(
        "skyway_gateway_upstream_latency_seconds", "", ["service", "target"], registry=registry,
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    )  # fmt: skip
    for (target, outcome), (count, _, seconds) in calls.items():
        requests.labels(service="flights", target=target, outcome=outcome).inc(count)
        for _ in range(count):
            latency.labels(service="flights", target=target).observe(seconds)
    return generate_latest(registry).decode()


def judged(
    after: dict, service: str = "flights", before: dict | None = None, **options: object
) -> analysis.Verdict:
    """The canary analysis of one step of `service`'s canary ("canary" against "stable"), default thresholds
    unless `options` name others (or a load step's figures, a consistency report)."""
    options.setdefault("thresholds", analysis.Thresholds())
    return analysis.judge(
        service=service, canary="canary", stable="stable", before=before or {}, after=after, **options
    )


def test_a_step_is_judged_on_deltas_per_target() -> None:
    before = analysis.snapshot_parse(gateway_metrics({("stable", "success"): (100, 0, 0.004)}))
    after = analysis.snapshot_parse(
        gateway_metrics({
            ("stable", "success"): (190, 0, 0.004),
            ("canary", "success"): (35, 0, 0.004),
            ("canary", "server_error"): (15, 0, 0.004),
            ("canary", "client_error"): (10, 0, 0.004),
        })
    )  # fmt: skip
    verdict = judged(after, before=before)
    assert verdict.status == "breach"
    assert verdict.canary_figures.requests == 60
    assert verdict.canary_figures.errors == 15  # 4xx are the caller's, not the release's
    assert verdict.stable_figures.requests == 90
    assert verdict.stable_figures.errors == 0
    assert any("> max 5.0%" in reason for reason in verdict.reasons)


def beside_stable(canary_seconds: float) -> dict:
    """A step's figures: 80 stable and 40 canary successes, stable at 20 ms, the canary at `canary_seconds`."""
    return analysis.snapshot_parse(
        gateway_metrics(
            {("stable", "success"): (80, 0, 0.02), ("canary", "success"): (40, 0, canary_seconds)}
        )
    )


# 0.07 s: three times stable's latency, yet below the floor under which latency is noise.
@pytest.mark.parametrize(
    "canary_seconds", [0.02, 0.07], ids=["as-fast-as-stable", "latency-noise-below-the-floor"]
)
def test_a_healthy_canary_passes(canary_seconds: float) -> None:
    verdict = judged(beside_stable(canary_seconds))
    assert verdict.status == "pass", verdict.reasons
    assert verdict.reasons == []


def test_a_slow_canary_breaches_on_latency_against_stable_and_the_absolute_p95() -> None:
    verdict = judged(beside_stable(0.4), thresholds=analysis.Thresholds(max_p95_ms=300))
    assert verdict.status == "breach"
    # 40 observations of 0.4 s: the 95th (rank 38) interpolated inside the (0.25, 0.5] bucket.
    assert verdict.canary_figures.p95_ms == 487.5
    assert any("p95 488 ms > max 300 ms" in reason for reason in verdict.reasons)
    assert any("2 x stable" in reason for reason in verdict.reasons)


def test_too_little_canary_traffic_cannot_be_judged() -> None:
    after = analysis.snapshot_parse(gateway_metrics({("canary", "server_error"): (5, 0, 0.01)}))
    verdict = judged(after)
    assert verdict.status == "no_data"


def test_the_load_steps_figures_count_as_the_canarys_and_can_fail_it() -> None:
    """A quiet canary (5 gateway requests) is judged on the load step's requests too (ADR 134)."""
    after = analysis.snapshot_parse(gateway_metrics({("canary", "success"): (5, 0, 0.01)}))

    def load(ok: int, failed: int) -> dict:
        buckets = {"0.025": float(ok + failed), "+Inf": float(ok + failed)}
        return {"outcomes": {"success": float(ok), "server_error": float(failed)}, "buckets": buckets,
                "latency_sum": 0.01 * (ok + failed), "latency_count": float(ok + failed)}  # fmt: skip

    assert judged(after, load=None).status == "no_data"
    healthy = judged(after, load=load(40, 0))
    assert healthy.status == "pass"
    assert healthy.canary_figures.requests == 45
    failing = judged(after, load=load(30, 10))
    assert failing.status == "breach"
    assert failing.canary_figures.errors == 10


def reservations_metrics(reserves: dict[tuple[str, str], int], requests_per_target: int = 50) -> str:
    """The gateway's /metrics for a reservations canary: every upstream call a success (no 5xx), and
    reserve answers by (target, business outcome)."""
    registry = CollectorRegistry()
    requests = Counter(
        "skyway_gateway_upstream_requests", "", ["service", "target", "outcome"], registry=registry
    )
    counted = Counter("skyway_gateway_reserves", "", ["target", "outcome"], registry=registry)
    for target in ("stable", "canary"):
        requests.labels(service="reservations", target=target, outcome="success").inc(requests_per_target)
    for (target, outcome), count in reserves.items():
        counted.labels(target=target, outcome=outcome).inc(count)
    return generate_latest(registry).decode()


def test_a_canary_refusing_free_seats_breaches_the_business_gate_without_any_5xx() -> None:
    after = analysis.snapshot_parse(
        reservations_metrics({
            ("stable", "reserved"): 60, ("stable", "refused_held"): 5,
            ("canary", "reserved"): 14, ("canary", "refused_free"): 6,
        })
    )  # fmt: skip
    verdict = judged(after, service="reservations")
    assert verdict.canary_figures.errors == 0
    assert verdict.canary_figures.refused_free_rate == 0.3
    assert verdict.status == "breach"
    assert verdict.reasons == ["canary refused 30.0% of reserves as taken on free seats (6/20) > max 2.0%"]
    # The same answers from a build that refuses only seats that are held pass.
    healthy = analysis.snapshot_parse(
        reservations_metrics({("canary", "reserved"): 14, ("canary", "refused_held"): 6})
    )
    assert judged(healthy, service="reservations").status == "pass"


def test_a_hash_that_disagrees_with_the_log_fails_the_step_whatever_the_traffic(tmp_path: Path) -> None:
    quiet = analysis.snapshot_parse(reservations_metrics({}, requests_per_target=0))
    report = {
        "consistent": False,
        "mismatches": [{"flight_id": "F1", "seat_no": "2B", "log": "c2", "hash": None}],
    }
    verdict = judged(quiet, service="reservations", consistency=report)
    assert verdict.status == "breach"
    assert verdict.reasons[0].startswith("hash-vs-log check: 1 seats differ")
    # The report is the command's output: its last line is the JSON; no JSON means no pass.
    path = tmp_path / "check.json"
    path.write_text('a log line\n{"consistent": true, "mismatches": []}\n')
    assert analysis.consistency_read(path) == {"consistent": True, "mismatches": []}
    path.write_text("Traceback (most recent call last): ...\n")
    assert analysis.consistency_read(path)["consistent"] is False


def test_a_gateway_restart_counts_from_zero() -> None:
    before = analysis.snapshot_parse(gateway_metrics({("canary", "success"): (500, 0, 0.01)}))
    after = analysis.snapshot_parse(gateway_metrics({("canary", "success"): (30, 0, 0.01)}))
    delta = analysis.target_delta(before["flights"]["canary"], after["flights"]["canary"])
    assert analysis.figures(delta).requests == 30


def test_p95_of_empty_and_overflowing_histograms() -> None:
    assert analysis.p95_seconds({}) is None
    assert analysis.p95_seconds({"0.05": 0, "0.1": 0, "+Inf": 10}) == 0.1  # Prometheus: highest finite bound
    assert analysis.p95_seconds({"0.1": 100, "+Inf": 100}) == pytest.approx(0.095)


@pytest.mark.parametrize(
    ("status", "outcome"), [("503", "server_error"), ("404", "client_error"), ("200", "success")]
)
def test_service_status_codes_map_to_gateway_outcomes(status: str, outcome: str) -> None:
    assert analysis.status_outcome(status) == outcome


# ---- local state --------------------------------------------------------------------------------------


def test_release_env_accepts_only_fault_and_sizing_switches() -> None:
    assert localproc.release_env_parse(["FAULT_ERROR_RATE=0.3"]) == {"FAULT_ERROR_RATE": "0.3"}
    with pytest.raises(localproc.DeployError, match="only"):
        localproc.release_env_parse(["SECRET_KEY=x"])
    with pytest.raises(localproc.DeployError, match="KEY=VALUE"):
        localproc.release_env_parse(["FAULT_ERROR_RATE"])


def test_marking_roles_needs_known_releases_and_clears_with_empty(tmp_path: Path) -> None:
    state = {"services": {"flights": {"live": None, "previous": None, "candidate": None, "releases": {
        "v1": {"release": "v1", "url": "http://127.0.0.1:1", "pid": None, "running": False, "slot": "blue", "env": {}},
        "v2": {"release": "v2", "url": "http://127.0.0.1:2", "pid": None, "running": False, "slot": "canary", "env": {}},
    }}}}  # fmt: skip
    localproc.state_save(tmp_path, state)
    localproc.mark(state_dir=tmp_path, service="flights", live="v2", previous="v1", candidate="v2")
    localproc.mark(state_dir=tmp_path, service="flights", candidate="")
    current = localproc.service_status(state_dir=tmp_path, service="flights")
    assert (current["live"], current["previous"], current["candidate"]) == ("v2", "v1", None)
    assert current["idle_colour"] == "blue"  # nothing runs, and the live slot is not a colour
    with pytest.raises(localproc.DeployError, match="no release v9"):
        localproc.mark(state_dir=tmp_path, service="flights", live="v9")


def test_local_processes_never_run_in_production_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKYWAY_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    env = localproc.process_env(tmp_path, "flights", "v3", {"FAULT_ERROR_RATE": "0.3"})
    assert env["SKYWAY_ENV"] == "local"
    assert env["RELEASE_ID"] == "v3"
    assert env["DJANGO_SETTINGS_MODULE"] == "settings.flights"
    assert len(env["SECRET_KEY"]) > 40
    assert localproc.process_env(tmp_path, "flights", "v4", {})["SECRET_KEY"] == env["SECRET_KEY"]


# ---- entry point and the k8s filter -----------------------------------------------------------------


def test_cli_turns_options_into_extra_vars() -> None:
    args = parse_args(["canary", "--service", "flights", "--image", "skyway:v2", "--steps", "10,50,100",
                       "--max-error-rate", "0.01", "--env", "FAULT_LATENCY_MS=200"])  # fmt: skip
    assert extravars_from(args) == {
        "service": "flights", "image": "skyway:v2", "steps": [10, 50, 100], "max_error_rate": 0.01,
        "new_env": {"FAULT_LATENCY_MS": "200"},
    }  # fmt: skip


@pytest.mark.parametrize("steps", ["10,50", "50,10,100", "0,100", "10,150"])
def test_cli_refuses_steps_that_do_not_rise_to_100(steps: str) -> None:
    with pytest.raises(SystemExit):
        extravars_from(
            parse_args(["canary", "--service", "flights", "--image", "skyway:v2", "--steps", steps])
        )


def test_cli_help_runs_as_a_module() -> None:
    result = deploy_run("--help")
    assert result.returncode == 0
    assert "blue-green" in result.stdout


def test_a_second_rollout_on_the_same_state_dir_is_refused(tmp_path: Path) -> None:
    import fcntl

    with open(tmp_path / "deploy.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = deploy_run("rollback", "--service", "flights", "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert "another rollout is running" in result.stdout
