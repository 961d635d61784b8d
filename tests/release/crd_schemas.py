"""Structural JSON schemas for the custom resources Skyway ships (their CRDs are not on this machine).

They hold the fields we use, with the types and enums of the upstream CRDs (Gateway API v1,
Argo CD v1alpha1, External Secrets v1), and refuse unknown fields where a typo would go unnoticed.
"""

from __future__ import annotations

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


PARENT_REF = strict(
    {
        "group": {"type": "string"},
        "kind": {"enum": ["Gateway", "Service"]},
        "name": NAME,
        "namespace": NAME,
        "sectionName": NAME,
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
    },
    ["name"],
)
BACKEND_REF = strict(
    {
        "group": {"const": ""},
        "kind": {"const": "Service"},
        "name": NAME,
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "weight": {"type": "integer", "minimum": 0, "maximum": 1000000},
    },
    ["name", "port"],
)
HTTP_MATCH = strict(
    {
        "path": strict(
            {"type": {"enum": ["Exact", "PathPrefix", "RegularExpression"]}, "value": {"type": "string"}}
        ),
        "headers": {
            "type": "array",
            "items": strict(
                {
                    "type": {"enum": ["Exact", "RegularExpression"]},
                    "name": {"type": "string"},
                    "value": {"type": "string"},
                },
                ["name", "value"],
            ),
        },
        "method": {"enum": ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]},
    }
)
HTTP_FILTER = strict(
    {
        "type": {
            "enum": [
                "RequestHeaderModifier",
                "ResponseHeaderModifier",
                "RequestMirror",
                "RequestRedirect",
                "URLRewrite",
                "ExtensionRef",
                "CORS",
            ]
        },
        "requestRedirect": strict(
            {
                "scheme": {"enum": ["http", "https"]},
                "hostname": {"type": "string"},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "statusCode": {"enum": [301, 302, 303, 307, 308]},
            }
        ),
    },
    ["type"],
)
HTTPROUTE = resource(
    "gateway.networking.k8s.io/v1",
    "HTTPRoute",
    strict(
        {
            "parentRefs": {"type": "array", "minItems": 1, "maxItems": 32, "items": PARENT_REF},
            "hostnames": {"type": "array", "items": {"type": "string"}},
            "rules": {
                "type": "array",
                "minItems": 1,
                "maxItems": 16,
                "items": strict(
                    {
                        "name": NAME,
                        "matches": {"type": "array", "maxItems": 64, "items": HTTP_MATCH},
                        "filters": {"type": "array", "maxItems": 16, "items": HTTP_FILTER},
                        "backendRefs": {"type": "array", "minItems": 1, "maxItems": 16, "items": BACKEND_REF},
                    }
                ),
            },
        },
        ["parentRefs", "rules"],
    ),
)
GATEWAY = resource(
    "gateway.networking.k8s.io/v1",
    "Gateway",
    strict(
        {
            "gatewayClassName": NAME,
            "listeners": {
                "type": "array",
                "minItems": 1,
                "items": strict(
                    {
                        "name": NAME,
                        "protocol": {"enum": ["HTTP", "HTTPS", "TLS", "TCP", "UDP"]},
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "hostname": {"type": "string"},
                        "allowedRoutes": {"type": "object"},
                    },
                    ["name", "protocol", "port"],
                ),
            },
            "infrastructure": strict(
                {
                    "labels": {"type": "object"},
                    "annotations": {"type": "object"},
                    "parametersRef": strict(
                        {"group": {"type": "string"}, "kind": {"type": "string"}, "name": NAME},
                        ["group", "kind", "name"],
                    ),
                }
            ),
        },
        ["gatewayClassName", "listeners"],
    ),
)
GATEWAYCLASS = resource(
    "gateway.networking.k8s.io/v1",
    "GatewayClass",
    strict(
        {"controllerName": {"type": "string", "pattern": r"^[a-z0-9.-]+/[A-Za-z0-9/._-]+$"}},
        ["controllerName"],
    ),
)
SECRET_STORE = resource(
    "external-secrets.io/v1",
    "SecretStore",
    strict(
        {
            "provider": strict(
                {
                    "aws": strict(
                        {
                            "service": {"enum": ["SecretsManager", "ParameterStore"]},
                            "region": {"type": "string"},
                        },
                        ["service", "region"],
                    )
                }
            )
        },
        ["provider"],
    ),
)
EXTERNAL_SECRET = resource(
    "external-secrets.io/v1",
    "ExternalSecret",
    strict(
        {
            "refreshInterval": {"type": "string"},
            "secretStoreRef": strict(
                {"kind": {"enum": ["SecretStore", "ClusterSecretStore"]}, "name": NAME}, ["name"]
            ),
            "target": strict(
                {"name": NAME, "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]}}
            ),
            "data": {
                "type": "array",
                "minItems": 1,
                "items": strict(
                    {
                        "secretKey": {"type": "string"},
                        "remoteRef": strict(
                            {"key": {"type": "string"}, "property": {"type": "string"}}, ["key"]
                        ),
                    },
                    ["secretKey", "remoteRef"],
                ),
            },
        },
        ["secretStoreRef", "target", "data"],
    ),
)
APPLICATION = resource(
    "argoproj.io/v1alpha1",
    "Application",
    strict(
        {
            "project": NAME,
            "source": strict(
                {
                    "repoURL": {"type": "string"},
                    "targetRevision": {"type": "string"},
                    "path": {"type": "string"},
                },
                ["repoURL", "path"],
            ),
            "destination": strict({"server": {"type": "string"}, "namespace": NAME}),
            "syncPolicy": strict(
                {
                    "automated": strict({"prune": {"type": "boolean"}, "selfHeal": {"type": "boolean"}}),
                    "syncOptions": {
                        "type": "array",
                        "items": {"type": "string", "pattern": r"^[A-Za-z]+=[a-z]+$"},
                    },
                    "retry": {"type": "object"},
                }
            ),
            "ignoreDifferences": {
                "type": "array",
                "items": strict(
                    {
                        "group": {"type": "string"},
                        "kind": {"type": "string"},
                        "jsonPointers": {"type": "array", "items": {"type": "string", "pattern": "^/"}},
                        "jqPathExpressions": {"type": "array", "items": {"type": "string"}},
                    },
                    ["kind"],
                ),
            },
        },
        ["project", "source", "destination"],
    ),
)
GROUP_KIND = {
    "type": "array",
    "items": strict({"group": {"type": "string"}, "kind": {"type": "string"}}, ["group", "kind"]),
}
APP_PROJECT = resource(
    "argoproj.io/v1alpha1",
    "AppProject",
    strict(
        {
            "description": {"type": "string"},
            "sourceRepos": {"type": "array", "items": {"type": "string"}},
            "destinations": {
                "type": "array",
                "items": strict({"server": {"type": "string"}, "namespace": {"type": "string"}}),
            },
            "clusterResourceWhitelist": GROUP_KIND,
            "namespaceResourceWhitelist": GROUP_KIND,
        },
        ["sourceRepos", "destinations"],
    ),
)
# AWS Load Balancer Controller (v2.13+) Gateway API parameters, from its LoadBalancerConfiguration and
# TargetGroupConfiguration reference pages: only the fields Skyway sets, unknown ones refused.
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

# Argo Rollouts (v1.8) Rollout and AnalysisTemplate: the fields Skyway uses, unknown ones refused. The
# pod template is validated separately against Kubernetes' own PodTemplateSpec (see pod_template_doc in
# test_manifests), so it is only an object here.
STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
POD_METADATA = strict({"labels": STRINGS, "annotations": STRINGS})
ANALYSIS_ARG = strict(
    {"name": {"type": "string"}, "value": {"type": "string"}, "valueFrom": {"type": "object"}}, ["name"]
)
ANALYSIS_REF = strict(
    {
        "templates": {
            "type": "array",
            "minItems": 1,
            "items": strict({"templateName": NAME, "clusterScope": {"type": "boolean"}}, ["templateName"]),
        },
        "args": {"type": "array", "items": ANALYSIS_ARG},
        "startingStep": {"type": "integer", "minimum": 0},
    },
    ["templates"],
)
DURATION = {"type": "string", "pattern": r"^\d+(ms|s|m|h)$"}
CANARY_STEP = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "setWeight": {"type": "integer", "minimum": 0, "maximum": 100},
        "pause": strict({"duration": DURATION}),
        "analysis": ANALYSIS_REF,
        "setHeaderRoute": strict(
            {
                "name": {"type": "string"},
                "match": {
                    "type": "array",
                    "items": strict(
                        {
                            "headerName": {"type": "string"},
                            "headerValue": {
                                "type": "object",
                                "minProperties": 1,
                                "maxProperties": 1,
                                "properties": {
                                    "exact": {"type": "string"},
                                    "prefix": {"type": "string"},
                                    "regex": {"type": "string"},
                                },
                                "additionalProperties": False,
                            },
                        },
                        ["headerName", "headerValue"],
                    ),
                },
            },
            ["name"],
        ),
    },
    "additionalProperties": False,
}
CANARY = strict(
    {
        "stableService": NAME,
        "canaryService": NAME,
        "stableMetadata": POD_METADATA,
        "canaryMetadata": POD_METADATA,
        "maxSurge": {"type": ["integer", "string"]},
        "maxUnavailable": {"type": ["integer", "string"]},
        "dynamicStableScale": {"type": "boolean"},
        "scaleDownDelaySeconds": {"type": "integer", "minimum": 0},
        "abortScaleDownDelaySeconds": {"type": "integer", "minimum": 0},
        "trafficRouting": strict(
            {
                "managedRoutes": {"type": "array", "items": strict({"name": {"type": "string"}}, ["name"])},
                "plugins": {"type": "object", "additionalProperties": {"type": "object"}},
            }
        ),
        "analysis": ANALYSIS_REF,
        "steps": {"type": "array", "minItems": 1, "items": CANARY_STEP},
    },
    ["steps"],
)
BLUE_GREEN = strict(
    {
        "activeService": NAME,
        "previewService": NAME,
        "activeMetadata": POD_METADATA,
        "previewMetadata": POD_METADATA,
        "autoPromotionEnabled": {"type": "boolean"},
        "autoPromotionSeconds": {"type": "integer", "minimum": 0},
        "scaleDownDelaySeconds": {"type": "integer", "minimum": 0},
        "previewReplicaCount": {"type": "integer", "minimum": 1},
        "prePromotionAnalysis": ANALYSIS_REF,
        "postPromotionAnalysis": ANALYSIS_REF,
    },
    ["activeService"],
)
ROLLOUT = resource(
    "argoproj.io/v1alpha1",
    "Rollout",
    strict(
        {
            "replicas": {"type": "integer", "minimum": 0},
            "revisionHistoryLimit": {"type": "integer", "minimum": 0},
            "selector": strict({"matchLabels": STRINGS}, ["matchLabels"]),
            "template": {"type": "object", "required": ["metadata", "spec"]},
            "strategy": {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {"canary": CANARY, "blueGreen": BLUE_GREEN},
                "additionalProperties": False,
            },
        },
        ["selector", "template", "strategy"],
    ),
)
METRIC = strict(
    {
        "name": {"type": "string"},
        "interval": {"type": "string"},
        "initialDelay": {"type": "string"},
        "count": {"type": ["integer", "string"]},
        "failureLimit": {"type": ["integer", "string"]},
        "inconclusiveLimit": {"type": ["integer", "string"]},
        "consecutiveErrorLimit": {"type": ["integer", "string"]},
        "successCondition": {"type": "string"},
        "failureCondition": {"type": "string"},
        "provider": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {
                "prometheus": strict(
                    {
                        "address": {"type": "string"},
                        "query": {"type": "string"},
                        "timeout": {"type": "integer"},
                    },
                    ["address", "query"],
                ),
                # The Job's spec is checked against Kubernetes' own Job schema (job_doc in test_manifests).
                "job": strict({"metadata": POD_METADATA, "spec": {"type": "object"}}, ["spec"]),
                "web": strict(
                    {
                        "url": {"type": "string"},
                        "method": {"enum": ["GET", "POST", "PUT"]},
                        "headers": {
                            "type": "array",
                            "items": strict(
                                {"key": {"type": "string"}, "value": {"type": "string"}}, ["key", "value"]
                            ),
                        },
                        "body": {"type": "string"},
                        "jsonBody": {"type": "object"},
                        "timeoutSeconds": {"type": "integer"},
                        "jsonPath": {"type": "string"},
                    },
                    ["url"],
                ),
            },
            "additionalProperties": False,
        },
    },
    ["name", "provider"],
)
ANALYSIS_TEMPLATE = resource(
    "argoproj.io/v1alpha1",
    "AnalysisTemplate",
    strict(
        {
            "args": {"type": "array", "items": ANALYSIS_ARG},
            "metrics": {"type": "array", "minItems": 1, "items": METRIC},
        },
        ["metrics"],
    ),
)

SCHEMAS = {
    ("argoproj.io/v1alpha1", "Rollout"): ROLLOUT,
    ("argoproj.io/v1alpha1", "AnalysisTemplate"): ANALYSIS_TEMPLATE,
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): HTTPROUTE,
    ("gateway.networking.k8s.io/v1", "Gateway"): GATEWAY,
    ("gateway.networking.k8s.io/v1", "GatewayClass"): GATEWAYCLASS,
    ("external-secrets.io/v1", "SecretStore"): SECRET_STORE,
    ("external-secrets.io/v1", "ExternalSecret"): EXTERNAL_SECRET,
    ("argoproj.io/v1alpha1", "Application"): APPLICATION,
    ("argoproj.io/v1alpha1", "AppProject"): APP_PROJECT,
    ("gateway.k8s.aws/v1beta1", "LoadBalancerConfiguration"): LOAD_BALANCER_CONFIGURATION,
    ("gateway.k8s.aws/v1beta1", "TargetGroupConfiguration"): TARGET_GROUP_CONFIGURATION,
}
