"""The customisation guide's observability and autoscaling: alert policies, the error metric, the dashboard, access
logs, the metrics adapter and the HPAs, against the guide's values and with its corrections."""

from __future__ import annotations

import json

import pytest
import yaml

from inference.autoscaling import pool_autoscaling as autoscaling
from inference.common.reader import ConfigError
from inference.observability import monitoring as observability
from tests.conftest import closure, run
from tests.serving.test_serving import REGIONS, cluster_of
from tools import capacity, engine

GUIDE_RULES = {  # the customisation guide alerts.yaml: rule -> (severity, extra labels)
    "HighInferenceRequestLatencyP99": ("warning", {}),
    "HighInferenceErrorRate": ("critical", {"impact": "availability"}),
    "HighInferencePoolAvgQueueSize": ("critical", {"impact": "performance"}),
    "HighInferencePoolAvgKVCacheUtilization": ("critical", {"impact": "resource_exhaustion"}),
}
ADAPTER_MANIFEST = engine.ROOT / "components" / "manifests" / "custom-metrics-stackdriver-adapter.yaml"


def autoscaling_objects(plan: engine.Plan, region: str) -> dict[str, engine.Registration]:
    return {
        r.type.rsplit(":", 1)[-1] + "/" + r.inputs["metadata"]["name"]: r
        for r in plan.registrations
        if "inference:autoscaling:PoolAutoscaling" in r.urn and r.custom and cluster_of(plan, r) == region
    }


# ------------------------------------------------------------------------------------ alerts


def test_the_guides_four_rules_are_alert_policies_on_what_the_pinned_epp_exports(prod):
    policies = {
        p.inputs["conditions"][0]["displayName"]: p for p in prod.by_type("gcp:monitoring/alertPolicy:AlertPolicy")
    }
    assert sorted(policies) == sorted(GUIDE_RULES)
    for rule, (severity, labels) in GUIDE_RULES.items():
        policy = policies[rule].inputs
        assert policy["displayName"] == f"tpu-gke-dranet-prod: {rule}"
        assert policy["severity"] == severity.upper() and policy["combiner"] == "OR"
        condition = policy["conditions"][0]["conditionPrometheusQueryLanguage"]
        assert condition["duration"] == "300s"  # for: 5m
        assert condition["ruleGroup"] == "gateway-api-inference-extension" and condition["alertRule"] == rule
        assert condition["labels"] == {"severity": severity, **labels}
        assert condition["disableMetricValidation"] is True  # no series yet on the first `pulumi up`
        assert "inference_model_" not in condition["query"]  # v1 renamed them: nothing would ever fire
        assert policy["documentation"]["mimeType"] == "text/markdown"
    query = lambda rule: policies[rule].inputs["conditions"][0]["conditionPrometheusQueryLanguage"]["query"]  # noqa: E731
    assert query("HighInferenceRequestLatencyP99") == (
        "histogram_quantile(0.99, rate(inference_objective_request_duration_seconds_bucket[5m])) > 10.0"
    )
    assert query("HighInferenceErrorRate") == (
        "sum by (model_name, cluster) (rate(inference_objective_request_error_total[5m])) / "
        "sum by (model_name, cluster) (rate(inference_objective_request_total[5m])) > 0.05"
    )
    assert query("HighInferencePoolAvgQueueSize") == "inference_pool_average_queue_size > 50"
    assert query("HighInferencePoolAvgKVCacheUtilization") == "inference_pool_average_kv_cache_utilization > 0.9"
    # Monitoring's documentation variables, as `gcloud alpha monitoring policies migrate` writes them
    assert policies["HighInferenceErrorRate"].inputs["documentation"]["subject"] == (
        "High error rate for model ${metric_or_resource.label.model_name}"
    )
    assert "{{" not in json.dumps([p.inputs["documentation"] for p in policies.values()])


def test_the_alert_metric_names_are_those_the_vendored_epp_exports():
    """The v1.5.0 endpoint picker registers `inference_objective` and `inference_pool` metrics
    (gateway-api-inference-extension `pkg/epp/metrics/metrics.go`); its chart's version pins that EPP."""
    chart = yaml.safe_load((engine.ROOT / "components/charts/inferencepool-v1.5.0/Chart.yaml").read_text())
    assert chart["appVersion"] == "v1.5.0"
    for rule in observability.alert_rules(10.0, 0.05, 50, 0.9):
        assert "inference_objective_" in rule.query or "inference_pool_" in rule.query


def test_thresholds_and_channels_come_from_config():
    channel = "projects/tpu-inference-prod/notificationChannels/1234"
    plan = run(
        "prod",
        overrides={
            "observability": {"alerts": {"latencyP99Seconds": 4, "queueSize": 10, "notificationChannels": [channel]}}
        },
    )
    policies = plan.by_type("gcp:monitoring/alertPolicy:AlertPolicy")
    assert {tuple(p.inputs["notificationChannels"]) for p in policies} == {(channel,)}
    queries = {p.inputs["conditions"][0]["conditionPrometheusQueryLanguage"]["query"] for p in policies}
    assert any(q.endswith("> 4.0") for q in queries) and "inference_pool_average_queue_size > 10" in queries


def test_every_part_switches_off_on_its_own():
    plan = run(
        "prod",
        overrides={
            "observability": {
                "alerts": {"enabled": False},
                "errorMetric": False,
                "dashboard": False,
                "accessLogging": {"enabled": False},
            }
        },
    )
    for kind in ("monitoring/alertPolicy:AlertPolicy", "logging/metric:Metric", "monitoring/dashboard:Dashboard"):
        assert plan.by_type(f"gcp:{kind}") == []
    assert "dashboardUrl" not in plan.outputs
    policy = plan.one("kubernetes:networking.gke.io/v1:GCPBackendPolicy", "gateway-backend-policy")
    assert "logging" not in policy.inputs["spec"]["default"]


# ------------------------------------------------------------------------------ logs and metric


def test_the_error_metric_extracts_the_proxy_status_of_this_gateways_load_balancer(prod):
    (metric,) = prod.by_type("gcp:logging/metric:Metric")
    i = metric.inputs
    assert i["name"] == "tpu-gke-dranet-prod-error_detail_metric"  # per stack: names are unique per project
    # The cross-region internal Application Load Balancer's logs (the guide's MONITORED_RESOURCE placeholder),
    # of this stack's Gateway only, and only entries with an error detail.
    assert i["filter"] == (
        'resource.type="internal_http_lb_rule" '
        'AND resource.labels.url_map_name:"gkemcg1-inference-cross-region-gateway-" '
        "AND jsonPayload.proxyStatus:*"
    )
    assert i["labelExtractors"] == {"error_detail": "EXTRACT(jsonPayload.proxyStatus)"}
    assert i["metricDescriptor"] == {
        "metricKind": "DELTA",
        "valueType": "INT64",
        "labels": [
            {
                "key": "error_detail",
                "valueType": "STRING",
                "description": "The detailed error string from the load balancer.",
            }
        ],
    }


def test_access_logs_sit_on_the_one_policy_of_the_load_balancers_backend(prod):
    """In the multi-cluster topology the backend is built from the imported pool; the chart's own
    GCPBackendPolicy targets each cluster's InferencePool, so no second policy may target that."""
    policies = [r for r in prod.registrations if r.type == "kubernetes:networking.gke.io/v1:GCPBackendPolicy"]
    targets = [(r.provider, json.dumps(r.inputs["spec"]["targetRef"], sort_keys=True)) for r in policies]
    assert len(targets) == len(set(targets)) == 3  # the program's on the import, the chart's on each pool
    ours = prod.one("kubernetes:networking.gke.io/v1:GCPBackendPolicy", "gateway-backend-policy")
    assert ours.inputs["spec"]["targetRef"]["kind"] == "GCPInferencePoolImport"
    assert ours.inputs["spec"]["default"]["logging"] == {"enabled": True, "sampleRate": 500000}


# ------------------------------------------------------------------------------------ dashboard


def test_one_dashboard_per_stack_with_the_operators_panels(prod, dev):
    (dashboard,) = prod.by_type("gcp:monitoring/dashboard:Dashboard")
    layout = json.loads(dashboard.inputs["dashboardJson"])
    titles = [t["widget"]["title"] for t in layout["mosaicLayout"]["tiles"]]
    assert titles == [
        "Requests per second, by region",
        "Errors per second, by region",
        "Request latency p99 (s), by region",
        "Average queue size, by region",
        "Average KV-cache utilisation (0-1), by region",
        "Ready model servers, by region",
        "TPU slice nodes, by cluster",
    ]
    queries = [
        t["widget"]["xyChart"]["dataSets"][0]["timeSeriesQuery"]["prometheusQuery"]
        for t in layout["mosaicLayout"]["tiles"]
    ]
    assert 'inference_pool_ready_pods{name="gemma-pool"}' in queries
    assert 'node_name=~"gke-.*-tpu-v6e-pool-.*"' in queries[-1]
    dashboard_id = dashboard.outputs["id"].rsplit("/", 1)[-1]
    assert prod.outputs["dashboardUrl"] == (
        f"https://console.cloud.google.com/monitoring/dashboards/builder/{dashboard_id}?project=tpu-inference-prod"
    )
    (dev_dashboard,) = dev.by_type("gcp:monitoring/dashboard:Dashboard")
    assert "TPU" not in dev_dashboard.inputs["dashboardJson"]  # dev has no TPU pool


# ------------------------------------------------------------------------------- the metrics adapter


@pytest.mark.parametrize("region", REGIONS)
def test_the_adapter_is_upstreams_manifest_as_typed_objects_with_the_guides_image_and_size(prod, region):
    upstream = [d for d in yaml.safe_load_all(ADAPTER_MANIFEST.read_text()) if d]
    objects = autoscaling_objects(prod, region)
    expected = {f"{d['kind']}/{d['metadata']['name']}" for d in upstream} | {"HorizontalPodAutoscaler/gemma-pool"}
    # Not upstream's: the namespace's default deny and the API server's way in (tests/serving/).
    expected |= {"NetworkPolicy/default-deny-ingress", "NetworkPolicy/metrics-adapter-ingress"}
    assert set(objects) == expected
    deployment = objects["Deployment/custom-metrics-stackdriver-adapter"].inputs
    (c,) = deployment["spec"]["template"]["spec"]["containers"]
    assert c["image"] == "gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.15.2-gke.1"  # the guide's pin
    assert c["resources"] == {
        "requests": {"cpu": "250m", "memory": "200Mi"},
        "limits": {"cpu": "250m", "memory": "200Mi"},
    }
    (up,) = [d for d in upstream if d["kind"] == "Deployment"]
    # Upstream's command, and where its serving certificate goes on the read-only root (the one writable mount).
    assert c["command"] == [*up["spec"]["template"]["spec"]["containers"][0]["command"], "--cert-dir=/tmp/certs"]
    assert deployment["spec"]["template"]["spec"]["nodeSelector"] == {"cloud.google.com/gke-nodepool": "system"}
    for d in upstream:
        if d["kind"] in ("APIService", "Service", "ClusterRoleBinding", "RoleBinding"):
            ours = objects[f"{d['kind']}/{d['metadata']['name']}"].inputs
            assert ours.get("spec", ours.get("subjects")) == d.get("spec", d.get("subjects")), d["metadata"]["name"]


def test_the_adapter_reads_monitoring_as_one_workload_identity_principal_per_project(prod):
    (grant,) = [r for r in prod.registrations if r.name == "metrics-adapter-monitoring-viewer"]
    assert grant.inputs["role"] == "roles/monitoring.viewer" and grant.inputs["project"] == "tpu-inference-prod"
    assert grant.inputs["member"] == (
        "serviceAccount:tpu-inference-prod.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]"
    )
    clusters = {c.urn for c in prod.by_type("gcp:container/cluster:Cluster")}
    assert set(grant.property_dependencies["member"]) & clusters  # after a cluster creates the pool
    for region in REGIONS:
        adapter = autoscaling_objects(prod, region)["Deployment/custom-metrics-stackdriver-adapter"]
        assert grant.urn in adapter.dependencies  # on destroy the adapter goes before the grant


def test_a_stack_that_leaves_the_projects_singletons_to_another_grants_nothing():
    plan = run("dev", overrides={"fleet": {"manageFeatures": False}})
    assert not [r for r in plan.registrations if r.name == "metrics-adapter-monitoring-viewer"]
    assert plan.by_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")


# ------------------------------------------------------------------------------------------ the HPAs


@pytest.mark.parametrize("region", REGIONS)
def test_one_hpa_per_pool_scales_the_model_servers_on_the_pools_kv_cache(prod, region):
    objects = autoscaling_objects(prod, region)
    hpa = objects["HorizontalPodAutoscaler/gemma-pool"]
    assert hpa.inputs["metadata"] == {"name": "gemma-pool", "namespace": "inference"}
    assert hpa.inputs["spec"] == {
        # the guide names the pool as the Deployment: here the pool's model servers are `vllm-gemma`
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "vllm-gemma"},
        "minReplicas": 1,
        "maxReplicas": 2,
        "metrics": [
            {
                "type": "External",
                "external": {
                    "metric": {
                        "name": "prometheus.googleapis.com|inference_pool_average_kv_cache_utilization|gauge",
                        "selector": {
                            "matchLabels": {
                                "metric.labels.name": "gemma-pool",
                                "resource.labels.cluster": f"tpu-gke-dranet-prod-{region}",
                                "resource.labels.namespace": "inference",
                            }
                        },
                    },
                    # a fraction (the metric is 0-1), and `Value`: the metric is already the pool's average
                    "target": {"type": "Value", "value": "500m"},
                },
            }
        ],
    }
    api_services = {objects[k].urn for k in objects if k.startswith("APIService/")}
    assert len(api_services) == 3 and api_services <= set(hpa.dependencies)
    model_servers = prod.one("kubernetes:apps/v1:Deployment", f"model-server-{region}-deployment")
    assert model_servers.urn in hpa.dependencies
    assert "replicas" not in model_servers.inputs["spec"]  # the HPA owns the count; `pulumi up` leaves it


def test_without_autoscaling_the_stack_keeps_the_replica_count():
    plan = run(
        "dev",
        overrides={
            "autoscaling": {"enabled": False},
            "modelServer": {"namespace": "inference", "backend": "simulator", "replicas": 3},
        },
    )
    assert plan.by_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler") == []
    assert {
        d.inputs["spec"].get("replicas")
        for d in plan.by_type("kubernetes:apps/v1:Deployment")
        if d.name.endswith("-deployment")
    } == {3}


def test_dev_scales_the_simulator_too(dev):
    (hpa, _) = sorted(dev.by_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler"), key=lambda r: r.name)
    assert (hpa.inputs["spec"]["minReplicas"], hpa.inputs["spec"]["maxReplicas"]) == (2, 4)


def test_the_tpu_pool_can_hold_the_most_replicas_the_hpa_asks_for(prod):
    for region in REGIONS:
        pool = prod.one("gcp:container/nodePool:NodePool", f"cluster-{region}-tpu").inputs
        assert pool["autoscaling"] == {"minNodeCount": 1, "maxNodeCount": 2}
    # and capacity counts the HPA's maximum: two vLLM replicas, a slice each, on the two-node pool
    pools = {(p.cluster, p.name): p for p in capacity.analyse(prod).pools}
    assert capacity.check(prod) == []
    assert all(p.nodes == 2 for (_, name), p in pools.items() if name == "tpu-v6e-pool")


def test_the_adapter_and_hpas_go_before_their_cluster_on_destroy(prod):
    for region in REGIONS:
        cluster = prod.one("gcp:container/cluster:Cluster", f"cluster-{region}-gke").urn
        for reg in autoscaling_objects(prod, region).values():
            assert cluster in closure(prod, reg.urn)


# ------------------------------------------------------------------------------------------ refusals

REFUSALS = [
    ({"autoscaling": {"enabled": True, "minReplicas": 0}}, "autoscaling.minReplicas", "must be in 1..1000"),
    (
        {"autoscaling": {"enabled": True, "minReplicas": 2, "maxReplicas": 1}},
        "autoscaling.maxReplicas",
        "is below minReplicas",
    ),
    (
        {"autoscaling": {"enabled": True, "targetKvCacheUtilization": 0}},
        "autoscaling.targetKvCacheUtilization",
        "must be a fraction in (0, 1]",
    ),
    (
        {"autoscaling": {"enabled": True, "targetKvCacheUtilization": 60}},
        "autoscaling.targetKvCacheUtilization",
        "must be a fraction in (0, 1]",
    ),
    (
        {"autoscaling": {"enabled": True, "targetKvCacheUtilization": "high"}},
        "autoscaling.targetKvCacheUtilization",
        "must be a number",
    ),
    (
        {"observability": {"eppMetrics": False}},
        "autoscaling.enabled",
        "which observability.eppMetrics: false turns off",
    ),
    ({"autoscaling": {"enabled": True, "maxReplicas": 3}}, "autoscaling.maxReplicas", "the TPU pool holds at most 2"),
    (
        {"modelServer": {"namespace": "inference", "replicas": 2}},
        "modelServer.replicas",
        "is owned by the HorizontalPodAutoscaler",
    ),
    (
        {"observability": {"accessLogging": {"sampleRate": 0}}},
        "observability.accessLogging.sampleRate",
        "must be in 1..1000000",
    ),
    ({"observability": {"alerts": {"errorRate": 5}}}, "observability.alerts.errorRate", "must be a fraction"),
    (
        {"observability": {"alerts": {"notificationChannels": ["email-me"]}}},
        "observability.alerts.notificationChannels[0]",
        "is not a notification channel name",
    ),
    (
        {"observability": {"alerts": {"latencyP99Seconds": -1}}},
        "observability.alerts.latencyP99Seconds",
        "must be a number of seconds",
    ),
    ({"accelerator": {"nodesPerPool": 2, "maxNodes": 1}}, "accelerator.maxNodes", "is below nodesPerPool"),
]


@pytest.mark.parametrize(("change", "key", "why"), REFUSALS, ids=[k for _, k, _ in REFUSALS])
def test_refusals_name_the_key_and_register_nothing(change, key, why):
    with pytest.raises(ConfigError) as err:
        run("prod", overrides=change)
    assert [p.key for p in err.value.problems] == [key], str(err.value)
    assert why in err.value.problems[0].why
    assert err.value.registrations == []


def test_hpa_target_quantity_is_exact():
    args = autoscaling.PoolAutoscalingArgs("c", "ns", "pool", "d", 1, 2, 0.75, "system", None)
    assert autoscaling.hpa_spec(args).metrics[0].external.target.value == "750m"
