"""The schemas every Skyway custom resource is validated against (tests/release/test_manifests.py).

Vendored upstream CRD schemas (tests/release/crds/, README.md there says from which registry package and
upstream release): Argo Rollouts v1.5.0 (Rollout, AnalysisTemplate, AnalysisRun), Argo CD v2.7.1
(Application, AppProject) and Gateway API v1.0.0 (Gateway, GatewayClass, HTTPRoute), each CRD's
openAPIV3Schema as published, made strict the way `kubectl apply --validate=strict` is: an unknown field
is refused wherever the CRD lists the fields (an object the CRD leaves open, such as a Rollout's
`trafficRouting.plugins`, stays open). `metadata` is Kubernetes' own ObjectMeta from kubernetes-validate.

External Secrets Operator v0.16.2's v1 ExternalSecret and SecretStore are vendored too, but derived
rather than copied: their package carries no schema, only TypeScript interfaces and compiled validators
generated from ESO's Go types, and crds/from_typescript.py turns them into strict JSON Schemas (ADR 156).

What the vendored releases lack is added here, each field named with the release that brought it:
Gateway API v1.4's `HTTPRoute.spec.rules[].name` and `Gateway.spec.infrastructure.parametersRef` (v1.1).
No registry package carries the AWS Load Balancer Controller's `gateway.k8s.aws` CRDs: those stay
hand-written below, with the fields and enums of the upstream CRDs and unknown fields refused.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

CRDS = Path(__file__).resolve().parent / "crds"
VENDORED = {
    ("argoproj.io/v1alpha1", "Rollout"): "argo-rollouts-v1.5.0/rollout.v1alpha1.json",
    ("argoproj.io/v1alpha1", "AnalysisTemplate"): "argo-rollouts-v1.5.0/analysistemplate.v1alpha1.json",
    ("argoproj.io/v1alpha1", "AnalysisRun"): "argo-rollouts-v1.5.0/analysisrun.v1alpha1.json",
    ("argoproj.io/v1alpha1", "Application"): "argo-cd-v2.7.1/application.v1alpha1.json",
    ("argoproj.io/v1alpha1", "AppProject"): "argo-cd-v2.7.1/appproject.v1alpha1.json",
    ("gateway.networking.k8s.io/v1", "Gateway"): "gateway-api-v1.0.0/gateway.v1.json",
    ("gateway.networking.k8s.io/v1", "GatewayClass"): "gateway-api-v1.0.0/gatewayclass.v1.json",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "gateway-api-v1.0.0/httproute.v1.json",
    # Derived from the TypeScript and compiled validators of @kubernetes-models/external-secrets (README.md).
    ("external-secrets.io/v1", "ExternalSecret"): "external-secrets-v0.16.2/externalsecret.v1.json",
    ("external-secrets.io/v1", "SecretStore"): "external-secrets-v0.16.2/secretstore.v1.json",
}


def strictify(node: Any) -> Any:
    """Refuse unknown fields where the CRD lists the fields (structural schemas prune them silently)."""
    if isinstance(node, dict):
        if node.get("properties") and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            strictify(value)
    elif isinstance(node, list):
        for value in node:
            strictify(value)
    return node


def without_refs(node: Any) -> Any:
    """ObjectMeta's $refs (managedFields, ownerReferences, timestamps) point into kubernetes-validate's
    definitions file; none is set in git, so each becomes "any value"."""
    if isinstance(node, dict):
        return {k: without_refs(v) for k, v in node.items() if k != "$ref"}
    if isinstance(node, list):
        return [without_refs(v) for v in node]
    return node


@functools.cache
def object_meta() -> dict[str, Any]:
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    version = kubernetes_validate.latest_version()
    meta = json.loads((schemas / f"v{version}-local-strict" / "objectmeta-meta-v1.json").read_text())
    return without_refs(meta)


def vendored(key: tuple[str, str]) -> dict[str, Any]:
    schema = strictify(json.loads((CRDS / VENDORED[key]).read_text()))
    schema["properties"]["metadata"] = object_meta()
    schema["required"] = sorted({*schema.get("required", []), "metadata"})
    return schema


def description_fields_back(schemas: dict[tuple[str, str], dict[str, Any]]) -> None:
    """crd-generate strips documentation keys, and with them every *property* named `description`: Argo
    CD's AppProjectSpec has one (`spec.description`, and `spec.roles[].description`), put back here."""
    spec = schemas[("argoproj.io/v1alpha1", "AppProject")]["properties"]["spec"]
    spec["properties"]["description"] = {"type": "string"}
    spec["properties"]["roles"]["items"]["properties"]["description"] = {"type": "string"}


def added_after_gateway_api_v1_0(schemas: dict[tuple[str, str], dict[str, Any]]) -> None:
    route_rule = schemas[("gateway.networking.k8s.io/v1", "HTTPRoute")]["properties"]["spec"]["properties"][
        "rules"
    ]["items"]
    # v1.4 (GEP-995): a rule's name, a SectionName.
    route_rule["properties"]["name"] = {
        "type": "string", "minLength": 1, "maxLength": 253,
        "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    }  # fmt: skip
    gateway_spec = schemas[("gateway.networking.k8s.io/v1", "Gateway")]["properties"]["spec"]
    infrastructure = gateway_spec["properties"].setdefault(
        "infrastructure", {"type": "object", "properties": {}, "additionalProperties": False}
    )
    # v1.1 (GEP-1867): parametersRef to a controller's configuration object (a LocalParametersReference).
    infrastructure["properties"]["parametersRef"] = {
        "type": "object",
        "required": ["group", "kind", "name"],
        "additionalProperties": False,
        "properties": {
            "group": {"type": "string", "maxLength": 253},
            "kind": {"type": "string", "minLength": 1, "maxLength": 63},
            "name": {"type": "string", "minLength": 1, "maxLength": 253},
        },
    }


# ---- hand-written: no registry package carries these CRDs ----

NAME = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253}
METADATA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": NAME,
        "namespace": NAME,
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}


def resource(api_version: str, kind: str, spec: dict) -> dict:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": METADATA,
            "spec": spec,
        },
        "additionalProperties": False,
    }


def strict(properties: dict, required: list[str] | None = None) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": required or [],
        "additionalProperties": False,
    }


LOAD_BALANCER_CONFIGURATION = resource(
    "gateway.k8s.aws/v1beta1",
    "LoadBalancerConfiguration",
    strict(
        {
            "scheme": {"enum": ["internal", "internet-facing"]},
            "ipAddressType": {"enum": ["ipv4", "dualstack", "dualstack-without-public-ipv4"]},
            "listenerConfigurations": {
                "type": "array",
                "items": strict(
                    {
                        "protocolPort": {
                            "type": "string",
                            "pattern": r"^(HTTP|HTTPS|TCP|UDP|TLS|TCP_UDP):\d+$",
                        },
                        "defaultCertificate": {"type": "string"},
                        "certificates": {"type": "array", "items": {"type": "string"}},
                        "sslPolicy": {"type": "string"},
                    },
                    ["protocolPort"],
                ),
            },
        }
    ),
)
TARGET_GROUP_CONFIGURATION = resource(
    "gateway.k8s.aws/v1beta1",
    "TargetGroupConfiguration",
    strict(
        {
            "targetReference": strict(
                {"group": {"type": "string"}, "kind": {"const": "Service"}, "name": NAME}, ["name"]
            ),
            "defaultConfiguration": strict(
                {
                    "targetType": {"enum": ["instance", "ip"]},
                    "healthCheckConfig": strict(
                        {
                            "healthCheckPath": {"type": "string", "pattern": "^/"},
                            "healthCheckProtocol": {"enum": ["HTTP", "HTTPS"]},
                        }
                    ),
                }
            ),
        },
        ["targetReference"],
    ),
)


@functools.cache
def _schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {key: vendored(key) for key in VENDORED}
    description_fields_back(schemas)
    added_after_gateway_api_v1_0(schemas)
    schemas.update(
        {
            ("gateway.k8s.aws/v1beta1", "LoadBalancerConfiguration"): LOAD_BALANCER_CONFIGURATION,
            ("gateway.k8s.aws/v1beta1", "TargetGroupConfiguration"): TARGET_GROUP_CONFIGURATION,
        }
    )
    return schemas


def schema_for(api_version: str, kind: str) -> dict[str, Any] | None:
    """A fresh copy (callers may not change the cached one)."""
    schema = _schemas().get((api_version, kind))
    return copy.deepcopy(schema) if schema is not None else None


SCHEMAS = _schemas()


@functools.cache
def validator(key: tuple[str, str]) -> jsonschema.protocols.Validator:
    """The schema checked against its metaschema once, then one validator for every document.

    ``jsonschema.validate`` checks the schema on every call: for the Argo Rollouts CRD that is ~0.6 s
    a call, and it was most of test_manifests' time.
    """
    schema = SCHEMAS[key]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate(doc: dict[str, Any]) -> None:
    """Raise the best-matching ValidationError, as ``jsonschema.validate`` does, against the doc's kind."""
    error = jsonschema.exceptions.best_match(validator((doc["apiVersion"], doc["kind"])).iter_errors(doc))
    if error is not None:
        raise error
