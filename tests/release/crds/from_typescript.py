"""The External Secrets Operator v1 schemas, derived from @kubernetes-models/external-secrets (vendor.py calls this).

Unlike the other packages of README.md, this one carries no schema literal: @kubernetes-models/go-generate
built it from ESO's Go API types (its package.json's "go-generate" input; the ESO version, v0.16.2, is the
one kubernetes-models-ts's third-party/external-secrets/go.mod pins). What it ships is TypeScript
interfaces (.d.ts: every property, its type, `?` when optional, literal unions for enums) and ajv
validators compiled from the same OpenAPI (_schemas/*.js: types, required, enums, patterns, lengths, but
unknown fields accepted). So, with node and npm in a scratch directory:

1. npm installs the tarball and its dependencies, each pinned (NPM), with ts-json-schema-generator.
2. ts-json-schema-generator turns IExternalSecret and ISecretStore into JSON Schema (GENERATOR_OPTIONS):
   names, types, required (non-optional), enums (literal unions); additionalProperties false on every
   interface, maps (`{[key: string]: T}`) typed. The .d.ts has no `any`: no object is left open.
3. The compiled validator is asked (ajv_oracle.mjs) about probe documents, one leaf at a time (a wrong
   type, "", a long string, a character no name allows, {}, too many keys…): what it refuses gives what
   TypeScript cannot say (integer for `number`, pattern, minLength, maxLength, minProperties,
   maxProperties, format), and what it says about types, enums and required must be what step 2 made,
   or the script stops. Every property the validator checks must be in the .d.ts, and the reverse.
4. The same probes run against the schema as the tests load it (crd_schemas.validator): every refusal
   of the package's validator (keyword, and which property is missing) must be one there too, at the
   same place, except `format` (not enforced here, as for the other vendored CRDs); what it accepts may
   be refused there only as an unknown field. The ESO resources of k8s/ must pass both. The counts go
   to source.json.

    python tests/release/crds/vendor.py kubernetes-models-external-secrets-2.0.0.tgz   # npm pack'ed
"""

from __future__ import annotations

import collections
import hashlib
import json
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

TARBALL = "kubernetes-models-external-secrets-2.0.0"
DIRECTORY = "external-secrets-v0.16.2"
UPSTREAM = ["https://github.com/external-secrets/external-secrets/tree/v0.16.2/apis/externalsecrets/v1"]
# The tarball's dependencies at the versions its package.json ranges resolved to, and the generator.
NPM = (
    "@kubernetes-models/base@6.0.1",
    "@kubernetes-models/apimachinery@3.0.2",
    "@kubernetes-models/validate@5.0.2",
    "kubernetes-models@5.1.0",
    "ts-json-schema-generator@2.9.0",
    "typescript@5.9.3",
)
# Every type inlined (no $ref), descriptions from the doc comments; additionalProperties false is the
# generator's default (no --additional-properties).
GENERATOR_OPTIONS = ("--expose", "none", "--no-top-ref", "--jsDoc", "basic")
KINDS = {
    ("external-secrets.io/v1", "ExternalSecret"): "IExternalSecret",
    ("external-secrets.io/v1", "SecretStore"): "ISecretStore",
}
PACKAGE = Path("node_modules/@kubernetes-models/external-secrets")
TSCONFIG = {
    "compilerOptions": {
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "strict": True,
        "skipLibCheck": True,
        "target": "es2022",
    },
    "files": ["entry.ts"],
}
LONG = 1000  # longer than every maxLength in the package (checked in derive)
KEY = "probe-key"  # the key a probe puts in a map
TOO_MANY = {f"probe-{i}": "x" for i in range(9)}
# What the compiled validator may say, and the schema keyword each one becomes.
LIMITS = ("minLength", "maxLength", "minProperties", "maxProperties", "minItems", "maxItems")

Where = tuple[str | int, ...]  # property names and map keys (str), array items (0)


class Unfaithful(Exception):
    """The TypeScript-derived schema and the package's own validator disagree."""


def run(command: list[str], cwd: Path, stdin: str | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} …: {result.stderr[-3000:]}")
    return result.stdout


def install(tarball: Path, work: Path) -> None:
    work.mkdir(exist_ok=True)
    (work / "package.json").write_text(json.dumps({"name": "eso-vendor", "private": True}) + "\n")
    flags = ["--save-exact", "--ignore-scripts", "--no-audit", "--no-fund"]
    run(["npm", "install", *flags, str(tarball.resolve()), *NPM], work)
    pins = dict(pin.rsplit("@", 1) for pin in NPM)
    tree = json.loads(run(["npm", "ls", "--all", "--json"], work))

    def walk(dependencies: dict[str, Any]) -> None:
        for name, info in dependencies.items():
            if name in pins and info.get("version") != pins[name]:
                raise SystemExit(f"npm installed {name}@{info.get('version')}, not the pinned {pins[name]}")
            walk(info.get("dependencies", {}))

    walk(tree["dependencies"])


def generate(work: Path) -> dict[tuple[str, str], dict[str, Any]]:
    entry = "".join(
        f'export type {{ {name} }} from "@kubernetes-models/external-secrets/{group_version.split("/")[0]}/'
        f'{group_version.split("/")[1]}/{kind}";\n'
        for (group_version, kind), name in KINDS.items()
    )
    (work / "entry.ts").write_text(entry)
    (work / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=1) + "\n")
    schemas = {}
    for key, name in KINDS.items():
        command = ["npx", "--no-install", "ts-json-schema-generator", "-p", "entry.ts", "-f", "tsconfig.json"]
        schemas[key] = normalized(json.loads(run([*command, "-t", name, *GENERATOR_OPTIONS], work)), key)
    return schemas


def normalized(schema: dict[str, Any], key: tuple[str, str]) -> dict[str, Any]:
    """The shape of the other vendored files: no $schema, one-value enums rather than const (apiVersion,
    kind), and `metadata` a bare object as in a CRD (crd_schemas puts Kubernetes' ObjectMeta there)."""
    schema.pop("$schema")
    if schema.pop("definitions", {}):
        raise Unfaithful("--expose none left definitions: a recursive type?")
    properties = schema["properties"]
    if (properties["apiVersion"].get("const"), properties["kind"].get("const")) != key:
        raise Unfaithful(f"not {key}")
    properties["metadata"] = {"type": "object"}
    for _, node in nodes(schema):
        if "const" in node:  # a one-literal union ("v2"), as the enums are
            node["enum"] = [node.pop("const")]
    return schema


def nodes(schema: dict[str, Any], where: Where = ()) -> Iterator[tuple[Where, dict[str, Any]]]:
    yield where, schema
    for name, sub in schema.get("properties", {}).items():
        if where or name != "metadata":
            yield from nodes(sub, (*where, name))
    if "items" in schema:
        yield from nodes(schema["items"], (*where, 0))
    if isinstance(schema.get("additionalProperties"), dict):
        yield from nodes(schema["additionalProperties"], (*where, KEY))


def pointer(where: Where) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in where)


def place(key: tuple[str, str], where: Where, value: Any) -> dict[str, Any]:
    """The smallest document with value at where (its parents' other required fields left out)."""
    doc: dict[str, Any] = {"apiVersion": key[0], "kind": key[1], "metadata": {"name": "probe"}}
    node: Any = doc
    for part, after in zip(where, (*where[1:], None), strict=True):
        child = value if after is None else ([] if isinstance(after, int) else {})
        if isinstance(part, int):
            node.append(child)
        else:
            node[part] = child
        node = child
    return doc


def probes(node: dict[str, Any]) -> list[Any]:
    kind = node.get("type")
    if kind == "object":
        return ["probe", {}, dict(TOO_MANY)]
    if kind == "array":
        return ["probe", [], [None] * 300]
    if kind == "string":
        return [7, "", "\x00 Z!", "a" * LONG, "probe-not-an-enum-value", *node.get("enum", [])]
    if kind in ("number", "integer"):  # integer once derive has asked
        return ["probe", 1.5, 2**70]
    if kind == "boolean":
        return ["probe"]
    raise Unfaithful(f"a node the probes do not know: {node}")


def validator_js(work: Path, kind: str) -> Path:
    return (
        work / PACKAGE / "_schemas" / f"ComGithubExternalSecretsExternalSecretsApisExternalsecretsV1{kind}.js"
    )


def ajv(work: Path, kind: str, docs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    oracle = ["node", str(HERE / "ajv_oracle.mjs"), str(validator_js(work, kind))]
    return json.loads(run(oracle, work, json.dumps(docs)))


def plan(key: tuple[str, str], schema: dict[str, Any]) -> list[tuple[Where, dict[str, Any], Any]]:
    return [(where, node, value) for where, node in nodes(schema) if where for value in probes(node)]


def derive(key: tuple[str, str], schema: dict[str, Any], work: Path) -> list[str]:
    """Step 3: complete the schema in place from the compiled validator's answers, or raise Unfaithful.
    Returns where an enum came from the validator alone."""
    enums_from_validator: list[str] = []
    probing = plan(key, schema)
    verdicts = ajv(work, key[1], [place(key, where, value) for where, _, value in probing])
    said: dict[Where, dict[str, set[str]]] = collections.defaultdict(lambda: collections.defaultdict(set))
    for (where, node, value), errors in zip(probing, verdicts, strict=True):
        here = [e for e in errors if e["instancePath"] == pointer(where)]
        if value in node.get("enum", []) and here:
            raise Unfaithful(f"{pointer(where)}: the validator refuses the enum value {value!r}: {here}")
        for error in here:
            said[where][error["keyword"]].add(json.dumps(error["params"], sort_keys=True))
    problems = []
    for where, node in nodes(schema):
        if not where:
            continue
        at, answers = pointer(where), {k: [json.loads(p) for p in v] for k, v in said[where].items()}
        types = {json.dumps(a["type"]) for a in answers.pop("type", [])}
        expected = {'"integer"'} if node["type"] == "number" else {json.dumps(node["type"])}
        if types != expected:
            problems.append(
                f"{at}: the validator's type is {types or 'none: unknown to it'}, not {node['type']}"
            )
        node["type"] = "integer" if types == {'"integer"'} else node["type"]
        allowed = {tuple(a["allowedValues"]) for a in answers.pop("enum", [])}
        if "enum" not in node and len(allowed) == 1:
            # A field-level enum on a named string type (CAProvider.type is a CAProviderType, a string):
            # the .d.ts types the field with the named type and loses the enum, the validator has it.
            node["enum"] = list(*allowed)
            enums_from_validator.append(at)
        if allowed != {tuple(node.get("enum", ()))} - {()}:
            problems.append(f"{at}: the validator's enum is {allowed}, the .d.ts {node.get('enum')}")
        required = {a["missingProperty"] for a in answers.pop("required", [])}
        if required != set(node.get("required", [])):
            problems.append(
                f"{at}: the validator requires {sorted(required)}, the .d.ts {node.get('required')}"
            )
        for keyword, param in (("pattern", "pattern"), ("format", "format"), *((k, "limit") for k in LIMITS)):
            values = {a[param] for a in answers.pop(keyword, [])}
            if len(values) > 1 or (param == "limit" and any(limit >= LONG for limit in values)):
                problems.append(f"{at}: {keyword} {values}")
            elif values:
                node[keyword] = values.pop()
        if answers:
            problems.append(f"{at}: keywords this script does not carry over: {answers}")
    if problems:
        raise Unfaithful("\n".join(problems))
    return enums_from_validator


def interface_names(work: Path) -> dict[str, set[str]]:
    """Each compiled validator's type name → the property names its .d.ts interface lists."""
    names = {}
    for d_ts in (work / PACKAGE).rglob("*.d.ts"):
        text = d_ts.read_text()
        for local, full in re.findall(r"export type \{ (I\w+) as I(ComGithub\w+),", text):
            block = re.search(rf"^export interface {local} .*?^\}}", text, re.MULTILINE | re.DOTALL)
            listed = re.findall(r'^ {4,}"([^"]+)"\??:', block.group(0), re.MULTILINE) if block else []
            names[full] = set(listed)
    return names


def check_names(key: tuple[str, str], schema: dict[str, Any], work: Path) -> None:
    """Step 3's other half: the properties each reachable compiled validator checks are its interface's,
    and every one of them is in the generated schema."""
    declared = interface_names(work)
    generated = {where[-1] for where, _ in nodes(schema) if where and isinstance(where[-1], str)} - {KEY}
    todo, seen, problems = [validator_js(work, key[1])], set(), []
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text()
        todo += [path.parent / name for name in re.findall(r'from"\./([^"]+\.js)"', text)]
        checked = set(re.findall(r'instancePath:instancePath\+"/([^"]+)"', text))
        interface = declared.get(path.stem, set())
        if checked - interface:
            problems.append(f"{path.stem}: the validator checks {sorted(checked - interface)}, the .d.ts not")
        if interface - generated - {"metadata"}:
            problems.append(f"{path.stem}: {sorted(interface - generated)} missing from the generated schema")
    if problems:
        raise Unfaithful("\n".join(problems))


def k8s_documents(key: tuple[str, str]) -> list[dict[str, Any]]:
    import yaml

    files = sorted((ROOT / "k8s").rglob("*.yaml"))
    docs = [doc for path in files for doc in yaml.safe_load_all(path.read_text()) if isinstance(doc, dict)]
    return [doc for doc in docs if (doc.get("apiVersion"), doc.get("kind")) == key]


def fidelity(key: tuple[str, str], schema: dict[str, Any], work: Path) -> dict[str, int]:
    """Step 4, against the files as written and loaded by crd_schemas (strict, ObjectMeta)."""
    sys.path.insert(0, str(ROOT))
    from tests.release import crd_schemas

    validator = crd_schemas.validator(key)
    probing = plan(key, schema)
    docs = [place(key, where, value) for where, _, value in probing]
    counts = collections.Counter()
    problems = []
    for (where, _, value), theirs, doc in zip(probing, ajv(work, key[1], docs), docs, strict=True):
        at = pointer(where)
        # (keyword, the missing property for required): each refusal of theirs must be one of ours.
        refused = {
            (e["keyword"], e["params"].get("missingProperty")) for e in theirs if e["instancePath"] == at
        }
        ours = {
            (e.validator, name)
            for e in validator.iter_errors(doc)
            if pointer(tuple(e.absolute_path)) == at
            for name in (
                [n for n in e.validator_value if n not in e.instance] if e.validator == "required" else [None]
            )
        }
        counts["probes"] += 1
        enforced = {refusal for refusal in refused if refusal[0] != "format"}
        if enforced:
            counts["refused by the package's validator"] += 1
            if enforced - ours:
                problems.append(
                    f"{at} = {value!r:.40}: the package's validator refuses {enforced - ours}, not here"
                )
        elif refused:
            counts["refused by the package's validator for format only, not enforced here"] += 1
        elif {refusal[0] for refusal in ours} - {"additionalProperties"}:
            problems.append(f"{at} = {value!r:.40}: the package's validator accepts it, not here: {ours}")
        elif ours:
            counts["unknown fields refused here only"] += 1
    ours_k8s = k8s_documents(key)
    for doc, theirs in zip(ours_k8s, ajv(work, key[1], ours_k8s), strict=True):
        mine = [error.message for error in validator.iter_errors(doc)]
        if theirs or mine:
            problems.append(f"k8s/ {key[1]} {doc['metadata']['name']}: {theirs} {mine}")
        counts["k8s/ resources accepted by both"] += 1
    if problems:
        raise Unfaithful("\n".join(problems))
    return dict(counts)


def vendor(tarball: Path) -> list[Path]:
    work = tarball.resolve().parent / f"{TARBALL}-work"
    install(tarball, work)
    with tarfile.open(tarball) as archive:
        package = json.loads(archive.extractfile("package/package.json").read())
    schemas = generate(work)
    out = HERE / DIRECTORY
    out.mkdir(exist_ok=True)
    written, enums = [], {}
    for key, schema in schemas.items():
        enums[key[1]] = derive(key, schema, work)
        check_names(key, schema, work)
        path = out / f"{key[1].lower()}.{key[0].rsplit('/', 1)[1]}.json"
        path.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        written.append(path)
    checked = {key[1]: fidelity(key, schema, work) for key, schema in schemas.items()}
    source = {
        "npm": f"{package['name']}@{package['version']}",
        "sha256": hashlib.sha256(tarball.read_bytes()).hexdigest(),
        "go-generate": package["go-generate"]["input"],
        "upstream": UPSTREAM,
        "derived with": {
            "npm": list(NPM),
            "ts-json-schema-generator": [*GENERATOR_OPTIONS, "-t", *KINDS.values()],
            "from the compiled validators": ["integer", "pattern", *LIMITS, "format"],
            "enums the .d.ts lacks, from the compiled validators": enums,
        },
        "checked": checked,
    }
    (out / "source.json").write_text(json.dumps(source, indent=1) + "\n")
    return [*written, out / "source.json"]
