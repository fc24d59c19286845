"""Composition: picks the stack's gateway mode, builds the core it stands on, applies the add-ons that are
on, and exports. Each feature wires itself (its package's `wiring.py`); this module only chooses and
connects them, and is the one place that knows which features a stack has."""

from __future__ import annotations

from typing import Any

import pulumi

from inference.autoscaling import wiring as autoscaling
from inference.capacity import wiring as capacity
from inference.common.modes import ISTIO, MULTI_CLUSTER, SINGLE_CLUSTER
from inference.configuration.platform import PlatformConfig
from inference.core import wiring as core
from inference.existing_cluster import wiring as existing_cluster
from inference.existing_cluster.config import ExistingClusterConfig
from inference.guards import wiring as guards
from inference.istio import wiring as istio
from inference.migration import wiring as migration
from inference.models import wiring as models
from inference.multi_cluster import wiring as multi_cluster
from inference.observability import wiring as observability
from inference.serving.wiring import Served
from inference.single_cluster import wiring as single_cluster

# Each mode's APIs, proxy-only subnet purpose and whether its Gateway takes a reserved address per region.
MODES = {MULTI_CLUSTER: multi_cluster, SINGLE_CLUSTER: single_cluster, ISTIO: istio}


def _platform(cfg: PlatformConfig) -> core.Platform:
    mode = MODES[cfg.gateway.mode]
    return core.build_platform(
        cfg,
        services=core.apis(cfg) + mode.APIS + guards.apis(cfg),
        proxy_purpose=mode.PROXY_SUBNET_PURPOSE,
        gateway_addresses=mode.GATEWAY_ADDRESSES,
    )


def _serve(cfg: PlatformConfig, platform: core.Platform, weights: core.Weights, routing) -> Served:
    """The mode's model servers, pools and Gateway; a migration chooses the single-cluster route."""
    if cfg.gateway.mode == MULTI_CLUSTER:
        return multi_cluster.wire(cfg, platform, weights)
    return single_cluster.wire(cfg, platform, weights, routing)


def build(cfg: PlatformConfig | ExistingClusterConfig) -> dict[str, Any]:
    """Creates the stack's resources and returns its outputs."""
    if isinstance(cfg, ExistingClusterConfig):
        return existing_cluster.wire(cfg)
    routing = migration.routing(cfg)  # first: a step the runbook does not allow fails before anything changes
    platform = capacity.wire(cfg, _platform(cfg))  # a capacity ladder's pools, when one replaces the TPU pool
    if cfg.gateway.mode == ISTIO:
        return istio.wire(cfg, platform)
    weights = core.build_weights(cfg, platform)
    served = _serve(cfg, platform, weights, routing)
    return {
        **core.platform_outputs(platform),
        **core.weights_outputs(cfg, platform, weights),
        **served.outputs,
        **models.outputs(cfg),
        **capacity.outputs(cfg),
        **observability.wire(cfg, platform),
        **autoscaling.wire(cfg, platform, served),
        **guards.wire(cfg, platform, served),
    }


def export(outputs: dict[str, Any]) -> None:
    for name, value in outputs.items():
        pulumi.export(name, value)
