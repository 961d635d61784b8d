"""The load step of a local canary (docs/adr/0134), as the skyway-load AnalysisTemplate's Job on EKS.

Sends `rate` GETs a second for `seconds` to the canary's own port, round-robin over /health and the
step's paths, with the service credential (flights and reservations answer nothing else), and writes
what it saw in the shape of one target's figures in deploy.analysis (outcomes, latency buckets with the
gateway's bounds, sum, count). On EKS the canary's own metrics count these requests; on one machine the
analysis reads the gateway's, which never see them, so the judge adds this report to the canary's
figures (`deploy.analysis judge --load-report`). Bounded in count and time; loopback only.

    python -m deploy.load --url http://127.0.0.1:26011 --path /ping --seconds 20 --rate 5 --out load.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from deploy.analysis import empty_figures, status_outcome

# The gateway's upstream latency buckets (gateway/clients/metrics.py), so the two merge bucket by bucket.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LOOPBACK = ("127.", "localhost", "[::1]")


def bucket_key(bound: float) -> str:
    return str(bound)


def generate(
    *, url: str, paths: list[str], seconds: float, rate: float, token: str = "",
    clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:  # fmt: skip
    """Send the load; return its figures (deploy.analysis' per-target shape) and how many were sent."""
    host = urlsplit(url).hostname or ""
    if not host.startswith(LOOPBACK) and host != "::1":
        raise ValueError(f"the local load step only targets loopback, not {host!r}")
    figures = empty_figures()
    figures["buckets"] = {**{bucket_key(b): 0.0 for b in BUCKETS}, "+Inf": 0.0}
    targets = ["/health", *paths]
    headers = {"X-Service-Token": token} if token else {}
    sent = 0
    end = clock() + seconds
    limit = int(seconds * rate) + 1
    with httpx.Client(base_url=url, headers=headers, timeout=5) as client:
        while clock() < end and sent < limit:
            path = targets[sent % len(targets)]
            sent += 1
            started = clock()
            try:
                outcome = status_outcome(str(client.get(path).status_code))
            except httpx.TimeoutException:
                outcome = "timeout"
            except httpx.TransportError:
                outcome = "connection_error"
            took = clock() - started
            figures["outcomes"][outcome] = figures["outcomes"].get(outcome, 0.0) + 1
            for bound in BUCKETS:
                if took <= bound:
                    figures["buckets"][bucket_key(bound)] += 1
            figures["buckets"]["+Inf"] += 1
            figures["latency_sum"] += took
            figures["latency_count"] += 1
            sleep(max(0.0, 1 / rate - took))
    return {"url": url, "sent": sent, "figures": figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the canary's own base URL")
    parser.add_argument("--path", action="append", default=[], help="a path to GET besides /health")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--state-dir", type=Path, help="its service_token, when SERVICE_TOKENS is unset")
    args = parser.parse_args(argv)
    if not (0 < args.seconds <= 600 and 0 < args.rate <= 200):
        parser.error("--seconds must be in 0..600 and --rate in 0..200")
    token = (os.environ.get("SERVICE_TOKENS") or "").split(",")[0].strip()
    if not token and args.state_dir and (args.state_dir / "service_token").exists():
        token = (args.state_dir / "service_token").read_text().strip()
    try:
        report = generate(url=args.url, paths=args.path, seconds=args.seconds, rate=args.rate, token=token)
    except ValueError as exc:
        print(json.dumps({"error": str(exc)}))
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report))
    print(json.dumps({"sent": report["sent"], "outcomes": report["figures"]["outcomes"]}))
    return 0 if report["sent"] else 1


if __name__ == "__main__":
    sys.exit(main())
