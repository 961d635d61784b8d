"""The gateway-file traffic router: sets one service's weighted targets in the gateway's routes file.

The gateway (GATEWAY_ROUTES_FILE) re-reads the file when its mtime changes, so one atomic write is one
traffic step. Other services' entries are kept as they are.

    python -m deploy.routes set --file var/deploy/routes.json --service flights \
        --target stable=http://127.0.0.1:8001@90 --target canary=http://127.0.0.1:8011@10
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from deploy.localproc import json_write_atomic

TARGET = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)=(?P<url>https?://[^@\s]+)@(?P<weight>\d+)$")


def target_parse(text: str) -> dict[str, object]:
    match = TARGET.match(text)
    if match is None:
        raise ValueError(f"target must look like name=http://host:port@weight, got {text!r}")
    return {"name": match["name"], "url": match["url"], "weight": int(match["weight"])}


def routes_set(*, path: Path, service: str, targets: list[dict[str, object]]) -> dict[str, list]:
    """Replace `service`'s targets (weight-0 targets are dropped: they get no traffic anyway)."""
    if not any(int(t["weight"]) > 0 for t in targets):
        raise ValueError(f"{service}: at least one target needs a weight above 0")
    routes: dict[str, list] = json.loads(path.read_text()) if path.exists() else {}
    routes[service] = [t for t in targets if int(t["weight"]) > 0]
    json_write_atomic(path, routes)
    return routes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.routes", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    setter = sub.add_parser("set")
    setter.add_argument("--file", type=Path, required=True)
    setter.add_argument("--service", required=True)
    setter.add_argument("--target", action="append", required=True, metavar="NAME=URL@WEIGHT")
    setter.add_argument("--settle", type=float, default=0.0, help="seconds to wait for the gateway to reload")
    args = parser.parse_args(argv)
    try:
        routes = routes_set(
            path=args.file, service=args.service, targets=[target_parse(t) for t in args.target]
        )
    except ValueError as exc:
        print(json.dumps({"error": str(exc)}))
        return 1
    time.sleep(args.settle)
    print(json.dumps({args.service: routes[args.service]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
