"""`observability`: alerts, access logs, the error metric, the dashboard and the endpoint picker's metrics.
Defaults are the values of Google's guide to customising GKE Inference Gateway; each part switches per stack."""

from __future__ import annotations

import re
from dataclasses import dataclass

from inference.common.reader import Reader
from inference.common.validators import NUMBER, fraction


@dataclass(frozen=True)
class Alerts:
    latency_p99_seconds: float
    error_rate: float
    queue_size: int
    kv_cache_utilization: float
    notification_channels: tuple[str, ...]


@dataclass(frozen=True)
class Observability:
    epp_metrics: bool  # the endpoint picker's metrics into Managed Prometheus, in every cluster
    alerts: Alerts | None  # None: no alert policies
    access_log_sample_rate: int | None  # per 1,000,000 requests; None: no access logging
    error_metric: bool
    dashboard: bool


# Notification channels as the Monitoring API names them.
_CHANNEL = re.compile(r"projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/notificationChannels/[0-9]{1,20}")


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
    latency = a.get("latencyP99Seconds", 10.0)  # the guide's thresholds
    if isinstance(latency, str) and NUMBER.fullmatch(latency):
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
    # The guide's sample rate: 500,000 per million, half of the requests (GCPBackendPolicy `logging.sampleRate`).
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
