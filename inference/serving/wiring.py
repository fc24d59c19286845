"""The model servers and InferencePools of every cluster, as the gateway modes serve them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from inference.configuration.platform import PlatformConfig
from inference.core.cluster import InferenceCluster
from inference.core.facts import machines
from inference.core.network import HEALTH_CHECK_RANGES
from inference.core.weights_download import weights_dir
from inference.core.wiring import Platform, Weights
from inference.serving import facts
from inference.serving.inference_pool import EndpointPickerResources, InferencePool, InferencePoolArgs
from inference.serving.model_server import ModelServer, ModelServerArgs, TpuServing
from inference.serving.network_policy import ServingNetworkPolicies, ServingNetworkPoliciesArgs


@dataclass(frozen=True)
class PoolOptions:
    """What a mode asks of the pools."""

    export: bool  # exported to the fleet: the multi-cluster Gateway imports it from every cluster
    kv_cache_metric: bool  # the KV-cache AutoscalingMetric the multi-cluster backend policy balances on
    fleet_features: Sequence[pulumi.Resource] = ()  # the export takes effect once these run
    objectives: Mapping[str, int] | None = None  # objective -> priority instead of inferencePool's one
    with_pools: bool = True  # False: model servers only (a migration's alpha phase keeps the alpha pool)


@dataclass(frozen=True)
class Serving:
    servers: dict[str, ModelServer]  # by region
    pools: dict[str, InferencePool] = field(default_factory=dict)  # by region; empty without pools
    policies: dict[str, ServingNetworkPolicies] = field(default_factory=dict)  # by region

    def namespace(self, region: str) -> list[pulumi.Resource]:
        """The serving namespace of a region's cluster, when the program creates it."""
        server = self.servers.get(region)
        return [server.namespace_resource] if server and server.namespace_resource else []


@dataclass(frozen=True)
class Served:
    """What a gateway mode serves: its model servers and pools, its Gateway (in `cluster`), its outputs."""

    serving: Serving
    gateway: pulumi.Resource
    cluster: InferenceCluster
    region: str
    outputs: dict[str, Any]


def _tpu(cfg: PlatformConfig, region: str, cluster: InferenceCluster, weights: Weights) -> TpuServing | None:
    if not weights.download:
        return None
    location = cfg.bucket_locations()[region]
    store = weights.store
    return TpuServing(
        accelerator_label=machines.MACHINE_TYPES[cfg.accelerator.machine_type].tpu_accelerator,
        topology=cfg.accelerator.topology,
        chips=cfg.accelerator.chips,
        tensor_parallel_size=cfg.model.tensor_parallel_size,
        bucket=store.buckets[location].name,
        weights_dir=weights_dir(cfg.model.id, cfg.model.revision),
        model_revision=cfg.model.revision,
        reader_gsa=store.reader_email,
        reader_grants=store.reader_grants[location],
        tpu_pool=cluster.tpu_pool,
        weights=weights.download.jobs[location],
    )


def _server(cfg: PlatformConfig, region: str, cluster: InferenceCluster, weights: Weights) -> ModelServer:
    ms = cfg.model_server
    tpu = _tpu(cfg, region, cluster, weights)
    return ModelServer(
        f"model-server-{region}",
        ModelServerArgs(
            namespace=ms.namespace,
            create_namespace=ms.namespace != "default",
            name=ms.name,
            labels=ms.labels,
            service_account=ms.service_account,
            serving_port=cfg.serving_port,
            replicas=None if cfg.autoscaling else ms.replicas,
            model_id=cfg.model.id,
            served_name=cfg.model.served_name,
            max_model_len=ms.max_model_len,
            image=ms.image if tpu else ms.simulator_image,
            load_timeout_minutes=ms.load_timeout_minutes,
            system_pool=cluster.system_pool_name,
            system_nodes=cluster.system_pool,
            tpu=tpu,
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
    )


def _pool(
    cfg: PlatformConfig, region: str, cluster: InferenceCluster, server: ModelServer, options: PoolOptions
) -> InferencePool:
    pool, ms = cfg.inference_pool, cfg.model_server
    epp = pool.endpoint_picker
    return InferencePool(
        f"inference-pool-{region}",
        InferencePoolArgs(
            namespace=ms.namespace,
            pool_name=pool.name,
            chart_version=pool.chart_version,
            match_labels=ms.labels,
            serving_port=cfg.serving_port,
            objective_name=pool.objective_name,
            priority=pool.priority,
            metric_export_name=pool.metric_export_name,
            epp_monitoring=cfg.observability.epp_metrics,
            endpoint_picker=EndpointPickerResources(epp.cpu_request, epp.memory_request, epp.memory_limit)
            if epp
            else None,
            requires=[server.namespace_resource] if server.namespace_resource else [],
            nodes=[cluster.system_pool],
            fleet_features=options.fleet_features,
            export=options.export,
            kv_cache_metric=options.kv_cache_metric,
            objectives=options.objectives,
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
    )


def _policies(cfg: PlatformConfig, region: str, cluster: InferenceCluster, server: ModelServer):
    """Only the Gateway's proxies (the VPC's proxy-only subnets), Google's health checkers, the pickers and
    Managed Prometheus reach the serving namespace's pods."""
    ms = cfg.model_server
    return ServingNetworkPolicies(
        f"network-policies-{region}",
        ServingNetworkPoliciesArgs(
            namespace=ms.namespace,
            serving_port=cfg.serving_port,
            model_server_labels=ms.labels,
            picker_label_keys=[facts.PICKER_LABEL_KEY],
            picker_ports=facts.PICKER_PORTS,
            picker_metrics_port=facts.PICKER_METRICS_PORT,
            gateway_ranges=[r.proxy_cidr for r in cfg.regions],
            health_check_ranges=HEALTH_CHECK_RANGES,
            scraper_namespaces=[facts.GMP_NAMESPACE],
            requires=[server.namespace_resource] if server.namespace_resource else [],
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
    )


def build(cfg: PlatformConfig, platform: Platform, weights: Weights, options: PoolOptions) -> Serving:
    """A model server in every cluster, its network policies, and the InferencePool over it (unless `options` says
    none)."""
    servers, pools, policies = {}, {}, {}
    for region, cluster in platform.clusters.items():
        servers[region] = _server(cfg, region, cluster, weights)
        policies[region] = _policies(cfg, region, cluster, servers[region])
        if options.with_pools:
            pools[region] = _pool(cfg, region, cluster, servers[region], options)
    return Serving(servers, pools, policies)


def outputs(cfg: PlatformConfig) -> dict[str, Any]:
    ms = cfg.model_server
    return {
        "modelServer": {
            "backend": ms.backend,
            "namespace": ms.namespace,
            "deployment": ms.name,
            "service": f"{ms.name}-service",
            "servedModel": cfg.model.served_name,
        },
        "inferencePool": cfg.inference_pool.name,
    }
