"""BodyRouter: body-based routing in front of several models' pools, as GKE documents it (the vendored
`body-based-routing` chart with provider gke, inference/models/facts.py): an ext_proc server that copies the
request body's `model` into the X-Gateway-Model-Name header, attached to the Gateway as a GCPRoutingExtension,
so the route's per-model rules can match it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from inference.models import facts

RELEASE = "body-based-router"  # the release name GKE's guide installs the chart under


@dataclass(frozen=True)
class BodyRouterArgs:
    namespace: str
    gateway_name: str  # the Gateway the routing extension attaches to
    requires: Sequence[pulumi.Resource] = ()  # the namespace and the Gateway
    nodes: Sequence[pulumi.Resource] = ()  # the system pool the router runs on


def chart_values(gateway_name: str) -> dict:
    """Only what differs from the chart's defaults: the GKE objects, and the Gateway they attach to. The image
    (registry.k8s.io/gateway-api-inference-extension/bbr:v1.5.0) and the plugins stay the chart's."""
    return {"provider": {"name": "gke"}, "inferenceGateway": {"name": gateway_name}}


class BodyRouter(pulumi.ComponentResource):
    def __init__(self, name: str, args: BodyRouterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:models:BodyRouter", name, None, opts)
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            chart=facts.BODY_ROUTER_CHART,
            name=RELEASE,
            namespace=args.namespace,
            values=chart_values(args.gateway_name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.requires, *args.nodes]),
        )
        self.register_outputs({"release": RELEASE})
