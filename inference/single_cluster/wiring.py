"""Single-cluster mode: a regional Gateway in the one cluster, its route straight to the InferencePool, or to
the pools a migration's phase names (inference/migration/)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi

from inference.configuration.platform import PlatformConfig
from inference.core.cluster import InferenceCluster
from inference.core.wiring import Platform, Weights
from inference.models import wiring as models
from inference.models.config import ServedModel
from inference.models.facts import HEADER, MODEL_HEADER
from inference.serving import wiring as serving
from inference.serving.wiring import PoolOptions, Served, Serving
from inference.single_cluster import facts, requests
from inference.single_cluster.gateway import RouteBackend, RouteRule, SingleClusterGateway, SingleClusterGatewayArgs

APIS: tuple[str, ...] = ()  # nothing beyond the core's
PROXY_SUBNET_PURPOSE = facts.PROXY_SUBNET_PURPOSE
GATEWAY_ADDRESSES = False  # the Gateway takes an address of its own


@dataclass(frozen=True)
class Route:
    """The route's backends, what it waits for, and what it adds to the stack's outputs."""

    backends: Sequence[RouteBackend]
    # The pools it names and their objectives (InferencePool.routable): it never routes to a missing one.
    pools: Sequence[pulumi.Resource]
    gate: Sequence[pulumi.Resource] = ()  # a refused migration step changes no route
    outputs: Mapping[str, Any] = field(default_factory=dict)
    rules: Sequence[RouteRule] = ()  # several models: a rule per model on the model header


class Routing(Protocol):
    """How the route is made: straight to the pool (`Direct`), or by a migration's phase."""

    with_pools: bool  # whether the v1 InferencePool exists
    objectives: Mapping[str, int] | None  # the pool's objectives, when not inferencePool's one

    def route(self, cfg: PlatformConfig, cluster: InferenceCluster, serving: Serving, region: str) -> Route: ...


@dataclass(frozen=True)
class Direct:
    with_pools: bool = True
    objectives: Mapping[str, int] | None = None

    def route(self, cfg: PlatformConfig, cluster: InferenceCluster, serving: Serving, region: str) -> Route:
        if not models.several(cfg):  # one pool takes every request
            return Route([RouteBackend(cfg.inference_pool.name)], serving.pools[region].routable())
        pools = serving.model_pools(region)
        return Route(
            [RouteBackend(cfg.inference_pool.name)],
            [r for _, pool in pools for r in pool.routable()],
            rules=model_rules(cfg, pools),
        )


def model_rules(cfg: PlatformConfig, pools: Sequence[tuple[ServedModel | None, Any]]) -> list[RouteRule]:
    """A rule per model: the names its requests may send (the base model's, its adapters') to its pool."""
    first = cfg.served_models[0]
    return [
        RouteRule(MODEL_HEADER, (served or first).served_names, RouteBackend((served or first).pool_name))
        for served, _ in pools
    ]


def _gateway(
    cfg: PlatformConfig, platform: Platform, region: str, serving: Serving, route: Route, extra: Sequence = ()
) -> SingleClusterGateway:
    """`extra`: what the route waits for beside its pools (the body router that sets the header it matches)."""
    gw, network, cluster = cfg.gateway, platform.network, platform.clusters[region]
    return SingleClusterGateway(
        "gateway",
        SingleClusterGatewayArgs(
            namespace=cfg.model_server.namespace,
            gateway_name=gw.name,
            route_name=gw.route_name,
            class_name=gw.class_name,
            backends=route.backends,
            programmed_timeout_minutes=gw.programmed_timeout_minutes,
            endpoint=cluster.api_endpoint,
            ca_certificate=cluster.api_ca_certificate,
            requires=serving.namespace(region),
            pools=[*route.pools, *extra],
            gate=route.gate,
            rules=route.rules,
            network=[network.proxy_subnets[region], network.firewalls["health-checks"], network.firewalls["proxies"]],
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
    )


def _model_requests(cfg: PlatformConfig, cluster: InferenceCluster) -> dict[str, Any]:
    """Several models: a test request naming each model and adapter, with its objective (and the model header, when
    the client sets it)."""
    if not models.several(cfg):
        return {}
    gw = cfg.gateway
    header = MODEL_HEADER if cfg.model_routing == HEADER else None
    requests_ = {
        name: requests.test_request(
            context=cluster.kube_context,
            namespace=cfg.model_server.namespace,
            gateway=gw.name,
            class_name=gw.class_name,
            served_model=name,
            model_header=header,
            objective=objective,
        )
        for name, objective in models.request_objectives(cfg).items()
    }
    return {"modelTestRequests": requests_}


def wire(cfg: PlatformConfig, platform: Platform, weights: Weights, routing: Routing | None = None) -> Served:
    """The model server and pool of the one cluster, and the Gateway and route in front of them."""
    routing = routing or Direct()
    ((region, cluster),) = platform.clusters.items()
    options = PoolOptions(
        export=False, kv_cache_metric=False, objectives=routing.objectives, with_pools=routing.with_pools
    )
    plane = serving.build(cfg, platform, weights, options)
    route = routing.route(cfg, cluster, plane, region)
    router = models.body_router(cfg, cluster, plane.namespace(region))
    gateway = _gateway(cfg, platform, region, plane, route, [router.chart] if router else [])
    gw = cfg.gateway
    request = requests.test_request(
        context=cluster.kube_context,
        namespace=cfg.model_server.namespace,
        gateway=gw.name,
        class_name=gw.class_name,
        served_model=cfg.model.served_name,
        model_header=MODEL_HEADER if cfg.model_routing == HEADER else None,  # the route matches it (docs/models.md)
    )
    outputs = {
        **serving.outputs(cfg),
        "gateway": {
            "name": gateway.name,
            "namespace": gateway.namespace,
            "class": gw.class_name,
            "cluster": cluster.cluster_name,
            "kubeContext": cluster.kube_context,
        },
        "testRequests": {region: request},
        **route.outputs,
        **_model_requests(cfg, cluster),
    }
    return Served(plane, gateway.gateway, cluster, region, outputs)
