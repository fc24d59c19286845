"""Autoscaling: the metrics adapter and one HorizontalPodAutoscaler per pool in every cluster."""

from __future__ import annotations

from typing import Any

import pulumi

from inference.autoscaling.pool_autoscaling import (
    AdapterAccess,
    AdapterAccessArgs,
    MorePool,
    PoolAutoscaling,
    PoolAutoscalingArgs,
)
from inference.configuration.platform import PlatformConfig
from inference.core.wiring import Platform
from inference.models import config as models
from inference.serving.wiring import Served, Serving


def _access(cfg: PlatformConfig, platform: Platform) -> AdapterAccess | None:
    """One principal per project (the adapter's namespace and account are the same in every cluster): granted
    by the stack that owns the project's fleet singletons, like the MCI agent's role."""
    if not cfg.fleet.manage_features:
        return None
    return AdapterAccess(
        "metrics-adapter",
        AdapterAccessArgs(
            project=cfg.project,
            workload_pool=platform.config_cluster.workload_pool,
            depends_on=platform.apis.of("cloudresourcemanager.googleapis.com"),
        ),
    )


def _more_pools(cfg: PlatformConfig, serving: Serving, region: str) -> list[MorePool]:
    """The other models' pools of a region, each between its model's bounds (its own, else the section's)."""
    more = []
    for other in (o for o in serving.others if o.region == region and o.pool):
        low, high = models.bounds(other.served, cfg.autoscaling)
        requires = [other.server.deployment, other.pool.chart]
        more.append(MorePool(other.served.pool_name, other.served.server_name, low, high, requires))
    return more


def wire(cfg: PlatformConfig, platform: Platform, served: Served) -> dict[str, Any]:
    scaling = cfg.autoscaling
    if not scaling:
        return {}
    access = _access(cfg, platform)
    serving = served.serving
    first = models.bounds(cfg.served_models[0], scaling)  # the first model's own bounds, else the section's
    for region, cluster in platform.clusters.items():
        PoolAutoscaling(
            f"autoscaling-{region}",
            PoolAutoscalingArgs(
                cluster_name=cluster.cluster_name,
                namespace=cfg.model_server.namespace,
                pool_name=cfg.inference_pool.name,
                deployment=cfg.model_server.name,
                min_replicas=first[0],
                max_replicas=first[1],
                target_kv_cache=scaling.target_kv_cache,
                system_pool=cluster.system_pool_name,
                adapter_access=access,
                nodes=[cluster.system_pool],
                requires=[serving.servers[region].deployment, serving.pools[region].chart],
                more_pools=_more_pools(cfg, serving, region),
            ),
            opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
        )
    return {
        "autoscaling": {
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "targetKvCacheUtilization": scaling.target_kv_cache,
        }
    }
