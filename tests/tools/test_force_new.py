"""What forces a replacement, pinned field by field: each case renders the offline diff of a changed plan and reads
its verdict. The fields are stated here, independently of tools/force_new.py, as the providers' schemas mark them
(cross-checked against terraform-provider-google-beta at the table's pinned commit, docs/diff.md "Where the table
comes from"): dropping one from the table, or one it stops recognising, fails its case."""

from __future__ import annotations

import copy
import functools
import json
import re

import pytest

from tests.conftest import plan_of
from tools import diff, engine
from tools import plan as plan_tool

TWO = ["europe-west4", "us-east5"]


@functools.cache
def _prod() -> str:
    return json.dumps(plan_tool.document(plan_of("prod"), TWO))


def prod() -> dict:
    """A fresh copy of prod's saved plan (resources.json as the plan command writes it)."""
    return json.loads(_prod())


def _set(inputs: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for part in parents:
        name, _, index = part.partition("[")
        inputs = inputs.setdefault(name, {}) if not index else inputs[name][int(index.rstrip("]"))]
    inputs[last] = value


def verdict(text: str, name: str) -> str:
    """The diff's line for the resource `name`."""
    (line,) = [line for line in text.splitlines() if line.startswith("- ") and f"` **{name}**" in line]
    return line


def forced(line: str) -> list[str]:
    """The fields a replace line says force it."""
    found = re.search(r"forces replacement: ((?:`[^`]+`(?:, )?)+)", line)
    return re.findall(r"`([^`]+)`", found.group(1)) if found else []


def forces(field: str) -> str:
    """The start of a replace line forced by `field` alone (after the new name, when `field` gives the name)."""
    return rf"- `\+-` replace \((name `[^`]*` → `[^`]*`; )?forces replacement: `{re.escape(field)}`[;)]"


# A change to one input of one resource of prod's saved plan, and what the diff must call it.
# "+-": replaced, forced by that field; "+-?": a possible replacement; "~": an update in place.
PROD_CASES = [
    ("weights-us-east5", "location", "EU", "+-"),  # moving the weights bucket deletes and recreates it
    ("weights-us-east5", "project", "another-project", "+-"),
    ("weights-us-east5", "storageClass", "NEARLINE", "~"),
    ("cluster-us-east5-gke", "location", "us-east5-a", "+-"),
    ("cluster-us-east5-gke", "network", "projects/tpu-inference-prod/global/networks/another", "+-"),
    ("cluster-us-east5-gke", "subnetwork", "projects/tpu-inference-prod/regions/us-east5/subnetworks/x", "+-"),
    ("cluster-us-east5-gke", "datapathProvider", "LEGACY_DATAPATH", "+-"),
    ("cluster-us-east5-gke", "networkingMode", "ROUTES", "+-"),
    # Force-new, but the program ignores them on the cluster (its default pool is removed): Pulumi updates.
    ("cluster-us-east5-gke", "initialNodeCount", 2, "~"),
    ("cluster-us-east5-gke", "nodeConfig.serviceAccount", "other@tpu-inference-prod.iam.gserviceaccount.com", "~"),
    ("cluster-us-east5-gke", "releaseChannel.channel", "REGULAR", "~"),
    ("cluster-us-east5-tpu", "location", "us-east5-a", "+-"),
    ("cluster-us-east5-tpu", "cluster", "another-cluster", "+-"),
    ("cluster-us-east5-tpu", "nodeConfig.spot", True, "+-"),
    ("cluster-us-east5-tpu", "nodeConfig.serviceAccount", "other@tpu-inference-prod.iam.gserviceaccount.com", "+-"),
    ("cluster-us-east5-tpu", "networkConfig.acceleratorNetworkProfile", "", "+-"),
    # The TPU placement: a new policy (a multi-host slice's) is a new block; its topology may force one.
    ("cluster-us-east5-tpu", "placementPolicy", {"type": "COMPACT", "tpuTopology": "4x4"}, "+-"),
    # The provider updates a machine type in place; for a TPU slice that is unconfirmed.
    ("cluster-us-east5-tpu", "nodeConfig.machineType", "ct6e-standard-8t", "+-?"),
    ("cluster-us-east5-system", "nodeConfig.machineType", "e2-standard-32", "~"),
    ("cluster-us-east5-tpu", "autoscaling.maxNodeCount", 4, "~"),
    # A subnet range may grow in place; shrinking or moving it replaces the subnet.
    ("network-node-us-east5", "ipCidrRange", "10.0.2.0/23", "~"),
    ("network-node-us-east5", "ipCidrRange", "10.0.2.0/25", "+-"),
    ("network-node-us-east5", "ipCidrRange", "10.0.3.0/24", "+-"),
    ("network-proxy-us-east5", "ipCidrRange", "10.1.2.128/25", "+-"),
    ("network-proxy-us-east5", "region", "us-east1", "+-"),
    ("network-proxy-us-east5", "purpose", "REGIONAL_MANAGED_PROXY", "+-?"),
    ("network-vpc", "autoCreateSubnetworks", True, "+-"),
    ("network-vpc", "mtu", 1460, "~"),
    ("network-gateway-ip-us-east5", "subnetwork", "projects/tpu-inference-prod/regions/us-east5/subnetworks/x", "+-"),
    ("network-gateway-ip-us-east5", "address", "10.0.2.9", "+-"),
    ("network-allow-internal", "direction", "EGRESS", "+-"),
    ("network-allow-internal", "network", "another-vpc", "+-?"),
    (
        "fleet-us-east5",
        "authority.issuer",
        "https://container.googleapis.com/v1/projects/p/locations/l/clusters/c",
        "+-",
    ),
    ("weights-download-us-east5", "location", "us-east1", "+-"),
    ("weights-download-hf-token", "secretId", "another-token", "+-"),
    ("weights-us-east5-read", "role", "roles/storage.objectUser", "+-"),
    ("weights-us-east5-read", "member", "serviceAccount:other@tpu-inference-prod.iam.gserviceaccount.com", "+-"),
    ("weights-suffix", "byteLength", 8, "+-"),
    ("cluster-us-east5-k8s", "clusterIdentifier", "gke_tpu-inference-prod_us-east5-a_other", "+-"),
    # The objects on the clusters: a Deployment's selector and a Service's cluster IP are immutable.
    ("model-server-us-east5-deployment", "spec.selector.matchLabels.app", "another-server", "+-"),
    ("model-server-us-east5-deployment", "spec.template.spec.containers[0].image", "vllm/vllm-tpu:v0.13.0", "~"),
    ("model-server-us-east5-service", "spec.clusterIP", "10.96.0.10", "+-"),
    ("model-server-us-east5-service", "metadata.namespace", "serving", "+-"),
]


@pytest.mark.parametrize(
    ("name", "path", "value", "expected"), PROD_CASES, ids=[f"{n}.{p}={v}" for n, p, v, _ in PROD_CASES]
)
def test_a_change_to_prods_saved_plan_gets_the_providers_verdict(name, path, value, expected):
    head = prod()
    (target,) = [r for r in head["resources"] if r["name"] == name]
    _set(target["inputs"], path, value)
    line = verdict(diff.markdown("prod", prod(), head), name)
    top = next((p for p in ("placementPolicy", "spec.selector") if path.startswith(p)), path)
    if expected == "+-":
        assert re.match(forces(top), line), line
    elif expected == "+-?":
        assert line.startswith(f"- `+-?` replace (possible replacement: `{path}`"), line
    else:
        assert line.startswith("- `~` change "), line


def fields(text: str) -> list[str]:
    return text.split()


# Every force-new field of the GCP types the program creates, as the providers' schemas mark them.
NODE_CONFIG = fields(
    "guestAccelerators localSsdCount ephemeralStorageConfig ephemeralStorageLocalSsdConfig localNvmeSsdBlockConfig "
    "secondaryBootDisks metadata minCpuPlatform oauthScopes preemptible reservationAffinity spot serviceAccount "
    "shieldedInstanceConfig bootDiskKmsKey nodeGroup advancedMachineFeatures.threadsPerCore "
    "advancedMachineFeatures.enableNestedVirtualization soleTenantConfig.nodeAffinities hostMaintenancePolicy "
    "confidentialNodes.confidentialInstanceType enableConfidentialStorage localSsdEncryptionMode maxRunDuration "
    "flexStart"
)
IAM = fields("role member condition")
FORCE_NEW: dict[str, list[str]] = {
    "gcp:container/cluster:Cluster": fields(
        "name location project description network subnetwork networkingMode datapathProvider "
        "dataplaneOptimizationMode clusterIpv4Cidr defaultMaxPodsPerNode initialNodeCount nodePools enableAutopilot "
        "enableKubernetesAlpha enableTpu tpuConfig.enabled tpuConfig.useServiceNetworking confidentialNodes "
        "masterAuth.clientCertificateConfig ipAllocationPolicy.clusterIpv4CidrBlock "
        "ipAllocationPolicy.servicesIpv4CidrBlock ipAllocationPolicy.clusterSecondaryRangeName "
        "ipAllocationPolicy.servicesSecondaryRangeName privateClusterConfig.masterIpv4CidrBlock "
        "privateClusterConfig.privateEndpointSubnetwork userManagedKeysConfig.clusterCa "
        "userManagedKeysConfig.etcdApiCa "
        "userManagedKeysConfig.etcdPeerCa userManagedKeysConfig.aggregationCa "
        "clusterAutoscaling.autoProvisioningDefaults.bootDiskKmsKey"
    )
    + [f"nodeConfig.{f}" for f in NODE_CONFIG],
    "gcp:container/nodePool:NodePool": fields(
        "name namePrefix project cluster location initialNodeCount maxPodsPerNode placementPolicy.policyName "
        "queuedProvisioning networkConfig.acceleratorNetworkProfile networkConfig.createPodRange "
        "networkConfig.podRange "
        "networkConfig.podIpv4CidrBlock networkConfig.podCidrOverprovisionConfig networkConfig.subnetwork "
        "networkConfig.additionalNodeNetworkConfigs networkConfig.additionalPodNetworkConfigs"
    )
    + [f"nodeConfig.{f}" for f in NODE_CONFIG],
    "gcp:compute/network:Network": (
        fields("name project autoCreateSubnetworks description internalIpv6Range networkProfile params")
    ),
    "gcp:compute/subnetwork:Subnetwork": fields(
        "name project region network description externalIpv6Prefix internalIpv6Prefix params reservedInternalRange "
        "resolveSubnetMask"
    ),
    "gcp:compute/address:Address": fields(
        "name project region address addressType description ipCollection ipVersion ipv6EndpointType network "
        "networkTier prefixLength purpose subnetwork"
    ),
    "gcp:compute/globalAddress:GlobalAddress": (
        fields("name address prefixLength network purpose addressType project description ipVersion")
    ),
    "gcp:compute/firewall:Firewall": fields("name project direction params"),
    "gcp:compute/router:Router": fields("name project region network encryptedInterconnectRouter nccGateway params"),
    "gcp:compute/routerNat:RouterNat": fields("name project region router type endpointTypes initialNatIps"),
    "gcp:storage/bucket:Bucket": (
        fields("name project location enableObjectRetention customPlacementConfig.dataLocations hierarchicalNamespace")
    ),
    "gcp:monitoring/alertPolicy:AlertPolicy": ["project"],
    "gcp:monitoring/dashboard:Dashboard": ["project"],
    "gcp:logging/metric:Metric": ["project", "metricDescriptor.labels[*].key", "metricDescriptor.labels[*].valueType"],
    "gcp:serviceaccount/account:Account": ["accountId", "project"],
    "gcp:projects/service:Service": ["service", "project"],
    "gcp:projects/serviceIdentity:ServiceIdentity": ["service", "project"],
    "gcp:gkehub/membership:Membership": fields("membershipId location project authority.issuer endpoint"),
    "gcp:gkehub/feature:Feature": fields("name location project"),
    "gcp:modelarmor/template:Template": fields("project location templateId"),
    "gcp:apigee/organization:Organization": fields("projectId analyticsRegion billingType runtimeType"),
    "gcp:apigee/instance:Instance": fields("orgId name location"),
    "gcp:apigee/environment:Environment": fields("orgId name"),
    "gcp:apigee/envGroup:EnvGroup": fields("orgId name"),
    "gcp:apigee/instanceAttachment:InstanceAttachment": fields("instanceId environment"),
    "gcp:apigee/envGroupAttachment:EnvGroupAttachment": fields("envgroupId environment"),
    "gcp:servicenetworking/connection:Connection": fields("network service"),
    "gcp:projects/iAMMember:IAMMember": ["project", *IAM],
    "gcp:serviceaccount/iAMMember:IAMMember": ["serviceAccountId", *IAM],
    "gcp:storage/bucketIAMMember:BucketIAMMember": ["bucket", *IAM],
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": ["cryptoKeyId", *IAM],
    "gcp:secretmanager/secretIamMember:SecretIamMember": ["secretId", "project", *IAM],
    "gcp:cloudrunv2/job:Job": fields("name location project tags"),
    "gcp:secretmanager/secret:Secret": ["secretId", "project", "tags", "replication.userManaged.replicas[*].location"],
    "gcp:secretmanager/secretVersion:SecretVersion": fields(
        "secret secretData secretDataWoVersion project isSecretDataBase64"
    ),
    "random:index/randomId:RandomId": fields("byteLength prefix keepers"),
    "time:index/sleep:Sleep": ["triggers"],
    "pulumi:providers:kubernetes": ["renderYamlToDirectory"],
}


def _nested(path: str, value) -> dict:
    """{"a": {"b": [{"c": value}]}} for "a.b[*].c"."""
    head, _, rest = path.partition(".")
    inner = _nested(rest, value) if rest else value
    if head.endswith("[*]"):
        return {head[:-3]: [inner]}
    return {head: inner}


def one_resource(type_: str, inputs: dict) -> dict:
    urn = f"urn:pulumi:prod::inference-platform::{type_}::r"
    reg = engine.Registration(urn, type_, "r", "", True, False, inputs, {}, "", [], {}, {})
    return json.loads(json.dumps(plan_tool.document(engine.Plan("prod", "inference-platform", [reg], {}), TWO)))


def _deep_merge(a: dict, b: dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in b.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


CASES = [(t, f) for t, fields in FORCE_NEW.items() for f in fields]


@pytest.mark.parametrize(("type_", "field"), CASES, ids=[f"{t.split(':')[1]}.{f}" for t, f in CASES])
def test_a_force_new_field_replaces_its_resource(type_, field):
    # A second input that does not change: the replacement is the field's alone.
    keep = {"labels": {"team": "ml"}}
    before, after = (_deep_merge(keep, _nested(field, v)) for v in ("old-value", "new-value"))
    line = verdict(diff.markdown("prod", one_resource(type_, before), one_resource(type_, after)), "r")
    assert re.match(forces(field), line), line


@pytest.mark.parametrize(
    ("type_", "before", "after", "expected"),
    [
        # Blocks: adding or removing one replaces, a field inside it updates in place.
        ("gcp:container/cluster:Cluster", {}, {"ipAllocationPolicy": {"stackType": "IPV4"}}, "ipAllocationPolicy"),
        ("gcp:container/cluster:Cluster", {"ipAllocationPolicy": {"stackType": "IPV4"}}, {}, "ipAllocationPolicy"),
        (
            "gcp:container/cluster:Cluster",
            {"ipAllocationPolicy": {"stackType": "IPV4"}},
            {"ipAllocationPolicy": {"stackType": "IPV4_IPV6"}},
            None,
        ),
        ("gcp:container/nodePool:NodePool", {"nodeConfig": {"diskSizeGb": 100}}, {}, "nodeConfig"),
        (
            "gcp:container/nodePool:NodePool",
            {"nodeConfig": {"diskSizeGb": 100}},
            {"nodeConfig": {"diskSizeGb": 200}},
            None,
        ),
        (
            "gcp:container/nodePool:NodePool",
            {"nodeConfig": {}},
            {"nodeConfig": {"sandboxConfig": {"sandboxType": "gvisor"}}},
            "nodeConfig.sandboxConfig",
        ),
        ("gcp:container/nodePool:NodePool", {"placementPolicy": {"type": "COMPACT"}}, {}, "placementPolicy"),
        (
            "gcp:secretmanager/secret:Secret",
            {"replication": {"auto": {}}},
            {"replication": {"userManaged": {"replicas": [{"location": "us-east5"}]}}},
            "replication.auto",
        ),
        # CustomizeDiff: turning these off replaces the cluster, turning them on does not.
        (
            "gcp:container/cluster:Cluster",
            {"enableL4IlbSubsetting": True},
            {"enableL4IlbSubsetting": False},
            "enableL4IlbSubsetting",
        ),
        ("gcp:container/cluster:Cluster", {"enableL4IlbSubsetting": False}, {"enableL4IlbSubsetting": True}, None),
        (
            "gcp:container/cluster:Cluster",
            {"enableFqdnNetworkPolicy": True},
            {"enableFqdnNetworkPolicy": False},
            "enableFqdnNetworkPolicy",
        ),
        (
            "gcp:storage/bucket:Bucket",
            {"retentionPolicy": {"isLocked": True}},
            {"retentionPolicy": {"isLocked": False}},
            "retentionPolicy.isLocked",
        ),
        (
            "gcp:storage/bucket:Bucket",
            {"retentionPolicy": {"isLocked": False}},
            {"retentionPolicy": {"isLocked": True}},
            None,
        ),
    ],
)
def test_blocks_and_conditions(type_, before, after, expected):
    keep = {"labels": {"team": "ml"}}
    text = diff.markdown("prod", one_resource(type_, keep | before), one_resource(type_, keep | after))
    line = verdict(text, "r")
    if expected:
        assert line.startswith("- `+-` replace (") and expected in forced(line), line
    else:
        assert line.startswith("- `~` change "), line


@pytest.mark.parametrize(("field", "value"), [("tpuTopology", "4x4"), ("type", "SPECIFIC_TYPE")])
def test_a_new_tpu_placement_may_replace_the_pool(field, value):
    """Not force-new, and the provider's update has no branch for them: shown as a possible replacement."""
    type_, placement = "gcp:container/nodePool:NodePool", {"type": "COMPACT", "tpuTopology": "2x2"}
    old, new = (one_resource(type_, {"placementPolicy": p}) for p in (placement, placement | {field: value}))
    line = verdict(diff.markdown("prod", old, new), "r")
    assert line.startswith(f"- `+-?` replace (possible replacement: `placementPolicy.{field}`)"), line


# Kubernetes objects: pulumi-kubernetes' force-new properties (provider/pkg/provider/diff.go at the pinned commit,
# docs/diff.md), and the identity every kind is replaced on (provider.go Diff).
POD_SPEC = fields(
    "affinity automountServiceAccountToken dnsConfig dnsPolicy enableServiceLinks hostAliases hostIPC hostNetwork "
    "hostPID hostname imagePullSecrets nodeName nodeSelector overhead preemptionPolicy priority priorityClassName "
    "readinessGates restartPolicy runtimeClassName schedulerName securityContext serviceAccount serviceAccountName "
    "shareProcessNamespace subdomain terminationGracePeriodSeconds volumes"
)
CONTAINER = fields(
    "args command env image imagePullPolicy lifecycle livenessProbe ports readinessProbe resources securityContext "
    "stdin stdinOnce terminationMessagePath terminationMessagePolicy tty volumeDevices volumeMounts workingDir"
)
PV_SOURCES = fields(
    "awsElasticBlockStore azureDisk azureFile cephfs cinder csi fc flexVolume flocker gcePersistentDisk glusterfs "
    "hostPath iscsi local nfs photonPersistentDisk portworxVolume quobyte rbd scaleIO storageos vsphereVolume"
)
STATEFUL_SET = fields(
    "spec.podManagementPolicy spec.revisionHistoryLimit spec.selector spec.serviceName spec.volumeClaimTemplates"
)
JOB = fields("spec.completions spec.parallelism spec.selector spec.template")
K8S_FORCE_NEW: dict[str, list[str]] = {
    "apps/v1:Deployment": ["spec.selector"],
    "apps/v1:DaemonSet": ["spec.selector"],
    "apps/v1beta2:Deployment": ["spec.selector"],
    "apps/v1:StatefulSet": STATEFUL_SET,
    "apps/v1beta1:StatefulSet": STATEFUL_SET,
    "batch/v1:Job": JOB,
    "batch/v1beta1:Job": JOB,
    "core/v1:PersistentVolumeClaim": fields("spec.accessModes spec.selector spec.storageClassName spec.volumeName"),
    "core/v1:PersistentVolume": [f"spec.{s}" for s in PV_SOURCES],
    "core/v1:Pod": [f"spec.{f}" for f in POD_SPEC]
    + [f"spec.{c}[*].{f}" for c in ("containers", "initContainers") for f in CONTAINER],
    "core/v1:ResourceQuota": ["spec.scopes"],
    "core/v1:Service": ["spec.clusterIP"],
    # Secrets and ConfigMaps replace on their data unless the provider makes them mutable (provider.go).
    "core/v1:Secret": ["type", "data", "stringData"],
    "core/v1:ConfigMap": ["data", "binaryData"],
    "policy/v1beta1:PodDisruptionBudget": ["spec"],
    "rbac.authorization.k8s.io/v1:RoleBinding": ["roleRef"],
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": ["roleRef"],
    "storage.k8s.io/v1:StorageClass": ["parameters", "provisioner"],
}
K8S_KINDS = [*K8S_FORCE_NEW, "core/v1:Namespace", "inference.networking.k8s.io/v1:InferencePool"]
K8S_CASES = [(f"kubernetes:{t}", f) for t, fs in K8S_FORCE_NEW.items() for f in fs] + [
    (f"kubernetes:{t}", f) for t in K8S_KINDS for f in ("metadata.name", "metadata.namespace")
]


@pytest.mark.parametrize(("type_", "field"), K8S_CASES, ids=[f"{t.split(':', 1)[1]}.{f}" for t, f in K8S_CASES])
def test_a_kubernetes_force_new_field_replaces_its_object(type_, field):
    keep = {"metadata": {"name": "o", "namespace": "ns", "labels": {"team": "ml"}}}
    before, after = (_deep_merge(keep, _nested(field, v)) for v in ("old-value", "new-value"))
    line = verdict(diff.markdown("prod", one_resource(type_, before), one_resource(type_, after)), "r")
    assert re.match(forces(field), line), line


@pytest.mark.parametrize(
    ("type_", "field"),
    [
        ("apps/v1:Deployment", "spec.replicas"),
        ("apps/v1:Deployment", "spec.template"),  # a rollout, not a replacement
        ("core/v1:Service", "spec.type"),
        ("policy/v1:PodDisruptionBudget", "spec.maxUnavailable"),
        ("core/v1:PersistentVolumeClaim", "spec.resources"),  # a volume may grow in place
        ("inference.networking.k8s.io/v1:InferencePool", "spec.targetPorts"),
        ("core/v1:Namespace", "metadata.labels"),
    ],
)
def test_other_kubernetes_fields_update_in_place(type_, field):
    keep = {"metadata": {"name": "o", "namespace": "ns"}}
    before, after = (_deep_merge(keep, _nested(field, v)) for v in ("old-value", "new-value"))
    type_ = f"kubernetes:{type_}"
    line = verdict(diff.markdown("prod", one_resource(type_, before), one_resource(type_, after)), "r")
    assert line.startswith("- `~` change "), line
