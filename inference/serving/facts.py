"""What the serving namespace's network policies admit, with sources (inference/serving/network_policy.py)."""

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
# Body-based routing's ext-proc server (the vendored body-based-routing v1.5.0 chart): its pods carry
# `app: <bbr.name>` (templates/bbr.yaml; values.yaml `bbr.name: body-based-router`), the Gateway's GCPRoutingExtension
# calls its Service on `bbr.port` and the chart's HealthCheckPolicy checks `bbr.healthCheckPort` over gRPC
# (templates/gke.yaml).
BODY_ROUTER_LABELS = {"app": "body-based-router"}
BODY_ROUTER_PORTS = (9004, 9005)
