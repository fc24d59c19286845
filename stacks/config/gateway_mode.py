"""`gateway.mode` and `gateway.className`: which Gateway serves the pools, and what each mode refuses.

multi-cluster (the default) is the codelab's cross-region internal Gateway over a fleet; single-cluster is
the Gateway of seeds 000/001: one cluster, a regional class, routes straight to InferencePools.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stacks import facts
from stacks.config.reader import Reader

MULTI_CLUSTER = "multi-cluster"
SINGLE_CLUSTER = "single-cluster"
GATEWAY_MODES = (MULTI_CLUSTER, SINGLE_CLUSTER)

# Keys that only configure multi-cluster pieces: the program's own HealthCheckPolicy and GCPBackendPolicy
# on the imported pool, and the fleet. In single-cluster mode the inferencepool chart's policies target
# the InferencePool itself (chart templates/gke.yaml), so these keys would do nothing.
_MULTI_CLUSTER_ONLY = {
    "gateway": ("healthCheck", "maxUtilizationPercent", "dryRun", "timeoutSec"),
    "fleet": ("manageFeatures",),
    "observability": ("accessLogging",),  # the chart's GCPBackendPolicy already logs every request
}


def mode_and_class(r: Reader) -> tuple[str | None, str | None]:
    """The mode, and the Gateway class it uses (the multi-cluster class in multi-cluster mode)."""
    mode = r.choice("mode", MULTI_CLUSTER, GATEWAY_MODES)
    if mode == SINGLE_CLUSTER:
        return mode, r.choice(
            "className", facts.SINGLE_CLUSTER_GATEWAY_CLASSES[0], facts.SINGLE_CLUSTER_GATEWAY_CLASSES
        )
    class_name = r.get("className", facts.MULTI_CLUSTER_GATEWAY_CLASS)
    if mode == MULTI_CLUSTER and class_name != facts.MULTI_CLUSTER_GATEWAY_CLASS:
        r.problem(
            "className",
            class_name,
            f"is not the class of multi-cluster mode, which serves pools of every region through "
            f"{facts.MULTI_CLUSTER_GATEWAY_CLASS}",
            "remove gateway.className, or set gateway.mode: single-cluster for a "
            f"{' or '.join(facts.SINGLE_CLUSTER_GATEWAY_CLASSES)} Gateway",
        )
        return mode, None
    return mode, class_name


def check_single_cluster(top: Reader, raw: Mapping[str, Any], region_names: list[str]) -> None:
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
    for section, keys in _MULTI_CLUSTER_ONLY.items():
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
