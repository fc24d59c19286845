"""The single-cluster mode's configuration: its Gateway class, and what it refuses (more than one region, keys
of the multi-cluster pieces it does not build)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inference.common.reader import Reader
from inference.multi_cluster.config import MULTI_CLUSTER_ONLY
from inference.single_cluster import facts


def class_name(gateway: Reader) -> str | None:
    return gateway.choice("className", facts.GATEWAY_CLASSES[0], facts.GATEWAY_CLASSES)


def check(top: Reader, raw: Mapping[str, Any], region_names: list[str]) -> None:
    """Single-cluster mode serves from one cluster and has no fleet: more regions, or keys of the
    multi-cluster pieces, are refused rather than silently ignored."""
    if len(region_names) > 1:
        top.problem(
            "regions",
            region_names,
            f"lists {len(region_names)} regions, but a single-cluster Gateway serves the pools of one cluster",
            "list one region, or set gateway.mode: multi-cluster to serve from every region",
        )
    observability = raw.get("observability")
    if isinstance(observability, Mapping) and observability.get("errorMetric") in (True, "true"):
        top.problem(
            "observability.errorMetric",
            observability["errorMetric"],
            "counts errors in the multi-cluster Gateway's load-balancer logs, which single-cluster mode does not "
            "have, so single-cluster stacks go without it",
            "remove observability.errorMetric, or set gateway.mode: multi-cluster",
        )
    for section, keys in MULTI_CLUSTER_ONLY.items():
        given = raw.get(section)
        for key in keys:
            if isinstance(given, Mapping) and key in given:
                top.problem(
                    f"{section}.{key}",
                    given[key],
                    "configures a piece of the multi-cluster Gateway or fleet, which single-cluster mode does not "
                    "build (there the inferencepool chart's own policies target the InferencePool)",
                    f"remove {section}.{key}, or set gateway.mode: multi-cluster",
                )
