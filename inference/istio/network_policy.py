"""Istio mode's own namespaces, each with a default deny of ingress and what its pods need
(inference/common/network_policy.py): `istio-ingress`, where istiod deploys the Gateway's proxies, admits the
listener from every source, as the Gateway's load balancer (or the port-forward of a ClusterIP one) delivers it;
`istio-system` admits the API server's webhook calls to istiod and the cluster's proxies' xDS. The serving
namespace's policies are the serving feature's (inference/serving/network_policy.py)."""

from __future__ import annotations

from inference.common.network_policy import Allow, NamespaceIngressArgs, Peer, Rule
from inference.core.facts.api_server import API_SERVER_PEERS
from inference.istio.facts import (
    GATEWAY_POD_LABELS,
    INGRESS_NAMESPACE,
    ISTIO_NAMESPACE,
    ISTIOD_LABELS,
    ISTIOD_WEBHOOK_PORT,
    ISTIOD_XDS_PORT,
    LISTENER_PORT,
)

GATEWAY_INGRESS = "gateway-ingress"
ISTIOD_INGRESS = "istiod-ingress"


def ingress_namespace_args(requires: list) -> NamespaceIngressArgs:
    """The Gateway is the entry point: who reaches its address is the load balancer's and the firewall's to say
    (internal, external or ClusterIP), and its clients' source addresses may be rewritten on the way (a
    Service's `externalTrafficPolicy: Cluster`); its status and metrics ports have no caller but the kubelet."""
    listener = Allow(GATEWAY_INGRESS, GATEWAY_POD_LABELS, [Rule([LISTENER_PORT])])
    return NamespaceIngressArgs(INGRESS_NAMESPACE, [listener], requires=requires)


def istio_namespace_args(requires: list) -> NamespaceIngressArgs:
    webhook = Rule([ISTIOD_WEBHOOK_PORT], API_SERVER_PEERS)
    # Every pod of the cluster, not only the Gateway's: on a cluster the program installs Istio on, a workload the
    # operator adds to the mesh gets its sidecar's configuration and certificate here too (Istio's own chart
    # admits 15012 from every source: templates/networkpolicy.yaml).
    xds = Rule([ISTIOD_XDS_PORT], [Peer({}, any_namespace=True)])
    return NamespaceIngressArgs(ISTIO_NAMESPACE, [Allow(ISTIOD_INGRESS, ISTIOD_LABELS, [webhook, xds])], requires)
