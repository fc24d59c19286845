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
