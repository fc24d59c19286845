"""Istio mode on the program's GKE cluster: the Istio plane on the config cluster, whose system pool runs the
simulator. GKE manages the Gateway API and InferencePool CRDs there, and no GKE gateway object (pool export,
policies, gke-l7 class) is made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from inference.configuration.platform import PlatformConfig
from inference.core.facts.ranges import GLOBAL_PROXY_PURPOSE
from inference.core.wiring import Platform, platform_outputs
from inference.istio.config import Istio
from inference.istio.plane import IstioInferenceGateway, IstioInferenceGatewayArgs, test_request

APIS: tuple[str, ...] = ()  # nothing beyond the core's
# Istio's Gateway uses no Google load-balancer proxy; the subnets stay as multi-cluster mode makes them.
PROXY_SUBNET_PURPOSE = GLOBAL_PROXY_PURPOSE
GATEWAY_ADDRESSES = False


def plane(
    name: str,
    istio: Istio,
    provider: k8s.Provider,
    *,
    install_crds: bool,
    nodes: Sequence[pulumi.Resource],
    on_gke: bool,
) -> IstioInferenceGateway:
    """The Istio plane on the cluster `provider` reaches; `nodes`: what its pods wait for."""
    return IstioInferenceGateway(
        name,
        IstioInferenceGatewayArgs(
            istio_version=istio.version,
            install_istio=istio.install,
            install_crds=install_crds,
            scorers=istio.scorers,
            nodes=list(nodes),
            install_objective_crd=on_gke,
            internal_load_balancer=istio.load_balancer == "internal",
            cluster_ip=istio.load_balancer == "none",
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": provider}),
    )


def wire(cfg: PlatformConfig, platform: Platform) -> dict[str, Any]:
    """The plane on the config cluster, and the stack's outputs."""
    cluster = platform.config_cluster
    plane("istio", cfg.istio, cluster.provider, install_crds=False, nodes=[cluster.system_pool], on_gke=True)
    return {
        **platform_outputs(platform),
        "kubeContext": cluster.kube_context,
        "testRequest": test_request(cluster.kube_context),
    }
