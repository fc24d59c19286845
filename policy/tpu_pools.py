"""The TPU node pools of a stack, by zone, for the stack validation `production-not-spot-alone` (policies.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _node_config(pool: Any) -> Mapping[str, Any]:
    node = pool.props.get("nodeConfig")
    return node if isinstance(node, Mapping) else {}


def tpu_pools_by_zone(resources: Any, node_pool_type: str) -> dict[str, list[Any]]:
    """The TPU node pools (Cloud TPU machine types are the ct* family) of each zone: one cluster per zone here."""
    zones: dict[str, list[Any]] = {}
    for resource in resources:
        if resource.resource_type == node_pool_type and str(_node_config(resource).get("machineType")).startswith("ct"):
            zones.setdefault(str(resource.props.get("location")), []).append(resource)
    return zones


def preemptible(pool: Any) -> bool:
    """Spot, or the older preemptible VMs: either may go at any time."""
    node = _node_config(pool)
    return node.get("spot") is True or node.get("preemptible") is True


def standing_slices(pool: Any) -> int:
    """The nodes the pool keeps at steady state: an autoscaled pool's floor, else its node count. A capacity
    ladder's later rungs have a floor of 0: they serve only after the first rung is full or stocked out."""
    autoscaling = pool.props.get("autoscaling")
    if isinstance(autoscaling, Mapping) and autoscaling:
        floor = autoscaling.get("minNodeCount", 0)
    else:
        floor = pool.props.get("nodeCount", pool.props.get("initialNodeCount", 0))
    return floor if isinstance(floor, int) and not isinstance(floor, bool) else 0


def flex_start(pool: Any) -> bool:
    """Flex-start nodes end after their maximum run duration, and come from a queue."""
    return _node_config(pool).get("flexStart") is True
