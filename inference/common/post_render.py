"""A Helm post-renderer that orders every service-account token Secret of a chart after the ServiceAccount it
names, with the `config.kubernetes.io/depends-on` annotation the Kubernetes provider's Chart v4 honours, and
hardens every pod template the chart renders (`harden_pods`).

Pulumi registers a chart's objects in parallel unless something orders them; the token controller deletes a
`kubernetes.io/service-account-token` Secret whose ServiceAccount does not exist yet (kubernetes/kubernetes#111556),
which is why Helm installs ServiceAccounts before Secrets (helm/helm#7355). The chart's Secret and ServiceAccount
stay as upstream renders them; this adds only the annotation (docs/charts.md).

The inferencepool charts render the endpoint picker with no securityContext at all (v1.5.0
`charts/inference-extension/templates/_deployment.yaml`, v0.5.1 `templates/epp-deployment.yaml`) and v0.5.1 with
no resources; neither has a value for them. The picker's image is distroless's `nonroot` user
(gateway-api-inference-extension `Dockerfile`, `BASE_IMAGE=gcr.io/distroless/static:nonroot`) and writes no file,
so every pod template gets what the program's own pods have (inference/common/kubernetes.py): non-root, the
runtime's seccomp profile, no privilege escalation, no capability, a read-only root. Only fields the chart left
out are filled in; `--resources JSON` gives containers without resources these, `--pod-fields JSON` and
`--container-fields JSON` fill in other pod-spec and container fields a chart has no value for (the body
router's spread and probes, inference/models/body_router.py).

The provider runs it as Helm runs a post-renderer: the rendered manifests on stdin, the result on stdout, in the
program's directory (`COMMAND`, `SCRIPT`). It needs only the standard library and PyYAML, which the program's
virtualenv has; every document it does not change passes through byte for byte.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys

import yaml

# The program's virtualenv (Pulumi.yaml `runtime.options.virtualenv: venv`) and this file, both relative to the
# directory Pulumi runs the program and its providers in.
COMMAND = "venv/bin/python"
SCRIPT = "inference/common/post_render.py"
DEPENDS_ON = "config.kubernetes.io/depends-on"
TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_ANNOTATION = "kubernetes.io/service-account.name"
_SEPARATOR = re.compile(r"(?m)^---[ \t]*\n")
NONROOT = 65532  # distroless's `nonroot` (inference/common/kubernetes.py NONROOT_UID; this script imports nothing)
POD_DEFAULTS = {
    "runAsNonRoot": True,
    "runAsUser": NONROOT,
    "runAsGroup": NONROOT,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_DEFAULTS = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}


def _service_accounts(objs: list[object]) -> set[tuple[str | None, str]]:
    return {
        ((o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name"))
        for o in objs
        if isinstance(o, dict) and o.get("apiVersion") == "v1" and o.get("kind") == "ServiceAccount"
    }


def _account_of(obj: object) -> tuple[str, str] | None:
    """(namespace, service account) of a token Secret in a namespace; None for anything else."""
    if not (isinstance(obj, dict) and obj.get("kind") == "Secret" and obj.get("type") == TOKEN_TYPE):
        return None
    meta = obj.get("metadata") or {}
    account = (meta.get("annotations") or {}).get(SA_ANNOTATION)
    return (meta["namespace"], account) if account and meta.get("namespace") else None


def _annotated(chunk: str, obj: dict, namespace: str, account: str) -> str:
    """The document with the dependency added; its leading comments (Helm's `# Source:` line) kept."""
    reference = f"/namespaces/{namespace}/ServiceAccount/{account}"
    annotations = obj["metadata"].setdefault("annotations", {})
    listed = [r.strip() for r in (annotations.get(DEPENDS_ON) or "").split(",") if r.strip()]
    if reference in listed:
        return chunk
    annotations[DEPENDS_ON] = ",".join([*listed, reference])
    return _dumped(chunk, obj)


def _dumped(chunk: str, obj: dict) -> str:
    comments = "".join(line + "\n" for line in chunk.splitlines() if line.startswith("#") and line.strip())
    return comments + yaml.safe_dump(obj, sort_keys=False)


def _fill(target: dict, fields: dict | None) -> None:
    """Sets each of `fields` the chart left out (absent or empty) on `target`; what the chart set stays."""
    for key, value in (fields or {}).items():
        if target.get(key) in (None, [], {}):
            target[key] = copy.deepcopy(value)


def _harden_pod(pod: dict, resources: dict | None, pod_fields: dict | None, container_fields: dict | None) -> bool:
    """Fills in what the pod spec leaves out; True when it changed anything."""
    before = json.dumps(pod, sort_keys=True)
    context = pod.setdefault("securityContext", {})
    for key, value in POD_DEFAULTS.items():
        context.setdefault(key, value)
    _fill(pod, pod_fields)
    for container in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
        security = container.setdefault("securityContext", {})
        for key, value in CONTAINER_DEFAULTS.items():
            security.setdefault(key, value)
        _fill(container, {"resources": resources} if resources else None)
    for container in pod.get("containers") or []:  # probes are for long-running containers, not init ones
        _fill(container, container_fields)
    return json.dumps(pod, sort_keys=True) != before


def harden_pods(
    text: str, resources: dict | None = None, pod_fields: dict | None = None, container_fields: dict | None = None
) -> str:
    """`text` with every workload's pod template hardened (see the module's docstring)."""
    out = []
    for chunk in _SEPARATOR.split(text):
        obj = yaml.safe_load(chunk)
        pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") if isinstance(obj, dict) else None
        changed = isinstance(pod, dict) and obj.get("kind") in WORKLOADS
        if changed and _harden_pod(pod, resources, pod_fields, container_fields):
            chunk = _dumped(chunk, obj)
        out.append(chunk)
    return "---\n".join(out)


def order_token_secrets(text: str) -> str:
    """`text` (a stream of YAML documents) with each token Secret depending on its ServiceAccount, when the
    same stream renders that ServiceAccount in the Secret's namespace or in none."""
    chunks = _SEPARATOR.split(text)
    objs = [yaml.safe_load(chunk) for chunk in chunks]
    accounts = _service_accounts(objs)
    out = []
    for chunk, obj in zip(chunks, objs, strict=True):
        found = _account_of(obj)
        if found and ({found, (None, found[1])} & accounts):
            chunk = _annotated(chunk, obj, *found)
        out.append(chunk)
    return "---\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=json.loads, help="requests and limits for containers without any")
    parser.add_argument("--pod-fields", type=json.loads, help="pod-spec fields for pod templates without them")
    parser.add_argument("--container-fields", type=json.loads, help="fields for containers without them")
    args = parser.parse_args(argv)
    text = order_token_secrets(sys.stdin.read())
    sys.stdout.write(harden_pods(text, args.resources, args.pod_fields, args.container_fields))
    return 0


if __name__ == "__main__":
    sys.exit(main())
