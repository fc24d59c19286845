"""Multi-cluster mode: every cluster in the fleet, a model server and an exported InferencePool in each, and
the one cross-region internal Gateway in the config cluster, balancing on the pools' KV-cache use."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from inference.common.images import CURL_IMAGE
from inference.configuration.platform import PlatformConfig
from inference.core.wiring import Platform, Weights
from inference.models import wiring as models
from inference.models.facts import MODEL_HEADER, OBJECTIVE_HEADER
from inference.multi_cluster import facts
from inference.multi_cluster.fleet import Fleet, FleetArgs, FleetMember
from inference.multi_cluster.gateway import HealthCheckArgs, ModelRoute, MultiClusterGateway, MultiClusterGatewayArgs
from inference.serving import wiring as serving
from inference.serving.wiring import PoolOptions, Served

# What only the multi-cluster Gateway uses: the fleet, multi-cluster services and ingress (facts.FEATURE_APIS;
# the core enables the Network Services API for every mode).
APIS = ("gkehub.googleapis.com", *facts.MCS_APIS, "multiclusteringress.googleapis.com")
PROXY_SUBNET_PURPOSE = facts.PROXY_SUBNET_PURPOSE
GATEWAY_ADDRESSES = True  # the Gateway listens on a reserved internal address in every region


def _fleet(cfg: PlatformConfig, platform: Platform) -> Fleet:
    apis = platform.apis
    return Fleet(
        "fleet",
        FleetArgs(
            project=cfg.project,
            members={r: FleetMember(cfg.names.membership(r), c.id) for r, c in platform.clusters.items()},
            config_region=cfg.config_region,
            manage_features=cfg.fleet.manage_features,
            labels=cfg.resource_labels,
            hub_apis=apis.of("gkehub.googleapis.com"),
            mcs_apis=apis.of(*facts.MCS_APIS),
            mci_apis=apis.of(*facts.MCI_APIS),
            iam_apis=apis.of("cloudresourcemanager.googleapis.com"),
            workload_pool=platform.config_cluster.workload_pool,
        ),
    )


def _gateway(cfg: PlatformConfig, platform: Platform, fleet: Fleet, pools: serving.Serving) -> MultiClusterGateway:
    gw, network = cfg.gateway, platform.network
    hc, balancing = gw.balancing.health_check, gw.balancing
    return MultiClusterGateway(
        "gateway",
        MultiClusterGatewayArgs(
            namespace=cfg.model_server.namespace,
            gateway_name=gw.name,
            route_name=gw.route_name,
            pool_name=cfg.inference_pool.name,
            serving_port=cfg.serving_port,
            addresses={r: a.name for r, a in network.gateway_addresses.items()},
            health_check=HealthCheckArgs(hc.interval_sec, hc.timeout_sec, hc.healthy_threshold, hc.unhealthy_threshold),
            metric_export_name=cfg.inference_pool.metric_export_name,
            max_utilization_percent=balancing.max_utilization_percent,
            dry_run=balancing.dry_run,
            timeout_sec=balancing.timeout_sec,
            programmed_timeout_minutes=gw.programmed_timeout_minutes,
            access_log_sample_rate=cfg.observability.access_log_sample_rate,
            exports=[p.export for p in pools.all_pools()],
            objectives=[o for p in pools.all_pools() for o in p.objectives],
            requires=[*pools.namespace(cfg.config_region), *fleet.features.values()],
            network=[
                *network.proxy_subnets.values(),
                network.firewalls["health-checks"],
                network.firewalls["proxies"],
            ],
            model_routes=_model_routes(cfg),
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": platform.config_cluster.provider}),
    )


def _model_routes(cfg: PlatformConfig) -> list[ModelRoute]:
    """Several models: a rule per model on the header the client sets (no routing extension on this class)."""
    if not models.several(cfg):  # one pool takes every request
        return []
    return [ModelRoute(MODEL_HEADER, m.served_names, m.pool_name, m.metric_export_name) for m in cfg.models]


def test_request(
    cfg: PlatformConfig, context: str, gateway_ip: str, model: str | None = None, objective: str | None = None
) -> str:
    """A chat completion from a throwaway pod in the same region as the address: the Gateway's addresses are
    internal, so the client has to be inside the VPC. `model`: one of several models, named in the header too
    (the route matches it, and nothing on this class reads the body); `objective`: the InferenceObjective it picks."""
    header = f"-H '{MODEL_HEADER}: {model}' " if model else ""
    header += f"-H '{OBJECTIVE_HEADER}: {objective}' " if objective else ""
    body = json.dumps(
        {
            "model": model or cfg.model.served_name,
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "max_tokens": 100,
        }
    )
    return (
        f"kubectl --context {context} -n {cfg.model_server.namespace} run curl-test --rm -i --restart=Never "
        f"--image={CURL_IMAGE} -- curl -s -X POST http://{gateway_ip}/v1/chat/completions "
        f"-H 'Content-Type: application/json' {header}-d '{body}'"
    )


def _header_model(cfg: PlatformConfig) -> str | None:
    """The model a region's test request names in the model header too: with several models the route matches the
    header (nothing on this class reads the body), so it names the first model's; None with one model."""
    return cfg.model.served_name if models.several(cfg) else None


def _outputs(cfg: PlatformConfig, platform: Platform, fleet: Fleet, gateway: MultiClusterGateway) -> dict[str, Any]:
    network, clusters, config_cluster = platform.network, platform.clusters, platform.config_cluster
    return {
        "gatewayAddresses": {r: a.address for r, a in network.gateway_addresses.items()},
        "memberships": {r: m.id for r, m in fleet.memberships.items()},
        "configMembership": fleet.config_membership.id,
        "gateway": {
            "name": gateway.name,
            "namespace": gateway.namespace,
            "cluster": config_cluster.cluster_name,
            "kubeContext": config_cluster.kube_context,
        },
        "failoverDetectionSeconds": cfg.gateway.balancing.health_check.detection_seconds,
        "testRequests": {
            region: network.gateway_addresses[region].address.apply(
                lambda ip, region=region: test_request(cfg, clusters[region].kube_context, ip, _header_model(cfg))
            )
            for region in clusters
        },
        **_model_requests(cfg, platform),
    }


def _model_requests(cfg: PlatformConfig, platform: Platform) -> dict[str, Any]:
    """Several models: a test request per model and adapter, from the config region, with the model header and
    the objective header."""
    if not models.several(cfg):
        return {}
    region, address = cfg.config_region, platform.network.gateway_addresses[cfg.config_region].address
    context = platform.clusters[region].kube_context
    return {
        "modelTestRequests": {
            name: address.apply(lambda ip, n=name, o=objective: test_request(cfg, context, ip, n, o))
            for name, objective in models.request_objectives(cfg).items()
        }
    }


def wire(cfg: PlatformConfig, platform: Platform, weights: Weights) -> Served:
    """The fleet, the exported pools of every cluster and the Gateway that imports them."""
    fleet = _fleet(cfg, platform)
    options = PoolOptions(export=True, kv_cache_metric=True, fleet_features=list(fleet.features.values()))
    pools = serving.build(cfg, platform, weights, options)
    gateway = _gateway(cfg, platform, fleet, pools)
    outputs = {**serving.outputs(cfg), **_outputs(cfg, platform, fleet, gateway)}
    return Served(pools, gateway.gateway, platform.config_cluster, cfg.config_region, outputs)
