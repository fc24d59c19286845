"""The serving namespace's network policies: a component from small args, and what every mode's plan admits. A
NetworkPolicy selects pods, and ingress to a selected pod is refused unless a rule of a policy selecting it admits
it (https://kubernetes.io/docs/concepts/services-networking/network-policies/); `admits` reads them that way."""

from __future__ import annotations

import ipaddress

import pytest

from inference.core.network import HEALTH_CHECK_RANGES
from inference.models.facts import BODY_ROUTER_APP, BODY_ROUTER_HEALTH_PORT, BODY_ROUTER_PORT
from inference.serving.network_policy import (
    MODEL_SERVERS,
    Peer,
    ServingNetworkPolicies,
    ServingNetworkPoliciesArgs,
)
from tests.conftest import PLACEHOLDER, components, placeholder, plan_of
from tools import drill

POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NS_LABEL = "kubernetes.io/metadata.name"


def _selects(selector: dict, labels: dict) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(_requires(e, labels) for e in selector.get("matchExpressions") or [])


def _requires(expression: dict, labels: dict) -> bool:
    if expression["operator"] == "Exists":
        return expression["key"] in labels
    assert expression["operator"] == "In", expression  # the only two operators the program writes
    return labels.get(expression["key"]) in expression["values"]


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
    """Whether ingress from `source` ({"ip": ...} or {"labels", "namespace"}) to a pod reaches it on `port`.
    `policies`: the plan's NetworkPolicies; a pod no policy selects admits everything."""
    selecting = [
        p.inputs["spec"]
        for p in policies
        if p.inputs["metadata"]["namespace"] == namespace and _selects(p.inputs["spec"]["podSelector"], labels)
    ]
    if not selecting:
        return True
    return any(
        port in {q["port"] for q in rule["ports"]}
        and (rule.get("from") is None or any(_peer_admits(f, source, namespace) for f in rule["from"]))
        for spec in selecting
        for rule in spec.get("ingress") or []
    )  # a rule without `from` admits every source


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


def test_the_body_router_admits_the_gateway_and_its_health_checks_on_its_ports_alone():
    """Its policy is the models feature's (inference/models/body_router.py); judged with the namespace's others."""
    plan = plan_of("models")
    policies = plan.by_type(POLICY)
    router = {"app": BODY_ROUTER_APP}
    (rule,) = [p for p in policies if p.inputs["metadata"]["name"] == "body-based-router-ingress"]
    namespace = rule.inputs["metadata"]["namespace"]
    ranges = [b["ipBlock"]["cidr"] for b in rule.inputs["spec"]["ingress"][0]["from"] if "ipBlock" in b]
    assert ranges and set(HEALTH_CHECK_RANGES) <= set(ranges)
    for cidr in ranges:
        source = {"ip": str(next(ipaddress.ip_network(cidr).hosts()))}
        assert all(
            admits(policies, namespace, router, port, source) for port in (BODY_ROUTER_PORT, BODY_ROUTER_HEALTH_PORT)
        )
        assert not admits(policies, namespace, router, 8000, source)
    assert not admits(
        policies, namespace, router, BODY_ROUTER_PORT, {"labels": {"inferencepool": "x"}}
    )  # not even a picker
    assert not admits(policies, namespace, router, BODY_ROUTER_PORT, {"namespace": "gmp-system", "labels": {}})


def test_an_in_cluster_gateway_is_admitted_by_its_pods_labels_and_namespace():
    def build():
        peers = [Peer({"gw": "g"}, "ingress")]
        ServingNetworkPolicies("p", _args(gateway_ranges=(), health_check_ranges=(), gateway_peers=peers))

    policies = components(build).by_type(POLICY)
    gateway = {"labels": {"gw": "g"}, "namespace": "ingress"}
    assert admits(policies, "ns", {"app": "srv"}, 8000, gateway)
    assert admits(policies, "ns", {"inferencepool": "x"}, 9002, gateway)
    assert not admits(policies, "ns", {"app": "srv"}, 8000, {**gateway, "namespace": "other"})


GKE_STACKS = ("prod", "dev", "guarded", "migration", "models")
STACKS = (*GKE_STACKS, "istio")


def _serving_namespaces(policies: list) -> set[str]:
    """Where model servers serve: the namespaces of the serving feature's policies (the system namespaces the
    program also denies are tests/serving/test_system_network_policies.py's)."""
    return {p.inputs["metadata"]["namespace"] for p in policies if p.inputs["metadata"]["name"] == MODEL_SERVERS}


WORKLOADS = ("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet")


def _served_ports(workload) -> set[int]:
    """The ports its containers declare, and those their probes ask (the metrics adapter declares none)."""
    pod = workload.inputs["spec"]["template"]["spec"]
    declared = {p["containerPort"] for c in pod["containers"] for p in c.get("ports") or []}
    probes = [c.get(k) or {} for c in pod["containers"] for k in ("readinessProbe", "livenessProbe", "startupProbe")]
    asked = {(p.get("httpGet") or p.get("grpc") or p.get("tcpSocket") or {}).get("port") for p in probes}
    return declared | {port for port in asked if isinstance(port, int)}


@pytest.mark.parametrize("stack", [*GKE_STACKS, "istio"])
def test_every_port_a_pod_of_a_denied_namespace_serves_is_admitted_from_the_gateway_or_a_collector(stack):
    """A default deny with a pod whose port no rule admits is a silent outage (the body-based router's once):
    every port every workload of a serving namespace declares is reached by its Gateway (its proxies, or Istio's
    pods), Google's health checkers or Managed Prometheus; never by a pod of another namespace or an address
    outside the VPC's proxy ranges."""
    plan = plan_of(stack)
    policies = plan.by_type(POLICY)
    denied = _serving_namespaces(policies)
    assert denied
    proxies = [
        str(next(ipaddress.ip_network(s.inputs["ipCidrRange"]).hosts()))
        for s in plan.by_type("gcp:compute/subnetwork:Subnetwork")
        if s.inputs.get("purpose") in ("GLOBAL_MANAGED_PROXY", "REGIONAL_MANAGED_PROXY")
    ]
    istio = {"labels": {"gateway.networking.k8s.io/gateway-name": "gateway"}, "namespace": "istio-ingress"}
    gateway = [{"ip": ip} for ip in proxies] + ([istio] if stack == "istio" else [])
    collectors = [{"namespace": "gmp-system", "labels": {}}]
    for workload in [w for t in WORKLOADS for w in plan.by_type(t) if w.inputs["metadata"]["namespace"] in denied]:
        namespace, labels = (
            workload.inputs["metadata"]["namespace"],
            workload.inputs["spec"]["template"]["metadata"]["labels"],
        )
        for port in _served_ports(workload):
            reached = [s for s in [*gateway, *collectors] if admits(policies, namespace, labels, port, s)]
            assert reached, f"{stack}: nothing reaches {workload.name}:{port}"
            assert not admits(policies, namespace, labels, port, {"labels": {}, "namespace": "elsewhere"}), (
                workload.name
            )
            assert not admits(policies, namespace, labels, port, {"ip": "192.168.7.7"}), workload.name


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
    pickers = [
        d
        for d in plan.by_type("kubernetes:apps/v1:Deployment")
        if "Chart" in d.urn and "inferencepool" in d.inputs["spec"]["template"]["metadata"]["labels"]
    ]
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


def gateway_pods(plan) -> list[tuple[str, dict, set[int]]]:
    """The pods istiod deploys for each Istio Gateway, as (namespace, labels, ports): labelled with the Gateway's
    name, serving its listeners' ports (inference/istio/facts.py); the plan has the Gateway, not its pods."""
    return [
        (
            g.inputs["metadata"]["namespace"],
            {"gateway.networking.k8s.io/gateway-name": g.inputs["metadata"]["name"]},
            {listener["port"] for listener in g.inputs["spec"]["listeners"]},
        )
        for g in plan.by_type("kubernetes:gateway.networking.k8s.io/v1:Gateway")
        if g.inputs["spec"]["gatewayClassName"] == "istio"
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_every_rule_opens_only_ports_its_selected_pods_serve(stack):
    """No allow without a need: every rule's pods exist in the namespace and serve every port it opens."""
    plan = plan_of(stack)
    workloads = [
        (w.inputs["metadata"]["namespace"], w.inputs["spec"]["template"]["metadata"]["labels"], _served_ports(w))
        for t in WORKLOADS
        for w in plan.by_type(t)
    ] + gateway_pods(plan)
    for policy in plan.by_type(POLICY):
        namespace, spec = policy.inputs["metadata"]["namespace"], policy.inputs["spec"]
        selected = [w for w in workloads if w[0] == namespace and _selects(spec["podSelector"], w[1])]
        assert selected, (stack, policy.name)
        served = set().union(*(w[2] for w in selected))
        for rule in spec.get("ingress") or []:
            assert {p["port"] for p in rule["ports"]} <= served, (stack, policy.name, rule["ports"])


def test_the_guarded_stack_serves_from_default_alone_and_its_guards_call_nothing_in_the_cluster():
    """Apigee's operator needs the Gateway in `default` (docs/guards.md), so `default` is the serving namespace and
    holds the deny and the allows. The guards are services the load balancer calls (Apigee's extension processor
    behind the ApigeeBackendService, Model Armor's regional API): no pod of theirs needs an allow, and the
    operator's `apim` namespace serves no request, so it gets no policy."""
    plan = plan_of("guarded")
    assert {(p.inputs["metadata"]["namespace"], p.inputs["metadata"]["name"]) for p in plan.by_type(POLICY)} == {
        ("default", "default-deny-ingress"),
        ("default", "model-servers-ingress"),
        ("default", "endpoint-pickers-ingress"),
    }
    assert {w.inputs["metadata"]["namespace"] for t in WORKLOADS for w in plan.by_type(t)} == {"default"}
    assert {r.inputs["namespace"] for r in plan.by_type("kubernetes:helm.sh/v3:Release")} == {"apim"}
    (extension,) = plan.by_type("kubernetes:networking.gke.io/v1:GCPTrafficExtension")
    calls = [e for chain in extension.inputs["spec"]["extensionChains"] for e in chain["extensions"]]
    assert {(e.get("backendRef") or {}).get("kind") or e.get("googleAPIServiceName") for e in calls} == {
        "ApigeeBackendService",
        "modelarmor.us-central1.rep.googleapis.com",
    }
