"""Composition: builds every component for every region from one validated config and wires them.

This is the only module that knows how components connect; each component sees just its typed args.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.apigee_organization import ApigeeOrganization, ApigeeOrganizationArgs, ApigeePeering
from components.apis import ProjectApis, ProjectApisArgs
from components.autoscaling import AdapterAccess, AdapterAccessArgs, PoolAutoscaling, PoolAutoscalingArgs
from components.cluster import TPU_POOL, InferenceCluster, InferenceClusterArgs, TpuPool
from components.fleet import Fleet, FleetArgs, FleetMember
from components.gateway import HealthCheckArgs, MultiClusterGateway, MultiClusterGatewayArgs
from components.guard import (
    ApigeeArgs,
    ApigeeLocation,
    GatewayGuard,
    GatewayGuardArgs,
    ModelArmorArgs,
    ServiceExtensionsAccess,
    ServiceExtensionsAccessArgs,
)
from components.inference_pool import EndpointPickerResources, InferencePool, InferencePoolArgs
from components.istio import IstioInferenceGateway, IstioInferenceGatewayArgs
from components.istio import test_request as istio_test_request
from components.legacy_inference_pool import ALPHA_GROUP, LegacyInferencePool, LegacyInferencePoolArgs, LegacyModel
from components.migration_gate import MigrationGate
from components.model_server import ModelServer, ModelServerArgs, TpuServing
from components.model_store import ModelStore, ModelStoreArgs
from components.network import Network, NetworkArgs, SubnetRanges
from components.node_identity import NodeIdentity, NodeIdentityArgs
from components.observability import Observability, ObservabilityArgs, alert_rules
from components.single_cluster_gateway import RouteBackend, SingleClusterGateway, SingleClusterGatewayArgs
from components.weights_download import DownloadTarget, WeightsDownload, WeightsDownloadArgs, weights_dir
from stacks import facts
from stacks.config import PlatformConfig, guards
from stacks.config.gateway_mode import ISTIO, MULTI_CLUSTER
from stacks.config.istio import ExistingClusterConfig, Istio

CURL_IMAGE = "curlimages/curl:8.11.1"
GATEWAY_PORT = 80  # the single-cluster Gateway's HTTP listener (components/single_cluster_gateway.py)

APIS = (
    "compute.googleapis.com",
    "container.googleapis.com",
    "storage.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "gkehub.googleapis.com",
    "multiclusterservicediscovery.googleapis.com",
    "multiclusteringress.googleapis.com",
    "trafficdirector.googleapis.com",
    "networkservices.googleapis.com",
    "autoscaling.googleapis.com",
    "monitoring.googleapis.com",
    "logging.googleapis.com",
)
# What only the multi-cluster Gateway uses: the fleet, multi-cluster services and ingress.
MULTI_CLUSTER_APIS = (
    "gkehub.googleapis.com",
    "multiclusterservicediscovery.googleapis.com",
    "multiclusteringress.googleapis.com",
    "trafficdirector.googleapis.com",
)
# Only where weights are downloaded (the vllm-tpu backend): the Cloud Run job and the token's secret.
DOWNLOAD_APIS = ("run.googleapis.com", "secretmanager.googleapis.com")
# Image streaming (on the TPU pools by default, and required by a secondary boot disk's image cache) runs on
# the Container File System API (https://cloud.google.com/kubernetes-engine/docs/how-to/image-streaming#requirements).
IMAGE_STREAMING_APIS = ("containerfilesystem.googleapis.com",)


def build(cfg: PlatformConfig | ExistingClusterConfig) -> dict[str, Any]:
    """Creates the platform and returns the stack outputs."""
    if isinstance(cfg, ExistingClusterConfig):
        return _existing_cluster(cfg)
    # First of all: a migration step the runbook does not allow fails the preview before anything changes.
    gate = _migration_gate(cfg)
    names = cfg.names
    labels = {**cfg.labels, "stack": cfg.stack, "managed-by": "pulumi"}
    multi_cluster = cfg.gateway.mode == MULTI_CLUSTER
    services = tuple(s for s in APIS if multi_cluster or s not in MULTI_CLUSTER_APIS)
    apis = ProjectApis(
        "apis",
        ProjectApisArgs(
            project=cfg.project,
            services=services
            + (("cloudkms.googleapis.com",) if cfg.secrets_encryption_keys else ())
            + (DOWNLOAD_APIS if cfg.download_regions else ())
            + (IMAGE_STREAMING_APIS if _image_streaming(cfg) else ())
            + guard_apis(cfg),
            service_agents=("container.googleapis.com",) if cfg.secrets_encryption_keys else (),
        ),
    )

    network = Network(
        "network",
        NetworkArgs(
            project=cfg.project,
            network_name=names.network,
            mtu=cfg.mtu,
            regions={
                r.name: SubnetRanges(
                    node_subnet=names.node_subnet(r.name),
                    proxy_subnet=names.proxy_subnet(r.name),
                    gateway_address=names.gateway_address(r.name) if multi_cluster else None,
                    node_cidr=r.node_cidr,
                    proxy_cidr=r.proxy_cidr,
                    pod_cidr=r.pod_cidr,
                    service_cidr=r.service_cidr,
                )
                for r in cfg.regions
            },
            firewall_names={p: names.firewall(p) for p in ("internal", "health-checks", "proxies")},
            serving_port=cfg.serving_port,
            nat=cfg.private_nodes.enabled,
            # Istio's Gateway uses no Google load-balancer proxy; its subnets stay as multi-cluster mode makes them.
            proxy_purpose=facts.PROXY_SUBNET_PURPOSE.get(cfg.gateway.class_name, "GLOBAL_MANAGED_PROXY"),
            labels=labels,
            depends_on=apis.of("compute.googleapis.com"),
        ),
    )

    node_identity = NodeIdentity(
        "nodes",
        NodeIdentityArgs(
            project=cfg.project,
            account_id=names.service_account("node"),
            depends_on=apis.of("iam.googleapis.com", "cloudresourcemanager.googleapis.com"),
        ),
    )

    accel = cfg.accelerator
    tpu = (
        TpuPool(
            accel.machine_type,
            accel.nodes_per_pool,
            accel.max_nodes,
            accel.spot,
            accel.reservation,
            accel.image_cache_disk_image,
            accel.image_streaming,
        )
        if accel
        else None
    )
    clusters: dict[str, InferenceCluster] = {}
    for r in cfg.regions:
        clusters[r.name] = InferenceCluster(
            f"cluster-{r.name}",
            InferenceClusterArgs(
                project=cfg.project,
                cluster_name=names.cluster(r.name),
                zone=r.zone,
                kube_context=cfg.kube_context(r),
                network=network.vpc.id,
                subnetwork=network.node_subnets[r.name].id,
                release_channel=cfg.release_channel,
                protect=cfg.production,
                min_version=cfg.gke_version,
                deletion_protection=cfg.deletion_protection,
                node_service_account=node_identity.email,
                system_machine_type=cfg.system_pool.machine_type,
                system_node_count=cfg.system_pool.node_count,
                system_disk_size_gb=cfg.system_pool.disk_size_gb,
                tpu=tpu,
                pod_range_name="pods" if r.pod_cidr else None,
                service_range_name="services" if r.service_cidr else None,
                private_nodes=cfg.private_nodes.enabled,
                master_authorized_networks=cfg.private_nodes.master_authorized_networks,
                secrets_key=cfg.secrets_encryption_keys.get(r.name),
                gke_service_agent=apis.agents["container.googleapis.com"].member
                if cfg.secrets_encryption_keys
                else None,
                labels=labels,
                depends_on=[
                    *apis.of(
                        "container.googleapis.com",
                        "compute.googleapis.com",
                        "monitoring.googleapis.com",
                        "logging.googleapis.com",
                        "autoscaling.googleapis.com",
                        *(IMAGE_STREAMING_APIS if _image_streaming(cfg) else ()),
                    ),
                    network.leftover_sweeper,  # so destroy sweeps after the clusters are gone
                ],
            ),
        )
    config_cluster = clusters[cfg.config_region]
    if cfg.gateway.mode == ISTIO:
        return _istio_on_gke(cfg, network, node_identity, clusters)

    bucket_locations = cfg.bucket_locations()  # region -> location of the bucket serving it
    store = ModelStore(
        "weights",
        ModelStoreArgs(
            project=cfg.project,
            bucket_stems={loc: names.bucket_stem(loc) for loc in dict.fromkeys(bucket_locations.values())},
            reader_account_id=names.service_account("fuse"),
            writer_account_id=names.service_account("dl") if cfg.download_regions else None,
            workload_pool=config_cluster.workload_pool,
            namespace=cfg.model_server.namespace,
            reader_ksa=cfg.model_server.service_account if cfg.model_server.backend == "vllm-tpu" else None,
            compilation_cache=cfg.model_server.backend == "vllm-tpu",
            force_destroy=cfg.model_store.force_destroy,
            protect=cfg.model_store.protect,
            retain_on_delete=cfg.production,
            labels=labels,
            depends_on=apis.of("storage.googleapis.com", "iam.googleapis.com"),
        ),
    )

    download = _download(cfg, store, apis, labels) if cfg.download_regions else None

    fleet = None
    if multi_cluster:
        fleet = Fleet(
            "fleet",
            FleetArgs(
                project=cfg.project,
                members={r: FleetMember(names.membership(r), c.id) for r, c in clusters.items()},
                config_region=cfg.config_region,
                manage_features=cfg.fleet.manage_features,
                labels=labels,
                hub_apis=apis.of("gkehub.googleapis.com"),
                mcs_apis=apis.of("multiclusterservicediscovery.googleapis.com", "trafficdirector.googleapis.com"),
                mci_apis=apis.of("multiclusteringress.googleapis.com", "networkservices.googleapis.com"),
                iam_apis=apis.of("cloudresourcemanager.googleapis.com"),
                workload_pool=config_cluster.workload_pool,
            ),
        )

    serving = _serving(cfg, clusters, store, download, fleet, network, gate)
    gateway = serving.pop("gateway_resource")
    servers = serving.pop("servers")
    operations = _operations(cfg, clusters, servers, serving.pop("pools"), apis)
    namespace = _namespace(servers[cfg.config_region]) if cfg.config_region in servers else []
    guarded = _guards(cfg, apis, config_cluster, gateway, network, list(clusters), namespace)
    fleet_outputs = (
        {
            "gatewayAddresses": {r: a.address for r, a in network.gateway_addresses.items()},
            "memberships": {r: m.id for r, m in fleet.memberships.items()},
            "configMembership": fleet.config_membership.id,
        }
        if fleet
        else {}
    )

    return {
        "network": network.vpc.name,
        "subnets": {
            r: {"node": network.node_subnets[r].name, "proxy": network.proxy_subnets[r].name} for r in clusters
        },
        "buckets": {r: store.bucket_names[loc] for r, loc in bucket_locations.items()},
        "fuseServiceAccount": store.reader_email,
        **({"downloaderServiceAccount": store.writer_email} if download else {}),
        "nodeServiceAccount": node_identity.email,
        "clusters": {r: {"name": c.cluster_name, "location": c.location} for r, c in clusters.items()},
        "kubeContexts": {r: c.kube_context for r, c in clusters.items()},
        **fleet_outputs,
        **serving,
        **operations,
        **guarded,
    }


def _download(cfg: PlatformConfig, store: ModelStore, apis: ProjectApis, labels: dict[str, str]) -> WeightsDownload:
    """One Cloud Run job per bucket, run by `pulumi up` as soon as the bucket and the job's grants exist:
    it needs no cluster, so the download overlaps the clusters' creation."""
    ms = cfg.model_server
    return WeightsDownload(
        "weights-download",
        WeightsDownloadArgs(
            project=cfg.project,
            secret_id=cfg.names.hf_token_secret,
            hf_token=cfg.hf_token,
            writer_email=store.writer.email,
            writer_member=store.writer.member,
            model_id=cfg.model.id,
            revision=cfg.model.revision,
            attempt=cfg.model_store.download_attempt,
            image=ms.downloader_image,
            timeout_minutes=ms.download_timeout_minutes,
            targets={
                location: DownloadTarget(
                    job_name=cfg.names.download_job(location),
                    region=region,
                    bucket=store.buckets[location].name,
                    writer_grants=store.writer_grants[location],
                )
                for location, region in cfg.download_regions.items()
            },
            labels=labels,
            depends_on=apis.of(*DOWNLOAD_APIS),
        ),
    )


def _serving(
    cfg: PlatformConfig,
    clusters: dict[str, InferenceCluster],
    store: ModelStore,
    download: WeightsDownload | None,
    fleet: Fleet | None,
    network: Network,
    gate: MigrationGate | None,
) -> dict[str, Any]:
    """Model servers and pools in every cluster, the Gateway in the config cluster (codelab § 5-8)."""
    ms, pool_cfg, gw, migration = cfg.model_server, cfg.inference_pool, cfg.gateway, cfg.migration
    bucket_of = cfg.bucket_locations()
    features = list(fleet.features.values()) if fleet else []

    servers: dict[str, ModelServer] = {}
    pools: dict[str, InferencePool] = {}
    for region in clusters:
        cluster = clusters[region]
        on_cluster = pulumi.ResourceOptions(providers={"kubernetes": cluster.provider})
        tpu = None
        if download:
            tpu = TpuServing(
                accelerator_label="tpu-v6e-slice",
                topology=cfg.accelerator.topology,
                chips=cfg.accelerator.chips,
                tensor_parallel_size=cfg.model.tensor_parallel_size,
                bucket=store.buckets[bucket_of[region]].name,
                weights_dir=weights_dir(cfg.model.id, cfg.model.revision),
                model_revision=cfg.model.revision,
                reader_gsa=store.reader_email,
                reader_grants=store.reader_grants[bucket_of[region]],
                tpu_pool=cluster.tpu_pool,
                weights=download.jobs[bucket_of[region]],
            )
        servers[region] = ModelServer(
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
            opts=on_cluster,
        )
        if migration and not migration.v1_present:
            continue  # the alpha phase: the legacy pool alone
        pools[region] = InferencePool(
            f"inference-pool-{region}",
            InferencePoolArgs(
                namespace=ms.namespace,
                pool_name=pool_cfg.name,
                chart_version=pool_cfg.chart_version,
                match_labels=ms.labels,
                serving_port=cfg.serving_port,
                objective_name=pool_cfg.objective_name,
                priority=pool_cfg.priority,
                metric_export_name=pool_cfg.metric_export_name,
                epp_monitoring=cfg.observability.epp_metrics,
                endpoint_picker=EndpointPickerResources(epp.cpu_request, epp.memory_request, epp.memory_limit)
                if (epp := pool_cfg.endpoint_picker)
                else None,
                requires=_namespace(servers[region]),
                nodes=[cluster.system_pool],
                fleet_features=features,
                export=fleet is not None,
                kv_cache_metric=fleet is not None,
                objectives={m.name: m.priority for m in migration.models} if migration else None,
            ),
            opts=on_cluster,
        )
    common = {
        "servers": servers,
        "pools": pools,
        "modelServer": {
            "backend": ms.backend,
            "namespace": ms.namespace,
            "deployment": ms.name,
            "service": f"{ms.name}-service",
            "servedModel": cfg.model.served_name,
        },
        "inferencePool": pool_cfg.name,
    }
    if fleet is None:
        return {**common, **_single_cluster_gateway(cfg, clusters, servers, pools, network, gate)}

    config_cluster = clusters[cfg.config_region]
    hc = gw.health_check
    gateway = MultiClusterGateway(
        "gateway",
        MultiClusterGatewayArgs(
            namespace=ms.namespace,
            gateway_name=gw.name,
            route_name=gw.route_name,
            pool_name=pool_cfg.name,
            serving_port=cfg.serving_port,
            addresses={r: a.name for r, a in network.gateway_addresses.items()},
            health_check=HealthCheckArgs(hc.interval_sec, hc.timeout_sec, hc.healthy_threshold, hc.unhealthy_threshold),
            metric_export_name=pool_cfg.metric_export_name,
            max_utilization_percent=gw.max_utilization_percent,
            dry_run=gw.dry_run,
            timeout_sec=gw.timeout_sec,
            programmed_timeout_minutes=gw.programmed_timeout_minutes,
            access_log_sample_rate=cfg.observability.access_log_sample_rate,
            exports=[p.export for p in pools.values()],
            requires=[*_namespace(servers[cfg.config_region]), *features],
            network=[
                *network.proxy_subnets.values(),
                network.firewalls["health-checks"],
                network.firewalls["proxies"],
            ],
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": config_cluster.provider}),
    )
    return {
        **common,
        "gateway_resource": gateway.gateway,
        "gateway": {
            "name": gateway.name,
            "namespace": gateway.namespace,
            "cluster": config_cluster.cluster_name,
            "kubeContext": config_cluster.kube_context,
        },
        "failoverDetectionSeconds": hc.detection_seconds,
        "testRequests": {
            region: network.gateway_addresses[region].address.apply(
                lambda ip, region=region: test_request(cfg, clusters[region].kube_context, ip)
            )
            for region in clusters
        },
    }


def _single_cluster_gateway(
    cfg: PlatformConfig,
    clusters: dict[str, InferenceCluster],
    servers: dict[str, ModelServer],
    pools: dict[str, InferencePool],
    network: Network,
    gate: MigrationGate | None,
) -> dict[str, Any]:
    """Seeds 000/001: a regional Gateway in the one cluster, its route straight to the InferencePool."""
    ((region, cluster),) = clusters.items()
    gw, ns = cfg.gateway, cfg.model_server.namespace
    if cfg.migration:
        backends, route_pools, migration_outputs = _migration(cfg, cluster, servers[region], pools.get(region))
    else:
        backends, route_pools, migration_outputs = [RouteBackend(cfg.inference_pool.name)], [pools[region].chart], {}
    gateway = SingleClusterGateway(
        "gateway",
        SingleClusterGatewayArgs(
            namespace=ns,
            gateway_name=gw.name,
            route_name=gw.route_name,
            class_name=gw.class_name,
            backends=backends,
            programmed_timeout_minutes=gw.programmed_timeout_minutes,
            endpoint=cluster.cluster.endpoint,
            ca_certificate=cluster.cluster.master_auth.cluster_ca_certificate,
            requires=_namespace(servers[region]),
            pools=route_pools,
            gate=[gate] if gate else [],
            network=[network.proxy_subnets[region], network.firewalls["health-checks"], network.firewalls["proxies"]],
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
    )
    return {
        "gateway_resource": gateway.gateway,
        "gateway": {
            "name": gateway.name,
            "namespace": gateway.namespace,
            "class": gw.class_name,
            "cluster": cluster.cluster_name,
            "kubeContext": cluster.kube_context,
        },
        "testRequests": {region: single_cluster_test_request(cfg, cluster.kube_context)},
        **migration_outputs,
    }


def _migration_gate(cfg: PlatformConfig) -> MigrationGate | None:
    mig = cfg.migration
    if mig is None:
        return None
    return MigrationGate("migration-gate", mig.phase, mig.path, mig.alpha_weight, mig.v1_weight, mig.legacy_managed)


def _migration(
    cfg: PlatformConfig, cluster: InferenceCluster, server: ModelServer, pool: InferencePool | None
) -> tuple[list[RouteBackend], list[pulumi.Resource], dict[str, Any]]:
    """Seeds 000/001: the alpha side while the phase keeps it, and the route's backends and weights. The
    route names a pool only in phases where it exists, and waits for the pools it names."""
    mig, ms = cfg.migration, cfg.model_server
    legacy = None
    if mig.legacy_managed and mig.legacy_present:
        legacy = LegacyInferencePool(
            "legacy-pool",
            LegacyInferencePoolArgs(
                namespace=ms.namespace,
                pool_name=mig.legacy_pool,
                match_labels=ms.labels,
                serving_port=cfg.serving_port,
                models=[LegacyModel(m.name, m.model_name, m.criticality) for m in mig.models],
                requires=_namespace(server),
                nodes=[cluster.system_pool],
            ),
            opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
        )
    # The v1 pool first: at clean-up the route only drops its last backendRef, the alpha pool's.
    backends, route_pools = [], []
    if pool:
        backends.append(RouteBackend(cfg.inference_pool.name, weight=mig.v1_weight))
        route_pools.append(pool.chart)
    if mig.legacy_present:
        backends.append(RouteBackend(mig.legacy_pool, ALPHA_GROUP, mig.alpha_weight))
        route_pools += [legacy.chart] if legacy else []
    return backends, route_pools, {"migration": migration_outputs(cfg, cluster.kube_context)}


def _operations(
    cfg: PlatformConfig,
    clusters: dict[str, InferenceCluster],
    servers: dict[str, ModelServer],
    pools: dict[str, InferencePool],
    apis: ProjectApis,
) -> dict[str, Any]:
    """Seed 002: alerts, the error metric and the dashboard per stack; the metrics adapter and an HPA per
    pool in every cluster."""
    obs, scaling = cfg.observability, cfg.autoscaling
    outputs: dict[str, Any] = {}
    # The error metric reads the multi-cluster Gateway's load-balancer logs (components/observability.py).
    error_metric = obs.error_metric and cfg.gateway.mode == MULTI_CLUSTER
    if obs.alerts or error_metric or obs.dashboard:
        a = obs.alerts
        observability = Observability(
            "observability",
            ObservabilityArgs(
                project=cfg.project,
                name_prefix=cfg.names.base,
                pool_name=cfg.inference_pool.name,
                gateway_namespace=cfg.model_server.namespace,
                gateway_name=cfg.gateway.name,
                tpu_pool=TPU_POOL if cfg.accelerator else None,
                alerts=alert_rules(a.latency_p99_seconds, a.error_rate, a.queue_size, a.kv_cache_utilization)
                if a
                else [],
                notification_channels=a.notification_channels if a else (),
                error_metric=error_metric,
                dashboard=obs.dashboard,
                labels={**cfg.labels, "stack": cfg.stack, "managed-by": "pulumi"},
                depends_on=apis.of("monitoring.googleapis.com", "logging.googleapis.com"),
            ),
        )
        if observability.dashboard_url is not None:
            outputs["dashboardUrl"] = observability.dashboard_url
    if scaling:
        # One principal per project (the adapter's namespace and account are the same in every cluster):
        # granted by the stack that owns the project's fleet singletons, like the MCI agent's role.
        access = (
            AdapterAccess(
                "metrics-adapter",
                AdapterAccessArgs(
                    project=cfg.project,
                    workload_pool=clusters[cfg.config_region].workload_pool,
                    depends_on=apis.of("cloudresourcemanager.googleapis.com"),
                ),
            )
            if cfg.fleet.manage_features
            else None
        )
        for region, cluster in clusters.items():
            PoolAutoscaling(
                f"autoscaling-{region}",
                PoolAutoscalingArgs(
                    cluster_name=cluster.cluster_name,
                    namespace=cfg.model_server.namespace,
                    pool_name=cfg.inference_pool.name,
                    deployment=cfg.model_server.name,
                    min_replicas=scaling.min_replicas,
                    max_replicas=scaling.max_replicas,
                    target_kv_cache=scaling.target_kv_cache,
                    system_pool=cluster.system_pool_name,
                    adapter_access=access,
                    nodes=[cluster.system_pool],
                    requires=[servers[region].deployment, pools[region].chart],
                ),
                opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
            )
        outputs["autoscaling"] = {
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "targetKvCacheUtilization": scaling.target_kv_cache,
        }
    return outputs


def _istio_plane(
    name: str, istio: Istio, install_crds: bool, nodes: list[pulumi.Resource], provider: k8s.Provider, on_gke: bool
) -> None:
    IstioInferenceGateway(
        name,
        IstioInferenceGatewayArgs(
            istio_version=istio.version,
            install_istio=istio.install,
            install_crds=install_crds,
            scorers=istio.scorers,
            nodes=nodes,
            install_objective_crd=on_gke,
            internal_load_balancer=istio.load_balancer == "internal",
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": provider}),
    )


def _existing_cluster(cfg: ExistingClusterConfig) -> dict[str, Any]:
    """Seed 003 on a cluster the user already has: one Kubernetes provider from the secret kubeconfig
    and the configured context, and nothing of Google Cloud."""
    provider = k8s.Provider(
        "existing-cluster",
        kubeconfig=cfg.kubeconfig,
        context=cfg.kube_context,
        # Replace the provider (and every object on it) only for another cluster, not for rotated credentials.
        cluster_identifier=cfg.kube_context,
        enable_server_side_apply=True,
    )
    _istio_plane("istio", cfg.istio, cfg.istio.install_crds, [], provider, on_gke=False)
    return {"kubeContext": cfg.kube_context, "testRequest": istio_test_request(cfg.kube_context)}


def _istio_on_gke(
    cfg: PlatformConfig, network: Network, node_identity: NodeIdentity, clusters: dict[str, InferenceCluster]
) -> dict[str, Any]:
    """Seed 003 on the config cluster, whose system pool runs the simulator: GKE manages the Gateway API
    and InferencePool CRDs there, and no GKE gateway object (pool export, policies, gke-l7 class) is made."""
    cluster = clusters[cfg.config_region]
    _istio_plane("istio", cfg.istio, False, [cluster.system_pool], cluster.provider, on_gke=True)
    return {
        "network": network.vpc.name,
        "nodeServiceAccount": node_identity.email,
        "clusters": {r: {"name": c.cluster_name, "location": c.location} for r, c in clusters.items()},
        "kubeContexts": {r: c.kube_context for r, c in clusters.items()},
        "kubeContext": cluster.kube_context,
        "testRequest": istio_test_request(cluster.kube_context),
    }


def _image_streaming(cfg: PlatformConfig) -> bool:
    return bool(cfg.accelerator and cfg.accelerator.image_streaming)


def guard_apis(cfg: PlatformConfig) -> tuple[str, ...]:
    """The APIs of the guards that are on (Network Services, which runs the extensions, is always on)."""
    g = cfg.guards
    return (
        (("modelarmor.googleapis.com",) if g and g.model_armor else ())
        + (("apigee.googleapis.com",) if g and g.apigee else ())
        + peering_apis(cfg)
    )


def peering_apis(cfg: PlatformConfig) -> tuple[str, ...]:
    """Service Networking, for an Apigee organization the stack creates peered with its VPC."""
    apigee = cfg.guards.apigee if cfg.guards else None
    return ("servicenetworking.googleapis.com",) if apigee and apigee.create and apigee.create.peering_range else ()


def _guards(
    cfg: PlatformConfig,
    apis: ProjectApis,
    cluster: InferenceCluster,
    gateway: pulumi.Resource,
    network: Network,
    regions: list[str],
    namespace: list[pulumi.Resource],
) -> dict[str, Any]:
    """Seed 002: Model Armor and Apigee as the Gateway's one traffic extension, in the Gateway's cluster
    (`namespace`: the Gateway's namespace resource, when the program creates it)."""
    g, gw = cfg.guards, cfg.gateway
    if g is None:
        return {}
    armor, apigee = g.model_armor, g.apigee
    created = (
        ApigeeOrganization(
            "apigee",
            ApigeeOrganizationArgs(
                project=cfg.project,
                analytics_region=apigee.create.analytics_region,
                billing_type=apigee.create.billing_type,
                instance_location=apigee.create.instance_location,
                environment=apigee.environment,
                environment_type=apigee.create.environment_type,
                hostnames=apigee.create.hostnames,
                protect=apigee.create.protect,
                depends_on=apis.of("apigee.googleapis.com", *peering_apis(cfg)),
                peering=ApigeePeering(network.vpc.id, f"{cfg.names.base}-apigee", apigee.create.peering_range)
                if apigee.create.peering_range
                else None,
            ),
        )
        if apigee and apigee.create
        else None
    )
    # The agent's grants are project-wide: made once, by the stack that says it owns them.
    access = (
        ServiceExtensionsAccess(
            "service-extensions",
            ServiceExtensionsAccessArgs(
                cfg.project,
                depends_on=apis.of(
                    "modelarmor.googleapis.com", "cloudresourcemanager.googleapis.com", "networkservices.googleapis.com"
                ),
            ),
        )
        if armor and g.manage_project_grants
        else None
    )
    GatewayGuard(
        "guard",
        GatewayGuardArgs(
            project=cfg.project,
            namespace=cfg.model_server.namespace,
            gateway_name=gw.name,
            extension_name=f"{gw.name}{guards.EXTENSION_SUFFIX}",
            gateway=gateway,
            namespace_resource=namespace[0] if namespace else None,
            model_armor=ModelArmorArgs(
                location=armor.location,
                template_id=armor.template_id,
                settings=guards.model_armor_settings(cfg.project, armor, cfg.model.served_name),
                access=access,
                depends_on=apis.of("modelarmor.googleapis.com"),
            )
            if armor
            else None,
            apigee=ApigeeArgs(
                organization=apigee.organization,
                environment=apigee.environment,
                chart_version=apigee.chart_version,
                operator_account_id=cfg.names.service_account(guards.OPERATOR_ACCOUNT),
                backend_service=f"{gw.name}{guards.BACKEND_SUFFIX}",
                locations={r: ApigeeLocation(network.vpc.id, network.node_subnets[r].id) for r in regions},
                workload_pool=cluster.workload_pool,
                depends_on=apis.of("apigee.googleapis.com", "iam.googleapis.com", "cloudresourcemanager.googleapis.com")
                + (created.ready if created else []),
            )
            if apigee
            else None,
            ready_timeout_minutes=gw.programmed_timeout_minutes,
            labels={**cfg.labels, "stack": cfg.stack, "managed-by": "pulumi"},
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
    )
    outputs: dict[str, Any] = {
        "guards": {
            "extension": f"{gw.name}-guard",
            "chain": [name for name, on in (("apigee", apigee), ("model-armor", armor)) if on],
            **({"modelArmorTemplate": guards.template_path(cfg.project, armor)} if armor else {}),
        }
    }
    if apigee:
        outputs["apigeeTestRequests"] = apigee_requests(cfg, cluster.kube_context)
    return outputs


def apigee_requests(cfg: PlatformConfig, context: str) -> dict[str, str]:
    """Seed 002's two checks of Apigee: without a key the request is refused (Apigee's RaiseFault), with an
    API key made in the Apigee UI (`export API_KEY=...` first) it is served. The key goes to curl on its
    standard input (`-H @-`), so it is neither in the stack's outputs nor in the pod's spec nor in any
    command line."""
    body = {
        "model": cfg.model.served_name,
        "prompt": "Write as if you were a critic: San Francisco",
        "max_tokens": 100,
        "temperature": 0,
    }
    return {
        "unauthenticated": _gateway_completion(cfg, context, body, "curl-apigee"),
        "withApiKey": _gateway_completion(cfg, context, body, "curl-apigee", api_key=True),
    }


def _namespace(server: ModelServer) -> list[pulumi.Resource]:
    return [server.namespace_resource] if server.namespace_resource else []


def test_request(cfg: PlatformConfig, context: str, gateway_ip: str) -> str:
    """The codelab's chat-completion call, from a throwaway pod in the same region as the address:
    the Gateway's addresses are internal, so the client has to be inside the VPC."""
    body = json.dumps(
        {
            "model": cfg.model.served_name,
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "max_tokens": 100,
        }
    )
    return (
        f"kubectl --context {context} -n {cfg.model_server.namespace} run curl-test --rm -i --restart=Never "
        f"--image={CURL_IMAGE} -- curl -s -X POST http://{gateway_ip}/v1/chat/completions "
        f"-H 'Content-Type: application/json' -d '{body}'"
    )


def single_cluster_test_request(cfg: PlatformConfig, context: str) -> str:
    """Seeds 000/001's check: a completion request to the single-cluster Gateway."""
    body = {
        "model": cfg.model.served_name,
        "prompt": "What is the capital of France?",
        "max_tokens": 100,
        "temperature": 0,
    }
    return _gateway_completion(cfg, context, body, "curl-test")


def _gateway_completion(
    cfg: PlatformConfig, context: str, body: dict[str, Any], pod: str, api_key: bool = False
) -> str:
    """A completion request to the single-cluster Gateway, its address read from the Gateway's status. An
    internal class's address is reachable only from inside the VPC, so there the request runs in a pod;
    with `api_key`, curl reads the `x-api-key` header from its standard input."""
    gateway = f"kubectl --context {context} -n {cfg.model_server.namespace}"
    address = f"IP=$({gateway} get gateway/{cfg.gateway.name} -o jsonpath='{{.status.addresses[0].value}}')"
    in_pod = (
        f"{gateway} run {pod} --rm -i --restart=Never --image={CURL_IMAGE} -- "
        if cfg.gateway.class_name == "gke-l7-rilb"
        else ""
    )
    key = "printf 'x-api-key: %s\\n' \"${API_KEY:?export API_KEY first}\" | " if api_key else ""
    header = " -H @-" if api_key else ""
    curl = f"curl -i http://${{IP}}:{GATEWAY_PORT}/v1/completions -H 'Content-Type: application/json'{header}"
    return f"{address} && {key}{in_pod}{curl} -d '{json.dumps(body)}'"


def migration_outputs(cfg: PlatformConfig, context: str) -> dict[str, Any]:
    """The phase, the route's weights, and the seeds' detection commands: `kubectl get` of the alpha
    InferencePools and InferenceModels ("No resources found" from both: nothing left on the alpha API),
    and of the v1 pools by their full resource name, unambiguous while both CRDs are installed."""
    mig = cfg.migration
    kubectl = f"kubectl --context {context}"
    return {
        "phase": mig.phase,
        "path": mig.path,
        "weights": {"alpha": mig.alpha_weight if mig.legacy_present else None, "v1": mig.v1_weight},
        "legacyPool": mig.legacy_pool,
        "legacyManagedByStack": mig.legacy_managed,
        "detectAlphaResources": [
            f"{kubectl} get inferencepools.inference.networking.x-k8s.io --all-namespaces",
            f"{kubectl} get inferencemodels.inference.networking.x-k8s.io --all-namespaces",
        ],
        "v1Pools": f"{kubectl} get inferencepools.inference.networking.k8s.io --all-namespaces",
        "gatewayStatus": f"{kubectl} -n {cfg.model_server.namespace} get gateway -o wide",
    }


def export(outputs: dict[str, Any]) -> None:
    for name, value in outputs.items():
        pulumi.export(name, value)
