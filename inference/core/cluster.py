"""InferenceCluster: one zonal GKE Standard cluster in a TPU zone, its node pools and its Kubernetes provider."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
DRANET_LABEL = "cloud.google.com/gke-networking-dra-driver"
SYSTEM_POOL = "system"
TPU_POOL = "tpu-v6e-pool"


def model_pool_name(key: str) -> str:
    """The TPU pool of a model with a shape of its own (`models[].accelerator`): at most 33 characters."""
    return f"{TPU_POOL}-{key}"


@dataclass(frozen=True)
class TpuPool:
    machine_type: str
    node_count: int
    max_node_count: int  # above node_count: the pool autoscales a slice per node up to it
    spot: bool
    reservation: str | None
    image_cache_disk_image: str | None = None  # preloaded container images, built beforehand
    image_streaming: bool = False  # GKE streams eligible images (accelerator.imageStreaming)


@dataclass(frozen=True)
class InferenceClusterArgs:
    project: str
    cluster_name: str
    zone: str
    kube_context: str
    network: pulumi.Input[str]
    subnetwork: pulumi.Input[str]
    release_channel: str
    # Production: Pulumi refuses to delete, and so to replace, the cluster and its TPU pool (deletion
    # protection stops only a delete GKE receives, not Pulumi's delete-before-replace of a named cluster).
    protect: bool
    min_version: str | None  # a minor alias ("1.35") or an exact GKE version; None: the channel's default
    deletion_protection: bool
    node_service_account: pulumi.Input[str]
    system_machine_type: str
    system_node_count: int
    system_disk_size_gb: int
    tpu: TpuPool | None  # None: no accelerator pool (the simulator backend)
    model_tpu: Mapping[str, TpuPool] = field(default_factory=dict)  # model key -> its own TPU pool
    pod_range_name: str | None = None  # secondary ranges on the node subnet, when configured
    service_range_name: str | None = None
    private_nodes: bool = False  # nodes without external IPs (egress through Cloud NAT)
    master_authorized_networks: Sequence[str] = ()  # CIDRs allowed to reach the control plane
    # The control plane's DNS-based endpoint, which IAM guards: the provider and operators reach it from anywhere
    # with credentials, and the IP endpoint admits only `master_authorized_networks` (none: only the VPC).
    dns_endpoint: bool = False
    intranode_visibility: bool | None = None  # same-node pod traffic through the VPC (flow logs see it); None: unset
    binary_authorization: str | None = None  # an evaluation mode; None: off
    secrets_key: str | None = None  # Cloud KMS key for application-layer secrets encryption
    gke_service_agent: pulumi.Input[str] | None = None  # member that must use the key
    labels: Mapping[str, str] = field(default_factory=dict)
    depends_on: Sequence[pulumi.Resource] = ()  # Container, Compute, Monitoring, Logging APIs


def _pool_node_config(args: InferenceClusterArgs, **extra) -> gcp.container.NodePoolNodeConfigArgs:
    """What every node shares: a dedicated service account, the GKE metadata server, Shielded VM."""
    return gcp.container.NodePoolNodeConfigArgs(
        service_account=args.node_service_account,
        oauth_scopes=[CLOUD_PLATFORM_SCOPE],  # access is limited by IAM roles, not scopes
        workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
        shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
            enable_secure_boot=True, enable_integrity_monitoring=True
        ),
        resource_labels=dict(args.labels),
        **extra,
    )


def _image_cache(disk_image: str) -> dict:
    """The vLLM TPU image preloaded on a secondary boot disk: containerd reads its layers from the disk
    instead of pulling them. GKE requires image streaming on the pool for it
    (https://cloud.google.com/kubernetes-engine/docs/how-to/data-container-image-preloading, "Requirements"):
    inference/core/config/compute.py refuses a disk image without accelerator.imageStreaming."""
    return {
        "secondary_boot_disks": [
            gcp.container.NodePoolNodeConfigSecondaryBootDiskArgs(disk_image=disk_image, mode="CONTAINER_IMAGE_CACHE")
        ],
    }


def _image_streaming() -> dict:
    """GKE streams an eligible image's data as the container reads it instead of pulling it whole first; public
    Docker Hub images such as vllm/vllm-tpu are eligible (https://cloud.google.com/kubernetes-engine/docs/how-to/
    image-streaming, "Requirements"). The provider turns it on or off in place (UpdateNodePoolRequest.gcfs_config,
    node_config.go at the commit tools/replacements.py cites)."""
    return {"gcfs_config": gcp.container.NodePoolNodeConfigGcfsConfigArgs(enabled=True)}


def kubeconfig(context: str, endpoint: str, ca_certificate: str | None) -> str:
    """A kubeconfig built from stable cluster outputs only; credentials come from the auth plugin at
    run time, so no short-lived token is stored and the provider is never replaced by a token refresh. The DNS
    endpoint presents a publicly trusted certificate, not the cluster's CA: no CA for it (`ca_certificate` None)."""
    server = {"server": f"https://{endpoint}"}
    if ca_certificate:
        server["certificate-authority-data"] = ca_certificate
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": context,
            "clusters": [{"name": context, "cluster": server}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "users": [
                {
                    "name": context,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "gke-gcloud-auth-plugin",
                            "installHint": "gcloud components install gke-gcloud-auth-plugin",
                            "provideClusterInfo": True,
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def _cluster_args(args: InferenceClusterArgs) -> dict:
    """The cluster's own settings: VPC-native Dataplane V2, the Gateway API, Workload Identity, GCS FUSE,
    managed Prometheus and the HPA performance profile, and the security options the stack turns on."""
    return {
        "project": args.project,
        "name": args.cluster_name,
        "location": args.zone,
        "network": args.network,
        "subnetwork": args.subnetwork,
        # The default pool only exists while the cluster is created; the pools below replace it.
        "remove_default_node_pool": True,
        "initial_node_count": 1,
        "node_config": gcp.container.ClusterNodeConfigArgs(
            service_account=args.node_service_account,
            oauth_scopes=[CLOUD_PLATFORM_SCOPE],
            workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
            shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_integrity_monitoring=True
            ),
        ),
        "release_channel": gcp.container.ClusterReleaseChannelArgs(channel=args.release_channel),
        # The features need a minimum GKE version (inference/core/facts/versions.py); validation checks the
        # channel's default is past it. When set, it is the version the cluster is created at
        # (`initialClusterVersion`); afterwards the channel upgrades past it and the provider upgrades only
        # a master older than it (terraform-provider-google resource_container_cluster.go).
        "min_master_version": args.min_version,
        "datapath_provider": "ADVANCED_DATAPATH",
        "networking_mode": "VPC_NATIVE",
        "ip_allocation_policy": gcp.container.ClusterIpAllocationPolicyArgs(
            cluster_secondary_range_name=args.pod_range_name,
            services_secondary_range_name=args.service_range_name,
        ),
        "gateway_api_config": gcp.container.ClusterGatewayApiConfigArgs(channel="CHANNEL_STANDARD"),
        "workload_identity_config": gcp.container.ClusterWorkloadIdentityConfigArgs(
            workload_pool=f"{args.project}.svc.id.goog"
        ),
        "addons_config": gcp.container.ClusterAddonsConfigArgs(
            gcs_fuse_csi_driver_config=gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(enabled=True),
        ),
        "monitoring_config": gcp.container.ClusterMonitoringConfigArgs(
            managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True),
        ),
        "pod_autoscaling": gcp.container.ClusterPodAutoscalingArgs(hpa_profile="PERFORMANCE"),
        **_access_args(args),
        "enable_legacy_abac": False,
        "enable_shielded_nodes": True,
        "deletion_protection": args.deletion_protection,
        "resource_labels": dict(args.labels),
    }


def _access_args(args: InferenceClusterArgs) -> dict:
    """Private nodes, the networks that may reach the control plane, and Secrets encrypted with the stack's key."""
    return {
        "private_cluster_config": gcp.container.ClusterPrivateClusterConfigArgs(
            enable_private_nodes=True,
            enable_private_endpoint=False,  # the control plane stays reachable, limited below
            master_global_access_config=gcp.container.ClusterPrivateClusterConfigMasterGlobalAccessConfigArgs(
                enabled=True
            ),
        )
        if args.private_nodes
        else None,
        "master_authorized_networks_config": gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
            cidr_blocks=[
                gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(cidr_block=c, display_name=c)
                for c in args.master_authorized_networks
            ]
        )
        if args.master_authorized_networks or args.dns_endpoint
        else None,
        "control_plane_endpoints_config": gcp.container.ClusterControlPlaneEndpointsConfigArgs(
            dns_endpoint_config=gcp.container.ClusterControlPlaneEndpointsConfigDnsEndpointConfigArgs(
                allow_external_traffic=True
            )
        )
        if args.dns_endpoint
        else None,
        "enable_intranode_visibility": args.intranode_visibility,
        "binary_authorization": gcp.container.ClusterBinaryAuthorizationArgs(evaluation_mode=args.binary_authorization)
        if args.binary_authorization
        else None,
        "database_encryption": gcp.container.ClusterDatabaseEncryptionArgs(state="ENCRYPTED", key_name=args.secrets_key)
        if args.secrets_key
        else None,
    }


def control_plane_access(args: InferenceClusterArgs) -> str:
    """Who can reach the cluster's API server and whether its nodes have external IPs, in words: an open
    control plane says so in the stack's outputs (docs/security.md, "Control plane and nodes")."""
    networks = ", ".join(args.master_authorized_networks) or "none"
    nodes = "private nodes (egress through Cloud NAT)" if args.private_nodes else "nodes with external IPs"
    if args.dns_endpoint:
        api = f"DNS endpoint guarded by IAM; IP endpoint for authorized networks only ({networks})"
    elif args.master_authorized_networks:
        api = f"IP endpoint for authorized networks only ({networks})"
    else:
        api = "OPEN: the IP endpoint accepts any address (no authorized networks, no DNS endpoint)"
    return f"{api}; {nodes}"


def _private_pool(args: InferenceClusterArgs) -> dict:
    """Each pool's own switch as well as the cluster's default: GKE moves an existing pool's nodes to internal
    IPs by recreating them, in place (https://cloud.google.com/kubernetes-engine/docs/how-to/change-cluster-isolation)."""
    return {"enable_private_nodes": True} if args.private_nodes else {}


def _tpu_node_config(args: InferenceClusterArgs, tpu: TpuPool) -> gcp.container.NodePoolNodeConfigArgs:
    reservation = (
        gcp.container.NodePoolNodeConfigReservationAffinityArgs(
            consume_reservation_type="SPECIFIC_RESERVATION",
            key="compute.googleapis.com/reservation-name",
            values=[tpu.reservation],
        )
        if tpu.reservation
        else None
    )
    return _pool_node_config(
        args,
        machine_type=tpu.machine_type,
        labels={DRANET_LABEL: "true"},
        spot=tpu.spot,
        reservation_affinity=reservation,
        **(_image_cache(tpu.image_cache_disk_image) if tpu.image_cache_disk_image else {}),
        **(_image_streaming() if tpu.image_streaming else {}),
    )


MANAGEMENT = gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True)


class InferenceCluster(pulumi.ComponentResource):
    """GKE Standard with everything multi-cluster inference needs: Dataplane V2, VPC-native, the
    Gateway API, Workload Identity, the GCS FUSE CSI driver, managed Prometheus and the HPA
    performance profile; a system pool for controllers and, when serving on TPU, a v6e slice pool
    with managed DRANET."""

    def __init__(self, name: str, args: InferenceClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:cluster:InferenceCluster", name, None, opts)
        self.cluster_name = args.cluster_name
        self.location = args.zone
        self.system_pool_name = SYSTEM_POOL
        self.kube_context, self.dns_endpoint = args.kube_context, args.dns_endpoint
        self.control_plane_access = control_plane_access(args)
        self.cluster = gcp.container.Cluster(
            f"{name}-gke",
            **_cluster_args(args),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                depends_on=[*args.depends_on, *self._encryption_grant(name, args)],
                # Both describe the throwaway default pool; changing them must not replace the cluster.
                ignore_changes=["nodeConfig", "initialNodeCount"],
                custom_timeouts=pulumi.CustomTimeouts(create="45m", update="45m", delete="45m"),
            ),
        )
        self.system_pool = gcp.container.NodePool(
            f"{name}-system",
            project=args.project,
            name=SYSTEM_POOL,
            cluster=self.cluster.name,
            location=args.zone,
            node_count=args.system_node_count,
            node_config=_pool_node_config(
                args,
                machine_type=args.system_machine_type,
                disk_size_gb=args.system_disk_size_gb,
                disk_type="pd-balanced",
            ),
            network_config=gcp.container.NodePoolNetworkConfigArgs(**_private_pool(args))
            if args.private_nodes
            else None,
            management=MANAGEMENT,
            opts=pulumi.ResourceOptions(parent=self, custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m")),
        )
        self._tpu_pools(name, args)
        self.id = self.cluster.id
        self.workload_pool = self.cluster.workload_identity_config.apply(lambda c: c.workload_pool)
        self.api_endpoint, self.api_ca_certificate = self._api_server(args)
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=self._kubeconfig(args),
            # Replace the provider (and everything on it) only if the cluster itself changes.
            cluster_identifier=args.kube_context,
            enable_server_side_apply=True,
            # Only objects that run pods wait for the system pool (they name it themselves): the
            # namespace, CRDs and the Gateway go in as soon as the control plane answers.
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "location": self.location,
                "kube_context": self.kube_context,
                "id": self.id,
            }
        )

    def _tpu_pools(self, name: str, args: InferenceClusterArgs) -> None:
        """The stack's TPU pool (none for the simulator or with a capacity ladder), and a pool of its own for each
        model with its own shape."""
        self.tpu_pool = self._tpu_pool(f"{name}-tpu", TPU_POOL, args, args.tpu) if args.tpu else None
        self.model_tpu_pools = {
            k: self._tpu_pool(f"{name}-tpu-{k}", model_pool_name(k), args, p) for k, p in args.model_tpu.items()
        }

    def _api_server(self, args: InferenceClusterArgs) -> tuple[pulumi.Output[str], pulumi.Output[str] | None]:
        """Where the program reaches the API server, and the CA it verifies: the DNS endpoint with the client's public
        CAs when the stack turns it on (its certificate is publicly trusted), else the IP endpoint with the cluster's
        CA."""
        if args.dns_endpoint:
            endpoint = self.cluster.control_plane_endpoints_config.apply(
                lambda c: c.dns_endpoint_config.endpoint if c and c.dns_endpoint_config else None
            )
            return endpoint, None
        return self.cluster.endpoint, self.cluster.master_auth.cluster_ca_certificate

    def _kubeconfig(self, args: InferenceClusterArgs) -> pulumi.Output[str]:
        """The kubeconfig of what `_api_server` gives: every client of the API server goes the same way."""
        return pulumi.Output.all(self.api_endpoint, self.api_ca_certificate).apply(
            lambda v: kubeconfig(args.kube_context, v[0], v[1])
        )

    def _encryption_grant(self, name: str, args: InferenceClusterArgs) -> list[pulumi.Resource]:
        """GKE's service agent encrypts and decrypts Secrets with the key; granted on the key only."""
        if not args.secrets_key:
            return []
        return [
            gcp.kms.CryptoKeyIAMMember(
                f"{name}-secrets-key-user",
                crypto_key_id=args.secrets_key,
                role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
                member=args.gke_service_agent,
                opts=pulumi.ResourceOptions(parent=self),
            )
        ]

    def _tpu_pool(
        self, resource: str, pool_name: str, args: InferenceClusterArgs, tpu: TpuPool
    ) -> gcp.container.NodePool:
        autoscaled = tpu.max_node_count > tpu.node_count
        return gcp.container.NodePool(
            resource,
            project=args.project,
            name=pool_name,
            cluster=self.cluster.name,
            location=args.zone,
            # Each node is a whole single-host slice, so the cluster autoscaler adds serving capacity a
            # slice at a time when the HPA asks for more model servers than there are slices.
            node_count=tpu.node_count,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                min_node_count=tpu.node_count, max_node_count=tpu.max_node_count
            )
            if autoscaled
            else None,
            # No placement policy: every v6e shape the program serves on is a single-host slice, and
            # GKE refuses `400 TPU topology can't be specified with single-host TPU slice pool`
            # (AI-Hypercomputer/xpk PRs #822 and #825 omit topology and COMPACT for one host). The
            # machine type alone fixes the slice; GKE labels its node with the topology.
            # Managed DRANET: the TPU's high-speed NICs are handed to pods as DRA devices.
            network_config=gcp.container.NodePoolNetworkConfigArgs(
                accelerator_network_profile="auto", **_private_pool(args)
            ),
            node_config=_tpu_node_config(args, tpu),
            management=MANAGEMENT,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,  # scarce capacity: a replaced slice may not come back
                # GKE adds its own TPU labels to the pool; reading them back must not cause a diff. An
                # autoscaled pool's node count is the autoscaler's: `pulumi up` must not reset it (and
                # keeping `nodeCount` rather than the force-new `initialNodeCount` never replaces the pool).
                ignore_changes=["nodeConfig.labels", *(["nodeCount"] if autoscaled else [])],
                # A slice waits for capacity in the zone; give it longer than the provider's default.
                custom_timeouts=pulumi.CustomTimeouts(create="60m", update="60m"),
            ),
        )
