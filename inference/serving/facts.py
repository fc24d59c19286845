"""What the serving namespace's network policies admit (inference/serving/network_policy.py) and where its pods
land, with sources."""

from __future__ import annotations

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
