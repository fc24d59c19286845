"""What the autoscaling add-on's identity needs: the metrics adapter reads Cloud Monitoring, read 2026-11-25."""

from __future__ import annotations

from inference.common.permissions import Grant

IDENTITIES = {"metrics-adapter": "PROJECT.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]"}
PERMISSIONS = (
    Grant(
        "metrics-adapter",
        "roles/monitoring.viewer",
        "project",
        "the Custom Metrics Stackdriver Adapter reads the pools' KV-cache metric for the HPAs",
        "the customisation guide (Konfigurasi penskalaan otomatis, step 3); "
        "https://cloud.google.com/kubernetes-engine/docs/tutorials/autoscaling-metrics",
        "autoscaling",
    ),
)
