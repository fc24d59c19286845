"""What the serving namespace's network policies admit (inference/serving/network_policy.py) and where its pods
land, with sources."""

from __future__ import annotations

from inference.core.facts import machines

# Every endpoint picker the inferencepool charts render carries this selector label, `inferencepool: <pool>-epp`
# (v1.5.0 charts/inference-extension/templates/_helpers.tpl `selectorLabels`, v0.5.1 templates/_helpers.tpl).
PICKER_LABEL_KEY = "inferencepool"
# Its ports (v1.5.0 charts/inference-extension/templates/_deployment.yaml): ext-proc `grpc` and `grpc-health`,
# which the Gateway's proxies and health checks reach, and `metrics`, which Managed Prometheus scrapes.
PICKER_PORTS = (9002, 9003)
PICKER_METRICS_PORT = 9090
# Managed Prometheus's managed collection runs its collectors in this namespace
# (https://cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed, "Managed collection").
GMP_NAMESPACE = "gmp-system"
# GKE labels every node with its pool's name (https://cloud.google.com/kubernetes-engine/docs/concepts/node-pools,
# "Each node in the pool has a Kubernetes node label, cloud.google.com/gke-nodepool"): a model's servers select
# their own TPU pool by it when two pools have one shape (docs/models.md).
NODE_POOL_LABEL = "cloud.google.com/gke-nodepool"

# vLLM's host memory on a TPU node: the request, and a limit well above it, so a runaway server is stopped before it
# starves the node's FUSE file cache (also in RAM): loading the weights holds them in host memory up to twice (page
# cache and tensors). The limit is 3x the request where one node has room for it (ct6e-standard-4t, -8t), else what
# one node leaves it: GKE's allocatable less GKE's own pods on every TPU node (inference/core/facts/machines.py
# `node_room`, with its sources) and the FUSE sidecar's request (`FUSE_SIDECAR_MEMORY`), in whole GiB
# (ct6e-standard-1t: 176 GiB of memory, 161Gi).
VLLM_MEMORY_REQUEST_GI = 64
VLLM_MEMORY_LIMIT_FACTOR = 3


def vllm_memory_room(machine_type: str) -> int:
    """Bytes one node of this TPU machine type leaves the model server container."""
    return machines.node_room(machines.MACHINE_TYPES[machine_type])["memory"] - machines.FUSE_SIDECAR_MEMORY


def vllm_memory_limit(machine_type: str) -> str:
    """The model server's default memory limit on this TPU machine type."""
    fit = vllm_memory_room(machine_type) // machines.GI
    return f"{min(VLLM_MEMORY_REQUEST_GI * VLLM_MEMORY_LIMIT_FACTOR, fit)}Gi"
