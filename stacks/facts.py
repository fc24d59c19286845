"""Facts about Google Cloud and GKE that the program and its checks rely on, each with its source and
the date it was read. Data and small pure functions only: no Pulumi, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

# ======================================================================================================
# Capacity: machine types, node allocatable, GKE system pods (used by tools/capacity.py, docs/capacity.md)
# ======================================================================================================

CAPACITY_FACTS_READ_ON = "2026-11-25"  # the date every source of this section was read

MI = 2**20
GI = 2**30

# --- Machine types -------------------------------------------------------------------------------------
# Compute Engine's "GB" of machine memory are GiB: `gcloud compute machine-types describe e2-standard-4`
# reports memoryMb 16384, and the Cluster Autoscaler computes node memory as memoryMb x MiB
# (kubernetes/autoscaler cluster-autoscaler/cloudprovider/gce/templates.go).
GENERAL_PURPOSE = "https://cloud.google.com/compute/docs/general-purpose-machines"
TPU_V6E = "https://cloud.google.com/tpu/docs/v6e"
GKE_PLAN_TPUS = "https://cloud.google.com/kubernetes-engine/docs/concepts/plan-tpus#choose-tpu-version"


@dataclass(frozen=True)
class MachineType:
    vcpus: int
    memory_gib: int
    source: str
    tpu_chips: int = 0  # the node's `google.com/tpu` capacity
    tpu_accelerator: str = ""  # the node label cloud.google.com/gke-tpu-accelerator GKE sets
    tpu_topology: str = ""  # the node label cloud.google.com/gke-tpu-topology of a single-host slice
    note: str = ""


def _series(prefix: str, sizes: tuple[int, ...], gib_per_vcpu: int, source: str) -> dict[str, MachineType]:
    return {f"{prefix}-{n}": MachineType(n, n * gib_per_vcpu, source) for n in sizes}


MACHINE_TYPES: dict[str, MachineType] = {
    # E2 standard: 4 GB per vCPU (#e2-standard).
    **_series("e2-standard", (2, 4, 8, 16, 32), 4, f"{GENERAL_PURPOSE}#e2-standard"),
    # N2 standard: 4 GB per vCPU (#n2_machine_types).
    **_series("n2-standard", (2, 4, 8, 16, 32, 48, 64, 80, 96, 128), 4, f"{GENERAL_PURPOSE}#n2_machine_types"),
    # N2 high-memory: 8 GB per vCPU up to 64 vCPUs (n2-highmem-128 has 864 GB, not 8 x 128: left out).
    **_series("n2-highmem", (2, 4, 8, 16, 32, 64), 8, f"{GENERAL_PURPOSE}#n2_machine_types"),
    # C3 standard: 4 GB per vCPU, sizes 4/8/22/44/88/176; the same RAM per shape is pinned by
    # google/gce-tcb-verifier `shapeRAMGib`, which cites #c3_machine_types.
    **_series("c3-standard", (4, 8, 22, 44, 88, 176), 4, f"{GENERAL_PURPOSE}#c3_machine_types"),
    # TPU v6e (Trillium) hosts: every shape is a single-host slice for serving (v6e page, "Supported
    # configurations": 1x1 ct6e-standard-1t, 2x2 ct6e-standard-4t, 2x4 ct6e-standard-8t); GKE labels the
    # nodes cloud.google.com/gke-tpu-accelerator=tpu-v6e-slice (plan-tpus). vCPUs and memory from GKE's
    # plan-tpus table (read through a public copy of it, see the notes) and the v6e page's VM types.
    "ct6e-standard-1t": MachineType(
        44,
        176,
        f"{TPU_V6E} (VM types); {GKE_PLAN_TPUS}",
        tpu_chips=1,
        tpu_accelerator="tpu-v6e-slice",
        tpu_topology="1x1",
        note="sources disagree on memory: a copy of GKE's plan-tpus table says 448 GiB; a measured VM shows "
        "172 GB and a GKE user reports ~163 GB allocatable, both consistent with 176 GB: the smaller is used",
    ),
    "ct6e-standard-4t": MachineType(
        180,
        720,
        f"{TPU_V6E} (VM types); {GKE_PLAN_TPUS}",
        tpu_chips=4,
        tpu_accelerator="tpu-v6e-slice",
        tpu_topology="2x2",
    ),
    "ct6e-standard-8t": MachineType(
        180,
        1440,
        f"{TPU_V6E} (VM types); {GKE_PLAN_TPUS}",
        tpu_chips=8,
        tpu_accelerator="tpu-v6e-slice",
        tpu_topology="2x4",
    ),
}

# GKE taints every TPU slice node google.com/tpu=present:NoSchedule itself
# (https://cloud.google.com/kubernetes-engine/docs/concepts/tpus#how_tpus_work).
TPU_TAINT = {"key": "google.com/tpu", "value": "present", "effect": "NoSchedule"}
TPU_RESOURCE = "google.com/tpu"
# Standard clusters default to 110 Pods per node
# (https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr).
MAX_PODS_PER_NODE = 110

# --- Allocatable ---------------------------------------------------------------------------------------
# GKE reserves CPU and memory on every Standard node for the kubelet, the container runtime and the OS,
# plus the kubelet's hard eviction threshold of 100 MiB:
# https://cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes#memory_cpu (formerly
# .../concepts/cluster-architecture#memory_cpu). The same brackets are implemented by the Cluster
# Autoscaler (kubernetes/autoscaler cluster-autoscaler/cloudprovider/gce/reserved.go,
# memoryReservedMiB / cpuReservedMillicores), which uses 1000 MiB per "GB" where the docs say GiB;
# the docs' GiB brackets reserve slightly more, so they are used.
MEMORY_RESERVED_BRACKETS_MIB = ((4096, 0.25), (8192, 0.20), (16384, 0.10), (131072, 0.06), (None, 0.02))
MEMORY_RESERVED_SMALL_MIB = 255  # machines with less than 1 GiB
CPU_RESERVED_BRACKETS_MILLI = ((1000, 0.06), (2000, 0.01), (4000, 0.005), (None, 0.0025))
EVICTION_THRESHOLD_MIB = 100
# The node's memory capacity is the machine's memory less what the Linux kernel keeps; GKE's docs do not
# give it, the Cluster Autoscaler predicts it (reserved.go CalculateKernelReserved, Container-Optimized
# OS): 1/64 of memory + 16 MiB, + 64 MiB above 3 GiB (software IO TLB), + 8 MiB up to 8 GiB,
# + min(0.175 % of memory, 248 MiB).


def _bracketed(amount: float, brackets: tuple[tuple[float | None, float], ...]) -> float:
    """Marginal rates: each rate applies to the part of `amount` between the previous bound and its own."""
    reserved, lower = 0.0, 0.0
    for upper, rate in brackets:
        top = amount if upper is None else min(amount, upper)
        if top > lower:
            reserved += (top - lower) * rate
        if upper is None or amount <= upper:
            break
        lower = upper
    return reserved


def kube_reserved_memory_mib(memory_mib: float) -> float:
    if memory_mib < 1024:
        return MEMORY_RESERVED_SMALL_MIB
    return _bracketed(memory_mib, MEMORY_RESERVED_BRACKETS_MIB)


def kube_reserved_cpu_milli(vcpus: int) -> float:
    return _bracketed(vcpus * 1000, CPU_RESERVED_BRACKETS_MILLI)


def kernel_reserved_mib(memory_mib: float) -> float:
    reserved = memory_mib / 64 + 16
    if memory_mib > 3 * 1024:
        reserved += 64
    if memory_mib <= 8 * 1024:
        reserved += 8
    return reserved + min(0.00175 * memory_mib, 248)


def allocatable(machine: MachineType) -> dict[str, int]:
    """What one node of this machine type offers to Pods: cpu in millicores, memory in bytes, Pods, and
    TPU chips for TPU hosts (rounded down: the scheduler must not be promised a fraction it lacks)."""
    memory_mib = machine.memory_gib * 1024
    memory = memory_mib - kernel_reserved_mib(memory_mib) - kube_reserved_memory_mib(memory_mib)
    memory -= EVICTION_THRESHOLD_MIB
    resources = {
        "cpu": int(machine.vcpus * 1000 - kube_reserved_cpu_milli(machine.vcpus)),
        "memory": int(memory * MI),
        "pods": MAX_PODS_PER_NODE,
    }
    if machine.tpu_chips:
        resources[TPU_RESOURCE] = machine.tpu_chips
    return resources


# --- GKE system pods ------------------------------------------------------------------------------------
# What GKE itself runs on a Standard cluster with Dataplane V2 (anetd instead of kube-proxy), Workload
# Identity (gke-metadata-server on GKE_METADATA nodes), the Cloud Storage FUSE CSI driver, Compute Engine
# PD CSI (on by default), Cloud Logging and Monitoring, and managed Prometheus. Requests per Pod; where
# no public source gives a figure it is an estimate, rounded up.
CRYPTNONO_34 = "https://github.com/cryptnono/cryptnono/issues/34 (kubectl describe node, GKE 1.29, 2024-05)"
GMP_OPERATOR = "GoogleCloudPlatform/prometheus-engine manifests/operator.yaml @2ffde4e (2026-07-02)"
FUSE_NODE = "GoogleCloudPlatform/gcs-fuse-csi-driver deploy/base/node/node.yaml @5fcdc04 (2026-08-21)"


@dataclass(frozen=True)
class SystemPod:
    name: str
    cpu_milli: int
    memory: int  # bytes
    source: str
    estimate: bool = False
    replicas: int = 1  # cluster-wide Deployments only


# DaemonSets on every node (they tolerate every taint, TPU nodes included).
NODE_SYSTEM_PODS = (
    SystemPod(
        "anetd",
        200,
        300 * MI,
        "Dataplane V2 agent (Cilium-based); GKE's manifest is not public and no public node listing with "
        "its requests was found",
        estimate=True,
    ),
    SystemPod("netd", 50, 80 * MI, "GoogleCloudPlatform/netd netd.yaml sets no requests; GKE's do", estimate=True),
    SystemPod("fluentbit-gke", 105, 230 * MI, CRYPTNONO_34),
    SystemPod("gke-metadata-server", 100, 100 * MI, CRYPTNONO_34),
    SystemPod("gke-metrics-agent", 10, 60 * MI, "system metrics for Cloud Monitoring; not public", estimate=True),
    SystemPod(
        "pdcsi-node",
        20,
        40 * MI,
        "kubernetes-sigs/gcp-compute-persistent-disk-csi-driver node_linux/node.yaml sets no requests; two "
        "containers on GKE",
        estimate=True,
    ),
    SystemPod(
        "gcsfusecsi-node",
        20,
        50 * MI,
        f"{FUSE_NODE}: 5m/10Mi + 10m/10Mi; GKE adds a metrics collector (gcs-fuse-csi-driver issue #373, "
        "30Mi limit), so rounded up",
        estimate=True,
    ),
    SystemPod("collector (gmp-system)", 5, 36_000_000, f"{GMP_OPERATOR}: prometheus 4m/32M + config-reloader 1m/4M"),
    SystemPod(
        "ip-masq-agent",
        10,
        16 * MI,
        f"{CRYPTNONO_34}; Dataplane V2 may masquerade in anetd instead, counted to be safe",
    ),
)

# Extra DaemonSets on TPU slice nodes.
TPU_NODE_SYSTEM_PODS = (
    SystemPod("tpu-device-plugin", 50, 100 * MI, "GKE's TPU device plugin; not public", estimate=True),
    SystemPod("dranet driver", 50, 100 * MI, "managed DRANET's node agent; not public", estimate=True),
)

# Cluster-wide Deployments: no node selector, no toleration for custom taints, so they land on the
# untainted pools (here: the system pool).
CLUSTER_SYSTEM_PODS = (
    SystemPod("kube-dns", 260, 110 * MI, CRYPTNONO_34, replicas=2),
    SystemPod("kube-dns-autoscaler", 20, 10 * MI, CRYPTNONO_34),
    SystemPod("konnectivity-agent", 15, 60 * MI, f"{CRYPTNONO_34}; scaled with the cluster, 2 when small", replicas=2),
    SystemPod("konnectivity-agent-autoscaler", 10, 10_000_000, CRYPTNONO_34),
    SystemPod(
        "metrics-server",
        55,
        160 * MI,
        "metrics-server with its addon-resizer nanny; GKE's figures are not public",
        estimate=True,
    ),
    SystemPod("event-exporter-gke", 10, 40 * MI, "not public", estimate=True),
    SystemPod(
        "l7-default-backend",
        10,
        20 * MI,
        "https://github.com/kubernetes/ingress-gce/issues/25 (GKE's default backend: 10m / 20Mi)",
    ),
    SystemPod("gmp-operator", 1, 16_000_000, GMP_OPERATOR),
    SystemPod(
        "gke-mcs-importer",
        20,
        100 * MI,
        "multi-cluster Services importer of a fleet member; may run in the control plane on recent versions",
        estimate=True,
    ),
)


# ======================================================================================================
# GKE versions the features need (used by stacks/config.py), read 2026-11-25
# ======================================================================================================

VERSIONS_READ_ON = "2026-11-25"


@dataclass(frozen=True)
class MinimumVersion:
    feature: str
    version: str  # the oldest GKE version that has the feature on a Standard cluster
    source: str


DRANET_MINIMUM = MinimumVersion(
    "managed DRANET (the TPU pool's network devices)",
    "1.34.1-gke.1829001",
    "https://cloud.google.com/kubernetes-engine/docs/how-to/allocate-network-resources-dra "
    '("Standard: 1.34.1-gke.1829001 or later")',
)
MULTI_CLUSTER_INFERENCE_MINIMUM = MinimumVersion(
    "the multi-cluster inference gateway",
    "1.34.1-gke.1127000",
    "https://cloud.google.com/kubernetes-engine/docs/how-to/setup-multicluster-inference-gateway "
    '("Use GKE version 1.34.1-gke.1127000 or later")',
)
# What each release channel offered (GKE release notes, 2026-R14 of 2026-04-09, the newest entry read):
# every channel is past both minimums, and 1.34.1-gke.1829001 itself left Rapid on 2025-11-14, so an
# exact old patch is no longer creatable: the program asks for a minor version (an alias GKE resolves
# to that minor's newest patch in the channel) and checks that minor against the minimums.
# Source: https://cloud.google.com/kubernetes-engine/docs/release-notes
CHANNEL_VERSIONS = {
    "RAPID": "1.35.3-gke.1234000",
    "REGULAR": "1.35.2-gke.1842000",
    "STABLE": "1.35.2-gke.1269001",
    "EXTENDED": "1.35.2-gke.1842000",
}
CHANNEL_VERSIONS_READ_ON = "2026-04-09"


def version_key(version: str) -> tuple[int, ...]:
    """1.34.1-gke.1829001 -> (1, 34, 1, 1829001); a minor alias 1.35 -> (1, 35, 0, 0), its oldest patch."""
    numbers = [int(n) for n in version.replace("-gke.", ".").split(".")]
    return tuple(numbers + [0] * (4 - len(numbers)))


# ======================================================================================================
# Permissions: what each GKE feature needs from which identity (tests/test_permissions.py holds the plan
# to exactly this: nothing missing, nothing broader), read 2026-11-25
# ======================================================================================================


@dataclass(frozen=True)
class Grant:
    identity: str  # who: a key of IDENTITIES below
    role: str
    scope: str  # where the member is granted: project, bucket, service-account, kms-key
    why: str
    source: str
    when: str = "always"  # "always"; "features": the stack owns the fleet features; "kms": secretsEncryptionKeys


IDENTITIES = {
    "node": "the node pools' dedicated service account (<prefix>-<stack>-node)",
    "mci-agent": "service-PROJECT_NUMBER@gcp-sa-multiclusteringress.iam.gserviceaccount.com",
    "mcs-importer": "PROJECT.svc.id.goog[gke-mcs/gke-mcs-importer], through Workload Identity",
    "fuse-reader": "the serving pods' Google service account (<prefix>-<stack>-fuse)",
    "downloader": "the download Job's Google service account (<prefix>-<stack>-dl)",
    "reader-ksa": "PROJECT.svc.id.goog[<namespace>/<modelServer.serviceAccount>]",
    "downloader-ksa": "PROJECT.svc.id.goog[<namespace>/<modelServer.downloaderServiceAccount>]",
    "gke-agent": "service-PROJECT_NUMBER@container-engine-robot.iam.gserviceaccount.com",
}

_HARDENING = "https://cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster#use_least_privilege_sa"
_FUSE = "https://cloud.google.com/kubernetes-engine/docs/how-to/persistent-volumes/cloud-storage-fuse-csi-driver-setup"
_WI = "https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#kubernetes-sa-to-iam"

PERMISSIONS = (
    Grant("node", "roles/logging.logWriter", "project", "nodes write their logs", _HARDENING),
    Grant("node", "roles/monitoring.metricWriter", "project", "nodes and managed Prometheus write metrics", _HARDENING),
    Grant(
        "node",
        "roles/stackdriver.resourceMetadata.writer",
        "project",
        "the metrics carry their resource metadata",
        _HARDENING,
    ),
    Grant(
        "node",
        "roles/autoscaling.metricsWriter",
        "project",
        "AutoscalingMetric exports reach the load balancer (`autoscaling.sites.writeMetrics`); without it the "
        "GCPBackendPolicy's CUSTOM_METRICS has nothing to balance on",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/setup-multicluster-inference-gateway "
        '("Your node service accounts must have permissions to write metrics to the Autoscaling API"); '
        "https://cloud.google.com/iam/docs/roles-permissions/autoscaling",
    ),
    Grant(
        "mci-agent",
        "roles/container.admin",
        "project",
        "the multi-cluster Gateway controller programs load balancers from every member cluster",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/enabling-multi-cluster-gateways",
        when="features",
    ),
    Grant(
        "mcs-importer",
        "roles/compute.networkViewer",
        "project",
        "the multi-cluster Services importer reads the VPC to build the imported services' NEGs",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/multi-cluster-services#enabling "
        "(the MCS setup's IAM step; operators report MCS unhealthy without it even with Workload Identity)",
        when="features",
    ),
    Grant("fuse-reader", "roles/storage.objectViewer", "bucket", "serving pods mount the weights read-only", _FUSE),
    Grant("downloader", "roles/storage.objectUser", "bucket", "the download Job writes the weights", _FUSE),
    Grant(
        "reader-ksa",
        "roles/iam.workloadIdentityUser",
        "service-account",
        "the serving pods act as the FUSE reader",
        _WI,
    ),
    Grant(
        "downloader-ksa",
        "roles/iam.workloadIdentityUser",
        "service-account",
        "the download Job acts as the downloader",
        _WI,
    ),
    Grant(
        "gke-agent",
        "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        "kms-key",
        "GKE encrypts Kubernetes Secrets with the stack's key",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/encrypting-secrets#grant_permission_to_use_the_key",
        "kms",
    ),
)
