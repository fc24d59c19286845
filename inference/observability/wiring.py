"""Observability: the alert policies, the error metric and the dashboard of the stack."""

from __future__ import annotations

from typing import Any

from inference.common.modes import MULTI_CLUSTER
from inference.configuration.platform import PlatformConfig
from inference.core.cluster import TPU_POOL
from inference.core.wiring import Platform
from inference.observability.monitoring import Observability, ObservabilityArgs, alert_rules


def wire(cfg: PlatformConfig, platform: Platform) -> dict[str, Any]:
    """The monitoring objects the stack turns on, and the dashboard's address."""
    obs = cfg.observability
    # The error metric reads the multi-cluster Gateway's load-balancer logs (inference/observability/monitoring.py).
    error_metric = obs.error_metric and cfg.gateway.mode == MULTI_CLUSTER
    if not (obs.alerts or error_metric or obs.dashboard):
        return {}
    a = obs.alerts
    observability = Observability(
        "observability",
        ObservabilityArgs(
            project=cfg.project,
            name_prefix=cfg.names.base,
            pool_name=cfg.inference_pool.name,
            gateway_namespace=cfg.model_server.namespace,
            gateway_name=cfg.gateway.name,
            tpu_pool=TPU_POOL if cfg.accelerator else None,
            alerts=alert_rules(a.latency_p99_seconds, a.error_rate, a.queue_size, a.kv_cache_utilization) if a else [],
            notification_channels=a.notification_channels if a else (),
            error_metric=error_metric,
            dashboard=obs.dashboard,
            labels=cfg.resource_labels,
            depends_on=platform.apis.of("monitoring.googleapis.com", "logging.googleapis.com"),
            more_pools=[m.pool_name for m in cfg.served_models[1:]],
        ),
    )
    return {"dashboardUrl": observability.dashboard_url} if observability.dashboard_url is not None else {}
