"""SingleClusterGateway: a regional Gateway in one cluster and its HTTPRoute straight to InferencePools
(the migration guide; GKE "Deploy GKE Inference Gateway")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from inference.single_cluster.route_readiness import RouteReadiness, spec_hash

V1_POOL_GROUP = "inference.networking.k8s.io"  # the GA InferencePool


@dataclass(frozen=True)
class RouteBackend:
    """One backendRef of the route: an InferencePool by API group and name, and its share of requests."""

    pool_name: str
    group: str = V1_POOL_GROUP
    weight: int | None = None  # None: the only backend, Gateway API's default weight (1)

    def ref(self) -> dict:
        ref = {"group": self.group, "kind": "InferencePool", "name": self.pool_name}
        return ref if self.weight is None else {**ref, "weight": self.weight}


@dataclass(frozen=True)
class RouteRule:
    """A rule of a route over several models: requests whose model header names one of `models` go to `backend`."""

    header: str
    models: Sequence[str]
    backend: RouteBackend

    def spec(self) -> dict:
        return {
            "matches": [{"headers": [{"type": "Exact", "name": self.header, "value": m}]} for m in self.models],
            "backendRefs": [self.backend.ref()],
        }


@dataclass(frozen=True)
class SingleClusterGatewayArgs:
    namespace: str
    gateway_name: str
    route_name: str
    class_name: str  # a single-cluster class (inference/single_cluster/facts.py GATEWAY_CLASSES)
    backends: Sequence[RouteBackend]
    programmed_timeout_minutes: int  # the Gateway's Programmed wait and the route's readiness wait
    # The cluster's API server and CA certificate: the route's readiness wait reads the route there.
    endpoint: pulumi.Input[str]
    ca_certificate: pulumi.Input[str] | None  # None: the endpoint's certificate is publicly trusted (DNS endpoint)
    # The namespace; the route also waits for every pool it names (`pools`), so it never sends
    # requests to a pool that does not exist yet, and on destroy it goes before them.
    requires: Sequence[pulumi.Resource] = ()
    pools: Sequence[pulumi.Resource] = ()
    # The proxy-only subnet and firewall rules the load balancer uses: destroyed only after the Gateway.
    network: Sequence[pulumi.Resource] = ()
    gate: Sequence[pulumi.Resource] = ()  # a migration's gate: a refused step changes no route
    rules: Sequence[RouteRule] = ()  # several models: a rule per model on its header; (): `backends` take all


class SingleClusterGateway(pulumi.ComponentResource):
    """The load balancer sends each request to the endpoint the pool's endpoint picker chooses. The
    health check and backend policy come from the inferencepool chart (provider gke), which targets each
    InferencePool by name (chart templates/gke.yaml), so this component adds no second policy on them."""

    def __init__(self, name: str, args: SingleClusterGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:gateway:SingleClusterGateway", name, None, opts)
        timeout = f"{args.programmed_timeout_minutes}m"
        self.gateway = k8s.apiextensions.CustomResource(
            f"{name}-gateway",
            api_version="gateway.networking.k8s.io/v1",
            kind="Gateway",
            # `kubectl wait --for=condition=Programmed`, as a readiness wait: Pulumi waits for the load balancer.
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.gateway_name,
                namespace=args.namespace,
                annotations={"pulumi.com/waitFor": "condition=Programmed"},
            ),
            spec={
                "gatewayClassName": args.class_name,
                "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*args.requires, *args.network],
                custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout, delete=timeout),
            ),
        )
        route_spec = {
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": args.gateway_name}],
            "rules": [r.spec() for r in args.rules] or [{"backendRefs": [b.ref() for b in args.backends]}],
        }
        self.route = k8s.apiextensions.CustomResource(
            f"{name}-route",
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.route_name, namespace=args.namespace),
            spec=route_spec,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*args.requires, *args.pools, *args.gate],
                custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout),
            ),
        )
        # The guides' "verify before the next step", on every create and every change of the route: the
        # Gateway accepted this generation of the route and resolved every pool it names.
        self.route_ready = RouteReadiness(
            f"{name}-route-ready",
            {
                "endpoint": args.endpoint,
                "caCertificate": args.ca_certificate or "",
                "namespace": args.namespace,
                "route": args.route_name,
                "gateways": [args.gateway_name],
                "specHash": spec_hash(route_spec),
                "timeoutSeconds": args.programmed_timeout_minutes * 60,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.route]),
        )
        self.name = args.gateway_name
        self.namespace = args.namespace
        self.register_outputs({"gateway": args.gateway_name, "namespace": args.namespace})
