"""The autoscaling components built from small args: the adapter's one project grant, and per cluster the
adapter and the pool's HPA on the KV-cache metric."""

from __future__ import annotations

from inference.autoscaling.pool_autoscaling import (
    AdapterAccess,
    AdapterAccessArgs,
    PoolAutoscaling,
    PoolAutoscalingArgs,
)
from tests.conftest import PLACEHOLDER, components, placeholder

HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def test_the_hpa_targets_the_pools_average_as_a_value_and_waits_for_the_metrics_api():
    def build():
        PoolAutoscaling(
            "a",
            PoolAutoscalingArgs(
                cluster_name="c1",
                namespace="ns",
                pool_name="pool",
                deployment="srv",
                min_replicas=1,
                max_replicas=4,
                target_kv_cache=0.7,
                system_pool="system",
                adapter_access=placeholder("grant"),
                requires=[placeholder("servers")],
            ),
        )

    plan = components(build)
    (hpa,) = plan.by_type(HPA)
    spec = hpa.inputs["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (1, 4)
    (metric,) = spec["metrics"]
    assert metric["external"]["target"] == {"type": "Value", "value": "700m"}
    assert metric["external"]["metric"]["selector"]["matchLabels"]["resource.labels.cluster"] == "c1"
    services = plan.by_type("kubernetes:apiregistration.k8s.io/v1:APIService")
    assert {s.urn for s in services} <= set(hpa.dependencies) and len(services) == 3
    adapter = plan.one("kubernetes:apps/v1:Deployment", "a-adapter")
    assert plan.one(PLACEHOLDER, "grant").urn in adapter.dependencies
    assert plan.one(PLACEHOLDER, "servers").urn in hpa.dependencies


def test_the_adapters_grant_is_one_workload_identity_member():
    plan = components(lambda: AdapterAccess("m", AdapterAccessArgs(project="p", workload_pool="p.svc.id.goog")))
    (grant,) = plan.by_type("gcp:projects/iAMMember:IAMMember")
    assert grant.inputs["role"] == "roles/monitoring.viewer"
    assert grant.inputs["member"] == "serviceAccount:p.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]"


def test_the_adapter_runs_non_root_on_a_read_only_root_with_a_liveness_probe():
    def build():
        PoolAutoscaling(
            "a",
            PoolAutoscalingArgs(
                cluster_name="c1",
                namespace="ns",
                pool_name="pool",
                deployment="srv",
                min_replicas=1,
                max_replicas=2,
                target_kv_cache=0.5,
                system_pool="system",
                adapter_access=None,
            ),
        )

    pod = components(build).one("kubernetes:apps/v1:Deployment", "a-adapter").inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    context = pod["securityContext"]
    assert context["runAsNonRoot"] is True and context["runAsUser"] > 0
    # Port 443 without NET_BIND_SERVICE: the pod's first unprivileged port is the adapter's.
    assert {"name": "net.ipv4.ip_unprivileged_port_start", "value": "443"} in context["sysctls"]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    # Its serving certificate is written to the one writable mount.
    (mount,) = container["volumeMounts"]
    cert_dir = next(a.split("=", 1)[1] for a in container["command"] if a.startswith("--cert-dir="))
    assert cert_dir.startswith(mount["mountPath"] + "/")
    assert {v["name"] for v in pod["volumes"]} == {mount["name"]}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 443, "scheme": "HTTPS"}
    assert container["resources"]["limits"]["memory"]
