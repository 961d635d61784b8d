"""A local Redis Cluster for tests and `make test-cluster`: Debian's redis-server, loopback ports only.

Three masters with one replica each (six processes), every node in its own directory with its own
`nodes.conf`, no persistence (`--save '' --appendonly no`) and a short node timeout, so a killed
master's replica is promoted within a few seconds. Client ports and cluster-bus ports are both taken
from one port range (SKYWAY_TEST_PORTS, or `--ports A-B`): the bus port is set with `--cluster-port`
instead of Redis' default port + 10000, which would leave the range.

    python -m tests.support.redis_cluster start --dir var/redis-cluster --ports 27000-27099
    python -m tests.support.redis_cluster stop --dir var/redis-cluster

`start` prints the `redis+cluster://` URL the cluster client (skyway/redis_cluster.py) takes and
writes it to DIR/url; `stop` ends the nodes recorded in DIR/cluster.json (and only those: each pid
is checked to still be that node's redis-server before it is signalled).

Every wait polls a condition against a deadline; nothing sleeps blindly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
HOST = "127.0.0.1"
NODE_TIMEOUT_MS = 1000
STATE_FILE = "cluster.json"
URL_FILE = "url"


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, poll: float = 0.05) -> None:
    """Poll ``condition`` until it holds; TimeoutError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except (redis.RedisError, OSError):
            pass  # a node not up yet, or one going down: keep polling
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


def parse_ports(spec: str) -> range:
    low, _, high = spec.partition("-")
    try:
        ports = range(int(low), int(high) + 1)
    except ValueError:
        raise ValueError(f"ports must be LOW-HIGH, e.g. 27000-27099, not {spec!r}") from None
    if not ports or ports.start < 1024 or ports.stop > 65536:
        raise ValueError(f"ports must be LOW-HIGH within 1024-65535, not {spec!r}")
    return ports


def default_ports() -> range:
    spec = os.environ.get("SKYWAY_TEST_PORTS", "")
    if not spec:
        raise ValueError("a Redis Cluster needs a port range: set SKYWAY_TEST_PORTS or pass --ports A-B")
    return parse_ports(spec)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _pick_ports(ports: range, count: int) -> list[int]:
    chosen = [port for port in ports if port_is_free(port)][:count]
    if len(chosen) < count:
        raise RuntimeError(
            f"need {count} free loopback ports in {ports.start}-{ports.stop - 1}, found {len(chosen)}"
        )
    return chosen


def _is_node_process(pid: int, port: int) -> bool:
    """The pid is still the redis-server serving ``port`` (not a recycled pid of something else)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    # redis-server retitles itself "redis-server 127.0.0.1:PORT [cluster]"; before that its argv shows
    return (
        state != "Z"
        and b"redis-server" in cmdline
        and (f"{HOST}:{port}".encode() in cmdline or f"\0--port\0{port}\0".encode() in cmdline)
    )


@dataclass
class Node:
    port: int
    bus_port: int
    directory: Path
    pid: int | None = None

    def client(self, **kwargs) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.port, socket_timeout=2, socket_connect_timeout=1, **kwargs)

    def info(self, section: str) -> dict:
        with self.client() as client:
            return client.info(section)

    def alive(self) -> bool:
        return self.pid is not None and _is_node_process(self.pid, self.port)


@dataclass
class LocalCluster:
    """The nodes of one local cluster and the operations tests need on them."""

    root: Path
    nodes: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"{HOST}:{node.port}" for node in self.nodes)

    def node(self, port: int) -> Node:
        return next(node for node in self.nodes if node.port == port)

    def live_nodes(self) -> list[Node]:
        return [node for node in self.nodes if node.alive()]

    def topology(self) -> dict[int, dict]:
        """port → {role, master (port or None), slots (count), failed} as a live node sees the cluster."""
        for node in self.live_nodes():
            with contextlib.suppress(redis.RedisError, OSError), node.client(decode_responses=True) as client:
                return _parse_nodes(client.execute_command("CLUSTER", "NODES"))
        raise RuntimeError("no node of the cluster answers")

    def masters(self) -> list[int]:
        """Ports of the masters serving slots, in port order."""
        return sorted(port for port, n in self.topology().items() if n["role"] == "master" and n["slots"])

    def replicas_of(self, master_port: int) -> list[int]:
        return sorted(port for port, n in self.topology().items() if n["master"] == master_port)

    def master_of_key(self, key: str) -> int:
        """The port of the master that serves ``key``'s slot now."""
        node = self.live_nodes()[0]
        with node.client() as client:
            slot = client.execute_command("CLUSTER", "KEYSLOT", key)
            for start, end, master, *_replicas in client.execute_command("CLUSTER", "SLOTS"):
                if start <= slot <= end:
                    return int(master[1])
        raise RuntimeError(f"no master serves slot {slot}")

    def wait_ok(self, *, timeout: float = 30.0) -> None:
        """Every live node reports cluster_state:ok and agrees that every slot is served by a live master."""

        def ok() -> bool:
            live = self.live_nodes()
            if not live:
                return False
            for node in live:
                info = node.client().execute_command("CLUSTER", "INFO")
                info = info.decode() if isinstance(info, bytes) else info
                if "cluster_state:ok" not in info:
                    return False
            live_ports = {node.port for node in live}
            for node in live:
                topology = _parse_nodes(_text(node.client().execute_command("CLUSTER", "NODES")))
                served = {
                    p for p, n in topology.items() if n["role"] == "master" and n["slots"] and not n["failed"]
                }
                if not served <= live_ports or sum(topology[p]["slots"] for p in served) != 16384:
                    return False
            return True

        wait_for(ok, timeout=timeout, what=f"cluster_state:ok on every node under {self.root}")

    def kill(self, port: int) -> None:
        """SIGKILL one node (no shutdown, no last write): what a crashed host looks like to the cluster."""
        node = self.node(port)
        if node.alive():
            os.kill(node.pid, signal.SIGKILL)
            wait_for(lambda: not node.alive(), timeout=10, what=f"node {port} to die")

    def kill_master_and_wait_for_promotion(self, master_port: int, *, timeout: float = 30.0) -> int:
        """SIGKILL a master and wait until one of its replicas is master of its slots; the new master's port."""
        replicas = self.replicas_of(master_port)
        if not replicas:
            raise RuntimeError(f"master {master_port} has no replica to promote")
        self.kill(master_port)
        return self.wait_for_promotion(replicas, timeout=timeout)

    def wait_for_promotion(self, candidates: list[int], *, timeout: float = 30.0) -> int:
        promoted: list[int] = []

        def one_promoted() -> bool:
            for port in candidates:
                role = self.node(port).info("replication")["role"]
                if role == "master":
                    promoted.append(port)
                    return True
            return False

        wait_for(one_promoted, timeout=timeout, what=f"a replica of {candidates} to be promoted")
        self.wait_ok(timeout=timeout)
        return promoted[0]

    def restart(self, port: int, *, timeout: float = 30.0) -> None:
        """Start a killed node again from its nodes.conf (its data is gone: no persistence). A killed
        master comes back as a replica of the one promoted in its place, as a replaced node does."""
        node = self.node(port)
        if node.alive():
            raise RuntimeError(f"node {port} is running")
        node.pid = _launch(node.port, node.bus_port, node.directory)
        self.save()
        wait_for(lambda: node.client().ping(), timeout=timeout, what=f"redis-server on port {port}")
        self.wait_ok(timeout=timeout)

    def wait_replicated(self, *, replicas: int = 1, timeout: float = 30.0) -> None:
        """Every master has ``replicas`` replicas whose link is up."""
        for master in self.masters():
            wait_for(
                lambda m=master: (
                    len(self.replicas_of(m)) == replicas
                    and self.node(m).info("replication").get("connected_slaves") == replicas
                    and all(
                        self.node(r).info("replication").get("master_link_status") == "up"
                        for r in self.replicas_of(m)
                    )
                ),
                timeout=timeout,
                what=f"the replicas of {master} to be in sync",
            )

    def stop(self) -> None:
        for node in self.nodes:
            if node.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(node.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for node in self.nodes:
            while node.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            if node.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(node.pid, signal.SIGKILL)
        state = self.root / STATE_FILE
        state.unlink(missing_ok=True)
        (self.root / URL_FILE).unlink(missing_ok=True)

    def save(self) -> None:
        state = {
            "nodes": [
                {"port": n.port, "bus_port": n.bus_port, "directory": str(n.directory), "pid": n.pid}
                for n in self.nodes
            ]
        }
        (self.root / STATE_FILE).write_text(json.dumps(state, indent=2))
        (self.root / URL_FILE).write_text(self.url + "\n")

    @classmethod
    def load(cls, root: Path) -> LocalCluster:
        state = json.loads((Path(root) / STATE_FILE).read_text())
        nodes = [
            Node(port=n["port"], bus_port=n["bus_port"], directory=Path(n["directory"]), pid=n["pid"])
            for n in state["nodes"]
        ]
        return cls(root=Path(root), nodes=nodes)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parse_nodes(text: str) -> dict[int, dict]:
    """CLUSTER NODES → port → {id, role, master, slots, failed}."""
    rows = [line.split() for line in _text(text).splitlines() if line.strip()]
    port_of_id = {row[0]: int(row[1].split("@")[0].rsplit(":", 1)[1]) for row in rows}
    nodes = {}
    for row in rows:
        node_id, flags, master_id = row[0], row[2].split(","), row[3]
        slots = 0
        for span in row[8:]:
            if span.startswith("["):
                continue  # a slot being migrated or imported
            start, _, end = span.partition("-")
            slots += int(end or start) - int(start) + 1
        nodes[port_of_id[node_id]] = {
            "id": node_id,
            "role": "master" if "master" in flags else "replica",
            "master": port_of_id.get(master_id),
            "slots": slots,
            "failed": "fail" in flags or "fail?" in flags,
        }
    return nodes


def _node_env() -> dict[str, str]:
    # redis-server needs nothing of ours: no datastore URL, secret or Django setting reaches it.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}


def _server_command(port: int, bus_port: int, directory: Path) -> list[str]:
    options = {
        "bind": HOST,
        "port": port,
        "cluster-enabled": "yes",
        "cluster-port": bus_port,
        "cluster-config-file": "nodes.conf",
        "cluster-node-timeout": NODE_TIMEOUT_MS,
        # a replica whose link to its dead master is old still stands for election
        "cluster-replica-validity-factor": 0,
        "save": "",
        "appendonly": "no",
        "dir": directory,
        "daemonize": "no",
        "protected-mode": "yes",
    }
    return [REDIS_SERVER, *(part for name, value in options.items() for part in (f"--{name}", str(value)))]


def _launch(port: int, bus_port: int, directory: Path) -> int:
    with (directory / "redis.log").open("ab") as log:
        process = subprocess.Popen(
            _server_command(port, bus_port, directory),
            cwd=directory,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_node_env(),
            start_new_session=True,  # outlives the CLI that started it (make test-cluster)
        )
    return process.pid


def start(
    root: Path, *, ports: range | None = None, masters: int = 3, replicas: int = 1, timeout: float = 60.0
) -> LocalCluster:
    """Start ``masters`` * (1 + ``replicas``) nodes under ``root`` and join them into one cluster."""
    root = Path(root).resolve()
    if (root / STATE_FILE).exists():
        LocalCluster.load(root).stop()  # a cluster left by an interrupted run in the same directory
    count = masters * (1 + replicas)
    chosen = _pick_ports(ports or default_ports(), 2 * count)
    cluster = LocalCluster(root=root)
    try:
        for port, bus_port in zip(chosen[:count], chosen[count:], strict=True):
            directory = root / f"node-{port}"
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
            cluster.nodes.append(
                Node(
                    port=port, bus_port=bus_port, directory=directory, pid=_launch(port, bus_port, directory)
                )
            )
        cluster.save()
        for node in cluster.nodes:
            wait_for(lambda n=node: n.client().ping(), timeout=10, what=f"redis-server on port {node.port}")
        addresses = [f"{HOST}:{node.port}" for node in cluster.nodes]
        subprocess.run(
            [
                REDIS_CLI,
                "--cluster",
                "create",
                *addresses,
                "--cluster-replicas",
                str(replicas),
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
            env=_node_env(),
        )
        cluster.wait_ok(timeout=timeout)
        cluster.wait_replicated(replicas=replicas, timeout=timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def stop(root: Path) -> None:
    root = Path(root).resolve()
    if (root / STATE_FILE).exists():
        LocalCluster.load(root).stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.redis_cluster", description=__doc__.split("\n")[0]
    )
    parser.add_argument("action", choices=["start", "stop", "url"])
    parser.add_argument(
        "--dir", required=True, type=Path, help="where the nodes' directories and the state file live"
    )
    parser.add_argument("--ports", help="LOW-HIGH (default: SKYWAY_TEST_PORTS)")
    args = parser.parse_args(argv)
    if args.action == "start":
        cluster = start(args.dir, ports=parse_ports(args.ports) if args.ports else None)
        masters = cluster.masters()
        print(
            f"Redis Cluster up: masters {masters}, replicas {[cluster.replicas_of(m) for m in masters]}",
            file=sys.stderr,
        )
        print(cluster.url)
    elif args.action == "stop":
        stop(args.dir)
    else:
        print(LocalCluster.load(args.dir).url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
