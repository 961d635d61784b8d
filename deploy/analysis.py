"""Canary analysis: compare a canary's error rate and latency with thresholds and with the stable version,
and gate on the reservations business signals (docs/adr/0114): the share of reserves refused as taken on
seats nobody holds, and the hash-vs-log consistency check.

Source on one machine: the gateway's /metrics (`skyway_gateway_upstream_requests_total{service,target,
outcome}`, `skyway_gateway_upstream_latency_seconds_*{service,target}` and
`skyway_gateway_reserves_total{target,outcome}`); a step's figures are the deltas between a snapshot
taken when the weights changed and one taken at the end of the step. The consistency report is the JSON
of `manage.py reservations_check`, run at the end of the step.
Source in a cluster: Prometheus (see `prometheus_snapshot`): the same deltas as `increase()` over the step.

    python -m deploy.analysis snapshot --gateway http://127.0.0.1:8000 --out before.json
    python -m deploy.analysis judge --gateway http://127.0.0.1:8000 --before before.json --service flights \
        --canary canary --stable stable --max-error-rate 0.05 [--max-p95-ms 500] \
        [--max-refused-free-rate 0.02] [--consistency-report check.json] --report step.json

`judge` prints a JSON verdict and exits 0 (pass), 3 (breach) or 4 (not enough canary traffic to judge:
Inconclusive, which pauses the rollout, docs/adr/0134). `--load-report` adds the step's load (deploy/load.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

REQUESTS = "skyway_gateway_upstream_requests"
LATENCY = "skyway_gateway_upstream_latency_seconds"
RESERVES = "skyway_gateway_reserves"  # per target, of the reservations service
# Outcomes that count against a version. client_error (4xx) is the caller's fault, not the release's.
ERROR_OUTCOMES = ("server_error", "connection_error", "timeout", "breaker_open")
PASS, BREACH, NO_DATA = 0, 3, 4

Snapshot = dict[str, dict[str, dict[str, Any]]]  # service → target → figures


def empty_figures() -> dict[str, Any]:
    return {"outcomes": {}, "buckets": {}, "latency_sum": 0.0, "latency_count": 0.0, "reserves": {}}


def snapshot_parse(text: str) -> Snapshot:
    """Per service and target: requests by outcome, latency buckets (le → cumulative count), sum, count,
    and (reservations) reserve answers by business outcome."""
    snap: Snapshot = {}

    def slot(labels: dict[str, str]) -> dict[str, Any]:
        per_service = snap.setdefault(labels["service"], {})
        return per_service.setdefault(labels["target"], empty_figures())

    for family in text_string_to_metric_families(text):
        if family.name == RESERVES:
            for sample in family.samples:
                if sample.name == f"{RESERVES}_total" and "target" in sample.labels:
                    figures_of = slot({"service": "reservations", "target": sample.labels["target"]})
                    figures_of["reserves"][sample.labels["outcome"]] = sample.value
            continue
        if family.name not in {REQUESTS, LATENCY}:
            continue
        for sample in family.samples:
            labels = sample.labels
            if "service" not in labels or "target" not in labels:
                continue
            if sample.name == f"{REQUESTS}_total":
                slot(labels)["outcomes"][labels["outcome"]] = sample.value
            elif sample.name == f"{LATENCY}_bucket":
                slot(labels)["buckets"][labels["le"]] = sample.value
            elif sample.name == f"{LATENCY}_sum":
                slot(labels)["latency_sum"] = sample.value
            elif sample.name == f"{LATENCY}_count":
                slot(labels)["latency_count"] = sample.value
    return snap


def gateway_snapshot(gateway_url: str, timeout: float = 5.0) -> Snapshot:
    """One instance's figures: `<url>/metrics`, or the URL itself when it names its metrics path (the
    front router's /-/front/metrics, deploy/front.py)."""
    # /metrics is behind the service credential (skyway.service_auth): present the one this run uses.
    token = (os.environ.get("SERVICE_TOKENS") or "").split(",")[0].strip()
    headers = {"X-Service-Token": token} if token else {}
    url = gateway_url.rstrip("/")
    response = httpx.get(
        url if url.endswith("/metrics") else f"{url}/metrics", headers=headers, timeout=timeout
    )
    response.raise_for_status()
    return snapshot_parse(response.text)


def instances_snapshot(urls: list[str]) -> dict[str, Snapshot]:
    """Several instances' figures, by URL: during a lockstep release two gateways route reservations
    traffic, and a step's figures are the sum of each one's delta (as Prometheus' sum(increase()))."""
    return {"instances": {url: gateway_snapshot(url) for url in urls}}  # type: ignore[dict-item]


def instances_of(snapshot: dict[str, Any]) -> dict[str, Snapshot]:
    """A snapshot by instance URL (one without instances is one unnamed instance)."""
    return snapshot.get("instances", {"": snapshot})


def step_delta(before: dict[str, Any], after: dict[str, Any], service: str, target: str) -> dict[str, Any]:
    """`target`'s figures over the step, summed over the instances seen at its end."""
    earlier = instances_of(before)
    total = empty_figures()
    for url, snap in instances_of(after).items():
        then = earlier.get(url, {}).get(service, {}).get(target)
        total = delta_add(total, target_delta(then, snap.get(service, {}).get(target)))
    return total


def target_delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """after - before for one target (a target absent before counts from zero)."""
    before = {**empty_figures(), **(before or {})}
    after = {**empty_figures(), **(after or {})}
    # A counter that went down means the gateway restarted: its current value is the whole delta.
    reset = sum(after["outcomes"].values()) < sum(before["outcomes"].values())
    base = empty_figures() if reset else before
    return {
        "outcomes": {k: v - base["outcomes"].get(k, 0.0) for k, v in after["outcomes"].items()},
        "reserves": {k: v - base["reserves"].get(k, 0.0) for k, v in after["reserves"].items()},
        "buckets": {k: v - base["buckets"].get(k, 0.0) for k, v in after["buckets"].items()},
        "latency_sum": after["latency_sum"] - base["latency_sum"],
        "latency_count": after["latency_count"] - base["latency_count"],
    }


def delta_add(delta: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Two targets' deltas summed (the load step's own figures on top of what the gateway saw)."""
    total = {**empty_figures(), **delta}
    for key in ("outcomes", "reserves", "buckets"):
        merged = dict(total.get(key, {}))
        for k, v in extra.get(key, {}).items():
            merged[k] = merged.get(k, 0.0) + v
        total[key] = merged
    total["latency_sum"] = total["latency_sum"] + extra.get("latency_sum", 0.0)
    total["latency_count"] = total["latency_count"] + extra.get("latency_count", 0.0)
    return total


def p95_seconds(buckets: dict[str, float]) -> float | None:
    """The 95th percentile from cumulative buckets, interpolated linearly inside the bucket that holds it
    (what Prometheus' histogram_quantile does); None without observations. In the +Inf bucket it is the
    highest finite bound, as in Prometheus."""
    ordered = sorted(((math.inf if le == "+Inf" else float(le)), count) for le, count in buckets.items())
    if not ordered or ordered[-1][1] <= 0:
        return None
    rank = 0.95 * ordered[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for upper, count in ordered:
        if count >= rank:
            if math.isinf(upper):
                return lower_bound
            if count == lower_count:
                return upper
            return lower_bound + (upper - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = upper, count
    return lower_bound


@dataclass
class TargetFigures:
    requests: int
    errors: int
    error_rate: float | None
    p95_ms: float | None
    mean_ms: float | None
    reserves: int = 0  # reserve answers (reservations only)
    refused_free: int = 0  # … refused as taken on a seat nobody holds
    refused_free_rate: float | None = None


def figures(delta: dict[str, Any]) -> TargetFigures:
    requests = round(sum(delta["outcomes"].values()))
    errors = round(sum(delta["outcomes"].get(o, 0.0) for o in ERROR_OUTCOMES))
    p95 = p95_seconds(delta["buckets"])
    count = delta["latency_count"]
    reserves = round(sum(delta.get("reserves", {}).values()))
    refused_free = round(delta.get("reserves", {}).get("refused_free", 0.0))
    return TargetFigures(
        requests=requests,
        errors=errors,
        error_rate=(errors / requests) if requests else None,
        p95_ms=None if p95 is None else round(p95 * 1000, 1),
        mean_ms=(delta["latency_sum"] / count * 1000) if count else None,
        reserves=reserves,
        refused_free=refused_free,
        refused_free_rate=(refused_free / reserves) if reserves else None,
    )


@dataclass
class Thresholds:
    max_error_rate: float = 0.05  # absolute ceiling on the canary's error share
    max_error_rate_increase: float = 0.02  # canary may exceed stable's error share by at most this
    max_p95_ms: float | None = None  # absolute p95 ceiling, if any
    max_latency_ratio: float = 2.0  # canary p95 / mean may be at most this many times stable's …
    latency_floor_ms: float = 100.0  # … once above this floor (a 20 ms vs 45 ms "doubling" is noise)
    min_requests: int = 20  # fewer canary requests than this in a step cannot be judged
    # Business gate (docs/adr/0114): share of the canary's reserves refused as taken on a free seat. A
    # healthy build is at 0 but for a seat released between the refusal and its check.
    max_refused_free_rate: float = 0.02


@dataclass
class Verdict:
    service: str
    canary: str
    stable: str
    status: str  # pass | breach | no_data
    reasons: list[str] = field(default_factory=list)
    canary_figures: TargetFigures | None = None
    stable_figures: TargetFigures | None = None


def judge(
    *,
    service: str,
    canary: str,
    stable: str,
    before: Snapshot,
    after: Snapshot,
    thresholds: Thresholds,
    consistency: dict[str, Any] | None = None,
    load: dict[str, Any] | None = None,
) -> Verdict:
    """Decide one step from two snapshots (and the step's hash-vs-log report, when there is one; and the
    load step's figures, which the canary served beside what the gateway routed to it)."""
    can_delta = step_delta(before, after, service, canary)
    can = figures(delta_add(can_delta, load) if load else can_delta)
    stb = figures(step_delta(before, after, service, stable))
    verdict = Verdict(
        service=service, canary=canary, stable=stable, status="pass", canary_figures=can, stable_figures=stb
    )
    if consistency is not None and not consistency.get("consistent", False):
        # Not a matter of traffic: the store disagrees with its own log, whoever's step it is.
        mismatches = consistency.get("mismatches", [])
        verdict.status = "breach"
        verdict.reasons.append(
            f"hash-vs-log check: {len(mismatches)} seats differ between the flight hashes and the event log"
            + (f" (first: {mismatches[0]})" if mismatches else "")
        )
        return verdict
    if can.requests < thresholds.min_requests:
        verdict.status = "no_data"
        verdict.reasons.append(
            f"only {can.requests} canary requests (< {thresholds.min_requests}) in this step"
        )
        return verdict
    reasons = verdict.reasons
    if can.error_rate is not None and can.error_rate > thresholds.max_error_rate:
        reasons.append(
            f"canary error rate {can.error_rate:.1%} ({can.errors}/{can.requests}) > max {thresholds.max_error_rate:.1%}"
        )
    compared = (
        stb.error_rate is not None and can.error_rate is not None and stb.requests >= thresholds.min_requests
    )
    if compared and can.error_rate > stb.error_rate + thresholds.max_error_rate_increase:
        reasons.append(
            f"canary error rate {can.error_rate:.1%} > stable {stb.error_rate:.1%} "
            f"+ {thresholds.max_error_rate_increase:.1%}"
        )
    if can.refused_free_rate is not None and can.refused_free_rate > thresholds.max_refused_free_rate:
        reasons.append(
            f"canary refused {can.refused_free_rate:.1%} of reserves as taken on free seats "
            f"({can.refused_free}/{can.reserves}) > max {thresholds.max_refused_free_rate:.1%}"
        )
    if thresholds.max_p95_ms is not None and can.p95_ms is not None and can.p95_ms > thresholds.max_p95_ms:
        reasons.append(f"canary p95 {can.p95_ms:.0f} ms > max {thresholds.max_p95_ms:.0f} ms")
    for label, c_ms, s_ms in (("p95", can.p95_ms, stb.p95_ms), ("mean", can.mean_ms, stb.mean_ms)):
        if c_ms is None or s_ms is None or stb.requests < thresholds.min_requests:
            continue
        if c_ms > thresholds.latency_floor_ms and c_ms > s_ms * thresholds.max_latency_ratio:
            reasons.append(
                f"canary {label} latency {c_ms:.0f} ms > {thresholds.max_latency_ratio:g} x stable {s_ms:.0f} ms"
            )
    if reasons:
        verdict.status = "breach"
    return verdict


def prometheus_snapshot(
    prometheus_url: str,
    *,
    service: str,
    window_seconds: int,
    namespace: str = "skyway",
    timeout: float = 10.0,
) -> Snapshot:
    """The step's figures from Prometheus (cluster inventory), per track, shaped like a delta so that
    judge() can take it as `after` with an empty `before`.

    In the cluster the gateway calls one Service and the mesh splits by weight, so the gateway cannot
    tell the tracks apart; the services' own django-prometheus metrics can, once Prometheus copies the
    pod labels `app.kubernetes.io/name` → `app` and `skyway.io/track` → `track` (docs/deploying.md).
    """
    selector = f'namespace="{namespace}", app="{service}"'
    window = f"{window_seconds}s"
    queries = {
        "outcomes": f"sum by (track, status) (increase(django_http_responses_total_by_status_total{{{selector}}}[{window}]))",
        "buckets": f"sum by (track, le) (increase(django_http_requests_latency_seconds_by_view_method_bucket{{{selector}}}[{window}]))",
        "latency_sum": f"sum by (track) (increase(django_http_requests_latency_seconds_by_view_method_sum{{{selector}}}[{window}]))",
        "latency_count": f"sum by (track) (increase(django_http_requests_latency_seconds_by_view_method_count{{{selector}}}[{window}]))",
    }
    snap: Snapshot = {service: {}}
    for key, query in queries.items():
        response = httpx.get(
            f"{prometheus_url.rstrip('/')}/api/v1/query", params={"query": query}, timeout=timeout
        )
        response.raise_for_status()
        for item in response.json()["data"]["result"]:
            labels, value = item["metric"], float(item["value"][1])
            target = snap[service].setdefault(
                labels.get("track", "unknown"),
                {"outcomes": {}, "buckets": {}, "latency_sum": 0.0, "latency_count": 0.0},
            )
            if key == "outcomes":
                outcome = status_outcome(labels.get("status", ""))
                target["outcomes"][outcome] = target["outcomes"].get(outcome, 0.0) + value
            elif key == "buckets":
                target["buckets"][labels["le"]] = value
            else:
                target[key] = value
    return snap


def status_outcome(status: str) -> str:
    """An HTTP status as the gateway's outcome label."""
    if status.startswith("5"):
        return "server_error"
    if status.startswith("4"):
        return "client_error"
    return "success"


def consistency_read(path: Path) -> dict[str, Any]:
    """The report of `manage.py reservations_check` (its last stdout line); unreadable → inconsistent, so
    a check that could not run never passes a step."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    try:
        report = json.loads(lines[-1]) if lines else None
    except ValueError:
        report = None
    if not isinstance(report, dict) or "consistent" not in report:
        return {"consistent": False, "mismatches": [], "error": (lines[-1] if lines else "no output")[:300]}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("--gateway", action="append", required=True, help="an instance's URL (repeatable)")
    snap.add_argument("--out", type=Path, required=True)
    jdg = sub.add_parser("judge")
    source = jdg.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--gateway", action="append", help="a gateway's base URL (local: deltas of its /metrics; repeatable)"
    )
    source.add_argument("--prometheus", help="Prometheus base URL (cluster: increase() over --window)")
    jdg.add_argument("--before", type=Path, help="snapshot taken when the step began (with --gateway)")
    jdg.add_argument("--window", type=int, default=60, help="seconds of the step (with --prometheus)")
    jdg.add_argument("--service", required=True)
    jdg.add_argument("--canary", default="canary")
    jdg.add_argument("--stable", default="stable")
    jdg.add_argument("--max-error-rate", type=float, default=Thresholds.max_error_rate)
    jdg.add_argument("--max-error-rate-increase", type=float, default=Thresholds.max_error_rate_increase)
    jdg.add_argument("--max-p95-ms", type=float, default=None)
    jdg.add_argument("--max-latency-ratio", type=float, default=Thresholds.max_latency_ratio)
    jdg.add_argument("--min-requests", type=int, default=Thresholds.min_requests)
    jdg.add_argument("--max-refused-free-rate", type=float, default=Thresholds.max_refused_free_rate)
    jdg.add_argument("--consistency-report", type=Path, help="JSON of `manage.py reservations_check`")
    jdg.add_argument("--load-report", type=Path, help="JSON of `deploy.load` for this step (its figures)")
    jdg.add_argument("--report", type=Path)
    args = parser.parse_args(argv)

    if args.command == "snapshot":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(instances_snapshot(args.gateway)))
        print(json.dumps({"snapshot": str(args.out)}))
        return PASS

    thresholds = Thresholds(
        max_error_rate=args.max_error_rate,
        max_error_rate_increase=args.max_error_rate_increase,
        max_p95_ms=args.max_p95_ms,
        max_latency_ratio=args.max_latency_ratio,
        min_requests=args.min_requests,
        max_refused_free_rate=args.max_refused_free_rate,
    )
    consistency = consistency_read(args.consistency_report) if args.consistency_report else None
    if args.gateway:
        if args.before is None:
            parser.error("--gateway needs --before")
        before, after = json.loads(args.before.read_text()), instances_snapshot(args.gateway)
    else:
        before, after = (
            {},
            prometheus_snapshot(args.prometheus, service=args.service, window_seconds=args.window),
        )
    verdict = judge(
        service=args.service,
        canary=args.canary,
        stable=args.stable,
        before=before,
        after=after,
        thresholds=thresholds,
        consistency=consistency,
        load=json.loads(args.load_report.read_text())["figures"] if args.load_report else None,
    )
    result = asdict(verdict)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return {"pass": PASS, "breach": BREACH, "no_data": NO_DATA}[verdict.status]


if __name__ == "__main__":
    sys.exit(main())
