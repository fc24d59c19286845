"""Serving plane: model servers, inference pools and the cross-region Gateway, for prod (vLLM on TPU)
and dev (the simulator), with every custom resource validated against the upstream CRDs."""

from __future__ import annotations

import json

import pytest
import yaml

from inference.common import quantities
from inference.configuration import stack as config
from inference.serving import inference_pool
from tests import schemas
from tests.configuration.test_config import stack_settings
from tests.conftest import closure, run
from tools import engine, upstream
from tools.plan import manifest

P = "tpu-gke-dranet-prod"
REGIONS = ("europe-west4", "us-east5")
FUSE = "tpu-gke-dranet-prod-fuse@tpu-inference-prod.iam.gserviceaccount.com"


def k8s(plan: engine.Plan, kind: str, region: str | None = None) -> list[engine.Registration]:
    """Kubernetes objects of `kind` (the type token's last part) the serving plane declares, optionally of
    one region's cluster; the objects its charts render are tested in test_charts.py, the autoscaling
    ones in test_operations.py."""
    found = [r for r in plan.registrations if r.type.startswith("kubernetes:") and r.type.endswith(f":{kind}")]
    found = [r for r in found if not r.rendered_by and "inference:autoscaling:" not in r.urn]
    return [r for r in found if region is None or cluster_of(plan, r) == region]


def one(plan: engine.Plan, kind: str, region: str) -> engine.Registration:
    (reg,) = k8s(plan, kind, region)
    return reg


def cluster_of(plan: engine.Plan, reg: engine.Registration) -> str:
    provider = plan.by_urn()[reg.provider.rsplit("::", 1)[0]]
    return provider.name.removeprefix("cluster-").removesuffix("-k8s")


def container(deployment: engine.Registration) -> dict:
    (c,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    return c


# ------------------------------------------------------------------------------------ ModelServer


@pytest.mark.parametrize("region", REGIONS)
def test_namespace_and_serving_identity(prod, region):
    ns = one(prod, "Namespace", region)
    assert ns.inputs["metadata"] == {
        "name": "inference",
        "labels": {"pod-security.kubernetes.io/enforce": "baseline"},
    }
    accounts = {a.inputs["metadata"]["name"]: a.inputs["metadata"] for a in k8s(prod, "ServiceAccount", region)}
    assert accounts["gemma-ksa"] == {
        "name": "gemma-ksa",
        "namespace": "inference",
        "annotations": {"iam.gke.io/gcp-service-account": FUSE},
    }
    assert sorted(accounts) == ["gemma-ksa"]  # the download runs on Cloud Run (test_weights_download.py)


@pytest.mark.parametrize("region", REGIONS)
def test_resource_claim_template_requests_every_netdev(prod, region):
    rct = one(prod, "ResourceClaimTemplate", region)
    assert rct.inputs["apiVersion"] == "resource.k8s.io/v1"
    assert rct.inputs["metadata"] == {"name": "all-netdev", "namespace": "inference"}
    assert rct.inputs["spec"] == {
        "spec": {
            "devices": {
                "requests": [
                    {"name": "req-netdev", "exactly": {"deviceClassName": "netdev.google.com", "allocationMode": "All"}}
                ]
            }
        }
    }


@pytest.mark.parametrize("region", REGIONS)
def test_vllm_deployment_on_the_tpu_slice(prod, region):
    deployment = one(prod, "Deployment", region)
    spec = deployment.inputs["spec"]
    pod = spec["template"]["spec"]
    c = container(deployment)
    assert deployment.inputs["metadata"] == {
        "name": "vllm-gemma",
        "namespace": "inference",
        "labels": {"app": "gemma-server"},
    }
    assert "replicas" not in spec  # the HorizontalPodAutoscaler owns the count (test_operations.py)
    assert spec["selector"] == {"matchLabels": {"app": "gemma-server"}}
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    assert spec["template"]["metadata"]["labels"] == {"app": "gemma-server"}
    assert spec["template"]["metadata"]["annotations"] == {
        "gke-gcsfuse/volumes": "true",
        "gke-gcsfuse/cpu-limit": "0",
        "gke-gcsfuse/memory-limit": "0",
        "gke-gcsfuse/ephemeral-storage-limit": "0",
    }
    assert pod["serviceAccountName"] == "gemma-ksa"
    assert pod["nodeSelector"] == {
        "cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice",
        "cloud.google.com/gke-tpu-topology": "2x2",
    }
    assert pod["resourceClaims"] == [{"name": "netdev", "resourceClaimTemplateName": "all-netdev"}]
    assert c["image"] == "vllm/vllm-tpu:v0.12.0"
    assert c["command"] == ["python3", "-m", "vllm.entrypoints.openai.api_server"]
    assert c["args"] == [
        "--model=/data/weights/google/gemma-3-27b-it/main",  # the revision's own directory
        "--served-model-name=google/gemma-3-27b-it",
        "--tensor-parallel-size=4",
        "--max-model-len=8192",
        "--host=0.0.0.0",
        "--port=8000",
    ]
    assert c["ports"] == [{"name": "http", "containerPort": 8000}]
    assert c["resources"]["requests"]["google.com/tpu"] == c["resources"]["limits"]["google.com/tpu"] == "4"
    assert c["resources"]["claims"] == [{"name": "netdev"}]
    # Root (the TPU's devices), but nothing else: no capability, no escalation, a read-only root, no token.
    assert c["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    }
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {"seccompProfile": {"type": "RuntimeDefault"}}
    limits, requests = c["resources"]["limits"], c["resources"]["requests"]
    assert quantities.memory_bytes(limits["memory"]) > quantities.memory_bytes(requests["memory"])
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["tmp"] == {"name": "tmp", "emptyDir": {}} and volumes["cache"] == {"name": "cache", "emptyDir": {}}
    assert volumes["dshm"] == {"name": "dshm", "emptyDir": {"medium": "Memory"}}
    assert volumes["gke-gcsfuse-cache"] == {"name": "gke-gcsfuse-cache", "emptyDir": {"medium": "Memory"}}
    assert {m["name"]: (m["mountPath"], m.get("readOnly")) for m in c["volumeMounts"]} == {
        "dshm": ("/dev/shm", None),
        "weights": ("/data/weights", True),
        "xla-cache": ("/data/xla-cache", None),  # writable: IAM lets it write only under xla-cache/
        "tmp": ("/tmp", None),  # what the read-only root leaves writable
        "cache": ("/root/.cache", None),
    }
    # vLLM keeps its XLA compilation cache in the bucket, under the one prefix the serving identity may write.
    assert {"name": "VLLM_XLA_CACHE_PATH", "value": "/data/xla-cache"} in c["env"]
    assert {"name": "VLLM_NO_USAGE_STATS", "value": "1"} in c["env"]  # nothing written under ~/.config
    assert volumes["xla-cache"]["csi"] == {
        "driver": "gcsfuse.csi.storage.gke.io",
        "volumeAttributes": {
            "bucketName": prod.outputs["buckets"][region],
            "mountOptions": "implicit-dirs,only-dir=xla-cache",
        },
    }
    assert deployment.options["customTimeouts"] == {"create": "40m", "update": "40m"}


@pytest.mark.parametrize("region", REGIONS)
def test_weights_mount_follows_gke_serving_guidance(prod, region):
    pod = one(prod, "Deployment", region).inputs["spec"]["template"]["spec"]
    (csi,) = [v["csi"] for v in pod["volumes"] if v["name"] == "weights"]
    assert csi["driver"] == "gcsfuse.csi.storage.gke.io" and csi["readOnly"] is True
    attributes = csi["volumeAttributes"]
    assert attributes["bucketName"] == prod.outputs["buckets"][region]
    assert {k: v for k, v in attributes.items() if k not in ("bucketName", "mountOptions")} == {
        "fileCacheCapacity": "-1",
        "fileCacheForRangeRead": "true",
        "metadataCacheTTLSeconds": "-1",
        "metadataStatCacheCapacity": "-1",
        "metadataTypeCacheCapacity": "-1",
        "gcsfuseMetadataPrefetchOnMount": "true",
    }
    assert attributes["mountOptions"].split(",") == [
        "implicit-dirs",
        "file-cache:enable-parallel-downloads:true",
        "file-cache:parallel-downloads-per-file:100",
        "file-cache:max-parallel-downloads:-1",
        "file-cache:download-chunk-size-mb:10",
        "file-system:kernel-list-cache-ttl-secs:-1",
    ]


@pytest.mark.parametrize("region", REGIONS)
def test_probes_cover_a_multi_minute_model_load(prod, region):
    c = container(one(prod, "Deployment", region))
    startup = c["startupProbe"]
    assert startup["httpGet"] == {"path": "/health", "port": 8000}
    assert startup["periodSeconds"] * startup["failureThreshold"] == 30 * 60  # 30 minutes, at least 20
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": 8000}
    assert c["readinessProbe"]["periodSeconds"] == 5


@pytest.mark.parametrize("region", REGIONS)
def test_service_and_pod_monitoring(prod, region):
    service = one(prod, "Service", region)
    assert service.inputs["metadata"]["name"] == "vllm-gemma-service"
    assert service.inputs["spec"] == {
        "type": "ClusterIP",
        "selector": {"app": "gemma-server"},
        "ports": [{"name": "http", "protocol": "TCP", "port": 8000, "targetPort": 8000}],
    }
    monitoring = one(prod, "PodMonitoring", region)
    assert monitoring.inputs["apiVersion"] == "monitoring.googleapis.com/v1"
    assert monitoring.inputs["metadata"] == {"name": "vllm-gemma-monitoring", "namespace": "inference"}
    assert monitoring.inputs["spec"] == {
        "selector": {"matchLabels": {"app": "gemma-server"}},
        "endpoints": [{"port": 8000, "interval": "15s", "path": "/metrics"}],
    }


@pytest.mark.parametrize("stack", ["prod", "dev"])
@pytest.mark.parametrize("region", REGIONS)
def test_disruption_budget_lets_drains_take_one_model_server_at_a_time(stack, region, prod, dev):
    plan = {"prod": prod, "dev": dev}[stack]
    pdb = one(plan, "PodDisruptionBudget", region)
    labels = {"app": "gemma-server"}
    assert pdb.inputs["metadata"] == {"name": "vllm-gemma-pdb", "namespace": "inference", "labels": labels}
    assert pdb.inputs["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": one(plan, "Deployment", region).inputs["spec"]["selector"]["matchLabels"]},
        "unhealthyPodEvictionPolicy": "AlwaysAllow",
    }


@pytest.mark.parametrize("region", REGIONS)
def test_pods_start_after_their_identitys_grants(prod, region):
    serving = prod.one("kubernetes:core/v1:ServiceAccount", f"model-server-{region}-ksa")
    names = {r.urn: r.name for r in prod.registrations}
    assert {
        "weights-reader-workload-identity",
        f"weights-{region}-read",
        f"weights-{region}-compilation-cache",
    } <= {names[d] for d in serving.dependencies}
    other = next(r for r in REGIONS if r != region)
    assert f"weights-{other}-read" not in {names[d] for d in serving.dependencies}


@pytest.mark.parametrize("region", REGIONS)
def test_deployment_waits_for_weights_claim_and_tpu_pool(prod, region):
    deployment = one(prod, "Deployment", region)
    deps = set(deployment.dependencies)
    assert prod.one("gcp:cloudrunv2/job:Job", f"weights-download-{region}").urn in deps  # its bucket's download
    assert one(prod, "ResourceClaimTemplate", region).urn in deps
    assert prod.one("gcp:container/nodePool:NodePool", f"cluster-{region}-tpu").urn in deps


def test_single_bucket_is_filled_once_and_every_region_waits_for_it():
    plan = run("prod", overrides={"modelStore": {"layout": "single", "location": "US"}})
    (job,) = plan.by_type("gcp:cloudrunv2/job:Job")
    assert job.inputs["location"] == "us-east5"  # the config region, inside the US multi-region
    for deployment in k8s(plan, "Deployment"):
        assert job.urn in deployment.dependencies


# ------------------------------------------------------------------------------------ simulator


def test_dev_serves_the_simulator_on_cpu(dev):
    for region in REGIONS:
        deployment = one(dev, "Deployment", region)
        pod = deployment.inputs["spec"]["template"]["spec"]
        c = container(deployment)
        assert c["image"] == "ghcr.io/llm-d/llm-d-inference-sim:v0.7.1"
        assert c["args"] == ["--model", "google/gemma-3-27b-it", "--port", "8000"]
        assert c["ports"] == [{"name": "http", "containerPort": 8000}]
        assert pod["nodeSelector"] == {"cloud.google.com/gke-nodepool": "system"}
        assert "resourceClaims" not in pod and "google.com/tpu" not in json.dumps(c)
        assert "replicas" not in deployment.inputs["spec"]  # dev's HPA keeps 2 to 4 (test_operations.py)
        assert deployment.inputs["metadata"]["labels"] == {"app": "gemma-server"}
        assert c["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
        }
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
    for kind in ("Job", "Secret", "ResourceClaimTemplate"):
        assert k8s(dev, kind) == [], kind
    assert dev.by_type("gcp:container/nodePool:NodePool") and all(
        p.inputs["name"] == "system" for p in dev.by_type("gcp:container/nodePool:NodePool")
    )


ROUTING_KINDS = (
    "Service",
    "PodMonitoring",
    "InferenceObjective",
    "AutoscalingMetric",
    "InferencePoolPatch",
    "CustomResourceDefinition",
    "HTTPRoute",
    "HealthCheckPolicy",
    "GCPBackendPolicy",
)


def test_the_routing_plane_is_identical_on_both_backends(prod, dev):
    def by_cluster(plan: engine.Plan, kind: str) -> dict:
        return {cluster_of(plan, r): engine.to_json(r.inputs) for r in k8s(plan, kind)}

    for kind in ROUTING_KINDS:
        assert by_cluster(dev, kind) == by_cluster(prod, kind), kind

    def charts(plan: engine.Plan) -> dict:
        """The chart of each cluster; only the endpoint picker's size differs, per stack."""
        found = {region: engine.to_json(r.inputs) for region, r in charts_by_region(plan).items()}
        for inputs in found.values():
            inputs["values"]["inferenceExtension"].pop("resources")
        return found

    assert charts(dev) == charts(prod)
    gateway = lambda plan: one(plan, "Gateway", "us-east5").inputs["spec"]["gatewayClassName"]  # noqa: E731
    assert gateway(dev) == gateway(prod)


# ------------------------------------------------------------------------------------ InferencePool


@pytest.mark.parametrize("region", REGIONS)
def test_inference_objective_crd_and_objective(prod, region):
    crd = one(prod, "CustomResourceDefinition", region)
    upstream = inference_pool.objective_crd("v1.5.0")
    assert crd.inputs["metadata"] == upstream["metadata"] and crd.inputs["spec"] == upstream["spec"]
    objective = one(prod, "InferenceObjective", region)
    assert objective.inputs["apiVersion"] == "inference.networking.x-k8s.io/v1alpha2"
    assert objective.inputs["metadata"] == {"name": "gemma-objective", "namespace": "inference"}
    assert objective.inputs["spec"] == {
        "priority": 10,
        "poolRef": {"name": "gemma-pool", "group": "inference.networking.k8s.io"},
    }
    assert crd.urn in objective.dependencies  # the CR waits for its CRD


@pytest.mark.parametrize("version", ["v1.5.0", "v1.1.0"])
def test_the_objective_crd_is_the_one_of_the_charts_release(version):
    """What each chart version installs is upstream's CRD at the same tag (checked byte for byte by
    tests/tools/test_upstream.py)."""
    name = "inference.networking.x-k8s.io_inferenceobjectives.yaml"
    row = upstream.by_path()[f"crds/gateway-api-inference-extension-{version}/{name}"]
    assert row.url.endswith(f"/gateway-api-inference-extension/{version}/config/crd/bases/{name}") and not row.mark
    assert inference_pool.objective_crd(version) == yaml.safe_load((upstream.VENDORED / row.path).read_text())


@pytest.mark.parametrize("region", REGIONS)
def test_kv_cache_metric_export(prod, region):
    metric = one(prod, "AutoscalingMetric", region)
    assert metric.inputs["apiVersion"] == "autoscaling.gke.io/v1beta1"
    assert metric.inputs["metadata"] == {"name": "tpu-cache", "namespace": "inference"}
    assert metric.inputs["spec"] == {
        "selector": {"matchLabels": {"app": "gemma-server"}},
        "endpoints": [
            {
                "port": 8000,
                "path": "/metrics",
                "metrics": [{"name": "vllm:kv_cache_usage_perc", "exportName": "tpu-cache"}],
            }
        ],
    }


def charts_by_region(plan: engine.Plan) -> dict[str, engine.Registration]:
    return {cluster_of(plan, r): r for r in plan.registrations if r.type == "kubernetes:helm.sh/v4:Chart"}


def test_inferencepool_chart_in_every_cluster(prod):
    charts = charts_by_region(prod)
    assert sorted(charts) == list(REGIONS)
    for chart in charts.values():
        assert chart.remote
        assert chart.inputs["chart"] == "./components/charts/inferencepool-v1.5.0"  # vendored, docs/charts.md
        assert "version" not in chart.inputs  # Helm ignores it for a local chart
        assert chart.inputs["name"] == "gemma-pool" and chart.inputs["namespace"] == "inference"
        assert chart.inputs["values"] == {
            "inferencePool": {
                "modelServers": {"matchLabels": {"app": "gemma-server"}},
                "targetPorts": [{"number": 8000}],
            },
            # the keys chart v1.5.0 reads (epplib/templates/_gke.yaml, values.yaml); `monitoring.gke` is read by none
            "inferenceExtension": {
                "image": {"tag": "v1.5.0"},  # the program's pin of the chart's own picker (no digest recorded yet)
                "monitoring": {"prometheus": {"enabled": True}},  # in every cluster: the HPAs read it
                "resources": {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"memory": "16Gi"}},
            },
            "provider": {"name": "gke"},
        }


def test_walkthrough_chart_version_reads_the_kv_cache_metric():
    plan = run("prod", overrides={"inferencePool": {"chartVersion": "v1.1.0"}})
    for chart in charts_by_region(plan).values():
        assert chart.inputs["chart"] == "./components/charts/inferencepool-v1.1.0"
        assert chart.inputs["values"]["inferenceExtension"]["flags"] == [
            {"name": "kv-cache-usage-percentage-metric", "value": "vllm:kv_cache_usage_perc"}
        ]
    crd = k8s(plan, "CustomResourceDefinition")[0]
    assert crd.inputs["spec"] == inference_pool.objective_crd("v1.1.0")["spec"]
    assert crd.inputs["metadata"]["annotations"]["inference.networking.k8s.io/bundle-version"] == "v1.1.0"


@pytest.mark.parametrize("region", REGIONS)
def test_every_pool_is_exported_by_a_server_side_apply_patch(prod, region):
    export = one(prod, "InferencePoolPatch", region)
    assert export.inputs == {
        "apiVersion": "inference.networking.k8s.io/v1",
        "kind": "InferencePool",
        "metadata": {
            "name": "gemma-pool",
            "namespace": "inference",
            "annotations": {"networking.gke.io/export": "True"},
        },
    }
    assert charts_by_region(prod)[region].urn in export.dependencies
    features = {f.urn for f in prod.by_type("gcp:gkehub/feature:Feature")}
    assert features <= set(export.dependencies)


# ------------------------------------------------------------------------------------ Gateway


def test_gateway_and_policies_only_in_the_config_cluster(prod, dev):
    for plan in (prod, dev):
        for kind in ("Gateway", "HTTPRoute", "HealthCheckPolicy", "GCPBackendPolicy"):
            assert [cluster_of(plan, r) for r in k8s(plan, kind)] == ["us-east5"], kind


def test_cross_region_gateway(prod):
    gateway = one(prod, "Gateway", "us-east5")
    assert gateway.inputs["metadata"] == {
        "name": "cross-region-gateway",
        "namespace": "inference",
        "annotations": {"pulumi.com/waitFor": "condition=Programmed"},
    }
    assert gateway.inputs["spec"] == {
        "gatewayClassName": "gke-l7-cross-regional-internal-managed-mc",
        "addresses": [
            {
                "type": "networking.gke.io/named-address-with-region",
                "value": f"regions/{r}/addresses/{P}-gateway-ip-{r}",
            }
            for r in REGIONS
        ],
        "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
    }
    # deletion waits for the controller to tear the load balancer down
    assert gateway.options["customTimeouts"] == {"create": "20m", "update": "20m", "delete": "20m"}
    addresses = {a.urn for a in prod.by_type("gcp:compute/address:Address")}
    assert addresses <= set(gateway.dependencies)
    mci = prod.one("gcp:gkehub/feature:Feature", "fleet-mci")
    assert mci.urn in gateway.dependencies


def test_route_to_the_imported_pool_after_every_export(prod):
    route = one(prod, "HTTPRoute", "us-east5")
    assert route.inputs["metadata"] == {"name": "gemma-route", "namespace": "inference"}
    assert route.inputs["spec"] == {
        "parentRefs": [{"name": "cross-region-gateway", "kind": "Gateway"}],
        "rules": [
            {
                "backendRefs": [
                    {"group": "networking.gke.io", "kind": "GCPInferencePoolImport", "name": "gemma-pool", "port": 8000}
                ]
            }
        ],
    }
    exports = {r.urn for r in k8s(prod, "InferencePoolPatch")}
    assert len(exports) == 2 and exports <= set(route.dependencies)


def test_health_check_policy(prod):
    """prod's health check as its configuration sets it (defaults included), on the serving port; the output
    `failoverDetectionSeconds` is the worst case from a backend failing to the load balancer marking it down:
    unhealthyThreshold failed checks, one an interval, the last one timing out."""
    cfg = config.parse(stack_settings("prod"), "prod")
    hc = cfg.gateway.balancing.health_check
    policy = one(prod, "HealthCheckPolicy", "us-east5")
    assert policy.inputs["spec"] == {
        "targetRef": {"group": "networking.gke.io", "kind": "GCPInferencePoolImport", "name": cfg.inference_pool.name},
        "default": {
            "checkIntervalSec": hc.interval_sec,
            "timeoutSec": hc.timeout_sec,
            "healthyThreshold": hc.healthy_threshold,
            "unhealthyThreshold": hc.unhealthy_threshold,
            "config": {"type": "HTTP", "httpHealthCheck": {"requestPath": "/health", "port": cfg.serving_port}},
        },
    }
    detection = hc.unhealthy_threshold * hc.interval_sec + hc.timeout_sec
    assert prod.outputs["failoverDetectionSeconds"] == detection


def test_prods_health_check_detects_a_failure_in_6_s_as_the_inferencepool_chart_checks_its_own_pool(prod):
    """The defaults: every 2 s with a 2 s timeout, as the chart's own policy on the InferencePool, and GKE's
    thresholds of 2, so a region that dies just after a passed probe is out after two more, the last timed out."""
    (chart, *_) = [
        r.inputs["spec"]["default"]
        for r in prod.registrations
        if r.type.endswith(":HealthCheckPolicy")
        and r.rendered_by
        and r.inputs["spec"]["targetRef"]["kind"] == "InferencePool"
    ]
    ours = one(prod, "HealthCheckPolicy", "us-east5").inputs["spec"]["default"]
    assert (ours["checkIntervalSec"], ours["timeoutSec"]) == (chart["checkIntervalSec"], chart["timeoutSec"]) == (2, 2)
    assert (ours["healthyThreshold"], ours["unhealthyThreshold"]) == (2, 2)
    assert prod.outputs["failoverDetectionSeconds"] == 6


def test_backend_policy_balances_on_kv_cache(prod):
    policy = one(prod, "GCPBackendPolicy", "us-east5")
    assert policy.inputs["spec"] == {
        "targetRef": {"group": "networking.gke.io", "kind": "GCPInferencePoolImport", "name": "gemma-pool"},
        "default": {
            "timeoutSec": 100,
            # the customisation guide's access logging, on the policy of the pool the load balancer's backend is
            # built from
            "logging": {"enabled": True, "sampleRate": 500000},
            "balancingMode": "CUSTOM_METRICS",
            "trafficDuration": "LONG",
            "customMetrics": [{"name": "gke.named_metrics.tpu-cache", "dryRun": False, "maxUtilizationPercent": 60}],
        },
    }


def test_gateway_settings_come_from_config():
    plan = run(
        "prod",
        overrides={
            "gateway": {
                "healthCheck": {"intervalSec": 10, "timeoutSec": 3, "healthyThreshold": 1, "unhealthyThreshold": 3},
                "maxUtilizationPercent": 80,
                "dryRun": True,
                "timeoutSec": 300,
                "programmedTimeoutMinutes": 30,
            }
        },
    )
    hc = one(plan, "HealthCheckPolicy", "us-east5").inputs["spec"]["default"]
    assert (hc["checkIntervalSec"], hc["timeoutSec"], hc["healthyThreshold"], hc["unhealthyThreshold"]) == (10, 3, 1, 3)
    bp = one(plan, "GCPBackendPolicy", "us-east5").inputs["spec"]["default"]
    assert bp["customMetrics"][0] == {
        "name": "gke.named_metrics.tpu-cache",
        "dryRun": True,
        "maxUtilizationPercent": 80,
    }
    assert bp["timeoutSec"] == 300
    assert one(plan, "Gateway", "us-east5").options["customTimeouts"]["create"] == "30m"
    assert plan.outputs["failoverDetectionSeconds"] == 3 * 10 + 3


def test_gateway_outputs_and_test_requests(prod):
    assert prod.outputs["gateway"] == {
        "name": "cross-region-gateway",
        "namespace": "inference",
        "cluster": f"{P}-us-east5",
        "kubeContext": f"gke_tpu-inference-prod_us-east5-b_{P}-us-east5",
    }
    for region in REGIONS:
        request = prod.outputs["testRequests"][region]
        ip = prod.outputs["gatewayAddresses"][region]
        assert request.startswith(
            f"kubectl --context {prod.outputs['kubeContexts'][region]} -n inference run curl-test"
        )
        assert "--image=curlimages/curl:8.11.1" in request
        assert f"curl -s -X POST http://{ip}/v1/chat/completions" in request
        body = json.loads(request.split("-d '", 1)[1].rstrip("'"))
        assert body == {
            "model": "google/gemma-3-27b-it",
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "max_tokens": 100,
        }


# ------------------------------------------------------------------------------------ cross-cutting


def test_each_clusters_objects_use_that_clusters_provider(prod):
    providers = {r.urn: r for r in prod.by_type("pulumi:providers:kubernetes")}
    objects = [r for r in prod.registrations if r.type.startswith("kubernetes:") and (r.custom or r.remote)]
    objects = [r for r in objects if r.type != "pulumi:providers:kubernetes" and not r.rendered_by]
    # Both clusters hold objects of serving and autoscaling; the Gateway and its route only the config cluster.
    assert {cluster_of(prod, r) for r in objects} == {"europe-west4", "us-east5"}
    gateway = [r for r in objects if r.type.startswith("kubernetes:gateway.networking.k8s.io/")]
    (config_region,) = {cluster_of(prod, r) for r in gateway}
    assert prod.outputs["clusters"][config_region]["name"] == prod.outputs["gateway"]["cluster"]
    for reg in objects:
        provider_urn = reg.provider.rsplit("::", 1)[0]
        assert provider_urn in providers, reg.name
        component = reg.parent.rsplit("::", 1)[-1]
        region = cluster_of(prod, reg)
        assert component.endswith(region) or component == "gateway", (reg.name, region)


def test_kubernetes_objects_wait_for_the_namespace(prod):
    for region in REGIONS:
        ns = one(prod, "Namespace", region)
        namespaced = [
            r
            for r in prod.registrations
            if r.type.startswith("kubernetes:")
            and r.custom
            and r.provider
            and cluster_of(prod, r) == region
            and (r.inputs.get("metadata") or {}).get("namespace") == "inference"
        ]
        assert len(namespaced) >= 10
        for reg in namespaced:
            assert ns.urn in closure(prod, reg.urn), reg.name


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_custom_resources_validate_against_upstream_crds(stack, prod, dev):
    plan = {"prod": prod, "dev": dev}[stack]
    folders = {
        "InferenceObjective": "gateway-api-inference-extension-v1.5.0",
        "InferencePool": "gateway-api-inference-extension-v1.5.0",
        "Gateway": "gateway-api-v1.4.0",
        "HTTPRoute": "gateway-api-v1.4.0",
        "HealthCheckPolicy": "gke-gateway-api",
        "GCPBackendPolicy": "gke-gateway-api",
    }
    checked = []
    for reg in plan.registrations:
        obj = manifest(reg) if reg.type.startswith("kubernetes:") and reg.custom else None
        if obj and obj.get("kind") in folders:
            schemas.validate_custom(obj, folders[obj["kind"]], patch=reg.type.endswith("Patch"))
            checked.append(obj["kind"])
    rendered = ["InferencePool", "HealthCheckPolicy", "GCPBackendPolicy"] * 2  # by the chart in each cluster
    assert sorted(checked) == sorted(
        ["InferenceObjective", "InferencePool"] * 2
        + ["Gateway", "HTTPRoute", "HealthCheckPolicy", "GCPBackendPolicy"]
        + rendered
    )


def test_a_misspelt_field_fails_crd_validation():
    policy = {
        "apiVersion": "networking.gke.io/v1",
        "kind": "GCPBackendPolicy",
        "metadata": {"name": "p"},
        "spec": {
            "targetRef": {"group": "networking.gke.io", "kind": "GCPInferencePoolImport", "name": "x"},
            "default": {"customMetrics": [{"name": "m", "maxUtilisationPercent": 60}]},
        },
    }
    with pytest.raises(Exception, match="maxUtilisationPercent"):
        schemas.validate_custom(policy, "gke-gateway-api")
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {"parentRef": [{"name": "g"}]},
    }
    with pytest.raises(Exception, match="parentRef"):
        schemas.validate_custom(route, "gateway-api-v1.4.0")


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_core_objects_validate_against_the_kubernetes_schemas(stack, prod, dev):
    plan = {"prod": prod, "dev": dev}[stack]
    core = (
        "Namespace",
        "ServiceAccount",
        "Secret",
        "Job",
        "ResourceClaimTemplate",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        *("ConfigMap", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"),  # rendered by the charts
        *("APIService", "HorizontalPodAutoscaler"),  # the metrics adapter and the HPA
    )
    checked = 0
    for reg in plan.registrations:
        if reg.type.startswith("kubernetes:") and reg.custom and reg.type.rsplit(":", 1)[-1] in core:
            obj = manifest(reg)
            if obj["kind"] == "Secret" and "stringData" in obj:
                obj["stringData"] = {"token": "x"}  # "[secret]" stands in for the value in manifests
            schemas.validate_core(obj)
            checked += 1
    # The program's; autoscaling's 14 per cluster (the adapter's namespace, account, Deployment, Service,
    # roles and bindings, its three APIServices, the HPA); then the charts': 8 in each cluster and 8 more
    # for the EPP's metrics reader (its account, token, roles and bindings), on in every cluster.
    assert checked == {"prod": 12, "dev": 10}[stack] + 2 * 14 + 2 * 8 + 2 * 8
