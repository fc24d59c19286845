"""MultiClusterGateway: the one cross-region internal Gateway in the config cluster, its route to the
pool imported from every cluster, the health check and the KV-cache-aware backend policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_kubernetes as k8s

from inference.multi_cluster.facts import GATEWAY_CLASS

POOL_IMPORT = {"group": "networking.gke.io", "kind": "GCPInferencePoolImport"}


@dataclass(frozen=True)
class HealthCheckArgs:
    interval_sec: int
    timeout_sec: int
    healthy_threshold: int
    unhealthy_threshold: int


@dataclass(frozen=True)
class ModelRoute:
    """Several models: requests whose `header` names one of `models` go to the pool imported as `pool_name`, whose
    KV-cache metric export is `metric_export_name` (its backend policy balances on it)."""

    header: str
    models: Sequence[str]
    pool_name: str
    metric_export_name: str


@dataclass(frozen=True)
class MultiClusterGatewayArgs:
    namespace: str
    gateway_name: str
    route_name: str
    pool_name: str
    serving_port: int
    addresses: Mapping[str, pulumi.Input[str]]  # region -> name of its reserved internal address
    health_check: HealthCheckArgs
    metric_export_name: str
    max_utilization_percent: int
    dry_run: bool
    timeout_sec: int
    programmed_timeout_minutes: int
    # HTTP access logs of the load balancer's backend, a sample of `n` in 1,000,000 requests; None: off.
    access_log_sample_rate: int | None
    exports: Sequence[pulumi.Resource]  # every cluster's pool export: the import exists only after them
    # Every cluster's InferenceObjectives: no request reaches a pool before the priorities its picker reads.
    objectives: Sequence[pulumi.Resource] = ()
    # The namespace, and the multi-cluster features: the Gateway class exists only once MCI is on, and
    # on destroy the Gateway must go before the features that clean up after it.
    requires: Sequence[pulumi.Resource] = ()
    # What the load balancer uses in the VPC: the proxy-only subnets its Envoy proxies run in and the
    # firewall rules its proxies and health checks pass. Compute refuses to delete a proxy-only subnet
    # while a load balancer uses it, so destroy must remove the Gateway (whose deletion waits for the
    # controller's finalizer to tear the load balancer down) before these.
    network: Sequence[pulumi.Resource] = ()
    # Several models: a rule per model (the first is `pool_name`'s); the other pools get their own policies.
    model_routes: Sequence[ModelRoute] = ()


def route_rules(args: MultiClusterGatewayArgs) -> list[dict]:
    """One rule to the imported pool, or, with several models, a rule per model on its header."""
    if not args.model_routes:
        return [{"backendRefs": [{**POOL_IMPORT, "name": args.pool_name, "port": args.serving_port}]}]
    return [
        {
            "matches": [{"headers": [{"type": "Exact", "name": r.header, "value": m}]} for m in r.models],
            "backendRefs": [{**POOL_IMPORT, "name": r.pool_name, "port": args.serving_port}],
        }
        for r in args.model_routes
    ]


def health_check_spec(args: MultiClusterGatewayArgs) -> dict:
    """The load balancer's HTTP check of every imported backend on the serving port's /health."""
    hc = args.health_check
    return {
        "targetRef": {**POOL_IMPORT, "name": args.pool_name},
        "default": {
            "checkIntervalSec": hc.interval_sec,
            "timeoutSec": hc.timeout_sec,
            "healthyThreshold": hc.healthy_threshold,
            "unhealthyThreshold": hc.unhealthy_threshold,
            "config": {"type": "HTTP", "httpHealthCheck": {"requestPath": "/health", "port": args.serving_port}},
        },
    }


def backend_policy_spec(args: MultiClusterGatewayArgs) -> dict:
    """Balancing on the pools' KV-cache use (the AutoscalingMetric export), and the access logs."""
    return {
        "targetRef": {**POOL_IMPORT, "name": args.pool_name},
        "default": {
            "timeoutSec": args.timeout_sec,
            # Logging sits on this policy: in the multi-cluster topology it is the one that targets the pool
            # the load balancer's backend is built from (the import), and the chart's own policy on each
            # cluster's InferencePool is a different target, so the two never conflict.
            **(
                {"logging": {"enabled": True, "sampleRate": args.access_log_sample_rate}}
                if args.access_log_sample_rate is not None
                else {}
            ),
            "balancingMode": "CUSTOM_METRICS",
            "trafficDuration": "LONG",
            "customMetrics": [
                {
                    "name": f"gke.named_metrics.{args.metric_export_name}",
                    "dryRun": args.dry_run,
                    "maxUtilizationPercent": args.max_utilization_percent,
                }
            ],
        },
    }


class MultiClusterGateway(pulumi.ComponentResource):
    """Listens on one internal address per region; the load balancer sends each request to the
    healthiest pool with KV-cache headroom, preferring the caller's region, and fails over to the
    other regions when a region's backends fail their health checks."""

    def __init__(self, name: str, args: MultiClusterGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:gateway:MultiClusterGateway", name, None, opts)
        requires = list(args.requires)
        timeout = f"{args.programmed_timeout_minutes}m"
        self.gateway = k8s.apiextensions.CustomResource(
            f"{name}-gateway",
            api_version="gateway.networking.k8s.io/v1",
            kind="Gateway",
            # Pulumi waits until GKE has programmed the load balancer in every region.
            metadata=self._meta(args, args.gateway_name, annotations={"pulumi.com/waitFor": "condition=Programmed"}),
            spec={
                "gatewayClassName": GATEWAY_CLASS,
                "addresses": [
                    {
                        "type": "networking.gke.io/named-address-with-region",
                        "value": pulumi.Output.concat("regions/", region, "/addresses/", address),
                    }
                    for region, address in args.addresses.items()
                ],
                "listeners": [{"name": "http", "protocol": "HTTP", "port": 80}],
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*requires, *args.network],
                # Deleting waits for the controller's finalizer to tear the load balancer down.
                custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout, delete=timeout),
            ),
        )
        self.route = k8s.apiextensions.CustomResource(
            f"{name}-route",
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata=self._meta(args, args.route_name),
            spec={
                "parentRefs": [{"name": args.gateway_name, "kind": "Gateway"}],
                "rules": route_rules(args),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*requires, *args.exports, *args.objectives]),
        )
        self.health_check = self._policy(name, "health-check", "HealthCheckPolicy", args, health_check_spec(args))
        self.backend_policy = self._policy(name, "backend-policy", "GCPBackendPolicy", args, backend_policy_spec(args))
        self.more_policies = []
        for route in args.model_routes[1:]:  # the other models' imported pools: the same two policies each
            of = replace(args, pool_name=route.pool_name, metric_export_name=route.metric_export_name)
            self.more_policies += [
                self._policy(
                    f"{name}-{route.pool_name}", "health-check", "HealthCheckPolicy", of, health_check_spec(of)
                ),
                self._policy(
                    f"{name}-{route.pool_name}", "backend-policy", "GCPBackendPolicy", of, backend_policy_spec(of)
                ),
            ]
        self.name = args.gateway_name
        self.namespace = args.namespace
        self.register_outputs({"gateway": args.gateway_name, "namespace": args.namespace})

    @staticmethod
    def _meta(args: MultiClusterGatewayArgs, name: str, **kw) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace, **kw)

    def _policy(
        self, name: str, what: str, kind: str, args: MultiClusterGatewayArgs, spec: dict
    ) -> k8s.apiextensions.CustomResource:
        """A networking.gke.io policy on the imported pool, named `<pool>-<what>`; made once every cluster
        exported its pool, like the route."""
        return k8s.apiextensions.CustomResource(
            f"{name}-{what}",
            api_version="networking.gke.io/v1",
            kind=kind,
            metadata=self._meta(args, f"{args.pool_name}-{what}"),
            spec=spec,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.requires, *args.exports]),
        )
