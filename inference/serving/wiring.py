"""The model servers and InferencePools of every cluster, as the gateway modes serve them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from inference.configuration.platform import PlatformConfig
from inference.core.cluster import TPU_POOL, InferenceCluster, model_pool_name
from inference.core.facts import machines
from inference.core.network import HEALTH_CHECK_RANGES
from inference.core.weights_download import weights_dir
from inference.core.wiring import Platform, Weights
from inference.models.config import ServedModel
from inference.serving import facts
from inference.serving.inference_pool import EndpointPickerResources, InferencePool, InferencePoolArgs
from inference.serving.model_server import LoraAdapter, ModelServer, ModelServerArgs, SharedObjects, TpuServing
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
class ModelServing:
    """The servers and pool of one more model (of `models` after the first) in one region."""

    served: ServedModel
    region: str
    server: ModelServer
    pool: InferencePool | None


@dataclass(frozen=True)
class Serving:
    servers: dict[str, ModelServer]  # by region: the first (or only) model's
    pools: dict[str, InferencePool] = field(default_factory=dict)  # by region; empty without pools
    others: tuple[ModelServing, ...] = ()  # the other models', in every region
    policies: dict[str, ServingNetworkPolicies] = field(default_factory=dict)  # by region

    def model_pools(self, region: str) -> list[tuple[ServedModel | None, InferencePool]]:
        """Every pool of a region, the first model's first (None: take the first model from the config)."""
        first = [(None, self.pools[region])] if region in self.pools else []
        return first + [(o.served, o.pool) for o in self.others if o.region == region and o.pool]

    def all_pools(self) -> list[InferencePool]:
        return [*self.pools.values(), *(o.pool for o in self.others if o.pool)]

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


def _tpu(
    cfg: PlatformConfig,
    region: str,
    cluster: InferenceCluster,
    weights: Weights,
    served: ServedModel,
    ladder: Any = None,
) -> TpuServing | None:
    if not weights.download:
        return None
    location = cfg.bucket_locations()[region]
    store, own = weights.store, served.accelerator
    shape = own or cfg.accelerator
    return TpuServing(
        accelerator_label=machines.MACHINE_TYPES[shape.machine_type].tpu_accelerator,
        topology=shape.topology,
        chips=shape.chips,
        tensor_parallel_size=served.model.tensor_parallel_size,
        bucket=store.buckets[location].name,
        weights_dir=weights_dir(served.model.id, served.model.revision),
        model_revision=served.model.revision,
        reader_gsa=store.reader_email,
        reader_grants=store.reader_grants[location],
        # A shape of its own: its own pool, outside a capacity ladder (whose pools and ComputeClass the others take).
        tpu_pool=cluster.model_tpu_pools[served.key] if own else ladder or cluster.tpu_pool,
        compute_class=ladder.class_name if ladder and not own else None,
        node_pool=_node_pool(cfg, served, ladder),
        weights=weights.download.jobs[location],
        memory_limit=served.memory_limit or cfg.model_server.memory_limit,
    )


def _node_pool(cfg: PlatformConfig, served: ServedModel, ladder: Any) -> str | None:
    """The TPU pool a model's servers select by name: its own, or the stack's when a model's own pool has the
    stack's shape too (the accelerator and topology labels alone would match both). None: those labels suffice."""
    if served.accelerator:
        return model_pool_name(served.key)
    same = any(m.accelerator and m.accelerator.machine_type == cfg.accelerator.machine_type for m in cfg.models)
    return TPU_POOL if same and not ladder else None  # a ladder's pools are the class's: its selector suffices


def _named(kind: str, served: ServedModel, region: str) -> str:
    """A component's name: the first model keeps today's, the others add their key."""
    return f"{kind}-{served.key}-{region}" if served.key else f"{kind}-{region}"


def _server(
    cfg: PlatformConfig,
    region: str,
    cluster: InferenceCluster,
    weights: Weights,
    served: ServedModel,
    first: ModelServer | None = None,
    ladder: Any = None,
) -> ModelServer:
    """`first`: the first model's servers in the cluster, whose identity and claim template the others share;
    `ladder`: the cluster's capacity ladder, whose ComputeClass the TPU servers select."""
    ms = cfg.model_server
    tpu = _tpu(cfg, region, cluster, weights, served, ladder)
    return ModelServer(
        _named("model-server", served, region),
        ModelServerArgs(
            namespace=ms.namespace,
            # One Namespace resource per cluster: the first model's servers own it.
            create_namespace=ms.namespace != "default" and not served.key,
            name=served.server_name,
            labels={"app": served.app_label},
            service_account=ms.service_account,
            serving_port=cfg.serving_port,
            replicas=None if cfg.autoscaling else (served.replicas if served.replicas is not None else ms.replicas),
            model_id=served.model.id,
            served_name=served.model.served_name,
            max_model_len=ms.max_model_len,
            image=ms.image if tpu else ms.simulator_image,
            load_timeout_minutes=ms.load_timeout_minutes,
            system_pool=cluster.system_pool_name,
            system_nodes=cluster.system_pool,
            tpu=tpu,
            adapters=[LoraAdapter(a.name, a.source, a.revision) for a in served.adapters],
            max_lora_rank=served.max_lora_rank,
            shares=SharedObjects(first.service_account, first.claim_template) if first else None,
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
    )


def _pool(
    cfg: PlatformConfig,
    region: str,
    cluster: InferenceCluster,
    requires: Sequence[pulumi.Resource],
    options: PoolOptions,
    served: ServedModel,
    crd: pulumi.Resource | None,
) -> InferencePool:
    pool, ms = cfg.inference_pool, cfg.model_server
    epp = pool.endpoint_picker
    adapters = {a.objective: a.priority for a in served.adapters}
    return InferencePool(
        _named("inference-pool", served, region),
        InferencePoolArgs(
            namespace=ms.namespace,
            pool_name=served.pool_name,
            chart_version=pool.chart_version,
            match_labels={"app": served.app_label},
            serving_port=cfg.serving_port,
            objective_name=served.objective,
            priority=served.priority,
            metric_export_name=served.metric_export_name,
            epp_monitoring=cfg.observability.epp_metrics,
            endpoint_picker=EndpointPickerResources(epp.cpu_request, epp.memory_request, epp.memory_limit)
            if epp
            else None,
            requires=requires,
            nodes=[cluster.system_pool],
            fleet_features=options.fleet_features,
            export=options.export,
            kv_cache_metric=options.kv_cache_metric,
            objectives=options.objectives,
            adapter_objectives=adapters or None,
            objective_crd=crd,
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
            model_server_apps=[m.app_label for m in cfg.served_models] if len(cfg.served_models) > 1 else [],
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
    """Every model's servers in every cluster, their network policies, and the InferencePool over them (unless
    `options` says none)."""
    servers, pools, more, policies = {}, {}, [], {}
    for region, cluster in platform.clusters.items():
        first, *others = cfg.served_models
        ladder = platform.ladders.get(region)
        servers[region] = _server(cfg, region, cluster, weights, first, ladder=ladder)
        policies[region] = _policies(cfg, region, cluster, servers[region])
        requires = [servers[region].namespace_resource] if servers[region].namespace_resource else []
        if options.with_pools:
            pools[region] = _pool(cfg, region, cluster, requires, options, first, None)
        for served in others:
            server = _server(cfg, region, cluster, weights, served, servers[region], ladder)
            extra = ModelServing(served, region, server, None)
            if options.with_pools:
                crd = pools[region].objective_crd
                extra = ModelServing(
                    served, region, server, _pool(cfg, region, cluster, requires, options, served, crd)
                )
            more.append(extra)
    return Serving(servers, pools, tuple(more), policies)


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
