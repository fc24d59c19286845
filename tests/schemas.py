"""Validation of rendered Kubernetes objects: custom resources against the upstream CRDs vendored in
components/crds, core kinds against the Kubernetes JSON schemas of kubernetes-validate."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import yaml

from tools import engine

# kubernetes-validate reads and parses its schema files, the multi-megabyte `_definitions.json` among them, again
# for every object it validates (utils.py `validate` calls `schema_contents` twice); nothing changes them, so each
# is parsed once per process. The validation itself stays the library's.
kubernetes_validate.utils.schema_contents = functools.cache(kubernetes_validate.utils.schema_contents)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the same documents, parsed faster

CRDS = engine.ROOT / "components" / "crds"
KUBERNETES_VERSION = (
    "1.35"  # the oldest minor any release channel offers (inference/core/facts/versions.py CHANNEL_VERSIONS)
)
# Documented for the multi-cluster inference gateway but missing from the public GCPBackendPolicy
# schema (see the README in the CRD folder): allowed under spec.default.
GCP_BACKEND_POLICY_GAPS = {
    "balancingMode": {"type": "string", "enum": ["CUSTOM_METRICS", "RATE", "UTILIZATION", "CONNECTION"]},
    "trafficDuration": {"type": "string", "enum": ["LONG", "SHORT"]},
    "customMetrics": {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "dryRun": {"type": "boolean"},
                "maxUtilizationPercent": {"type": "integer", "minimum": 0, "maximum": 100},
            },
        },
    },
    "scopes": {"type": "array"},
}


def _closed(schema: dict) -> dict:
    """Kubernetes prunes unknown fields silently; for a test an unknown field is a misspelling."""
    if isinstance(schema, dict):
        if (
            schema.get("type") == "object"
            and "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for value in schema.values():
            _closed(value)
    elif isinstance(schema, list):
        for value in schema:
            _closed(value)
    return schema


@functools.cache
def _crd_index() -> dict[tuple[str, str, str], tuple[Path, dict]]:
    index = {}
    for path in sorted(CRDS.rglob("*.yaml")):
        crd = yaml.load(path.read_text(), Loader=_Loader)
        if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
            continue
        for version in crd["spec"]["versions"]:
            key = (path.parent.name, f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            index[key] = (path, version["schema"]["openAPIV3Schema"])
    return index


def crd_schema(folder: str, api_version: str, kind: str) -> dict:
    _, schema = _crd_index()[(folder, api_version, kind)]
    schema = _closed(copy.deepcopy(schema))
    if kind == "GCPBackendPolicy":
        schema["properties"]["spec"]["properties"]["default"]["properties"].update(GCP_BACKEND_POLICY_GAPS)
    return schema


@functools.cache
def _custom_validator(folder: str, api_version: str, kind: str, patch: bool) -> jsonschema.Draft7Validator:
    schema = crd_schema(folder, api_version, kind)
    if patch:
        schema.pop("required", None)
        schema["properties"]["spec"].pop("required", None)
    return jsonschema.Draft7Validator(schema)


def validate_custom(obj: dict, folder: str, patch: bool = False) -> None:
    """Raises jsonschema.ValidationError if `obj` does not fit its CRD (a patch may omit required fields), or, for an
    HTTPRoute, breaks the CRD's CEL limit on matches across its rules."""
    _custom_validator(folder, obj["apiVersion"], obj["kind"], patch).validate(obj)
    if obj["kind"] == "HTTPRoute" and "rules" in obj.get("spec", {}):
        _check_route_matches(obj, folder)


_CEL_SIZE = re.compile(r"self\[([0-9]+)\]\.matches\.size\(\)")


@functools.cache
def route_match_limit(folder: str, api_version: str = "gateway.networking.k8s.io/v1") -> tuple[int, int, str]:
    """(limit, matches a rule without `matches` counts, message) of the HTTPRoute CRD's CEL rule on spec.rules,
    read from the vendored CRD. jsonschema evaluates no CEL, so this one rule is evaluated here, after checking it
    is the sum of every rule's `matches.size()` (one term per rule the CRD's maxItems allows) against a bound."""
    _, schema = _crd_index()[(folder, api_version, "HTTPRoute")]
    rules = schema["properties"]["spec"]["properties"]["rules"]
    (cel,) = [v for v in rules["x-kubernetes-validations"] if "matches.size()" in v["rule"]]
    text = " ".join(cel["rule"].split())
    bound = re.fullmatch(r".* <= ([0-9]+)", text)
    assert bound and sorted(map(int, _CEL_SIZE.findall(text))) == list(range(rules["maxItems"])), text
    default = rules["items"]["properties"]["matches"]["default"]  # defaulted before CEL runs
    return int(bound[1]), len(default), cel["message"]


def _check_route_matches(obj: dict, folder: str) -> None:
    limit, defaulted, message = route_match_limit(folder, obj["apiVersion"])
    total = sum(len(r["matches"]) if "matches" in r else defaulted for r in obj["spec"]["rules"])
    if total > limit:
        raise jsonschema.ValidationError(f"spec.rules: {message} ({total} matches, the CEL rule allows {limit})")


def validate_core(obj: dict) -> None:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
