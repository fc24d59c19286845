"""What the Kubernetes API server refuses in an object's metadata, for the offline engine: a name that breaks its
kind's rule, and a label that is not a qualified name with a valid value. Every object the program registers and
every object a chart renders passes here (tools/mocks.py kubernetes_object), so a name the program derives from
configuration that the cluster would refuse fails the plan, and `make test`, instead of `pulumi up`.

Sources: kubernetes/kubernetes pkg/apis/core/validation/validation.go (ValidateServiceName = NameIsDNS1035Label,
ValidateNamespaceName = NameIsDNSLabel, most kinds NameIsDNSSubdomain), pkg/apis/rbac/validation (ValidateRBACName
= path.IsValidPathSegmentName), apimachinery pkg/util/validation/validation.go (IsQualifiedName,
IsValidLabelValue)."""

from __future__ import annotations

import re
from typing import Any

from inference.common.reader import name_problem

NAME_RULE_BY_KIND = {"Service": "dns-1035-label", "Namespace": "dns-1123-label"}
RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


class KubernetesApiRefusal(RuntimeError):
    """The API server would refuse this object: the program (or a chart it renders) built it wrong."""


def name_refusal(kind: str, name: Any) -> str | None:
    if not isinstance(name, str):
        return None  # an output not known offline, or the provider names it (generateName)
    if kind in RBAC_KINDS:
        bad = name in (".", "..") or "/" in name or "%" in name
        return f"{kind} name {name!r} is not a path segment (no '/' or '%', not '.' or '..')" if bad else None
    return name_problem(name, NAME_RULE_BY_KIND.get(kind, "dns-1123-subdomain"))


def label_refusal(key: str, value: Any) -> str | None:
    prefix, _, label = key.rpartition("/")
    if prefix and name_problem(prefix, "dns-1123-subdomain"):
        return f"label key {key!r} has a prefix that is not a DNS subdomain"
    if not 1 <= len(label) <= 63 or not _LABEL_NAME.fullmatch(label):
        return f"label key {key!r} is not a qualified name (at most 63 of [-A-Za-z0-9_.], alphanumeric at both ends)"
    if isinstance(value, str) and (why := name_problem(value, "k8s-label-value")):
        return f"label {key}: {why}"
    return None


def refusals(obj: dict) -> list[str]:
    """Why the API server would refuse `obj` (its metadata and its pod template's labels), or []."""
    kind = obj.get("kind") or ""
    meta = obj.get("metadata") or {}
    found = [why] if (why := name_refusal(kind, meta.get("name"))) else []
    template = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
    for labels in (meta.get("labels"), template.get("labels")):
        if isinstance(labels, dict):
            found += [why for k, v in labels.items() if (why := label_refusal(str(k), v))]
    return found


def check(obj: dict, where: str) -> None:
    problems = refusals(obj)
    if problems:
        raise KubernetesApiRefusal(f"the Kubernetes API server would refuse {where}: {'; '.join(problems)}")
