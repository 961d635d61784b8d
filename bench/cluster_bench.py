"""Reserve on one Redis node vs a Redis Cluster, with and without replica acks (WAIT), in one run.

Starts, from Debian's redis-server on loopback (no persistence on either side):

- one node with one replica (the baseline's Redis: WAIT has a replica to count there too), and
- a local Redis Cluster of 3 masters with 1 replica each (tests/support/redis_cluster.py),

then the reservations deployable (skyway.serve, ``--workers`` workers, one thread each) four times:
single node, single node + ``RESERVATIONS_WAIT_REPLICAS=1``, cluster, cluster + WAIT. Each is driven
by wrk (PUT: a distinct seat and customer per request, so every reserve wins and writes) in short
rounds that alternate between the four, so a change in the machine's load hits all alike.

Per scenario: req/s, p50/p99, the workers' CPU per reserve, Redis round trips per reserve (deltas of
``INFO commandstats`` over the masters: the commands clients sent, less the calls the Lua scripts make
inside Redis, and less WAIT, which rides in its EVALSHA's pipeline), WAITs per reserve, and the Redis
servers' own CPU per reserve (``INFO cpu``, every node, replicas included: they apply every write).
Every figure is also given as a ratio to the single-node baseline measured in the same run.

A reserve sends EVALSHA (the seat) and EVALSHA (the customer index's write-through, ADR 115): 2 round
trips; with acks, WAIT goes down the seat's connection in the same pipeline as its EVALSHA.

    .venv/bin/python bench/cluster_bench.py [--workers 2] [--duration 8] [--connections 16]

Ports: SKYWAY_TEST_PORTS if set (the cluster's nodes and bus ports too), else the kernel's picks for
the deployables and 30100-30199 for the Redis servers. Writes bench/results/cluster.json.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import measure  # noqa: E402
from bench.measure import KEY_PREFIX, SERVICE_HEADERS, wrk  # noqa: E402
from skyway.serve import ServerProcess  # noqa: E402
from tests.support import redis_cluster  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "cluster.json"
DEFAULT_REDIS_PORTS = "30100-30199"
SCENARIOS = ("single", "single_wait", "cluster", "cluster_wait")  # the first is the baseline


def _ports() -> range:
    return redis_cluster.parse_ports(os.environ.get("SKYWAY_TEST_PORTS") or DEFAULT_REDIS_PORTS)


def _free_port(ports: range) -> int:
    for port in ports:
        if redis_cluster.port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


class SingleNode:
    """One redis-server and its replica on loopback, each in its own directory."""

    def __init__(self, root: Path, ports: range) -> None:
        self.processes: list[subprocess.Popen] = []
        self.ports: list[int] = []
        for index in range(2):
            port = _free_port(range(self.ports[-1] + 1 if self.ports else ports.start, ports.stop))
            directory = root / f"single-{port}"
            directory.mkdir(parents=True)
            command = [redis_cluster.REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port)]
            command += ["--save", "", "--appendonly", "no", "--dir", str(directory)]
            if index:
                command += ["--replicaof", "127.0.0.1", str(self.ports[0])]
            self.processes.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, env=redis_cluster._node_env())
            )
            self.ports.append(port)
        primary = self.client(self.ports[0])
        redis_cluster.wait_for(
            lambda: primary.info("replication").get("slave0", {}).get("state") == "online",
            timeout=30,
            what="the single node's replica",
        )

    @staticmethod
    def client(port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def masters(self) -> list[int]:
        return self.ports[:1]

    def every_node(self) -> list[int]:
        return list(self.ports)

    def stop(self) -> None:
        for process in self.processes:
            process.kill()
            process.wait(timeout=10)


class Cluster:
    """tests/support/redis_cluster.LocalCluster behind the same three questions."""

    def __init__(self, root: Path, ports: range) -> None:
        self.local = redis_cluster.start(root / "cluster", ports=ports)

    client = staticmethod(SingleNode.client)

    @property
    def url(self) -> str:
        return self.local.url

    def masters(self) -> list[int]:
        return self.local.masters()

    def every_node(self) -> list[int]:
        return [node.port for node in self.local.nodes]

    def stop(self) -> None:
        self.local.stop()


# What the reserve and write-through scripts call inside Redis: counted by INFO commandstats like any
# command, but no client sends them on the reserve path, so they are no round trip.
SCRIPT_INNER = {"hget", "hset", "hsetnx", "hdel", "hvals", "xadd"}
BENCH_OWN = {"info"}  # the bench's own reads of these counters
REPLICATION = {"replconf", "psync", "sync"}  # replicas' acks to their master (WAIT asks for one at once)


def _redis_counters(target: SingleNode | Cluster) -> dict[str, float]:
    """Commands clients have sent the masters (WAIT apart) and CPU seconds every node has used, so far."""
    sent = waits = 0
    for port in target.masters():
        for name, entry in target.client(port).info("commandstats").items():
            command = name.removeprefix("cmdstat_").split("|")[0]
            if command == "wait":
                waits += entry["calls"]
            elif command not in SCRIPT_INNER | BENCH_OWN | REPLICATION:
                sent += entry["calls"]
    cpu = 0.0
    for port in target.every_node():
        info = target.client(port).info("cpu")
        cpu += info["used_cpu_sys"] + info["used_cpu_user"]
    return {"sent": sent, "waits": waits, "cpu": cpu}


def _service(redis_url: str, *, wait: bool, workers: int, log: Path) -> ServerProcess:
    env = measure.server_env(
        SECRET_KEY="bench-only-not-secret",  # noqa: S106 - loopback benches only
        SECURE_TRANSPORT="0",
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=KEY_PREFIX,
        RESERVATIONS_WAIT_REPLICAS="1" if wait else "0",
        RESERVATIONS_WAIT_TIMEOUT_MS="500",
        SKYWAY_VAR_DIR=str(log.parent / log.stem),
        LOG_LEVEL="ERROR",
    )
    for name in ("FLIGHTS_DATABASE_URL", "GATEWAY_DATABASE_URL"):
        env.pop(name, None)
    return measure.start_server("settings.reservations", env, workers, log)


def run(
    *, workers: int = 2, duration: float = 8.0, connections: int = 16, rounds: int = 4, write: bool = True
) -> dict:
    """Measure the four scenarios; return (and write) the figures."""
    measure.require_wrk()
    work = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    run_id = uuid.uuid4().hex[:6]
    ports = _ports()
    single = SingleNode(work, ports)
    cluster: Cluster | None = None
    services: dict[str, ServerProcess] = {}
    try:
        cluster = Cluster(work, range(max(single.ports) + 1, ports.stop))
        targets = {"single": single, "single_wait": single, "cluster": cluster, "cluster_wait": cluster}
        for name in SCENARIOS:
            services[name] = _service(
                targets[name].url, wait=name.endswith("_wait"), workers=workers, log=work / f"{name}.log"
            )
        url = {name: service.url + "/reservations" for name, service in services.items()}
        for name in SCENARIOS:  # imports, pools, the cluster's slot map, the scripts' first load
            wrk(url[name], duration=1, connections=connections, script=measure.put_script(work, f"{name}-warm", run_id),
                headers=SERVICE_HEADERS)  # fmt: skip
        rounds_of: dict[str, list[dict]] = {name: [] for name in SCENARIOS}
        for round_no in range(rounds):
            order = SCENARIOS if round_no % 2 == 0 else SCENARIOS[::-1]
            for name in order:
                redis_before = _redis_counters(targets[name])
                figures = measure.wrk_with_cpu(
                    services[name],
                    url[name],
                    duration=duration / rounds,
                    connections=connections,
                    script=measure.put_script(work, f"{name}-{round_no}", run_id),
                    headers=SERVICE_HEADERS,
                )
                redis_after = _redis_counters(targets[name])
                for counter in ("sent", "waits", "cpu"):
                    figures[f"redis_{counter}"] = redis_after[counter] - redis_before[counter]
                rounds_of[name].append(figures)
        rows = [_row(name, rounds_of[name]) for name in SCENARIOS]
    finally:
        for service in services.values():
            service.stop()
        single.stop()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    baseline = rows[0]
    for row in rows:
        for figure in (
            "req_s",
            "worker_cpu_us_per_req",
            "redis_round_trips_per_req",
            "redis_cpu_us_per_req",
            "p50_ms",
        ):
            row[f"{figure}_ratio"] = round(row[figure] / baseline[figure], 3) if baseline[figure] else None
    knobs = {"workers": workers, "connections": connections, "duration": duration, "rounds": rounds}
    result = {
        **measure.result_head("cluster", **knobs),
        "load_generator": "wrk -t1",
        "redis": f"Debian redis-server {_redis_version()}, TCP loopback, no persistence",
        "cpus": os.cpu_count(),
        "load_avg_end": [round(x, 2) for x in os.getloadavg()],
        "scenarios": rows,
    }
    if write:
        measure.write_result(RESULTS, result)
    return result


def _row(name: str, rounds: list[dict]) -> dict:
    requests = sum(r["requests"] for r in rounds) or 1
    return {
        "scenario": name,
        **measure.combine_with_cpu(rounds),
        # a WAIT rides in its EVALSHA's pipeline: a command, not a round trip of its own
        "redis_round_trips_per_req": round(sum(r["redis_sent"] for r in rounds) / requests, 2),
        "redis_waits_per_req": round(sum(r["redis_waits"] for r in rounds) / requests, 2),
        "redis_cpu_us_per_req": round(sum(r["redis_cpu"] for r in rounds) / requests * 1e6),
    }


def _redis_version() -> str:
    out = subprocess.run([redis_cluster.REDIS_SERVER, "--version"], capture_output=True, text=True).stdout
    return out.split("v=", 1)[1].split()[0] if "v=" in out else "?"


LABELS = {
    "single": "single node (baseline)",
    "single_wait": "single node + WAIT 1",
    "cluster": "cluster 3x(1+1)",
    "cluster_wait": "cluster + WAIT 1",
}


def table(result: dict) -> str:
    lines = [
        f"{'scenario':<24} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'RTT/req':>7} {'WAIT/req':>8} "
        f"{'worker CPU us/req':>18} {'redis CPU us/req':>17}"
    ]
    for row in result["scenarios"]:
        errors = row["non_2xx"] + row["socket_errors"]
        lines.append(
            f"{LABELS[row['scenario']]:<24} {row['req_s']:>8.1f} {row['req_s_ratio']:>6.2f} {row['p50_ms']:>7.2f} "
            f"{row['p99_ms']:>7.2f} {row['redis_round_trips_per_req']:>7.2f} {row['redis_waits_per_req']:>8.2f} "
            f"{row['worker_cpu_us_per_req']:>9} ({row['worker_cpu_us_per_req_ratio']:.2f}) "
            f"{row['redis_cpu_us_per_req']:>8} ({row['redis_cpu_us_per_req_ratio']:.2f})"
            + (f"  [{errors} errors]" if errors else "")
        )
    return "\n".join(lines)


def main() -> None:
    measure.server_bench_main(__doc__, run, table, RESULTS, duration=8.0, rounds=4, per="scenario")


if __name__ == "__main__":
    main()
