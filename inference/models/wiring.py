"""Several models behind one Gateway: what the feature adds beside the servers and pools serving builds for each
model (inference/serving/wiring.py) and the rules each mode's route gets: body-based routing on the Gateway,
and the outputs that say which name reaches which pool."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from inference.configuration.platform import PlatformConfig
from inference.core.cluster import InferenceCluster
from inference.core.network import HEALTH_CHECK_RANGES
from inference.models.body_router import BodyRouter, BodyRouterArgs
from inference.models.facts import BODY


def several(cfg: PlatformConfig) -> bool:
    """Whether requests are routed by the model they name: with two models or more (one pool takes everything)."""
    return len(cfg.models) > 1


def body_router(
    cfg: PlatformConfig, cluster: InferenceCluster, requires: Sequence[pulumi.Resource]
) -> BodyRouter | None:
    """Body-based routing in the Gateway's cluster, when the stack routes several models on the body's `model`;
    `requires`: the serving namespace."""
    if cfg.model_routing != BODY:
        return None
    return BodyRouter(
        "body-router",
        BodyRouterArgs(
            namespace=cfg.model_server.namespace,
            gateway_name=cfg.gateway.name,
            requires=requires,
            nodes=[cluster.system_pool],
            gateway_ranges=[r.proxy_cidr for r in cfg.regions],
            health_check_ranges=HEALTH_CHECK_RANGES,
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
    )


def request_objectives(cfg: PlatformConfig) -> dict[str, str]:
    """Every name a request may send as its model, and the InferenceObjective its test request names in the
    objective header (facts.OBJECTIVE_HEADER): the base model's, or the adapter's."""
    return {
        name: objective
        for m in cfg.models
        for name, objective in ((m.model.served_name, m.objective), *((a.name, a.objective) for a in m.adapters))
    }


def outputs(cfg: PlatformConfig) -> dict[str, Any]:
    """What a request may name as its model, and the pool it reaches (docs/models.md)."""
    if not cfg.models:
        return {}
    return {"models": {n: m.pool_name for m in cfg.models for n in m.served_names}, "modelRouting": cfg.model_routing}
