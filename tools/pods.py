"""Pods as the capacity check sees them: Kubernetes quantities, each pod's effective requests (Kubernetes'
rule for init and sidecar containers, plus the Cloud Storage FUSE sidecars GKE injects), and the workloads
of a plan that run pods (tools/capacity.py packs them onto the pools)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from inference.common import quantities
from inference.core.facts import machines
from tools import engine

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "ReplicaSet", "Job", "DaemonSet", "Pod")

# --- the Cloud Storage FUSE sidecars ---------------------------------------------------------------------
# A pod annotated gke-gcsfuse/volumes: "true" gets the gke-gcsfuse-sidecar from GKE's mutating webhook,
# as a native sidecar (an init container with restartPolicy Always) on GKE 1.29+
# (https://cloud.google.com/kubernetes-engine/docs/how-to/cloud-storage-fuse-csi-driver-sidecar
# #configure-sidecar-resources). Defaults 250m / 256Mi; the annotations gke-gcsfuse/cpu-request,
# -cpu-limit, -memory-request, -memory-limit override them: an unset request takes the limit, except that
# a limit of "0" (no limit) leaves the request at its default; a request of "0" is no request.
# (GoogleCloudPlatform/gcs-fuse-csi-driver pkg/webhook/config.go populateResource and cmd/webhook/main.go
# flag defaults @5fcdc04; GKE's injected requests 250m / 256Mi / 5Gi seen in gcs-fuse-csi-driver #314.)
# A FUSE volume with gcsfuseMetadataPrefetchOnMount adds gke-gcsfuse-metadata-prefetch: 10m / 10Mi by
# default, its memory under gke-gcsfuse/metadata-prefetch-memory-{request,limit}.
FUSE_DRIVER = "gcsfuse.csi.storage.gke.io"
_FUSE_DEFAULT = {
    "cpu": f"{machines.FUSE_SIDECAR_CPU_MILLI}m",
    "memory": f"{machines.FUSE_SIDECAR_MEMORY // machines.MI}Mi",
}
FUSE_SIDECAR = ("gke-gcsfuse/", _FUSE_DEFAULT, _FUSE_DEFAULT)
FUSE_PREFETCH = ("gke-gcsfuse/metadata-prefetch-", {"cpu": "10m", "memory": "10Mi"}, {"cpu": "50m", "memory": "250Mi"})


def quantity(value: Any) -> Fraction:
    """A Kubernetes resource quantity ("250m", "8Gi", "1e3", 4) as an exact number (inference/common/quantities.py)."""
    return quantities.quantity(value)


def amount(resource: str, value: Any) -> int:
    """Integer units: millicores for cpu, bytes for memory, counts for everything else (rounded up)."""
    q = quantity(value)
    return math.ceil(q * 1000 if resource == "cpu" else q)


def counted(resource: str) -> bool:
    """cpu, memory and extended resources (google.com/tpu); ephemeral storage and hugepages are not modelled."""
    return resource in ("cpu", "memory") or ("/" in resource and not resource.startswith("kubernetes.io/"))


def add(a: dict[str, int], b: dict[str, int], times: int = 1) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v * times
    return out


def sub(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return add(a, b, -1)


def fits(request: dict[str, int], free: dict[str, int]) -> bool:
    return all(v <= free.get(k, 0) for k, v in request.items() if v > 0)


def _num(x: float) -> str:
    digits = 0 if abs(x) >= 100 else 1 if abs(x) >= 10 else 2
    return f"{x:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{x:.0f}"


def fmt(res: dict[str, int]) -> str:
    """cpu in cores (or millicores below one core), memory in Gi (or Mi below 1Gi), then extended resources."""
    parts = []
    if "cpu" in res:
        cpu = res["cpu"]
        parts.append(f"cpu {_num(cpu / 1000)}" if abs(cpu) >= 1000 or cpu == 0 else f"cpu {cpu}m")
    if "memory" in res:
        m = res["memory"]
        parts.append(
            f"memory {_num(m / machines.GI)}Gi"
            if abs(m) >= machines.GI or m == 0
            else f"memory {math.ceil(m / machines.MI)}Mi"
        )
    parts += [f"{k} {v}" for k, v in sorted(res.items()) if k not in ("cpu", "memory", "pods") and v]
    return ", ".join(parts)


# --- pods ------------------------------------------------------------------------------------------------


def _container_requests(container: dict) -> dict[str, int]:
    """A container's requests; a resource with a limit and no request requests its limit (API defaulting)."""
    resources = container.get("resources") or {}
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    return {r: amount(r, v) for r, v in {**limits, **requests}.items() if counted(r)}


def _sidecar(annotations: dict, prefix: str, default_request: dict, default_limit: dict) -> dict[str, int]:
    """Requests of a GKE FUSE sidecar from the pod's annotations (the webhook's populateResource)."""
    out = {}
    for r in ("cpu", "memory"):
        request, limit = annotations.get(f"{prefix}{r}-request"), annotations.get(f"{prefix}{r}-limit")
        if request is None and limit is None:
            request = default_request[r]
        elif request is None:
            request = default_request[r] if quantity(limit) == 0 else limit
        if quantity(request) > 0:
            out[r] = amount(r, request)
    return out


def fuse_sidecars(pod_meta: dict, pod_spec: dict) -> list[dict[str, int]]:
    """The requests of the sidecars GKE injects into this pod, in injection order."""
    annotations = pod_meta.get("annotations") or {}
    if str(annotations.get("gke-gcsfuse/volumes", "")).lower() != "true":
        return []
    sidecars = [_sidecar(annotations, *FUSE_SIDECAR)]
    prefetch = any(
        (v.get("csi") or {}).get("driver") == FUSE_DRIVER
        and str(((v.get("csi") or {}).get("volumeAttributes") or {}).get("gcsfuseMetadataPrefetchOnMount")).lower()
        == "true"
        for v in pod_spec.get("volumes") or []
    )
    if prefetch:
        sidecars.append(_sidecar(annotations, *FUSE_PREFETCH))
    return sidecars


def effective_requests(pod_meta: dict, pod_spec: dict) -> dict[str, int]:
    """Kubernetes' effective request of a pod, per resource: the larger of (every container + every sidecar)
    and, for each init container, its own request + the sidecars started before it; pod-level requests
    replace the containers' for cpu and memory; the pod's overhead is added.
    (https://kubernetes.io/docs/concepts/workloads/pods/init-containers/#resource-sharing-within-containers,
    .../sidecar-containers/#resource-sharing-within-containers, .../assign-pod-level-resources/)"""
    sidecars = fuse_sidecars(pod_meta, pod_spec)  # injected first: GKE places them before other init containers
    peaks: list[dict[str, int]] = []
    running: dict[str, int] = {}
    for sidecar in sidecars:
        running = add(running, sidecar)
    for init in pod_spec.get("initContainers") or []:
        if init.get("restartPolicy") == "Always":
            running = add(running, _container_requests(init))
        else:
            peaks.append(add(running, _container_requests(init)))
    main: dict[str, int] = dict(running)
    for container in pod_spec.get("containers") or []:
        main = add(main, _container_requests(container))
    effective: dict[str, int] = {}
    for phase in [main, *peaks]:
        for k, v in phase.items():
            effective[k] = max(effective.get(k, 0), v)
    pod_level = (pod_spec.get("resources") or {}).get("requests") or {}
    for r in ("cpu", "memory"):
        if r in pod_level:
            effective[r] = amount(r, pod_level[r])
    overhead = {r: amount(r, v) for r, v in (pod_spec.get("overhead") or {}).items() if counted(r)}
    return {**add(effective, overhead), "pods": 1}


@dataclass
class Pod:
    owner: str  # "Deployment inference/vllm-gemma"
    requests: dict[str, int]
    node_selector: dict[str, str] = field(default_factory=dict)
    affinity_terms: list[dict] | None = None  # required node affinity: OR of terms
    tolerations: list[dict] = field(default_factory=list)
    system: bool = False  # a GKE system pod, not a workload
    missing: str = ""  # why its requests count as zero


def _pod_of(owner: str, meta: dict, spec: dict) -> Pod:
    requests = effective_requests(meta, spec)
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    bare = [c.get("name", "?") for c in containers if not _container_requests(c)]
    terms = (
        (((spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution"))
        or {}
    ).get("nodeSelectorTerms")
    tolerations = list(spec.get("tolerations") or [])
    # ExtendedResourceToleration: a pod requesting an extended resource tolerates the taint of that name.
    # GKE runs this admission plugin: the walkthrough's vLLM pods carry no TPU toleration yet schedule on the
    # tainted slice (https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/
    # #extendedresourcetoleration).
    tolerations += [
        {"key": r, "operator": "Exists", "effect": "NoSchedule"} for r, v in requests.items() if "/" in r and v
    ]
    return Pod(
        owner,
        requests,
        dict(spec.get("nodeSelector") or {}),
        terms,
        tolerations,
        missing=f"container(s) {', '.join(bare)} request nothing" if bare else "",
    )


@dataclass
class Workload:
    kind: str
    owner: str
    pod: Pod
    count: int  # pods at once (per node for a DaemonSet)


def workload_of(reg: engine.Registration) -> Workload | None:
    """The pods an object runs: program-created or chart-rendered inputs have the same shape."""
    kind = reg.type.rsplit(":", 1)[-1]
    if kind not in WORKLOAD_KINDS or not reg.type.startswith("kubernetes:"):
        return None
    obj = engine.to_json(reg.inputs)
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    owner = f"{kind} {meta.get('namespace', 'default')}/{meta.get('name') or reg.name}"
    if kind == "Pod":
        return Workload(kind, owner, _pod_of(owner, meta, spec), 1)
    template = spec.get("template") or {}
    pod = _pod_of(owner, template.get("metadata") or {}, template.get("spec") or {})
    if kind == "Job":
        count = 1 if spec.get("parallelism") is None else int(spec["parallelism"])
        if spec.get("completions") is not None:
            count = min(count, int(spec["completions"]))
    else:
        count = 1 if kind == "DaemonSet" or spec.get("replicas") is None else int(spec["replicas"])
    return Workload(kind, owner, pod, count)
