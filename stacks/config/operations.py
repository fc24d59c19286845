"""Observability and autoscaling (seed 002): alerts, access logs, the error metric, the dashboard, EPP
metrics, and the HPA on KV-cache use. Defaults are the seed's values; each part switches per stack."""

from __future__ import annotations

import re

from stacks.config.model import Alerts, Autoscaling, Observability
from stacks.config.reader import Reader

# Notification channels as the Monitoring API names them.
_CHANNEL = re.compile(r"projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/notificationChannels/[0-9]{1,20}")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)")


def fraction(r: Reader, name: str, default: float, *, low_open: bool = True, fix: str = "") -> float | None:
    """A number in (0, 1] (or [0, 1] when not `low_open`): YAML and Pulumi hand it over as a number or text."""
    value = r.get(name, default)
    if value is None:
        return None
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        r.problem(name, value, "must be a number", fix or "write a fraction such as 0.8")
        return None
    if not (0 < value <= 1 if low_open else 0 <= value <= 1):
        r.problem(name, value, "must be a fraction in (0, 1]", fix or "write a fraction such as 0.8, not a percentage")
        return None
    return float(value)


def _alerts(o: Reader) -> Alerts | None:
    a = o.mapping("alerts")
    if not a.boolean("enabled", True):
        a.finish()
        return None
    channels = a.get("notificationChannels", [])
    if not isinstance(channels, list):
        a.problem(
            "notificationChannels", channels, "must be a list", "write e.g. [projects/P/notificationChannels/123]"
        )
        channels = []
    for i, channel in enumerate(channels):
        if not isinstance(channel, str) or not _CHANNEL.fullmatch(channel):
            a.problem(
                f"notificationChannels[{i}]",
                channel,
                "is not a notification channel name",
                "write projects/PROJECT/notificationChannels/ID (`gcloud beta monitoring channels list`)",
            )
    latency = a.get("latencyP99Seconds", 10.0)  # the seed's thresholds
    if isinstance(latency, str) and _NUMBER.fullmatch(latency):
        latency = float(latency)
    if isinstance(latency, bool) or not isinstance(latency, (int, float)) or not 0 < latency <= 3600:
        a.problem("latencyP99Seconds", latency, "must be a number of seconds in (0, 3600]", "write e.g. 10")
        latency = None
    else:
        latency = float(latency)
    alerts = Alerts(
        latency_p99_seconds=latency,
        error_rate=fraction(a, "errorRate", 0.05, fix="write the error ratio, e.g. 0.05 for 5 %"),
        queue_size=a.integer("queueSize", 50, low=1, high=100000),
        kv_cache_utilization=fraction(a, "kvCacheUtilization", 0.9, fix="write a fraction of the KV cache, e.g. 0.9"),
        notification_channels=tuple(c for c in channels if isinstance(c, str)),
    )
    a.finish()
    return alerts


def observability(top: Reader) -> Observability:
    o = top.mapping("observability")
    logs = o.mapping("accessLogging")
    # The seed's sample rate: 500,000 per million, half of the requests (GCPBackendPolicy `logging.sampleRate`).
    sample = logs.integer("sampleRate", 500000, low=1, high=1000000, fix="a number of requests per million")
    sample = sample if logs.boolean("enabled", True) else None
    logs.finish()
    result = Observability(
        epp_metrics=o.boolean("eppMetrics", True),
        alerts=_alerts(o),
        access_log_sample_rate=sample,
        error_metric=o.boolean("errorMetric", True),
        dashboard=o.boolean("dashboard", True),
    )
    o.finish()
    return result


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
