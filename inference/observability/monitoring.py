"""Observability of the inference platform (the customisation guide): the inference gateway's alert rules as Cloud
Monitoring alert policies, a log-based metric of the load balancer's error details, and a dashboard.

The guide creates the alerts with `gcloud alpha monitoring policies migrate` from Prometheus rules, the
metric with `gcloud logging metrics create`, and leaves the dashboard to the console; here each is a
declarative resource, so a second `pulumi up` shows no change and `pulumi destroy` removes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

RULE_GROUP = "gateway-api-inference-extension"  # the guide's Prometheus rule group
# The monitored resource of internal Application Load Balancers' request logs, regional and cross-region
# alike (https://cloud.google.com/load-balancing/docs/l7-internal/monitoring): the guide leaves it as a
# placeholder (MONITORED_RESOURCE) to pick per Gateway class.
LOAD_BALANCER_LOG_RESOURCE = "internal_http_lb_rule"


@dataclass(frozen=True)
class AlertRule:
    """One of the guide's Prometheus alert rules, with the metric names the pinned EPP exports."""

    name: str
    title: str
    description: str
    query: str
    severity: str  # the guide's `severity` label, also the policy's severity
    labels: Mapping[str, str]


def alert_rules(latency_p99_seconds: float, error_rate: float, queue_size: int, kv_cache: float) -> list[AlertRule]:
    """The guide's four rules (`for: 5m`). EPP v1.0 renamed `inference_model_*` to `inference_objective_*`
    (gateway-api-inference-extension v1.5.0 `pkg/epp/metrics/metrics.go`: subsystem
    `inference_objective`, labels `model_name`, `target_model_name`; pool metrics keep `inference_pool_*`
    with the label `name`), so the first two rules query the names that are really exported."""
    return [
        AlertRule(
            "HighInferenceRequestLatencyP99",
            "High latency (P99) for model {{ $labels.model_name }}",
            "The 99th percentile request duration for model {{ $labels.model_name }} and target model "
            "{{ $labels.target_model_name }} has been consistently above "
            f"{latency_p99_seconds} seconds for 5 minutes.",
            "histogram_quantile(0.99, rate(inference_objective_request_duration_seconds_bucket[5m])) "
            f"> {latency_p99_seconds}",
            "warning",
            {},
        ),
        AlertRule(
            "HighInferenceErrorRate",
            "High error rate for model {{ $labels.model_name }}",
            "The error rate for model {{ $labels.model_name }} and target model {{ $labels.target_model_name }} "
            f"has been consistently above {error_rate:.0%} for 5 minutes.",
            # by cluster too, so an incident says which region (the guide sums by model only)
            "sum by (model_name, cluster) (rate(inference_objective_request_error_total[5m])) / "
            f"sum by (model_name, cluster) (rate(inference_objective_request_total[5m])) > {error_rate}",
            "critical",
            {"impact": "availability"},
        ),
        AlertRule(
            "HighInferencePoolAvgQueueSize",
            "High average queue size for inference pool {{ $labels.name }}",
            "The average number of requests pending in the queue for inference pool {{ $labels.name }} has "
            f"been consistently above {queue_size} for 5 minutes.",
            f"inference_pool_average_queue_size > {queue_size}",
            "critical",
            {"impact": "performance"},
        ),
        AlertRule(
            "HighInferencePoolAvgKVCacheUtilization",
            "High KV cache utilization for inference pool {{ $labels.name }}",
            "The average KV cache utilization for inference pool {{ $labels.name }} has been consistently above "
            f"{kv_cache:.0%} for 5 minutes, indicating potential resource exhaustion.",
            f"inference_pool_average_kv_cache_utilization > {kv_cache}",
            "critical",
            {"impact": "resource_exhaustion"},
        ),
    ]


def documentation_text(template: str) -> str:
    """A Prometheus rule's `{{ $labels.x }}` as the Monitoring documentation variable `${metric_or_resource.label.x}`,
    as `gcloud alpha monitoring policies migrate` translates it (googlecloudsdk command_lib/monitoring/util.py
    `TranslatePromQLTemplateToDocumentVariables`); Monitoring would print the Go template as it is."""
    return re.sub(r"\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", r"${metric_or_resource.label.\1}", template)


def _pool_tiles(pool: str, named: bool) -> list[tuple[str, str]]:
    """A pool's queue, KV-cache and ready-server tiles; `named`: the titles say which pool (several models)."""
    of = f" — pool {pool}" if named else ""
    return [
        (f"Average queue size, by region{of}", f'inference_pool_average_queue_size{{name="{pool}"}}'),
        (
            f"Average KV-cache utilisation (0-1), by region{of}",
            f'inference_pool_average_kv_cache_utilization{{name="{pool}"}}',
        ),
        (f"Ready model servers, by region{of}", f'inference_pool_ready_pods{{name="{pool}"}}'),
    ]


def dashboard_json(title: str, pool: str, tpu_pool: str | None, more_pools: Sequence[str] = ()) -> str:
    """A Cloud Monitoring dashboard (mosaic layout, PromQL tiles) per stack: requests, errors, latency,
    queue size, KV-cache use and ready replicas of the pool in every region (`cluster` label), and the
    TPU pool's nodes."""
    tiles = [
        ("Requests per second, by region", "sum by (cluster) (rate(inference_objective_request_total[5m]))"),
        ("Errors per second, by region", "sum by (cluster) (rate(inference_objective_request_error_total[5m]))"),
        (
            "Request latency p99 (s), by region",
            "histogram_quantile(0.99, sum by (le, cluster) "
            "(rate(inference_objective_request_duration_seconds_bucket[5m])))",
        ),
        *(t for p in (pool, *more_pools) for t in _pool_tiles(p, bool(more_pools))),
    ]
    if more_pools:  # several models: which model (or adapter) the requests name
        tiles.insert(
            1, ("Requests per second, by model", "sum by (model_name) (rate(inference_objective_request_total[5m]))")
        )
    if tpu_pool:
        # GKE system metrics in PromQL (https://cloud.google.com/monitoring/promql); node names carry the pool.
        tiles.append(
            (
                "TPU slice nodes, by cluster",
                "count by (cluster_name) (kubernetes_io:node_cpu_allocatable_cores"
                f'{{monitored_resource="k8s_node", node_name=~"gke-.*-{tpu_pool}-.*"}})',
            )
        )
    width, height = 24, 16  # two tiles per row of the 48-column grid
    return json.dumps(
        {
            "displayName": title,
            "mosaicLayout": {
                "columns": 48,
                "tiles": [
                    {
                        # Monitoring leaves zero positions out when it reads a dashboard back; writing them
                        # would show a change on every `pulumi up` (terraform-provider-google#16173).
                        **({"xPos": (i % 2) * width} if i % 2 else {}),
                        **({"yPos": (i // 2) * height} if i // 2 else {}),
                        "width": width,
                        "height": height,
                        "widget": {
                            "title": name,
                            "xyChart": {
                                "dataSets": [{"timeSeriesQuery": {"prometheusQuery": query}, "plotType": "LINE"}]
                            },
                        },
                    }
                    for i, (name, query) in enumerate(tiles)
                ],
            },
        },
        sort_keys=True,
    )


@dataclass(frozen=True)
class ObservabilityArgs:
    project: str
    name_prefix: str  # `<prefix>-<stack>`: display names say which stack alerts
    pool_name: str
    gateway_namespace: str  # the Gateway whose load balancer's logs the error metric reads
    gateway_name: str
    tpu_pool: str | None  # the TPU node pool's name, for the dashboard; None without TPU
    alerts: Sequence[AlertRule]  # empty: no alert policies
    notification_channels: Sequence[str]  # projects/P/notificationChannels/ID
    error_metric: bool
    dashboard: bool
    labels: Mapping[str, str]
    depends_on: Sequence[pulumi.Resource] = ()  # the Monitoring and Logging APIs
    more_pools: Sequence[str] = ()  # the other models' pools (inference/models/config.py): their own tiles


def _alert_policy(name: str, args: ObservabilityArgs, rule, opts: pulumi.ResourceOptions) -> gcp.monitoring.AlertPolicy:
    return gcp.monitoring.AlertPolicy(
        f"{name}-{rule.name}",
        project=args.project,
        display_name=f"{args.name_prefix}: {rule.name}",
        combiner="OR",
        severity=rule.severity.upper(),
        conditions=[
            gcp.monitoring.AlertPolicyConditionArgs(
                display_name=rule.name,
                condition_prometheus_query_language=gcp.monitoring.AlertPolicyConditionConditionPrometheusQueryLanguageArgs(
                    query=rule.query,
                    duration="300s",  # the rule's `for: 5m`
                    evaluation_interval="30s",
                    rule_group=RULE_GROUP,
                    alert_rule=rule.name,
                    labels={"severity": rule.severity, **rule.labels},
                    # Monitoring refuses a PromQL condition on a metric with no series yet (an error
                    # counter has none until the first error), which would fail the first `pulumi up`
                    # (terraform-provider-google#20491, the API's `disableMetricValidation`).
                    disable_metric_validation=True,
                ),
            )
        ],
        documentation=gcp.monitoring.AlertPolicyDocumentationArgs(
            subject=documentation_text(rule.title),
            content=documentation_text(rule.description),
            mime_type="text/markdown",
        ),
        notification_channels=list(args.notification_channels),
        user_labels={**args.labels, "severity": rule.severity, **rule.labels},
        opts=opts,
    )


def _error_metric(name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions) -> gcp.logging.Metric:
    """The guide's LogMetric: counts load-balancer log entries by their `proxyStatus` error detail. Log metric
    names are unique per project: the stack's prefix keeps dev and prod apart there."""
    return gcp.logging.Metric(
        f"{name}-error-detail",
        project=args.project,
        name=f"{args.name_prefix}-error_detail_metric",
        description="Metric to extract error details from load balancer logs.",
        # This stack's load balancer (the multi-cluster Gateway names its resources
        # `gkemcg1-<namespace>-<gateway>-<hash>`), and only entries that carry an error detail.
        filter=f'resource.type="{LOAD_BALANCER_LOG_RESOURCE}" '
        f'AND resource.labels.url_map_name:"gkemcg1-{args.gateway_namespace}-{args.gateway_name}-" '
        "AND jsonPayload.proxyStatus:*",
        metric_descriptor=gcp.logging.MetricMetricDescriptorArgs(
            metric_kind="DELTA",
            value_type="INT64",
            labels=[
                gcp.logging.MetricMetricDescriptorLabelArgs(
                    key="error_detail",
                    value_type="STRING",
                    description="The detailed error string from the load balancer.",
                )
            ],
        ),
        label_extractors={"error_detail": "EXTRACT(jsonPayload.proxyStatus)"},
        opts=opts,
    )


class Observability(pulumi.ComponentResource):
    """Per stack: the EPP metrics of every cluster land in one project, so one set suffices."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:observability:Observability", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.alert_policies = [_alert_policy(name, args, rule, child) for rule in args.alerts]
        self.error_metric = _error_metric(name, args, child) if args.error_metric else None
        self.dashboard = None
        self.dashboard_url: pulumi.Output[str] | None = None
        if args.dashboard:
            self.dashboard = gcp.monitoring.Dashboard(
                f"{name}-dashboard",
                project=args.project,
                dashboard_json=dashboard_json(
                    f"{args.name_prefix} inference", args.pool_name, args.tpu_pool, args.more_pools
                ),
                opts=child,
            )
            # The dashboard's id is projects/<number>/dashboards/<id>.
            self.dashboard_url = self.dashboard.id.apply(
                lambda i: (
                    f"https://console.cloud.google.com/monitoring/dashboards/builder/"
                    f"{i.rsplit('/', 1)[-1]}?project={args.project}"
                )
            )
        self.register_outputs({"dashboard_url": self.dashboard_url})
