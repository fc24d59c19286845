"""The multi-cluster mode's configuration: the health check and KV-cache balancing of the cross-region
Gateway (keys of `gateway`), its class, and `fleet`."""

from __future__ import annotations

from dataclasses import dataclass

from inference.common.reader import Reader
from inference.multi_cluster import facts
from inference.single_cluster import facts as single_cluster_facts

# Keys that only configure multi-cluster pieces: the program's own HealthCheckPolicy and GCPBackendPolicy
# on the imported pool, and the fleet. In single-cluster mode the inferencepool chart's policies target
# the InferencePool itself (chart templates/gke.yaml), so these keys would do nothing.
MULTI_CLUSTER_ONLY = {
    "gateway": ("healthCheck", "maxUtilizationPercent", "dryRun", "timeoutSec"),
    "fleet": ("manageFeatures",),
    "observability": ("accessLogging",),  # the chart's GCPBackendPolicy already logs every request
}


@dataclass(frozen=True)
class HealthCheck:
    interval_sec: int
    timeout_sec: int
    healthy_threshold: int
    unhealthy_threshold: int

    @property
    def detection_seconds(self) -> int:
        """Worst case from a backend failing to the load balancer marking it unhealthy: it fails just after a
        passed probe, and the last of `unhealthy_threshold` failing probes starts that many intervals later and
        waits out its timeout (docs/operations.md, "Failover by hand")."""
        return self.unhealthy_threshold * self.interval_sec + self.timeout_sec


@dataclass(frozen=True)
class Balancing:
    """How the cross-region Gateway's load balancer checks and balances the imported pool."""

    health_check: HealthCheck
    max_utilization_percent: int
    dry_run: bool
    timeout_sec: int


@dataclass(frozen=True)
class Fleet:
    manage_features: bool


def health_check(gateway: Reader) -> HealthCheck:
    h = gateway.mapping("healthCheck")
    (s_low, s_high), (t_low, t_high) = facts.HEALTH_CHECK_SECONDS_RANGE, facts.HEALTH_CHECK_THRESHOLD_RANGE
    health = HealthCheck(
        interval_sec=h.integer("intervalSec", facts.HEALTH_CHECK_INTERVAL_SEC, low=s_low, high=s_high),
        timeout_sec=h.integer("timeoutSec", facts.HEALTH_CHECK_TIMEOUT_SEC, low=s_low, high=s_high),
        healthy_threshold=h.integer("healthyThreshold", facts.HEALTH_CHECK_THRESHOLD, low=t_low, high=t_high),
        unhealthy_threshold=h.integer("unhealthyThreshold", facts.HEALTH_CHECK_THRESHOLD, low=t_low, high=t_high),
    )
    if None not in (health.interval_sec, health.timeout_sec) and health.timeout_sec > health.interval_sec:
        h.problem(
            "timeoutSec",
            health.timeout_sec,
            f"is longer than intervalSec ({health.interval_sec})",
            "set timeoutSec <= intervalSec, as Google Cloud health checks require",
        )
    h.finish()
    return health


def balancing(gateway: Reader, health: HealthCheck) -> Balancing:
    return Balancing(
        health_check=health,
        max_utilization_percent=gateway.integer(
            "maxUtilizationPercent", 60, low=1, high=100, fix="a percentage of KV-cache use: 1..100"
        ),
        dry_run=gateway.boolean("dryRun", False),
        timeout_sec=gateway.integer("timeoutSec", 100, low=1, high=86400),
    )


def class_name(gateway: Reader) -> str | None:
    """Multi-cluster mode has one class; another one is a mistake for single-cluster mode."""
    name = gateway.get("className", facts.GATEWAY_CLASS)
    if name != facts.GATEWAY_CLASS:
        gateway.problem(
            "className",
            name,
            f"is not the class of multi-cluster mode, which serves pools of every region through {facts.GATEWAY_CLASS}",
            "remove gateway.className, or set gateway.mode: single-cluster for a "
            f"{' or '.join(single_cluster_facts.GATEWAY_CLASSES)} Gateway",
        )
        return None
    return name


def fleet(top: Reader) -> Fleet:
    f = top.mapping("fleet")
    result = Fleet(f.boolean("manageFeatures", True))
    f.finish()
    return result
