"""Composition: builds every component for every region from one validated config and wires them.

This is the only module that knows how components connect; each component sees just its typed args.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.apis import ProjectApis, ProjectApisArgs
from components.cluster import InferenceCluster, InferenceClusterArgs, TpuPool
from components.fleet import Fleet, FleetArgs, FleetMember
from components.model_store import ModelStore, ModelStoreArgs
from components.network import Network, NetworkArgs, SubnetRanges
from components.node_identity import NodeIdentity, NodeIdentityArgs
from stacks.config import PlatformConfig

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


def build(cfg: PlatformConfig) -> dict[str, Any]:
    """Creates the platform and returns the stack outputs."""
    names = cfg.names
    labels = {**cfg.labels, "stack": cfg.stack, "managed-by": "pulumi"}
    apis = ProjectApis("apis", ProjectApisArgs(project=cfg.project, services=APIS))

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
                    gateway_address=names.gateway_address(r.name),
                    node_cidr=r.node_cidr,
                    proxy_cidr=r.proxy_cidr,
                    pod_cidr=r.pod_cidr,
                    service_cidr=r.service_cidr,
                )
                for r in cfg.regions
            },
            firewall_names={p: names.firewall(p) for p in ("internal", "health-checks", "proxies")},
            serving_port=cfg.serving_port,
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
        TpuPool(accel.machine_type, accel.topology, accel.nodes_per_pool, accel.spot, accel.reservation)
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
                deletion_protection=cfg.deletion_protection,
                node_service_account=node_identity.email,
                system_machine_type=cfg.system_pool.machine_type,
                system_node_count=cfg.system_pool.node_count,
                system_disk_size_gb=cfg.system_pool.disk_size_gb,
                tpu=tpu,
                pod_range_name="pods" if r.pod_cidr else None,
                service_range_name="services" if r.service_cidr else None,
                labels=labels,
                depends_on=apis.of(
                    "container.googleapis.com",
                    "compute.googleapis.com",
                    "monitoring.googleapis.com",
                    "logging.googleapis.com",
                    "autoscaling.googleapis.com",
                ),
            ),
        )
    config_cluster = clusters[cfg.config_region]

    bucket_locations = cfg.bucket_locations()  # region -> location of the bucket serving it
    store = ModelStore(
        "weights",
        ModelStoreArgs(
            project=cfg.project,
            bucket_stems={loc: names.bucket_stem(loc) for loc in dict.fromkeys(bucket_locations.values())},
            reader_account_id=names.service_account("fuse"),
            writer_account_id=names.service_account("dl"),
            workload_pool=config_cluster.workload_pool,
            namespace=cfg.model_server.namespace,
            reader_ksa=cfg.model_server.service_account,
            writer_ksa=cfg.model_server.downloader_service_account,
            force_destroy=cfg.model_store.force_destroy,
            protect=cfg.model_store.protect,
            labels=labels,
            depends_on=apis.of("storage.googleapis.com", "iam.googleapis.com"),
        ),
    )

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
        ),
    )

    return {
        "network": network.vpc.name,
        "subnets": {
            r: {"node": network.node_subnets[r].name, "proxy": network.proxy_subnets[r].name} for r in clusters
        },
        "gatewayAddresses": {r: a.address for r, a in network.gateway_addresses.items()},
        "buckets": {r: store.bucket_names[loc] for r, loc in bucket_locations.items()},
        "fuseServiceAccount": store.reader_email,
        "downloaderServiceAccount": store.writer_email,
        "nodeServiceAccount": node_identity.email,
        "clusters": {r: {"name": c.cluster_name, "location": c.location} for r, c in clusters.items()},
        "kubeContexts": {r: c.kube_context for r, c in clusters.items()},
        "memberships": {r: m.id for r, m in fleet.memberships.items()},
        "configMembership": fleet.config_membership.id,
    }


def export(outputs: dict[str, Any]) -> None:
    for name, value in outputs.items():
        pulumi.export(name, value)
