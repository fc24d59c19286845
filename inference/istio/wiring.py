"""Istio mode on the program's GKE cluster: the Istio plane on the config cluster, whose system pool runs the
simulator. GKE manages the Gateway API and InferencePool CRDs there, and no GKE gateway object (pool export,
policies, gke-l7 class) is made. With `models`, the plane serves each model with its own simulator, picker,
pool and objectives, and routes on the model header (docs/models.md "Istio mode")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from inference.configuration.platform import PlatformConfig
from inference.core.facts.ranges import GLOBAL_PROXY_PURPOSE
from inference.core.wiring import Platform, platform_outputs
from inference.istio.config import Istio
from inference.istio.models import GUIDE_MODEL, GUIDE_REPLICAS, IstioModel, ModelNames
from inference.istio.plane import IstioInferenceGateway, IstioInferenceGatewayArgs, test_request
from inference.models import wiring as models
from inference.models.config import ServedModel
from inference.models.facts import BODY, HEADER, MODEL_HEADER, OBJECTIVE_HEADER
from inference.serving.model_server import LoraAdapter
from inference.serving.pods import lora_modules

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
    served: Sequence[IstioModel] = (GUIDE_MODEL,),
    body_routing: bool = False,
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
            models=list(served),
            body_routing=body_routing,
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": provider}),
    )


def istio_model(m: ServedModel, several: bool) -> IstioModel:
    """One entry of `models` as the plane serves it: the first under the guide's names, another's with -<name>."""
    adapters = [LoraAdapter(a.name, a.source, a.revision) for a in m.adapters]
    return IstioModel(
        names=ModelNames(m.key),
        served_name=m.model.served_name,
        lora_modules=tuple(lora_modules(m.model.served_name, adapters)),
        max_loras=len(adapters),
        replicas=m.replicas if m.replicas is not None else GUIDE_REPLICAS,
        objectives=m.objectives,
        routed_names=m.served_names if several else (),
    )


def model_outputs(cfg: PlatformConfig, kube_context: str | None) -> dict[str, Any]:
    """Which name reaches which pool, and a test request per name (with the model header where the client sets
    it, and the name's objective)."""
    if not cfg.models:
        return {}
    pools = {n: ModelNames(m.key).pool for m in cfg.models for n in m.served_names}
    found: dict[str, Any] = {"models": pools, "modelRouting": cfg.model_routing}
    if models.several(cfg):
        header = cfg.model_routing == HEADER
        found["modelTestRequests"] = {
            name: test_request(
                kube_context, name, [*([(MODEL_HEADER, name)] if header else []), (OBJECTIVE_HEADER, objective)]
            )
            for name, objective in models.request_objectives(cfg).items()
        }
    return found


def wire(cfg: PlatformConfig, platform: Platform) -> dict[str, Any]:
    """The plane on the config cluster, and the stack's outputs."""
    cluster = platform.config_cluster
    several = models.several(cfg)
    served = [istio_model(m, several) for m in cfg.models] or [GUIDE_MODEL]
    plane(
        "istio",
        cfg.istio,
        cluster.provider,
        install_crds=False,
        nodes=[cluster.system_pool],
        on_gke=True,
        served=served,
        body_routing=cfg.model_routing == BODY,
    )
    return {
        **platform_outputs(platform),
        "kubeContext": cluster.kube_context,
        "testRequest": first_test_request(cfg, cluster.kube_context),
        **model_outputs(cfg, cluster.kube_context),
    }


def first_test_request(cfg: PlatformConfig, kube_context: str | None) -> dict:
    """The guide's request, for the first model when there is a list; with several models routed on a header the
    client sets, it sends that header, which every rule of the route then matches."""
    if not cfg.models:
        return test_request(kube_context)
    first = cfg.models[0].model.served_name
    header = models.several(cfg) and cfg.model_routing == HEADER
    return test_request(kube_context, first, [(MODEL_HEADER, first)] if header else [])
