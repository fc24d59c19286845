"""The GCP resources' fields that force a replacement (the table tools/replacements.py reads), each with the
provider source it was read from at a pinned commit."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TPG = "https://github.com/hashicorp/terraform-provider-google-beta/blob/93c65b2d60fea598528f2769b5b09de856f8cb8c/google-beta/"
K8S_SOURCE = (
    "https://github.com/pulumi/pulumi-kubernetes/blob/94977969d64112b04e19945818a7d5d5f38f631d/provider/pkg/provider/"
)
_APIGEE = "https://github.com/hashicorp/terraform-provider-google-beta/blob/21b3a4f655325c851350a87534b39b7f5dc40415/google-beta/services/apigee/resource_apigee_"
_APIGEE_ORG = _APIGEE + "organization.go"
_RANDOM = "https://github.com/hashicorp/terraform-provider-random/blob/04572027ebbaca354b5018c9fc62ea23c4f688cf/internal/provider/resource_id.go"
_TIME = "https://github.com/hashicorp/terraform-provider-time/blob/133194fa4ae3e1c20226fb4984721643b6ada1be/internal/provider/resource_time_sleep.go"


@dataclass(frozen=True)
class Rule:
    forces: tuple[str, ...] = ()  # a change at or under one of these paths replaces the resource
    blocks: tuple[str, ...] = ()  # adding or removing the whole block replaces it; its fields may update in place
    possible: tuple[str, ...] = ()  # may force a replacement: unconfirmed, or only for some values
    when: dict[str, Callable[[Any, Any], bool]] = field(default_factory=dict)  # replaces if when(old, new)
    possible_when: dict[str, Callable[[Any, Any], bool]] = field(default_factory=dict)  # may, if (old, new)
    source: str = ""


def _turned_off(old: Any, new: Any) -> bool:
    return old is True and new is False


def _both_set(old: Any, new: Any) -> bool:
    return isinstance(old, str) and isinstance(new, str)


def _tpu(old: Any, new: Any) -> bool:
    return any(isinstance(v, str) and re.match(r"ct\d|tpu", v) for v in (old, new))


def _shrinks(old: Any, new: Any) -> bool:
    """A subnet range may only grow in place (`IsShrinkageIpCidr`): any other change replaces it."""
    try:
        return not ipaddress.ip_network(new).supernet_of(ipaddress.ip_network(old))
    except (TypeError, ValueError):
        return False


# node_config.go `schemaNodeConfig`, shared by a cluster's default pool and by node pools. Machine type,
# disk size and type, labels, taints, kubelet and workload metadata config update in place.
_NODE_CONFIG = tuple(
    "nodeConfig." + f
    for f in (
        "guestAccelerators",
        "localSsdCount",
        "ephemeralStorageConfig",
        "ephemeralStorageLocalSsdConfig",
        "localNvmeSsdBlockConfig",
        "secondaryBootDisks",
        "metadata",
        "minCpuPlatform",
        "oauthScopes",
        "preemptible",
        "reservationAffinity",
        "spot",
        "serviceAccount",
        "shieldedInstanceConfig",
        "bootDiskKmsKey",
        "nodeGroup",
        "advancedMachineFeatures.threadsPerCore",
        "advancedMachineFeatures.enableNestedVirtualization",
        "soleTenantConfig.nodeAffinities",
        "hostMaintenancePolicy",
        "confidentialNodes.confidentialInstanceType",
        "enableConfidentialStorage",
        "localSsdEncryptionMode",
        "maxRunDuration",
        "flexStart",
    )
)
_NODE_CONFIG_BLOCKS = ("nodeConfig", "nodeConfig.sandboxConfig", "nodeConfig.advancedMachineFeatures")


def _iam_member(parent: str, source: str, *more: str) -> Rule:
    """google_*_iam_member: role, member and condition (tpgiamresource/resource_iam_member.go), and the
    resource the grant is on (the parent's IAM schema)."""
    return Rule(
        forces=(parent, *more, "role", "member", "condition"),
        source=f"{_TPG}tpgiamresource/resource_iam_member.go, {_TPG}{source}",
    )


GCP: dict[str, Rule] = {
    "gcp:container/cluster:Cluster": Rule(
        forces=(
            "name",
            "location",
            "project",
            "description",
            "network",
            "subnetwork",
            "networkingMode",
            "datapathProvider",
            "dataplaneOptimizationMode",
            "clusterIpv4Cidr",
            "defaultMaxPodsPerNode",
            "initialNodeCount",
            "nodePools",
            "enableAutopilot",
            "enableKubernetesAlpha",
            "enableTpu",
            "tpuConfig.enabled",
            "tpuConfig.useServiceNetworking",
            "confidentialNodes",
            "masterAuth.clientCertificateConfig",
            "ipAllocationPolicy.clusterIpv4CidrBlock",
            "ipAllocationPolicy.servicesIpv4CidrBlock",
            "ipAllocationPolicy.clusterSecondaryRangeName",
            "ipAllocationPolicy.servicesSecondaryRangeName",
            "privateClusterConfig.masterIpv4CidrBlock",
            "privateClusterConfig.privateEndpointSubnetwork",
            "userManagedKeysConfig.clusterCa",
            "userManagedKeysConfig.etcdApiCa",
            "userManagedKeysConfig.etcdPeerCa",
            "userManagedKeysConfig.aggregationCa",
            "clusterAutoscaling.autoProvisioningDefaults.bootDiskKmsKey",
            *_NODE_CONFIG,
        ),
        blocks=("ipAllocationPolicy", "ipAllocationPolicy.podCidrOverprovisionConfig", *_NODE_CONFIG_BLOCKS),
        # CustomizeDiff: turning subsetting or FQDN network policy off replaces the cluster;
        # removing an enabled beta API, or changing the additive VPC DNS domain of an Autopilot cluster, too.
        when={"enableL4IlbSubsetting": _turned_off, "enableFqdnNetworkPolicy": _turned_off},
        possible=("enableK8sBetaApis.enabledApis", "dnsConfig.additiveVpcScopeDnsDomain"),
        source=f"{_TPG}services/container/resource_container_cluster.go, {_TPG}services/container/node_config.go",
    ),
    "gcp:container/nodePool:NodePool": Rule(
        forces=(
            "name",
            "namePrefix",
            "project",
            "cluster",
            "location",
            "initialNodeCount",
            "maxPodsPerNode",
            "placementPolicy.policyName",
            "queuedProvisioning",
            "networkConfig.acceleratorNetworkProfile",
            "networkConfig.createPodRange",
            "networkConfig.podRange",
            "networkConfig.podIpv4CidrBlock",
            "networkConfig.podCidrOverprovisionConfig",
            "networkConfig.subnetwork",
            "networkConfig.additionalNodeNetworkConfigs",
            "networkConfig.additionalPodNetworkConfigs",
            *_NODE_CONFIG,
        ),
        blocks=("placementPolicy", *_NODE_CONFIG_BLOCKS),
        # Not ForceNew, and the provider's update has no branch for them: a new TPU topology or
        # placement type does not reach the pool without replacing it.
        possible=("placementPolicy.tpuTopology", "placementPolicy.type"),
        # The provider updates the machine type in place (UpdateNodePoolRequest.machine_type migrates
        # the nodes); unconfirmed that GKE migrates a TPU slice to another shape that way.
        possible_when={"nodeConfig.machineType": _tpu},
        source=f"{_TPG}services/container/resource_container_node_pool.go, {_TPG}services/container/node_config.go",
    ),
    "gcp:compute/network:Network": Rule(
        forces=(
            "name",
            "project",
            "autoCreateSubnetworks",
            "description",
            "internalIpv6Range",
            "networkProfile",
            "params",
        ),
        source=f"{_TPG}services/compute/resource_compute_network.go",
    ),
    "gcp:compute/subnetwork:Subnetwork": Rule(
        forces=(
            "name",
            "project",
            "region",
            "network",
            "description",
            "externalIpv6Prefix",
            "internalIpv6Prefix",
            "params",
            "reservedInternalRange",
            "resolveSubnetMask",
        ),
        when={"ipCidrRange": _shrinks},
        # Sent in an update by the provider; the Compute API changes a subnet's purpose only in a few cases.
        possible=("purpose",),
        source=f"{_TPG}services/compute/resource_compute_subnetwork.go",
    ),
    "gcp:compute/address:Address": Rule(
        forces=(
            "name",
            "project",
            "region",
            "address",
            "addressType",
            "description",
            "ipCollection",
            "ipVersion",
            "ipv6EndpointType",
            "network",
            "networkTier",
            "prefixLength",
            "purpose",
            "subnetwork",
        ),
        source=f"{_TPG}services/compute/resource_compute_address.go",
    ),
    "gcp:compute/firewall:Firewall": Rule(
        forces=("name", "project", "direction", "params"),
        # Sent in an update by the provider; unconfirmed whether the Compute API moves a rule to another network.
        possible=("network",),
        source=f"{_TPG}services/compute/resource_compute_firewall.go",
    ),
    "gcp:compute/router:Router": Rule(
        forces=("name", "project", "region", "network", "encryptedInterconnectRouter", "nccGateway", "params"),
        source=f"{_TPG}services/compute/resource_compute_router.go",
    ),
    "gcp:compute/routerNat:RouterNat": Rule(
        forces=("name", "project", "region", "router", "type", "endpointTypes", "initialNatIps"),
        source=f"{_TPG}services/compute/resource_compute_router_nat.go",
    ),
    "gcp:storage/bucket:Bucket": Rule(
        forces=(
            "name",
            "project",
            "location",
            "enableObjectRetention",
            "customPlacementConfig.dataLocations",
            "hierarchicalNamespace",
        ),
        when={"retentionPolicy.isLocked": _turned_off},
        source=f"{_TPG}services/storage/resource_storage_bucket.go",
    ),
    # Alert policies and dashboards update every field in place but the project.
    "gcp:monitoring/alertPolicy:AlertPolicy": Rule(
        forces=("project",), source=f"{_TPG}services/monitoring/resource_monitoring_alert_policy.go"
    ),
    "gcp:monitoring/dashboard:Dashboard": Rule(
        forces=("project",), source=f"{_TPG}services/monitoring/resource_monitoring_dashboard.go"
    ),
    # A log metric's label keys and types are force-new (`loggingMetricMetricDescriptorLabelsSchema`).
    "gcp:logging/metric:Metric": Rule(
        forces=("project", "metricDescriptor.labels[*].key", "metricDescriptor.labels[*].valueType"),
        source=f"{_TPG}services/logging/resource_logging_metric.go",
    ),
    "gcp:serviceaccount/account:Account": Rule(
        forces=("accountId", "project"),
        source=f"{_TPG}services/resourcemanager/resource_google_service_account.go",
    ),
    "gcp:projects/service:Service": Rule(
        forces=("service", "project"),
        source=f"{_TPG}services/resourcemanager/resource_google_project_service.go",
    ),
    "gcp:projects/serviceIdentity:ServiceIdentity": Rule(
        forces=("service", "project"),
        source=f"{_TPG}services/resourcemanager/resource_project_service_identity.go",
    ),
    "gcp:gkehub/membership:Membership": Rule(
        forces=("membershipId", "location", "project", "authority.issuer", "endpoint"),
        source=f"{_TPG}services/gkehub/resource_gke_hub_membership.go",
    ),
    "gcp:gkehub/feature:Feature": Rule(
        forces=("name", "location", "project"),
        source=f"{_TPG}services/gkehub2/resource_gke_hub_feature.go",
    ),
    # A template's URL parameters (project, location, template id) are immutable; its filters update in place.
    "gcp:modelarmor/template:Template": Rule(
        forces=("project", "location", "templateId"),
        source="https://github.com/hashicorp/terraform-provider-google-beta/blob/0123f3888f2e1751549a8afee563ca005ebee28a/"
        "google-beta/services/modelarmor/resource_model_armor_template.go",
    ),
    # The organization's schema read at _APIGEE_ORG; the others' URL parameters (organization, name, location)
    # are their identity and cannot change in place; their other fields are unconfirmed, so `possible`.
    "gcp:apigee/organization:Organization": Rule(
        forces=("projectId", "analyticsRegion", "billingType", "runtimeType"),
        possible=("disableVpcPeering",),  # updatable only while the organization has no instance
        source=_APIGEE_ORG,
    ),
    "gcp:apigee/instance:Instance": Rule(
        forces=("orgId", "name", "location"), possible=("ipRange", "peeringCidrRange"), source=_APIGEE + "instance.go"
    ),
    "gcp:apigee/environment:Environment": Rule(
        forces=("orgId", "name"), possible=("type",), source=_APIGEE + "environment.go"
    ),
    "gcp:apigee/envGroup:EnvGroup": Rule(forces=("orgId", "name"), source=_APIGEE + "envgroup.go"),
    # Attachments have no update: any change is a new attachment.
    "gcp:apigee/instanceAttachment:InstanceAttachment": Rule(
        forces=("instanceId", "environment"), source=_APIGEE + "instance_attachment.go"
    ),
    "gcp:apigee/envGroupAttachment:EnvGroupAttachment": Rule(
        forces=("envgroupId", "environment"), source=_APIGEE + "envgroup_attachment.go"
    ),
    # A global address has no update of its range; the connection's network and service are its identity,
    # its reserved ranges update in place (Service Networking's `connections.patch`).
    "gcp:compute/globalAddress:GlobalAddress": Rule(
        forces=(
            "name",
            "address",
            "prefixLength",
            "network",
            "purpose",
            "addressType",
            "project",
            "description",
            "ipVersion",
        ),
        source=f"{_TPG}services/compute/resource_compute_global_address.go",
    ),
    "gcp:servicenetworking/connection:Connection": Rule(
        forces=("network", "service"),
        source=f"{_TPG}services/servicenetworking/resource_service_networking_connection.go",
    ),
    "gcp:projects/iAMMember:IAMMember": _iam_member("project", "services/resourcemanager/iam_project.go"),
    # google_project_iam_audit_config: the service and the project are its identity; its log configs update.
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": Rule(
        forces=("project", "service"),
        source=f"{_TPG}tpgiamresource/resource_iam_audit_config.go, {_TPG}services/resourcemanager/iam_project.go",
    ),
    "gcp:serviceaccount/iAMMember:IAMMember": _iam_member(
        "serviceAccountId", "services/resourcemanager/iam_service_account.go"
    ),
    "gcp:storage/bucketIAMMember:BucketIAMMember": _iam_member("bucket", "services/storage/iam_storage_bucket.go"),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": _iam_member("cryptoKeyId", "services/kms/iam_kms_crypto_key.go"),
    "gcp:secretmanager/secretIamMember:SecretIamMember": _iam_member(
        "secretId", "services/secretmanager/iam_secret_manager_secret.go", "project"
    ),
    # A new run_execution_token updates the job and starts an execution; only these replace it.
    "gcp:cloudrunv2/job:Job": Rule(
        forces=("name", "location", "project", "tags"),
        source=f"{_TPG}services/cloudrunv2/resource_cloud_run_v2_job.go",
    ),
    "gcp:secretmanager/secret:Secret": Rule(
        # Every replication field is ForceNew but the customer-managed keys.
        forces=("secretId", "project", "tags", "replication.userManaged.replicas[*].location"),
        blocks=("replication", "replication.auto", "replication.userManaged", "replication.userManaged.replicas"),
        source=f"{_TPG}services/secretmanager/resource_secret_manager_secret.go",
    ),
    # A new token value is a new version: the job's secret volume then names the new version number.
    "gcp:secretmanager/secretVersion:SecretVersion": Rule(
        forces=("secret", "secretData", "secretDataWoVersion", "isSecretDataBase64", "project"),
        source=f"{_TPG}services/secretmanager/resource_secret_manager_secret_version.go",
    ),
    # terraform-plugin-framework providers: `RequiresReplace` plan modifiers.
    "random:index/randomId:RandomId": Rule(forces=("byteLength", "prefix", "keepers"), source=_RANDOM),
    # createDuration and destroyDuration update in place (without sleeping again); only triggers replace.
    "time:index/sleep:Sleep": Rule(forces=("triggers",), source=_TIME),
    # The leftover sweeper's dynamic provider answers every change with an update, never a replacement
    # (replacing it would run its delete, and sweep, mid-update).
    "pulumi-python:dynamic:Resource": Rule(source="inference/core/leftover_sweeper.py (_SweeperProvider.diff)"),
    # The migration gate and the route's readiness wait: their providers' diff never replaces either.
    "pulumi-python:dynamic/migration:Gate": Rule(source="inference/migration/gate.py (_GateProvider.diff)"),
    "pulumi-python:dynamic/gateway:RouteReadiness": Rule(
        source="inference/single_cluster/route_readiness.py (_RouteReadinessProvider.diff)"
    ),
    # DiffConfig replaces the provider when clusterIdentifier changes (not when it is added or removed);
    # without one, a kubeconfig, context or cluster pointing at another cluster replaces it.
    "pulumi:providers:kubernetes": Rule(
        forces=("renderYamlToDirectory",),
        when={"clusterIdentifier": _both_set},
        source=f"{K8S_SOURCE}provider.go (DiffConfig)",
    ),
}
