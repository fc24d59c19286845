"""The core every mode builds on: the project's APIs, the network, the nodes' identity, one cluster per region,
and the weights (buckets, their identities, the download)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inference.configuration.platform import PlatformConfig
from inference.core.apis import ProjectApis, ProjectApisArgs
from inference.core.cluster import InferenceCluster, InferenceClusterArgs, TpuPool
from inference.core.config.compute import Accelerator
from inference.core.config.network import Region
from inference.core.model_store import ModelStore, ModelStoreArgs
from inference.core.network import Network, NetworkArgs, SubnetRanges
from inference.core.node_identity import NodeIdentity, NodeIdentityArgs
from inference.core.weights_download import DownloadTarget, WeightsDownload, WeightsDownloadArgs

APIS = (
    "compute.googleapis.com",
    "container.googleapis.com",
    "storage.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "networkservices.googleapis.com",
    "autoscaling.googleapis.com",
    "monitoring.googleapis.com",
    "logging.googleapis.com",
)
KMS_APIS = ("cloudkms.googleapis.com",)  # a Cloud KMS key encrypts the clusters' Secrets
# Only where weights are downloaded (the vllm-tpu backend): the Cloud Run job and the token's secret.
DOWNLOAD_APIS = ("run.googleapis.com", "secretmanager.googleapis.com")
# Image streaming (on the TPU pools by default, and required by a secondary boot disk's image cache) runs on
# the Container File System API (https://cloud.google.com/kubernetes-engine/docs/how-to/image-streaming#requirements).
IMAGE_STREAMING_APIS = ("containerfilesystem.googleapis.com",)
# A cluster enforcing Binary Authorization needs its API on first (https://cloud.google.com/binary-authorization/docs/
# enable-cluster, "Before you begin").
BINARY_AUTHORIZATION_APIS = ("binaryauthorization.googleapis.com",)
CLUSTER_APIS = (
    "container.googleapis.com",
    "compute.googleapis.com",
    "monitoring.googleapis.com",
    "logging.googleapis.com",
    "autoscaling.googleapis.com",
)
FIREWALLS = ("internal", "health-checks", "proxies")


@dataclass(frozen=True)
class Platform:
    """What every mode builds on."""

    apis: ProjectApis
    network: Network
    nodes: NodeIdentity
    clusters: dict[str, InferenceCluster]  # by region
    config_region: str
    # By region, when a capacity ladder (inference/capacity/) replaces the single TPU pool: the model servers
    # select its ComputeClass and wait for its pools.
    ladders: Mapping[str, Any] = field(default_factory=dict)

    @property
    def config_cluster(self) -> InferenceCluster:
        return self.clusters[self.config_region]


@dataclass(frozen=True)
class Weights:
    store: ModelStore
    download: WeightsDownload | None  # None: nothing downloads (the simulator backend)


def _image_streaming(cfg: PlatformConfig) -> bool:
    shapes = [cfg.accelerator, *(m.accelerator for m in cfg.models)]
    return any(a and a.image_streaming for a in shapes)


def _enforces_binary_authorization(cfg: PlatformConfig) -> bool:
    return cfg.cluster_controls.binary_authorization == "PROJECT_SINGLETON_POLICY_ENFORCE"


def _cluster_apis(cfg: PlatformConfig) -> tuple[str, ...]:
    return (
        CLUSTER_APIS
        + (IMAGE_STREAMING_APIS if _image_streaming(cfg) else ())
        + (BINARY_AUTHORIZATION_APIS if _enforces_binary_authorization(cfg) else ())
    )


def apis(cfg: PlatformConfig) -> tuple[str, ...]:
    """The core's APIs for this stack; the modes and add-ons add theirs."""
    return (
        APIS
        + (BINARY_AUTHORIZATION_APIS if _enforces_binary_authorization(cfg) else ())
        + (KMS_APIS if cfg.secrets_encryption_keys else ())
        + (DOWNLOAD_APIS if cfg.download_regions else ())
        + (IMAGE_STREAMING_APIS if _image_streaming(cfg) else ())
    )


def _network(cfg: PlatformConfig, apis_: ProjectApis, proxy_purpose: str, gateway_addresses: bool) -> Network:
    names = cfg.names
    return Network(
        "network",
        NetworkArgs(
            project=cfg.project,
            network_name=names.network,
            mtu=cfg.mtu,
            regions={
                r.name: SubnetRanges(
                    node_subnet=names.node_subnet(r.name),
                    proxy_subnet=names.proxy_subnet(r.name),
                    gateway_address=names.gateway_address(r.name) if gateway_addresses else None,
                    node_cidr=r.node_cidr,
                    proxy_cidr=r.proxy_cidr,
                    pod_cidr=r.pod_cidr,
                    service_cidr=r.service_cidr,
                    router=names.router(r.name),
                    nat=names.nat(r.name),
                )
                for r in cfg.regions
            },
            firewall_names={p: names.firewall(p) for p in FIREWALLS},
            serving_port=cfg.serving_port,
            nat=cfg.private_nodes.enabled,
            proxy_purpose=proxy_purpose,
            labels=cfg.resource_labels,
            depends_on=apis_.of("compute.googleapis.com"),
        ),
    )


def _tpu_pool(cfg: PlatformConfig) -> TpuPool | None:
    if not cfg.accelerator or cfg.capacity:  # a capacity ladder brings its own pools
        return None
    return _pool_of(cfg.accelerator)


def _model_pools(cfg: PlatformConfig) -> dict[str, TpuPool]:
    """A pool per model with a shape of its own, beside the stack's (or its ladder's): where it alone is served."""
    return {m.key: _pool_of(m.accelerator) for m in cfg.models if m.accelerator}


def _pool_of(accel: Accelerator) -> TpuPool:
    return TpuPool(
        accel.machine_type,
        accel.nodes_per_pool,
        accel.max_nodes,
        accel.spot,
        accel.reservation,
        accel.image_cache_disk_image,
        accel.image_streaming,
    )


def _cluster(
    cfg: PlatformConfig, region: Region, apis_: ProjectApis, network: Network, nodes: NodeIdentity
) -> InferenceCluster:
    keys = cfg.secrets_encryption_keys
    return InferenceCluster(
        f"cluster-{region.name}",
        InferenceClusterArgs(
            project=cfg.project,
            cluster_name=cfg.names.cluster(region.name),
            zone=region.zone,
            kube_context=cfg.kube_context(region),
            network=network.vpc.id,
            subnetwork=network.node_subnets[region.name].id,
            release_channel=cfg.release_channel,
            protect=cfg.production,
            min_version=cfg.gke_version,
            deletion_protection=cfg.deletion_protection,
            node_service_account=nodes.email,
            system_machine_type=cfg.system_pool.machine_type,
            system_node_count=cfg.system_pool.node_count,
            system_disk_size_gb=cfg.system_pool.disk_size_gb,
            tpu=_tpu_pool(cfg),
            model_tpu=_model_pools(cfg),
            pod_range_name="pods" if region.pod_cidr else None,
            service_range_name="services" if region.service_cidr else None,
            private_nodes=cfg.private_nodes.enabled,
            master_authorized_networks=cfg.private_nodes.master_authorized_networks,
            dns_endpoint=cfg.private_nodes.dns_endpoint,
            intranode_visibility=cfg.cluster_controls.intranode_visibility,
            binary_authorization=cfg.cluster_controls.binary_authorization,
            secrets_key=keys.get(region.name),
            gke_service_agent=apis_.agents["container.googleapis.com"].member if keys else None,
            labels=cfg.resource_labels,
            depends_on=[
                *apis_.of(*_cluster_apis(cfg)),
                network.leftover_sweeper,  # so destroy sweeps after the clusters are gone
            ],
        ),
    )


def build_platform(
    cfg: PlatformConfig, *, services: Sequence[str], proxy_purpose: str, gateway_addresses: bool
) -> Platform:
    """The APIs (`services`: the core's and the mode's and add-ons'), the network with the mode's proxy-only
    subnets (and a gateway address per region when the mode's Gateway takes one), the nodes' identity and
    a cluster per region."""
    project_apis = ProjectApis(
        "apis",
        ProjectApisArgs(
            project=cfg.project,
            services=tuple(services),
            service_agents=("container.googleapis.com",) if cfg.secrets_encryption_keys else (),
        ),
    )
    network = _network(cfg, project_apis, proxy_purpose, gateway_addresses)
    nodes = NodeIdentity(
        "nodes",
        NodeIdentityArgs(
            project=cfg.project,
            account_id=cfg.names.service_account("node"),
            depends_on=project_apis.of("iam.googleapis.com", "cloudresourcemanager.googleapis.com"),
        ),
    )
    clusters = {r.name: _cluster(cfg, r, project_apis, network, nodes) for r in cfg.regions}
    return Platform(project_apis, network, nodes, clusters, cfg.config_region)


def _store(cfg: PlatformConfig, platform: Platform) -> ModelStore:
    names, tpu = cfg.names, cfg.model_server.backend == "vllm-tpu"
    locations = dict.fromkeys(cfg.bucket_locations().values())
    return ModelStore(
        "weights",
        ModelStoreArgs(
            project=cfg.project,
            bucket_stems={loc: names.bucket_stem(loc) for loc in locations},
            reader_account_id=names.service_account("fuse"),
            writer_account_id=names.service_account("dl") if cfg.download_regions else None,
            workload_pool=platform.config_cluster.workload_pool,
            namespace=cfg.model_server.namespace,
            reader_ksa=cfg.model_server.service_account if tpu else None,
            compilation_cache=tpu,
            force_destroy=cfg.model_store.force_destroy,
            protect=cfg.model_store.protect,
            retain_on_delete=cfg.production,
            labels=cfg.resource_labels,
            depends_on=platform.apis.of("storage.googleapis.com", "iam.googleapis.com"),
            audit_logs=cfg.model_store.audit_logs,
        ),
    )


def _download(cfg: PlatformConfig, store: ModelStore, platform: Platform) -> WeightsDownload:
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
            labels=cfg.resource_labels,
            depends_on=platform.apis.of(*DOWNLOAD_APIS),
            more=_more_downloads(cfg),
        ),
    )


def _more_downloads(cfg: PlatformConfig) -> list[tuple[str, str]]:
    """After the first model's weights, model by model: its adapters, then the next model and its adapters, so a
    model's servers wait for no other model's weights."""
    return [
        download
        for i, m in enumerate(cfg.served_models)
        for download in [
            *([(m.model.id, m.model.revision)] if i else []),
            *((a.source, a.revision) for a in m.adapters),
        ]
    ]


def build_weights(cfg: PlatformConfig, platform: Platform) -> Weights:
    """The buckets next to the clusters, their reader and writer, and the download where weights are needed."""
    store = _store(cfg, platform)
    return Weights(store, _download(cfg, store, platform) if cfg.download_regions else None)


def platform_outputs(platform: Platform) -> dict[str, Any]:
    clusters = platform.clusters
    return {
        "network": platform.network.vpc.name,
        "nodeServiceAccount": platform.nodes.email,
        # `dnsEndpoint`: get credentials with `--dns-endpoint`, the IP endpoint admitting no outside address.
        "clusters": {
            r: {"name": c.cluster_name, "location": c.location, **({"dnsEndpoint": True} if c.dns_endpoint else {})}
            for r, c in clusters.items()
        },
        "kubeContexts": {r: c.kube_context for r, c in clusters.items()},
        "controlPlaneAccess": {r: c.control_plane_access for r, c in clusters.items()},
    }


def weights_outputs(cfg: PlatformConfig, platform: Platform, weights: Weights) -> dict[str, Any]:
    network, store = platform.network, weights.store
    return {
        "subnets": {
            r: {"node": network.node_subnets[r].name, "proxy": network.proxy_subnets[r].name} for r in platform.clusters
        },
        "buckets": {r: store.bucket_names[loc] for r, loc in cfg.bucket_locations().items()},
        "fuseServiceAccount": store.reader_email,
        **({"downloaderServiceAccount": store.writer_email} if weights.download else {}),
    }
