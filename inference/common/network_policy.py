"""namespace_ingress: a namespace that admits nothing but what its pods need, as NetworkPolicies. A default deny of
ingress selects every pod of the namespace; each `Allow` then admits, to the pods it selects, its rules' ports
from its rules' peers. Ingress to a selected pod is refused unless some rule of a policy selecting it admits it
(https://kubernetes.io/docs/concepts/services-networking/network-policies/); GKE Dataplane V2 enforces them
(https://cloud.google.com/kubernetes-engine/docs/concepts/dataplane-v2). Egress stays open (docs/security.md,
"Network policies"), and the pod's own node (the kubelet's probes) is always admitted.

A rule without peers admits every source: the one rule that reaches a pod from the Kubernetes API server, whose
address no selector can name (inference/core/facts/api_server.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

NAMESPACE_LABEL = "kubernetes.io/metadata.name"  # every namespace has it, with its own name (Kubernetes >= 1.22)
DEFAULT_DENY = "default-deny-ingress"


@dataclass(frozen=True)
class Peer:
    """In-cluster clients: the pods with `labels` in `namespace` (None: the policy's own), or in every namespace."""

    labels: Mapping[str, str]
    namespace: str | None = None
    any_namespace: bool = False


@dataclass(frozen=True)
class Rule:
    """`ports` (TCP) from `peers`; None: from every source, in or outside the cluster."""

    ports: Sequence[int]
    peers: Sequence[Peer] | None = None


@dataclass(frozen=True)
class Allow:
    """One NetworkPolicy named `policy`: what the pods with `labels` admit."""

    policy: str
    labels: Mapping[str, str]
    rules: Sequence[Rule]


@dataclass(frozen=True)
class NamespaceIngressArgs:
    namespace: str
    allows: Sequence[Allow]
    requires: Sequence[pulumi.Resource] = ()  # the namespace


def peers(of: Sequence[Peer]) -> list[k8s.networking.v1.NetworkPolicyPeerArgs]:
    return [
        k8s.networking.v1.NetworkPolicyPeerArgs(
            pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=dict(p.labels)),
            namespace_selector=k8s.meta.v1.LabelSelectorArgs()
            if p.any_namespace
            else k8s.meta.v1.LabelSelectorArgs(match_labels={NAMESPACE_LABEL: p.namespace})
            if p.namespace
            else None,
        )
        for p in of
    ]


def ports(numbers: Sequence[int]) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(protocol="TCP", port=p) for p in numbers]


def ingress_rule(rule: Rule) -> k8s.networking.v1.NetworkPolicyIngressRuleArgs:
    return k8s.networking.v1.NetworkPolicyIngressRuleArgs(
        from_=None if rule.peers is None else peers(rule.peers), ports=ports(rule.ports)
    )


def policy(
    name: str,
    policy_name: str,
    namespace: str,
    selector: k8s.meta.v1.LabelSelectorArgs,
    ingress: list[k8s.networking.v1.NetworkPolicyIngressRuleArgs],
    opts: pulumi.ResourceOptions,
) -> k8s.networking.v1.NetworkPolicy:
    """An ingress-only NetworkPolicy; with no rule it admits nothing to the pods it selects."""
    return k8s.networking.v1.NetworkPolicy(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=policy_name, namespace=namespace),
        spec=k8s.networking.v1.NetworkPolicySpecArgs(
            pod_selector=selector, policy_types=["Ingress"], ingress=ingress or None
        ),
        opts=opts,
    )


def namespace_ingress(
    name: str, args: NamespaceIngressArgs, opts: pulumi.ResourceOptions
) -> list[k8s.networking.v1.NetworkPolicy]:
    """A namespace's default deny of ingress, then what each of its workloads admits: one policy each, children
    of `opts.parent` (the feature's component, whose cluster they belong to)."""
    inside = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(args.requires)))
    allows = [
        policy(
            f"{name}-{allow.policy}",
            allow.policy,
            args.namespace,
            k8s.meta.v1.LabelSelectorArgs(match_labels=dict(allow.labels)),
            [ingress_rule(r) for r in allow.rules],
            inside,
        )
        for allow in args.allows
    ]
    # After the allows, so a namespace that had none never denies what they admit, not even for a moment (and
    # `pulumi destroy` deletes the deny first).
    after = pulumi.ResourceOptions.merge(inside, pulumi.ResourceOptions(depends_on=allows))
    every_pod = k8s.meta.v1.LabelSelectorArgs()
    return [policy(f"{name}-default-deny", DEFAULT_DENY, args.namespace, every_pod, [], after), *allows]
