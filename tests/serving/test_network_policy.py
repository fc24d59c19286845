"""The serving namespace's network policies: a component from small args, and what every mode's plan admits. A
NetworkPolicy selects pods, and ingress to a selected pod is refused unless a rule of a policy selecting it admits
it (https://kubernetes.io/docs/concepts/services-networking/network-policies/); `admits` reads them that way."""

from __future__ import annotations

import ipaddress

import pytest

from inference.core.network import HEALTH_CHECK_RANGES
from inference.serving.network_policy import Peer, ServingNetworkPolicies, ServingNetworkPoliciesArgs
from tests.conftest import PLACEHOLDER, components, placeholder, plan_of
from tools import drill

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NS_LABEL = "kubernetes.io/metadata.name"


def _selects(selector: dict, labels: dict) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(e["operator"] == "Exists" and e["key"] in labels for e in selector.get("matchExpressions") or [])


def _peer_admits(peer: dict, source: dict, own_namespace: str) -> bool:
    if "ipBlock" in peer:
        return "ip" in source and ipaddress.ip_address(source["ip"]) in ipaddress.ip_network(peer["ipBlock"]["cidr"])
    if "ip" in source:
        return False
    namespace = source.get("namespace", own_namespace)
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], {NS_LABEL: namespace}):
            return False
    elif namespace != own_namespace:
        return False
    return _selects(peer.get("podSelector") or {}, source.get("labels") or {})


def admits(policies: list, namespace: str, labels: dict, port: int, source: dict) -> bool:
    """Whether ingress from `source` ({"ip": ...} or {"labels", "namespace"}) to a pod reaches it on `port`."""
    selecting = [
        p.inputs["spec"]
        for p in policies
        if p.inputs["metadata"]["namespace"] == namespace and _selects(p.inputs["spec"]["podSelector"], labels)
    ]
    if not selecting:
        return True
    return any(
        port in {q["port"] for q in rule["ports"]} and any(_peer_admits(f, source, namespace) for f in rule["from"])
        for spec in selecting
        for rule in spec.get("ingress") or []
    )


def _args(**changes) -> ServingNetworkPoliciesArgs:
    base = dict(
        namespace="ns",
        serving_port=8000,
        model_server_labels={"app": "srv"},
        picker_label_keys=["inferencepool"],
        picker_ports=(9002, 9003),
        picker_metrics_port=9090,
        gateway_ranges=["10.1.0.0/24"],
        health_check_ranges=["35.191.0.0/16"],
        scraper_namespaces=["gmp-system"],
        requires=[placeholder("namespace")],
    )
    return ServingNetworkPoliciesArgs(**{**base, **changes})


def test_only_the_gateway_health_checks_pickers_and_scrapers_reach_the_model_servers():
    plan = components(lambda: ServingNetworkPolicies("p", _args()))
    policies = plan.by_type(POLICY)
    assert all(plan.one(PLACEHOLDER, "namespace").urn in p.dependencies for p in policies)
    server, picker = {"app": "srv"}, {"inferencepool": "pool-epp"}
    ok = [{"ip": "10.1.0.7"}, {"ip": "35.191.3.4"}, {"labels": picker}, {"namespace": "gmp-system", "labels": {}}]
    assert all(admits(policies, "ns", server, 8000, s) for s in ok)
    refused = [{"ip": "10.0.0.5"}, {"labels": {"app": "other"}}, {"namespace": "default", "labels": picker}]
    assert not any(admits(policies, "ns", server, 8000, s) for s in refused)
    assert not admits(policies, "ns", server, 22, {"ip": "10.1.0.7"})  # the serving port only
    # The pickers: the Gateway and its health checks on ext-proc and health, the scrapers on metrics only.
    assert admits(policies, "ns", picker, 9002, {"ip": "10.1.0.7"}) and admits(policies, "ns", picker, 9003, ok[1])
    assert not admits(policies, "ns", picker, 9002, {"labels": server})
    assert admits(policies, "ns", picker, 9090, ok[3]) and not admits(policies, "ns", picker, 9002, ok[3])
    # Anything else in the namespace admits nothing; every policy restricts ingress only.
    assert not admits(policies, "ns", {"app": "anything"}, 80, {"ip": "10.1.0.7"})
    assert {tuple(p.inputs["spec"]["policyTypes"]) for p in policies} == {("Ingress",)}


def test_an_in_cluster_gateway_is_admitted_by_its_pods_labels_and_namespace():
    def build():
        peers = [Peer({"gw": "g"}, "ingress")]
        ServingNetworkPolicies("p", _args(gateway_ranges=(), health_check_ranges=(), gateway_peers=peers))

    policies = components(build).by_type(POLICY)
    gateway = {"labels": {"gw": "g"}, "namespace": "ingress"}
    assert admits(policies, "ns", {"app": "srv"}, 8000, gateway)
    assert admits(policies, "ns", {"inferencepool": "x"}, 9002, gateway)
    assert not admits(policies, "ns", {"app": "srv"}, 8000, {**gateway, "namespace": "other"})


GKE_STACKS = ("prod", "dev", "guarded", "migration")


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_every_serving_namespace_admits_only_its_gateways_proxies_and_googles_health_checks(stack):
    plan = plan_of(stack)
    policies = plan.by_type(POLICY)
    servers = [d for d in plan.by_type("kubernetes:apps/v1:Deployment") if d.name.startswith("model-server-")]
    assert servers
    proxies = {
        s.inputs["ipCidrRange"]
        for s in plan.by_type("gcp:compute/subnetwork:Subnetwork")
        if s.inputs.get("purpose") in ("GLOBAL_MANAGED_PROXY", "REGIONAL_MANAGED_PROXY")
    }
    assert proxies
    for server in servers:
        namespace, labels = server.inputs["metadata"]["namespace"], server.inputs["spec"]["template"]["metadata"]
        port = server.inputs["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
        for cidr in [*proxies, *HEALTH_CHECK_RANGES]:
            host = str(next(ipaddress.ip_network(cidr).hosts()))
            assert admits(policies, namespace, labels["labels"], port, {"ip": host}), (stack, cidr)
        assert not admits(policies, namespace, labels["labels"], port, {"ip": "10.200.0.9"})
        assert not admits(policies, namespace, labels["labels"], port, {"labels": {"app": "x"}})  # a neighbour
        assert not admits(policies, namespace, labels["labels"], port, {"labels": {}, "namespace": "elsewhere"})


@pytest.mark.parametrize("stack", GKE_STACKS)
def test_every_endpoint_picker_the_charts_render_is_covered(stack):
    plan = plan_of(stack)
    policies = plan.by_type(POLICY)
    pickers = [d for d in plan.by_type("kubernetes:apps/v1:Deployment") if "Chart" in d.urn]
    assert pickers
    for picker in pickers:
        namespace = picker.inputs["metadata"]["namespace"]
        labels = picker.inputs["spec"]["template"]["metadata"]["labels"]
        assert not admits(policies, namespace, labels, 9002, {"ip": "10.200.0.9"}), picker.name
        assert admits(policies, namespace, labels, 9002, {"ip": "35.191.0.1"}), picker.name


def test_the_drills_client_pod_is_never_restricted_on_its_way_out(prod):
    """The drill and the test requests run a curl pod in the serving namespace and call the Gateway's address: no
    policy restricts egress, so their requests leave; the answers come back on the same connection."""
    key, _, value = drill.CLIENT_LABEL.partition("=")
    selecting = [p for p in prod.by_type(POLICY) if _selects(p.inputs["spec"]["podSelector"], {key: value})]
    assert selecting  # the default deny: nothing may call the client
    assert all(p.inputs["spec"]["policyTypes"] == ["Ingress"] and "egress" not in p.inputs["spec"] for p in selecting)


def test_istio_mode_admits_its_gateways_pods():
    plan = plan_of("istio")
    policies = plan.by_type(POLICY)
    gateway = {"labels": {"gateway.networking.k8s.io/gateway-name": "gateway"}, "namespace": "istio-ingress"}
    assert admits(policies, "inference-model-server", {"app": "inference-model-server"}, 8000, gateway)
    assert admits(policies, "inference-model-server", {"app": "inference-epp"}, 9002, gateway)
    assert not admits(policies, "inference-model-server", {"app": "inference-model-server"}, 8000, {"ip": "10.0.0.1"})
