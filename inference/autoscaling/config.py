"""`autoscaling`: one HorizontalPodAutoscaler per pool and cluster on the pool's KV-cache utilisation."""

from __future__ import annotations

from dataclasses import dataclass

from inference.common.reader import Reader
from inference.common.validators import fraction


@dataclass(frozen=True)
class Autoscaling:
    min_replicas: int
    max_replicas: int
    target_kv_cache: float  # a fraction: the metric is 0-1


def autoscaling(top: Reader, metrics: bool, tpu_slices: int | None) -> Autoscaling | None:
    """The HPA per pool and cluster. `metrics`: the EPP's metrics reach Managed Prometheus (the HPA
    reads them); `tpu_slices`: the most model servers the TPU pool can hold, None without TPU."""
    s = top.mapping("autoscaling")
    if not s.boolean("enabled", False):
        s.finish()
        return None
    low = s.integer("minReplicas", 1, low=1, high=1000, fix="at least 1: an HPA never scales to zero here")
    high = s.integer("maxReplicas", max(2, low or 1), low=1, high=1000)
    # Below the Gateway's maxUtilizationPercent (60): above it the load balancer sends requests to the other
    # region, which keeps the pool's average from ever passing the target (plus the HPA's 10 % tolerance).
    target = fraction(
        s, "targetKvCacheUtilization", 0.5, fix="the metric is a fraction of the KV cache (0-1): write e.g. 0.5"
    )
    s.finish()
    if low and high and high < low:
        s.problem("maxReplicas", high, f"is below minReplicas ({low})", "set maxReplicas >= minReplicas")
    if not metrics:
        s.problem(
            "enabled",
            True,
            "scales on the endpoint picker's KV-cache metric, which observability.eppMetrics: false turns off",
            "set observability.eppMetrics to true, or autoscaling.enabled to false",
        )
    if tpu_slices is not None and high and high > tpu_slices:
        s.problem(
            "maxReplicas",
            high,
            f"each vLLM replica takes a whole TPU slice and the TPU pool holds at most {tpu_slices}",
            "lower maxReplicas, or raise accelerator.maxNodes (TPU quota permitting) so the pool can autoscale to it",
        )
    if None in (low, high, target) or high < low:
        return None
    return Autoscaling(low, high, target)
