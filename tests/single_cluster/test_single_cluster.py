"""Single-cluster Gateway mode (the migration guide): one cluster, a regional Gateway, a route straight to the
InferencePool, the regional proxy-only subnet, and none of the multi-cluster pieces."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from inference.single_cluster import route_readiness
from tests import schemas
from tests.conftest import closure, run
from tools.plan import manifest

ONE_REGION = [{"name": "us-east5", "zone": "us-east5-b", "nodeCidr": "10.10.2.0/24", "proxyCidr": "10.11.2.0/24"}]


def single_cluster(class_name: str | None = None):
    gateway = {"mode": "single-cluster", **({"className": class_name} if class_name else {})}
    return run("dev", overrides={"regions": ONE_REGION, "configRegion": "us-east5", "gateway": gateway})


@pytest.fixture(scope="module")
def plan():
    return single_cluster()


def kinds(plan) -> Counter:
    return Counter(r.type.rsplit(":", 1)[-1] for r in plan.registrations if r.custom)


def test_the_gateway_is_regional_and_the_route_sends_to_the_inference_pool(plan):
    gateway = plan.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway")
    assert gateway.inputs["spec"] == {
        "gatewayClassName": "gke-l7-regional-external-managed",
        "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
    }
    assert gateway.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Programmed"}
    route = plan.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "gateway-route")
    assert route.inputs["spec"]["rules"] == [
        {"backendRefs": [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "gemma-pool"}]}
    ]
    assert route.inputs["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "cross-region-gateway"}
    ]


def test_the_route_waits_for_the_pool_and_the_gateway_for_the_regional_proxy_subnet(plan):
    route = plan.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "gateway-route")
    chart = plan.one("kubernetes:helm.sh/v4:Chart", "inference-pool-us-east5-chart")
    assert chart.urn in route.dependencies
    subnet = plan.one("gcp:compute/subnetwork:Subnetwork", "network-proxy-us-east5")
    assert subnet.inputs["purpose"] == "REGIONAL_MANAGED_PROXY" and subnet.inputs["role"] == "ACTIVE"
    gateway = plan.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway")
    assert subnet.urn in closure(plan, gateway.urn)


def test_no_fleet_no_export_no_reserved_address_and_no_multi_cluster_apis(plan):
    present = kinds(plan)
    for kind in ("Membership", "Feature", "ServiceIdentity", "InferencePoolPatch", "Address", "Sleep"):
        assert present[kind] == 0, kind
    # The KV-cache metric export feeds only the multi-cluster GCPBackendPolicy (inference/multi_cluster/gateway.py).
    assert present["AutoscalingMetric"] == 0
    apis = {r.inputs["service"] for r in plan.by_type("gcp:projects/service:Service")}
    assert apis.isdisjoint(
        {
            "gkehub.googleapis.com",
            "multiclusterservicediscovery.googleapis.com",
            "multiclusteringress.googleapis.com",
            "trafficdirector.googleapis.com",
        }
    )
    assert "networkservices.googleapis.com" in apis
    assert {"memberships", "configMembership", "gatewayAddresses"}.isdisjoint(plan.outputs)
    assert not plan.by_type("gcp:logging/metric:Metric")  # it reads the multi-cluster load balancer's logs


def test_the_charts_policies_are_the_only_ones_and_target_the_inference_pool(plan):
    for kind in ("HealthCheckPolicy", "GCPBackendPolicy"):
        (policy,) = [r for r in plan.registrations if r.type.endswith(f":{kind}")]
        assert policy.rendered_by, f"{kind} should come from the inferencepool chart"
        assert policy.inputs["spec"]["targetRef"] == {
            "group": "inference.networking.k8s.io",
            "kind": "InferencePool",
            "name": "gemma-pool",
        }


def test_gateway_and_route_validate_against_the_gateway_api_crds(plan):
    for kind in ("Gateway", "HTTPRoute"):
        (reg,) = plan.by_type(f"kubernetes:gateway.networking.k8s.io/v1:{kind}")
        schemas.validate_custom(manifest(reg), "gateway-api-v1.4.0")


def test_the_test_request_reads_the_address_from_the_gateway_status(plan):
    request = plan.outputs["testRequests"]["us-east5"]
    assert "get gateway/cross-region-gateway -o jsonpath='{.status.addresses[0].value}'" in request
    assert "curl -i http://${IP}:80/v1/completions" in request and "kubectl" in request.split("&&")[0]
    assert plan.outputs["gateway"]["class"] == "gke-l7-regional-external-managed"


def test_the_internal_class_is_called_from_inside_the_vpc():
    rilb = single_cluster("gke-l7-rilb")
    gateway = rilb.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway")
    assert gateway.inputs["spec"]["gatewayClassName"] == "gke-l7-rilb"
    assert "run curl-test --rm" in rilb.outputs["testRequests"]["us-east5"]
    subnet = rilb.one("gcp:compute/subnetwork:Subnetwork", "network-proxy-us-east5")
    assert subnet.inputs["purpose"] == "REGIONAL_MANAGED_PROXY"


def test_multi_cluster_mode_keeps_its_class_and_global_proxy_subnets(dev):
    gateway = dev.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway")
    assert gateway.inputs["spec"]["gatewayClassName"] == "gke-l7-cross-regional-internal-managed-mc"
    for subnet in dev.by_type("gcp:compute/subnetwork:Subnetwork"):
        if subnet.name.startswith("network-proxy-"):
            assert subnet.inputs["purpose"] == "GLOBAL_MANAGED_PROXY"


@pytest.mark.parametrize("dns_endpoint", [False, True])
def test_the_route_readiness_wait_reaches_the_api_server_the_way_the_provider_does(dns_endpoint):
    """With the DNS endpoint on, the IP endpoint admits no outside address: a wait calling it would time out."""
    private = {"enabled": True, "dnsEndpoint": True} if dns_endpoint else {"enabled": False}
    plan = run("guarded", overrides={"privateNodes": private})
    (provider,) = plan.by_type("pulumi:providers:kubernetes")
    (entry,) = json.loads(provider.inputs["kubeconfig"])["clusters"]
    (ready,) = plan.by_type("pulumi-python:dynamic/gateway:RouteReadiness")
    assert f"https://{ready.inputs['endpoint']}" == entry["cluster"]["server"]
    assert ready.inputs["caCertificate"] == entry["cluster"].get("certificate-authority-data", "")


def test_without_a_cluster_ca_the_wait_verifies_with_the_public_cas(monkeypatch):
    seen = {}
    monkeypatch.setattr(route_readiness, "RestRouteApi", lambda endpoint, ca: seen.setdefault("api", (endpoint, ca)))
    monkeypatch.setattr(route_readiness, "wait_for_route", lambda api, *args: seen.setdefault("args", args))
    props = {"endpoint": "gke-1.us.gke.goog", "caCertificate": "", "namespace": "ns", "route": "rt"}
    route_readiness._wait({**props, "gateways": ["gw"], "timeoutSeconds": 60})
    assert seen == {"api": ("gke-1.us.gke.goog", True), "args": ("ns", "rt", ["gw"], 60)}
