"""The namespaces the program runs pods in besides its serving namespaces: each denies ingress by default and admits
only what its pods need (inference/common/network_policy.py, the metrics adapter's in
inference/autoscaling/pool_autoscaling.py, Istio's in inference/istio/network_policy.py). A port the API server
calls is admitted from every source (inference/core/facts/api_server.py); `admits` reads the policies as
Kubernetes does (tests/serving/test_network_policy.py)."""

from __future__ import annotations

import pulumi
import pytest
import yaml

from inference.autoscaling.pool_autoscaling import ADAPTER_LABELS, ADAPTER_NAMESPACE, ADAPTER_PORT
from inference.common.network_policy import Allow, NamespaceIngressArgs, Peer, Rule, namespace_ingress
from inference.istio import facts as istio
from inference.istio.plane import IstioInferenceGateway, IstioInferenceGatewayArgs
from tests.conftest import PLACEHOLDER, components, placeholder, plan_of
from tests.serving.test_network_policy import POLICY, STACKS, WORKLOADS, admits, gateway_pods

# Where the API server's call may come from: a konnectivity agent's pod, the control plane's address (peering
# range, a Private Service Connect endpoint in the node subnet, a public address), a node.
API_SERVER_SOURCES = [
    {"labels": {"k8s-app": "konnectivity-agent"}, "namespace": "kube-system"},
    {"ip": "172.16.0.2"},
    {"ip": "10.128.0.2"},
    {"ip": "34.118.1.2"},
]
SERVICE = "kubernetes:core/v1:Service"
A_NEIGHBOUR = {"labels": {"app": "model-server"}, "namespace": "inference"}


def test_a_namespace_denies_what_no_allow_admits_and_a_rule_without_peers_admits_every_source():
    def build():
        web = Allow("web-ingress", {"app": "web"}, [Rule([443]), Rule([9000], [Peer({"app": "gw"}, "ingress")])])
        args = NamespaceIngressArgs("ns", [web], requires=[placeholder("namespace")])
        namespace_ingress("p", args, pulumi.ResourceOptions())

    plan = components(build)
    policies = plan.by_type(POLICY)
    assert {p.inputs["metadata"]["name"] for p in policies} == {"default-deny-ingress", "web-ingress"}
    assert all(plan.one(PLACEHOLDER, "namespace").urn in p.dependencies for p in policies)
    (deny,) = [p for p in policies if p.inputs["metadata"]["name"] == "default-deny-ingress"]
    assert {p.urn for p in policies if p is not deny} <= set(deny.dependencies)  # never a moment of deny alone
    assert {tuple(p.inputs["spec"]["policyTypes"]) for p in policies} == {("Ingress",)}
    web, gateway = {"app": "web"}, {"labels": {"app": "gw"}, "namespace": "ingress"}
    assert all(admits(policies, "ns", web, 443, s) for s in [*API_SERVER_SOURCES, A_NEIGHBOUR, gateway])
    assert admits(policies, "ns", web, 9000, gateway)
    assert not any(admits(policies, "ns", web, 9000, s) for s in [*API_SERVER_SOURCES, A_NEIGHBOUR])
    assert not admits(policies, "ns", web, 8080, gateway)  # a port no rule names
    assert not admits(policies, "ns", {"app": "other"}, 443, gateway)  # a pod no allow selects


def _namespaces_with_pods(plan) -> set[str]:
    workloads = {w.inputs["metadata"]["namespace"] for t in WORKLOADS for w in plan.by_type(t)}
    return workloads | {g[0] for g in gateway_pods(plan)}


@pytest.mark.parametrize("stack", STACKS)
def test_every_namespace_the_program_makes_or_runs_pods_in_denies_ingress_by_default(stack):
    """Not the guarded stack's `apim`: the Apigee operator's charts are not public (inference/guards/guard.py), so
    which ports its pods serve is unknown and a deny could break them unseen (docs/security.md)."""
    plan = plan_of(stack)
    denied = {
        p.inputs["metadata"]["namespace"]
        for p in plan.by_type(POLICY)
        if p.inputs["metadata"]["name"] == "default-deny-ingress" and p.inputs["spec"]["podSelector"] == {}
    }
    made = {n.inputs["metadata"]["name"] for n in plan.by_type("kubernetes:core/v1:Namespace")}
    assert made | _namespaces_with_pods(plan) <= denied


def _pod_labels(plan, namespace: str, name: str) -> dict:
    """The pods' labels of a Deployment, the same in every cluster of the stack."""
    (labels,) = {
        tuple(sorted(w.inputs["spec"]["template"]["metadata"]["labels"].items()))
        for w in plan.by_type("kubernetes:apps/v1:Deployment")
        if (w.inputs["metadata"]["namespace"], w.inputs["metadata"]["name"]) == (namespace, name)
    }
    return dict(labels)


@pytest.mark.parametrize("stack", ["prod", "dev", "models"])
def test_the_metrics_adapter_admits_the_api_server_on_its_api_port_alone(stack):
    plan = plan_of(stack)
    policies = plan.by_type(POLICY)
    labels = _pod_labels(plan, ADAPTER_NAMESPACE, "custom-metrics-stackdriver-adapter")
    assert ADAPTER_LABELS.items() <= labels.items()
    # The APIServices reach it through its Service, whose target is the admitted port.
    services = [s for s in plan.by_type(SERVICE) if s.inputs["metadata"]["namespace"] == ADAPTER_NAMESPACE]
    assert {p["targetPort"] for s in services for p in s.inputs["spec"]["ports"]} == {ADAPTER_PORT}
    assert all(admits(policies, ADAPTER_NAMESPACE, labels, ADAPTER_PORT, s) for s in API_SERVER_SOURCES)
    assert not any(admits(policies, ADAPTER_NAMESPACE, labels, 8080, s) for s in [*API_SERVER_SOURCES, A_NEIGHBOUR])


def _istio_plan(install_istio: bool = True):
    scorers = [("queue-scorer", 1)]
    args = IstioInferenceGatewayArgs("1.29.6", install_istio=install_istio, install_crds=False, scorers=scorers)

    def build():
        IstioInferenceGateway("i", args)

    return components(build)


def test_istiod_admits_the_api_servers_webhooks_and_the_clusters_proxies_xds_alone():
    plan = plan_of("istio")
    policies = plan.by_type(POLICY)
    labels = _pod_labels(plan, istio.ISTIO_NAMESPACE, "istiod")
    gateway = {"labels": istio.GATEWAY_POD_LABELS, "namespace": istio.INGRESS_NAMESPACE}
    # What calls it, as the chart wires it: the webhooks through the Service's 443, the proxies at discoveryAddress.
    (service,) = [s for s in plan.by_type(SERVICE) if s.inputs["metadata"]["name"] == "istiod"]
    webhook = {p["port"]: p.get("targetPort", p["port"]) for p in service.inputs["spec"]["ports"]}[443]
    (mesh,) = [c for c in plan.by_type("kubernetes:core/v1:ConfigMap") if c.inputs["metadata"]["name"] == "istio"]
    xds = int(yaml.safe_load(mesh.inputs["data"]["mesh"])["defaultConfig"]["discoveryAddress"].rsplit(":", 1)[1])
    assert (webhook, xds) == (istio.ISTIOD_WEBHOOK_PORT, istio.ISTIOD_XDS_PORT)
    assert all(admits(policies, istio.ISTIO_NAMESPACE, labels, webhook, s) for s in API_SERVER_SOURCES)
    # The Gateway's proxies and any sidecar an operator adds to the mesh; nothing outside the cluster.
    sidecar = {"labels": {"app": "shop"}, "namespace": "shop"}
    assert all(admits(policies, istio.ISTIO_NAMESPACE, labels, xds, s) for s in [gateway, sidecar])
    outside = [s for s in API_SERVER_SOURCES if "ip" in s]
    assert not any(admits(policies, istio.ISTIO_NAMESPACE, labels, xds, s) for s in outside)
    callers = [gateway, *API_SERVER_SOURCES]
    for unused in (15010, 8080, 15014):  # plaintext xDS, debug, monitoring: no caller here
        assert not any(admits(policies, istio.ISTIO_NAMESPACE, labels, unused, s) for s in callers)


def test_the_istio_gateways_pods_admit_their_listener_from_everywhere_and_nothing_else():
    plan = plan_of("istio")
    policies = plan.by_type(POLICY)
    ((namespace, labels, listeners),) = gateway_pods(plan)
    assert (namespace, listeners) == (istio.INGRESS_NAMESPACE, {istio.LISTENER_PORT})
    clients = [{"ip": "10.128.0.9"}, {"ip": "198.51.100.7"}, A_NEIGHBOUR]  # a VPC client, the internet, a pod
    assert all(admits(policies, namespace, labels, istio.LISTENER_PORT, s) for s in clients)
    for port in (15000, 15020, 15021, 15090):  # admin, metrics, status (the kubelet's, from the node), Envoy's stats
        assert not any(admits(policies, namespace, labels, port, s) for s in clients)


def test_istio_system_is_left_alone_where_the_program_does_not_install_istio():
    def namespaces(plan) -> set[str]:
        return {p.inputs["metadata"]["namespace"] for p in plan.by_type(POLICY)}

    assert istio.ISTIO_NAMESPACE in namespaces(_istio_plan())
    assert namespaces(_istio_plan(install_istio=False)) == {istio.INGRESS_NAMESPACE, istio.NAMESPACE}
