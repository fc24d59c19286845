"""Istio mode on a cluster the user already has: one Kubernetes provider from the secret kubeconfig and the
configured context, and nothing of Google Cloud."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s

from inference.existing_cluster.config import ExistingClusterConfig
from inference.istio.plane import test_request
from inference.istio.wiring import plane


def wire(cfg: ExistingClusterConfig) -> dict[str, Any]:
    provider = k8s.Provider(
        "existing-cluster",
        kubeconfig=cfg.kubeconfig,
        context=cfg.kube_context,
        # Replace the provider (and every object on it) only for another cluster, not for rotated credentials.
        cluster_identifier=cfg.kube_context,
        enable_server_side_apply=True,
    )
    plane("istio", cfg.istio, provider, install_crds=cfg.istio.install_crds, nodes=[], on_gke=False)
    return {"kubeContext": cfg.kube_context, "testRequest": test_request(cfg.kube_context)}
