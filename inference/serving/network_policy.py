"""ServingNetworkPolicies: who may open a connection to the pods of a serving namespace. Nothing, by default; the
model servers accept their Gateway, Google's health checkers, the endpoint pickers and the metrics collectors on
the serving port; the endpoint pickers accept their Gateway and health checkers on their ext-proc and health
ports, and the collectors on their metrics port.

GKE Dataplane V2 enforces NetworkPolicy (https://cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2,
"Network policy enforcement"). Kubernetes always allows traffic from the node a pod runs on, so the kubelet's
probes need no rule (https://kubernetes.io/docs/concepts/services-networking/network-policies/, "Allowing traffic
to and from the node"). Only ingress is restricted: the pods' egress (the metadata server, Google APIs, the
API server, the drill's and the test request's client pods in the namespace that call the Gateway's address)
stays open (docs/security.md, "Network policies").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from inference.common.network_policy import DEFAULT_DENY, NAMESPACE_LABEL, Peer, peers, policy, ports

__all__ = ["Peer", "ServingNetworkPolicies", "ServingNetworkPoliciesArgs"]

MODEL_SERVERS = "model-servers-ingress"
ENDPOINT_PICKERS = "endpoint-pickers-ingress"


@dataclass(frozen=True)
class ServingNetworkPoliciesArgs:
    namespace: str
    serving_port: int
    model_server_labels: Mapping[str, str]
    # Several models: every model's servers, by the values of their `app` label (model_server_labels unused).
    model_server_apps: Sequence[str] = ()
    # The endpoint pickers: labels, or label keys every picker has (the charts' `inferencepool`).
    picker_labels: Mapping[str, str] = field(default_factory=dict)
    picker_label_keys: Sequence[str] = ()
    picker_apps: Sequence[str] = ()  # several models in Istio mode: every model's picker, by its `app` label
    picker_ports: Sequence[int] = ()  # ext-proc and health: what the Gateway calls
    picker_metrics_port: int | None = None
    gateway_ranges: Sequence[str] = ()  # the Gateway's proxies outside the cluster (proxy-only subnets)
    health_check_ranges: Sequence[str] = ()  # Google's health checkers
    gateway_peers: Sequence[Peer] = ()  # the Gateway's proxies inside the cluster (Istio)
    scraper_namespaces: Sequence[str] = ()  # metrics collectors (Managed Prometheus)
    requires: Sequence[pulumi.Resource] = ()  # the namespace


def ip_blocks(ranges: Sequence[str]) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
    return [k8s.networking.v1.NetworkPolicyPeerArgs(ip_block=k8s.networking.v1.IPBlockArgs(cidr=c)) for c in ranges]


def _namespaces(names: Sequence[str]) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
    return [
        k8s.networking.v1.NetworkPolicyPeerArgs(
            namespace_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_LABEL: n})
        )
        for n in names
    ]


def picker_selector(args: ServingNetworkPoliciesArgs) -> k8s.meta.v1.LabelSelectorArgs:
    if args.picker_apps:
        return _apps(args.picker_apps)
    return k8s.meta.v1.LabelSelectorArgs(
        match_labels=dict(args.picker_labels) or None,
        match_expressions=[
            k8s.meta.v1.LabelSelectorRequirementArgs(key=key, operator="Exists") for key in args.picker_label_keys
        ]
        or None,
    )


class ServingNetworkPolicies(pulumi.ComponentResource):
    """The serving namespace's ingress policies: a default deny and what the model servers and pickers accept."""

    def __init__(self, name: str, args: ServingNetworkPoliciesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:serving:ServingNetworkPolicies", name, None, opts)
        self._opts = pulumi.ResourceOptions(parent=self, depends_on=list(args.requires))
        self._namespace = args.namespace
        gateway = [*ip_blocks(args.gateway_ranges), *ip_blocks(args.health_check_ranges), *peers(args.gateway_peers)]
        self.default_deny = self._policy(f"{name}-default-deny", DEFAULT_DENY, k8s.meta.v1.LabelSelectorArgs(), [])
        pickers = picker_selector(args)
        self.model_servers = self._policy(
            f"{name}-model-servers",
            MODEL_SERVERS,
            _servers_selector(args),
            [
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[
                        *gateway,
                        k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=pickers),
                        *_namespaces(args.scraper_namespaces),
                    ],
                    ports=ports([args.serving_port]),
                )
            ],
        )
        picker_rules = [k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=gateway, ports=ports(args.picker_ports))]
        if args.picker_metrics_port and args.scraper_namespaces:
            picker_rules.append(
                k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=_namespaces(args.scraper_namespaces), ports=ports([args.picker_metrics_port])
                )
            )
        self.endpoint_pickers = self._policy(f"{name}-endpoint-pickers", ENDPOINT_PICKERS, pickers, picker_rules)
        self.register_outputs({"namespace": args.namespace})

    def _policy(
        self,
        name: str,
        policy_name: str,
        selector: k8s.meta.v1.LabelSelectorArgs,
        ingress: list[k8s.networking.v1.NetworkPolicyIngressRuleArgs],
    ) -> k8s.networking.v1.NetworkPolicy:
        return policy(name, policy_name, self._namespace, selector, ingress, self._opts)


def _servers_selector(args: ServingNetworkPoliciesArgs) -> k8s.meta.v1.LabelSelectorArgs:
    if not args.model_server_apps:
        return k8s.meta.v1.LabelSelectorArgs(match_labels=dict(args.model_server_labels))
    return _apps(args.model_server_apps)


def _apps(apps: Sequence[str]) -> k8s.meta.v1.LabelSelectorArgs:
    """The pods whose `app` label is one of `apps`."""
    requirement = k8s.meta.v1.LabelSelectorRequirementArgs(key="app", operator="In", values=list(apps))
    return k8s.meta.v1.LabelSelectorArgs(match_expressions=[requirement])
