"""BodyRouter: body-based routing in front of several models' pools, as GKE documents it (the vendored
`body-based-routing` chart with provider gke, inference/models/facts.py): an ext_proc server that copies the
request body's `model` into the X-Gateway-Model-Name header, attached to the Gateway as a GCPRoutingExtension,
so the route's per-model rules can match it. In Istio mode the same chart with provider istio attaches it with
an EnvoyFilter and a DestinationRule instead (upstream's "Serving multiple inference pools", tab Istio).

Every request passes through it, so it is not left a single point of failure: the chart's own `bbr.replicas`
at two, and what the chart has no value for (templates/bbr.yaml: no resources, probes, spread or disruption
budget) filled in by the post-renderer (inference/common/post_render.py, which also hardens the pod) and a
PodDisruptionBudget of ours."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from inference.common import images, post_render
from inference.common.network_policy import Peer, peers
from inference.models import facts
from inference.serving.network_policy import ip_blocks

RELEASE = "body-based-router"  # the release name GKE's guide installs the chart under
# The chart's `provider.name` values that attach the router to a Gateway (templates/gke.yaml, templates/istio.yaml).
GKE_PROVIDER, ISTIO_PROVIDER = "gke", "istio"
REPLICAS = 2  # one can be drained or restarted while the other keeps routing
# Not sized by upstream (the chart sets none): a Go ext_proc server that reads each request body once.
RESOURCES = {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}


@dataclass(frozen=True)
class BodyRouterArgs:
    namespace: str
    gateway_name: str  # the Gateway the routing extension attaches to
    requires: Sequence[pulumi.Resource] = ()  # the namespace and the Gateway
    nodes: Sequence[pulumi.Resource] = ()  # the system pool the router runs on
    # Who calls it: the Gateway's proxies (the proxy-only subnets) and Google's health checkers; the serving
    # namespace denies every other ingress (inference/serving/network_policy.py).
    gateway_ranges: Sequence[str] = ()
    health_check_ranges: Sequence[str] = ()
    provider: str = GKE_PROVIDER
    gateway_peers: Sequence[Peer] = ()  # the Gateway's proxies inside the cluster (Istio)


def chart_values(gateway_name: str, provider: str = GKE_PROVIDER) -> dict:
    """Only what differs from the chart's defaults: the provider's objects, the Gateway they attach to, two
    replicas, and, once a digest is recorded for the chart's own image (images.BODY_ROUTER_IMAGE), its tag with the
    digest (the chart renders `registry/repository:tag`); the plugins stay the chart's."""
    image = images.BODY_ROUTER_IMAGE
    pinned = {"image": {"tag": images.chart_tag(image)}} if images.has_digest(image) else {}
    return {
        "provider": {"name": provider},
        "inferenceGateway": {"name": gateway_name},
        "bbr": {"replicas": REPLICAS, **pinned},
    }


def pod_fields() -> dict:
    """The replicas on different nodes (and zones) where the pool has them; on a one-node pool they share it
    rather than one staying Pending."""
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": key,
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": facts.BODY_ROUTER_APP}},
        }
        for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
    ]
    return {"topologySpreadConstraints": spread}


def container_fields() -> dict:
    """gRPC probes on the router's health port, the port GKE's health check (the chart's HealthCheckPolicy)
    asks: not ready, no traffic from the Service; stuck, restarted."""

    def grpc(period: int, failures: int) -> dict:
        return {
            "grpc": {"port": facts.BODY_ROUTER_HEALTH_PORT},
            "periodSeconds": period,
            "failureThreshold": failures,
            "timeoutSeconds": 2,
        }

    return {"readinessProbe": grpc(5, 2), "livenessProbe": grpc(10, 3)}


def post_renderer() -> k8s.helm.v4.PostRendererArgs:
    return k8s.helm.v4.PostRendererArgs(
        command=post_render.COMMAND,
        args=[
            post_render.SCRIPT,
            *("--resources", json.dumps(RESOURCES, sort_keys=True)),
            *("--pod-fields", json.dumps(pod_fields(), sort_keys=True)),
            *("--container-fields", json.dumps(container_fields(), sort_keys=True)),
        ],
    )


class BodyRouter(pulumi.ComponentResource):
    def __init__(self, name: str, args: BodyRouterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:models:BodyRouter", name, None, opts)
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            chart=facts.BODY_ROUTER_CHART,
            name=RELEASE,
            namespace=args.namespace,
            values=chart_values(args.gateway_name, args.provider),
            post_renderer=post_renderer(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.requires, *args.nodes]),
        )
        # Node upgrades and repairs evict one router at a time; a router that never became ready can always go.
        self.disruption_budget = k8s.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{facts.BODY_ROUTER_APP}-pdb", namespace=args.namespace),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": facts.BODY_ROUTER_APP}),
                unhealthy_pod_eviction_policy="AlwaysAllow",
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.requires)),
        )
        self.network_policy = k8s.networking.v1.NetworkPolicy(
            f"{name}-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{facts.BODY_ROUTER_APP}-ingress", namespace=args.namespace),
            spec=network_policy_spec(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.requires)),
        )
        self.register_outputs({"release": RELEASE})


def network_policy_spec(args: BodyRouterArgs) -> k8s.networking.v1.NetworkPolicySpecArgs:
    """The router's ext_proc and health ports, to the Gateway's proxies and health checkers only."""
    ranges = [*args.gateway_ranges, *args.health_check_ranges]
    return k8s.networking.v1.NetworkPolicySpecArgs(
        pod_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"app": facts.BODY_ROUTER_APP}),
        policy_types=["Ingress"],
        ingress=[
            k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                from_=[*ip_blocks(ranges), *peers(args.gateway_peers)],
                ports=[
                    k8s.networking.v1.NetworkPolicyPortArgs(port=p, protocol="TCP")
                    for p in (facts.BODY_ROUTER_PORT, facts.BODY_ROUTER_HEALTH_PORT)
                ],
            )
        ],
    )
