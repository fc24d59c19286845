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
    # N2 high-memory: 8 GB per vCPU up to 96 vCPUs (n2-highmem-128 has 864 GB, not 8 x 128: left out).
    **_series("n2-highmem", (2, 4, 8, 16, 32, 48, 64, 80, 96), 8, f"{GENERAL_PURPOSE}#n2_machine_types"),
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
# GKE versions the features need (used by stacks/config/), read 2026-11-25
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
    """1.34.1-gke.1829001 -> (1, 34, 1, 1829001); an alias 1.35 or 1.35.2 -> its oldest build (0s)."""
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
    scope: str  # where the member is granted: project, bucket, object-prefix (a bucket, with an IAM condition),
    # service-account, kms-key, secret
    why: str
    source: str
    when: str = "always"  # "always"; "features": the stack owns the fleet features; "kms": secretsEncryptionKeys;
    # "autoscaling": the HPAs are on; "tpu": the vllm-tpu backend (the weights download, the compilation cache);
    # "armor": Model Armor is on and the stack owns the project's singletons; "apigee": Apigee is on


IDENTITIES = {
    "node": "the node pools' dedicated service account (<prefix>-<stack>-node)",
    "mci-agent": "service-PROJECT_NUMBER@gcp-sa-multiclusteringress.iam.gserviceaccount.com",
    "mcs-importer": "PROJECT.svc.id.goog[gke-mcs/gke-mcs-importer], through Workload Identity",
    "fuse-reader": "the serving pods' Google service account (<prefix>-<stack>-fuse)",
    "downloader": "the weights download Cloud Run job's own service account (<prefix>-<stack>-dl)",
    "reader-ksa": "PROJECT.svc.id.goog[<namespace>/<modelServer.serviceAccount>]",
    "gke-agent": "service-PROJECT_NUMBER@container-engine-robot.iam.gserviceaccount.com",
    "metrics-adapter": "PROJECT.svc.id.goog[custom-metrics/custom-metrics-stackdriver-adapter]",
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
    # Cloud Run's page asks for roles/storage.admin on a mounted bucket; reading and writing objects through
    # Cloud Storage FUSE needs only the object permissions (the FUSE page above), so the job gets no more.
    Grant(
        "downloader",
        "roles/storage.objectUser",
        "bucket",
        "the download job writes the weights through its Cloud Storage volume",
        f"{_FUSE}; https://cloud.google.com/run/docs/configuring/jobs/cloud-storage-volume-mounts",
        "tpu",
    ),
    Grant(
        "downloader",
        "roles/secretmanager.secretAccessor",
        "secret",
        "the download job reads the Hugging Face token, on that one secret only",
        "https://cloud.google.com/run/docs/configuring/jobs/secrets#access-secret",
        "tpu",
    ),
    Grant(
        "fuse-reader",
        "roles/storage.objectUser",
        "object-prefix",
        "vLLM persists its XLA compilation cache under xla-cache/ of its bucket; an IAM condition on the "
        "object name keeps the weights read-only",
        "https://docs.vllm.ai/en/latest/configuration/tpu.html (VLLM_XLA_CACHE_PATH); "
        "https://cloud.google.com/storage/docs/access-control/iam#conditions",
        "tpu",
    ),
    Grant(
        "reader-ksa",
        "roles/iam.workloadIdentityUser",
        "service-account",
        "the serving pods act as the FUSE reader (the vllm-tpu backend: the simulator reads no weights)",
        _WI,
        "tpu",
    ),
    Grant(
        "metrics-adapter",
        "roles/monitoring.viewer",
        "project",
        "the Custom Metrics Stackdriver Adapter reads the pools' KV-cache metric for the HPAs",
        "seed 002 (Konfigurasi penskalaan otomatis, step 3); "
        "https://cloud.google.com/kubernetes-engine/docs/tutorials/autoscaling-metrics",
        "autoscaling",
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

# Guards in front of the model (seed 002): the Service Extensions service agent, which calls Model Armor
# for the load balancer, and the Apigee Operator for Kubernetes' Google service account.
IDENTITIES["service-extensions-agent"] = "service-PROJECT_NUMBER@gcp-sa-dep.iam.gserviceaccount.com"
IDENTITIES["apigee-operator"] = "the Apigee operator's Google service account (<prefix>-<stack>-apim)"
IDENTITIES["apigee-operator-ksa"] = "PROJECT.svc.id.goog[apim/apim-ksa]"
# The Service Extensions service agent, its address, and that callouts to Google services run as it:
SERVICE_EXTENSIONS_TO_GOOGLE = (
    "https://cloud.google.com/service-extensions/docs/configure-extensions-to-google-services"
)
_SEED_ARMOR = "seed 002 (Mengonfigurasi pemeriksaan keamanan dan keselamatan AI, step 2)"
_APIM_INSTALL = "https://cloud.google.com/apigee/docs/api-platform/apigee-kubernetes/apigee-apim-operator-install"
PERMISSIONS += (
    tuple(
        Grant(
            "service-extensions-agent", role, "project", why, f"{_SEED_ARMOR}; {SERVICE_EXTENSIONS_TO_GOOGLE}", "armor"
        )
        for role, why in (
            ("roles/container.admin", "the seed grants it to the agent that programs the Gateway's extension"),
            ("roles/modelarmor.calloutUser", "the load balancer's callout to Model Armor"),
            ("roles/serviceusage.serviceUsageConsumer", "the callout is billed to and quota-checked in the project"),
            ("roles/modelarmor.user", "the callout screens with the stack's template"),
        )
    )
    + tuple(
        Grant(
            "apigee-operator", role, "project", why, f"{_APIM_INSTALL} (Retrieve and configure credentials)", "apigee"
        )
        for role, why in (
            ("roles/apigee.admin", "the operator creates the Apigee extension processor and its environment resources"),
            ("roles/networkservices.serviceExtensionsAdmin", "the operator manages the traffic extension's backend"),
            ("roles/compute.networkAdmin", "the operator manages access to Apigee through Service Extensions"),
            ("roles/compute.loadBalancerAdmin", "the operator connects network endpoint groups and backend services"),
        )
    )
    + (
        Grant(
            "apigee-operator-ksa",
            "roles/iam.workloadIdentityUser",
            "service-account",
            "the operator's Kubernetes service account (created by its chart) acts as its Google service account",
            f"{_APIM_INSTALL} (Create a workload identity)",
            "apigee",
        ),
    )
)


# ======================================================================================================
# Places: regions and zones, TPU v6e zones, Cloud Storage locations (used by stacks/config), read 2026-11-25
# ======================================================================================================

PLACES_READ_ON = "2026-11-25"

# Every Compute Engine region and the suffixes of its standard zones. Source: "Available regions and
# zones", https://cloud.google.com/compute/docs/regions-zones#available, cross-checked against the
# region-and-zone list of https://cloud.google.com/memorystore/docs/memcached/regions and the region list
# of https://cloud.google.com/workload-manager/docs/evaluate/locations (both read the same day). A region
# Google opens after that date is refused until it is added here.
REGIONS_SOURCE = "https://cloud.google.com/compute/docs/regions-zones#available"
REGION_ZONES: dict[str, tuple[str, ...]] = {
    "africa-south1": ("a", "b", "c"),
    "asia-east1": ("a", "b", "c"),
    "asia-east2": ("a", "b", "c"),
    "asia-northeast1": ("a", "b", "c"),
    "asia-northeast2": ("a", "b", "c"),
    "asia-northeast3": ("a", "b", "c"),
    "asia-south1": ("a", "b", "c"),
    "asia-south2": ("a", "b", "c"),
    "asia-southeast1": ("a", "b", "c"),
    "asia-southeast2": ("a", "b", "c"),
    "australia-southeast1": ("a", "b", "c"),
    "australia-southeast2": ("a", "b", "c"),
    "europe-central2": ("a", "b", "c"),
    "europe-north1": ("a", "b", "c"),
    "europe-north2": ("a", "b", "c"),
    "europe-southwest1": ("a", "b", "c"),
    "europe-west1": ("b", "c", "d"),
    "europe-west2": ("a", "b", "c"),
    "europe-west3": ("a", "b", "c"),
    "europe-west4": ("a", "b", "c"),
    "europe-west6": ("a", "b", "c"),
    "europe-west8": ("a", "b", "c"),
    "europe-west9": ("a", "b", "c"),
    "europe-west10": ("a", "b", "c"),
    "europe-west12": ("a", "b", "c"),
    "me-central1": ("a", "b", "c"),
    "me-central2": ("a", "b", "c"),
    "me-west1": ("a", "b", "c"),
    "northamerica-northeast1": ("a", "b", "c"),
    "northamerica-northeast2": ("a", "b", "c"),
    "northamerica-south1": ("a", "b", "c"),
    "southamerica-east1": ("a", "b", "c"),
    "southamerica-west1": ("a", "b", "c"),
    "us-central1": ("a", "b", "c", "f"),
    "us-east1": ("b", "c", "d"),
    "us-east4": ("a", "b", "c"),
    "us-east5": ("a", "b", "c"),
    "us-south1": ("a", "b", "c"),
    "us-west1": ("a", "b", "c"),
    "us-west2": ("a", "b", "c"),
    "us-west3": ("a", "b", "c"),
    "us-west4": ("a", "b", "c"),
}
# AI zones: accelerator zones away from a region's standard zones, named after their parent zone
# (https://cloud.google.com/compute/docs/regions-zones/ai-zones: us-central1-ai1a, us-south1-ai1b).
AI_ZONES_SOURCE = "https://cloud.google.com/compute/docs/regions-zones/ai-zones"
AI_ZONES: dict[str, tuple[str, ...]] = {"us-central1": ("ai1a",), "us-south1": ("ai1b",)}


def ai_zones_of(region: str) -> tuple[str, ...]:
    return tuple(f"{region}-{s}" for s in AI_ZONES.get(region, ()))


def zones_of(region: str) -> tuple[str, ...]:
    """The zones of a region, standard and AI; () for a region not in the table."""
    return tuple(f"{region}-{s}" for s in (*REGION_ZONES.get(region, ()), *AI_ZONES.get(region, ())))


# Zones where TPU v6e (Trillium) can be created: the v6e rows of "TPU regions and zones". North America
# and Europe were read in full (us-central1-b, us-east1-d, us-east5-a, us-east5-b, the AI zones
# us-central1-ai1a and us-south1-ai1b; europe-west4-a). The stored copy read did not show the Asia Pacific
# and South America rows in full; asia-northeast1-b and southamerica-west1-a are the v6e zones reported
# for them (the researcher; vLLM's TPU CI ran its v6e workers in southamerica-west1-a,
# vllm-project/ci-infra). Single-tenant-only zones (us-east4-a/b, us-east5-c, us-west1-c on an older copy)
# are left out: they need a single-tenancy reservation, which the program does not ask for.
TPU_V6E_ZONES_SOURCE = "https://cloud.google.com/tpu/docs/regions-zones"
TPU_V6E_ZONES: tuple[str, ...] = (
    "us-central1-b",
    "us-central1-ai1a",
    "us-east1-d",
    "us-east5-a",
    "us-east5-b",
    "us-south1-ai1b",
    "europe-west4-a",
    "asia-northeast1-b",
    "southamerica-west1-a",
)

# Cloud Storage bucket locations (https://cloud.google.com/storage/docs/locations#available-locations):
# every Compute Engine region above is a bucket region (the Regions table; its North America part read in
# full, the rest matched against the list above); the predefined dual-regions and the multi-regions.
# Zonal locations exist only for the Rapid storage class; the program's buckets are STANDARD.
GCS_LOCATIONS_SOURCE = "https://cloud.google.com/storage/docs/locations#available-locations"
GCS_REGIONS: tuple[str, ...] = tuple(r.upper() for r in REGION_ZONES)
GCS_DUAL_REGIONS: dict[str, tuple[str, str]] = {
    "ASIA1": ("asia-northeast1", "asia-northeast2"),
    "EUR4": ("europe-north1", "europe-west4"),
    "EUR5": ("europe-west1", "europe-west2"),
    "EUR7": ("europe-west2", "europe-west3"),
    "EUR8": ("europe-west3", "europe-west6"),
    "NAM4": ("us-central1", "us-east1"),
}
GCS_MULTI_REGIONS: tuple[str, ...] = ("ASIA", "EU", "US")
# Which regions a multi-region's data centers are in, from the same page: "US" is data centers in the
# United States, "EU" in member states of the European Union, "ASIA" in Asia. Read as the regions named
# for those places (the country of each from https://cloud.google.com/run/docs/locations): London
# (europe-west2) and Zurich (europe-west6) are in Europe but not in the European Union.
GCS_MULTI_REGION_PREFIXES: dict[str, str] = {"US": "us-", "EU": "europe-", "ASIA": "asia-"}
GCS_MULTI_REGION_EXCLUDED: dict[str, tuple[str, ...]] = {"EU": ("europe-west2", "europe-west6")}


def regions_in_bucket_location(location: str) -> tuple[str, ...]:
    """The Compute Engine regions whose data centers a bucket location covers."""
    location = location.upper()
    if location in GCS_DUAL_REGIONS:
        return GCS_DUAL_REGIONS[location]
    if location in GCS_MULTI_REGION_PREFIXES:
        prefix, excluded = GCS_MULTI_REGION_PREFIXES[location], GCS_MULTI_REGION_EXCLUDED.get(location, ())
        return tuple(r for r in REGION_ZONES if r.startswith(prefix) and r not in excluded)
    return (location.lower(),) if location in GCS_REGIONS else ()


# Cloud Run services and jobs locations (Tier 1 and Tier 2), https://cloud.google.com/run/docs/locations,
# read 2026-11-25. The weights download runs as a Cloud Run job next to its bucket.
CLOUD_RUN_LOCATIONS_SOURCE = "https://cloud.google.com/run/docs/locations"
CLOUD_RUN_REGIONS: tuple[str, ...] = (
    "asia-east1",
    "asia-northeast1",
    "asia-northeast2",
    "europe-north1",
    "europe-southwest1",
    "europe-west1",
    "europe-west4",
    "europe-west8",
    "europe-west9",
    "me-west1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "africa-south1",
    "asia-east2",
    "asia-northeast3",
    "asia-southeast1",
    "asia-southeast2",
    "asia-south1",
    "asia-south2",
    "australia-southeast1",
    "australia-southeast2",
    "europe-central2",
    "europe-west10",
    "europe-west12",
    "europe-west2",
    "europe-west3",
    "europe-west6",
    "me-central1",
    "me-central2",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "southamerica-east1",
    "southamerica-west1",
    "us-west2",
    "us-west3",
    "us-west4",
)


# ======================================================================================================
# Network ranges: what a subnet and GKE's secondary ranges accept (used by stacks/config), read 2026-11-25
# ======================================================================================================

NETWORK_READ_ON = "2026-11-25"

# "Valid IPv4 ranges" of https://cloud.google.com/vpc/docs/subnets#valid-ranges. Privately used public
# ranges (any other public range that Google does not own) are valid for a subnet too, but a GKE cluster
# then needs default SNAT disabled (https://cloud.google.com/kubernetes-engine/docs/how-to/alias-ips
# "privately used public IP"), which the program does not set: it accepts the ranges below only. GKE's
# IP masquerade agent does not masquerade to any of them by default
# (https://cloud.google.com/kubernetes-engine/docs/concepts/ip-masquerade-agent), so Pods reach them as is.
SUBNET_RANGES_SOURCE = "https://cloud.google.com/vpc/docs/subnets#valid-ranges"
VALID_SUBNET_RANGES: tuple[tuple[str, str], ...] = (
    ("10.0.0.0/8", "private, RFC 1918"),
    ("172.16.0.0/12", "private, RFC 1918"),
    ("192.168.0.0/16", "private, RFC 1918"),
    ("100.64.0.0/10", "shared address space, RFC 6598"),
    ("192.0.0.0/24", "IETF protocol assignments, RFC 6890"),
    ("192.0.2.0/24", "documentation TEST-NET-1, RFC 5737"),
    ("198.51.100.0/24", "documentation TEST-NET-2, RFC 5737"),
    ("203.0.113.0/24", "documentation TEST-NET-3, RFC 5737"),
    ("192.88.99.0/24", "IPv6 to IPv4 relay (deprecated), RFC 7526"),
    ("198.18.0.0/15", "benchmark testing, RFC 2544"),
    ("240.0.0.0/4", "reserved for future use (Class E), RFC 5735"),
)
# "Prohibited IPv4 subnet ranges" of the same page (besides Google's own public ranges).
PROHIBITED_SUBNET_RANGES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "the current network, RFC 1122"),
    ("127.0.0.0/8", "loopback, RFC 1122"),
    ("169.254.0.0/16", "link-local, RFC 3927"),
    ("224.0.0.0/4", "multicast, RFC 5771"),
    ("255.255.255.255/32", "the limited broadcast address, RFC 8190"),
)
# A subnet's primary range is /29 or larger, and four of its addresses are unusable: the network and
# broadcast addresses, the default gateway and the second-to-last address
# (https://cloud.google.com/vpc/docs/subnets#unusable-ip-addresses-in-every-subnet).
SUBNET_SMALLEST_PREFIX = 29
SUBNET_UNUSABLE_ADDRESSES = 4
# A proxy-only subnet is /26 or larger; Google recommends /23
# (https://cloud.google.com/load-balancing/docs/proxy-only-subnets#proxy_only_subnet_size).
PROXY_ONLY_SMALLEST_PREFIX = 26
PROXY_ONLY_RECOMMENDED_PREFIX = 23
# GKE's secondary ranges (https://cloud.google.com/kubernetes-engine/docs/concepts/alias-ips#cluster_sizing):
# every node takes a /24 of the Pod range at the default of 110 Pods per node (MAX_PODS_PER_NODE above;
# flexible-pod-cidr), so a /24 Pod range holds one node, and the largest Pod range is /9; the Service
# range is /27 to /16 (the API refuses a larger one: "Services CIDR range is smaller than minimum
# (14 < 16)", rancher/rancher#32207).
GKE_RANGES_SOURCE = "https://cloud.google.com/kubernetes-engine/docs/concepts/alias-ips#cluster_sizing"
POD_RANGE_PREFIX_PER_NODE = 24
POD_RANGE_LARGEST_PREFIX = 9
SERVICE_RANGE_PREFIXES = (16, 27)  # largest, smallest
# Surge upgrades add one node per pool at a time by default (max-surge 1), which takes a node address and
# a Pod /24 while it lasts (https://cloud.google.com/kubernetes-engine/docs/concepts/node-pool-upgrade-strategies#surge).
SURGE_NODES_PER_POOL = 1


# ======================================================================================================
# Names: what each API accepts for a name the program builds from config (used by stacks/config), read
# 2026-11-25
# ======================================================================================================

NAMES_READ_ON = "2026-11-25"
K8S_NAMES = "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/"
# pulumi-gcp cloudrunv2.Job `runExecutionToken`: "the sum of job name and token length must be fewer than 63
# characters" (https://www.pulumi.com/registry/packages/gcp/api-docs/cloudrunv2/job/, pulumi_gcp 10.2.0
# cloudrunv2/job.py). The weights download's tokens are this many hex characters
# (components/weights_download.py execution_token).
RUN_EXECUTION_NAME_LIMIT = 63
DOWNLOAD_TOKEN_LENGTH = 12


@dataclass(frozen=True)
class NameRule:
    what: str
    pattern: str  # a regular expression the whole name must match (ASCII only)
    shortest: int
    longest: int
    source: str


_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
NAME_RULES: dict[str, NameRule] = {
    "gce": NameRule(
        "Compute Engine resource name (RFC 1035)",
        r"[a-z]([-a-z0-9]*[a-z0-9])?",
        1,
        63,
        "https://cloud.google.com/compute/docs/naming-resources#resource-name-format",
    ),
    "gke-cluster": NameRule(
        "GKE cluster name",
        r"[a-z]([-a-z0-9]*[a-z0-9])?",
        1,
        40,
        "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#Cluster",
    ),
    "membership": NameRule(
        "fleet membership id (RFC 1123 label)",
        _LABEL,
        1,
        63,
        "https://cloud.google.com/kubernetes-engine/fleet-management/docs/reference/rest/v1/"
        "projects.locations.memberships/create",
    ),
    "service-account": NameRule(
        "service account id",
        r"[a-z]([-a-z0-9]*[a-z0-9])",
        6,
        30,
        "https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create",
    ),
    "bucket": NameRule(
        "Cloud Storage bucket name",
        r"[a-z0-9][-a-z0-9_]*[a-z0-9]",  # dots are allowed too, but only in domain-verified names
        3,
        63,
        "https://cloud.google.com/storage/docs/buckets#naming",
    ),
    "dns-1123-label": NameRule("Kubernetes name (RFC 1123 label)", _LABEL, 1, 63, f"{K8S_NAMES}#dns-label-names"),
    "dns-1123-subdomain": NameRule(
        "Kubernetes name (RFC 1123 subdomain)",
        rf"{_LABEL}(\.{_LABEL})*",
        1,
        253,
        f"{K8S_NAMES}#dns-subdomain-names",
    ),
    "dns-1035-label": NameRule(
        "Kubernetes Service name (RFC 1035 label: starts with a letter)",
        r"[a-z]([-a-z0-9]*[a-z0-9])?",
        1,
        63,
        f"{K8S_NAMES}#rfc-1035-label-names",
    ),
    "k8s-label-value": NameRule(
        "Kubernetes label value",
        r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?",
        0,
        63,
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set",
    ),
    # A Cloud Run job name is an RFC 1035 label, and pulumi-gcp's `run_execution_token` requires the job
    # name and the token together to be shorter than RUN_EXECUTION_NAME_LIMIT (cloudrunv2.Job docs); the
    # program's tokens are DOWNLOAD_TOKEN_LENGTH characters long, so the name keeps 62 - 12 = 50.
    "cloud-run-job": NameRule(
        f"Cloud Run job name (with its {DOWNLOAD_TOKEN_LENGTH}-character execution token)",
        r"[a-z]([-a-z0-9]*[a-z0-9])?",
        1,
        RUN_EXECUTION_NAME_LIMIT - 1 - DOWNLOAD_TOKEN_LENGTH,
        "https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.jobs/create; "
        "https://www.pulumi.com/registry/packages/gcp/api-docs/cloudrunv2/job/ (runExecutionToken)",
    ),
    "secret": NameRule(
        "Secret Manager secret id",
        r"[A-Za-z0-9_-]+",
        1,
        255,
        "https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets/create",
    ),
    "helm-release": NameRule(
        "Helm release name",
        rf"{_LABEL}(\.{_LABEL})*",
        1,
        53,
        "helm/helm pkg/chartutil/validate_name.go ValidateReleaseName",
    ),
}
# Bucket names must not start with "goog" nor contain "google" or close misspellings of it such as
# "g00gle" (https://cloud.google.com/storage/docs/buckets#naming). The misspellings are read as the
# letter-for-digit swaps below.
BUCKET_FORBIDDEN_PREFIX = "goog"
BUCKET_FORBIDDEN_WORD = r"g[o0]{2,}g[l1i][e3]"
# GCP labels (https://cloud.google.com/compute/docs/labeling-resources#requirements): at most 64 per
# resource; keys 1-63 characters starting with a lowercase letter, values 0-63 characters; lowercase
# letters (international ones allowed), digits, underscores and hyphens only.
GCP_LABELS_SOURCE = "https://cloud.google.com/compute/docs/labeling-resources#requirements"
GCP_LABELS_PER_RESOURCE = 64
GCP_LABEL_LONGEST = 63
# Namespaces every cluster already has, and the prefix Kubernetes reserves for its own
# (https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#initial-namespaces).
K8S_INITIAL_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
K8S_RESERVED_NAMESPACE_PREFIX = "kube-"
# Hugging Face repository ids (huggingface_hub utils/_validators.py validate_repo_id): "name" or
# "namespace/name", ASCII letters, digits, "-", "_" and ".", not starting or ending with "-" or ".",
# a name of at most 96 characters, no "--" or "..", not ending in ".git".
HF_REPO_ID_SOURCE = "huggingface_hub utils/_validators.py validate_repo_id"
HF_REPO_NAME_LONGEST = 96


# ======================================================================================================
# Room on one node, for the config-time check of the pods the program pins to the system pool (used by
# stacks/config; the same data as tools/capacity.py), read 2026-11-25
# ======================================================================================================

# GKE's Cloud Storage FUSE sidecar requests 250m CPU and 256Mi memory unless the pod's annotations say
# otherwise; a limit of "0" leaves the request at that default (the same source as tools/capacity.py:
# https://cloud.google.com/kubernetes-engine/docs/how-to/cloud-storage-fuse-csi-driver-sidecar
# #configure-sidecar-resources; GoogleCloudPlatform/gcs-fuse-csi-driver pkg/webhook/config.go @5fcdc04).
FUSE_SIDECAR_CPU_MILLI = 250
FUSE_SIDECAR_MEMORY = 256 * MI


def node_room(machine: MachineType) -> dict[str, int]:
    """What one node of this machine type leaves for the program's pods: GKE's allocatable less the GKE
    system pods on every node (cpu in millicores, memory in bytes)."""
    room = allocatable(machine)
    daemons = [*NODE_SYSTEM_PODS, *(TPU_NODE_SYSTEM_PODS if machine.tpu_chips else ())]
    return {
        "cpu": room["cpu"] - sum(d.cpu_milli for d in daemons),
        "memory": room["memory"] - sum(d.memory for d in daemons),
    }


def fits_on_nodes(pods: list[tuple[int, int]], room: dict[str, int], nodes: int) -> bool:
    """First-fit decreasing of (cpu milli, memory bytes) pods onto `nodes` nodes with `room` each, the
    way tools/capacity.py packs a plan: an honest check of fragmentation, not only of the sum."""
    free = [dict(room) for _ in range(nodes)]
    for cpu, memory in sorted(pods, reverse=True):
        node = next((n for n in free if n["cpu"] >= cpu and n["memory"] >= memory), None)
        if node is None:
            return False
        node["cpu"] -= cpu
        node["memory"] -= memory
    return True


# ======================================================================================================
# Guards in front of the model (seed 002): where Model Armor runs, which Gateway classes take a traffic
# extension, and the Apigee operator's charts (used by stacks/config/guards.py), read 2026-11-25
# ======================================================================================================

GUARDS_READ_ON = "2026-11-25"

# Model Armor's regions (https://cloud.google.com/model-armor/locations, "Regions"), re-read 2026-11-25 from the
# newest of the stored copies: the one listing Asia Pacific, North America, South America and Europe (the
# stored copy dated "Last updated 2025-12-05" lists only the first ten below, which the data-residency page
# https://cloud.google.com/model-armor/data-residency also lists). The page also lists the multi-regions `us` and
# `eu`; the load balancer's callout names a regional endpoint (`<service>.<region>.rep.googleapis.com`, the
# GCPTrafficExtension CRD's googleAPIServiceName), so only regions are accepted (us-east5, the codelab's
# second region, is not one).
MODEL_ARMOR_LOCATIONS_SOURCE = "https://cloud.google.com/model-armor/locations"
MODEL_ARMOR_LOCATIONS: tuple[str, ...] = (
    "asia-southeast1",
    "asia-south1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-west1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    # listed by the newer copies of the page
    "asia-northeast1",
    "asia-northeast3",
    "australia-southeast2",
    "northamerica-northeast2",
    "southamerica-east1",
    "europe-southwest1",
    "europe-west9",
)

# GatewayClasses whose Gateways take a GCPTrafficExtension. Two sources, read 2026-11-25:
# - Service Extensions' "Supported Application Load Balancers" (SERVICE_EXTENSIONS_LBS_SOURCE): traffic
#   extensions run on the global external, regional external and regional internal Application Load
#   Balancers, and on the cross-region internal one in Preview only; not on the classic one.
# - GKE's "Customize GKE Gateway traffic using Service Extensions" (SERVICE_EXTENSIONS_SOURCE) has a table by
#   GatewayClass whose cells are icons: the stored copies (English, Japanese, Spanish, French, German) show
#   its header (GatewayClass | GCPRoutingExtension | GCPTrafficExtension) but no readable cell, and no
#   public repository read names a class with a working GCPTrafficExtension. So the set below is the
#   conservative one: the single-cluster classes of the load balancers where traffic extensions are GA,
#   each class mapped to its load balancer by GATEWAY_CLASS_LBS_SOURCE. The cross-region internal class
#   (this program's multi-cluster default) is refused: its load balancer has traffic extensions in Preview
#   only, and no source says GKE attaches one to a multi-cluster Gateway. docs/guards.md states the same.
SERVICE_EXTENSIONS_SOURCE = "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gke-service-extensions"
SERVICE_EXTENSIONS_LBS_SOURCE = "https://cloud.google.com/service-extensions/docs/lb-extensions-overview#supported-lbs"
GATEWAY_CLASS_LBS_SOURCE = "https://cloud.google.com/kubernetes-engine/docs/concepts/gateway-api#gatewayclass"
TRAFFIC_EXTENSION_CLASSES: tuple[str, ...] = (
    "gke-l7-rilb",  # regional internal Application Load Balancer: GA
    "gke-l7-regional-external-managed",  # regional external Application Load Balancer: GA
    "gke-l7-global-external-managed",  # global external Application Load Balancer: GA
)
# The Service Extensions service agent, which makes the load balancer's callouts to Google services
# (Model Armor: https://cloud.google.com/model-armor/access-control/service-accounts, "Service Extensions
# service agent"). Google's service-agents page (https://cloud.google.com/iam/docs/service-agents) lists it
# as a non-primary agent of Network Services; `ServiceIdentity` creates a service's primary agent, and no
# resource is documented to create this one before its grants (one public deployment log saw it appear with
# the first extension). The program creates Network Services' identity first and documents the failure mode
# and the recovery (docs/guards.md § The project number).
SERVICE_EXTENSIONS_AGENT = "gcp-sa-dep"  # service-PROJECT_NUMBER@gcp-sa-dep.iam.gserviceaccount.com
SERVICE_EXTENSIONS_API = "networkservices.googleapis.com"
# A forwarding rule takes one traffic extension; a chain holds up to 3 extensions (the GCPTrafficExtension
# CRD, `extensions`: "Up to 3 Extensions can be defined for each ExtensionChain"), so with both guards on
# the program renders one extension with one chain of two.
EXTENSIONS_PER_CHAIN = 3

# The Apigee Operator for Kubernetes: two Helm charts in Google's Artifact Registry (OCI), their sources not
# public, the version of the install guide (_APIM_INSTALL above: `--version 1.1.1`), namespace `apim`, the
# Kubernetes service account `apim-ksa` the operator chart creates (docs/guards.md).
APIGEE_CHART_REPOSITORY = "oci://us-docker.pkg.dev/apigee-release/apigee-k8s-tooling-helm-charts"
APIGEE_CHART_VERSION = "1.1.1"
APIGEE_NAMESPACE = "apim"
APIGEE_KSA = "apim-ksa"
# "Known limitations" of the operator's overview (last updated 2026-04-10): "If using the ApigeeBackendService
# to implement the GKE traffic extensions, you must use GKE version 1.34.x or later and deploy all gateway
# resources in the default namespace." So Apigee is refused unless modelServer.namespace (the Gateway's
# namespace) is `default`.
APIGEE_GATEWAY_NAMESPACE = "default"
APIGEE_DEFAULT_NAMESPACE_SOURCE = (
    "https://cloud.google.com/apigee/docs/api-platform/apigee-kubernetes/apigee-apim-operator-overview"
)
# The install guide (_APIM_INSTALL, "Install ... Apigee Operator for Kubernetes", last updated 2026-04-10):
# `--set generateEnv=ENV_GENERATION_MODE`, TRUE or FALSE; "It may take a few minutes, potentially 7 minutes or
# longer, for the workload identity changes to propagate"; with generateEnv=FALSE the environment is created
# with `deploymentType: PROXY`, `apiProxyType: PROGRAMMABLE` and the property
# `apigee-service-extension-enabled: "true"` ("Create an Apigee environment").
APIGEE_GENERATE_ENV = "FALSE"
APIGEE_OPERATOR_TIMEOUT_SECONDS = 900
APIGEE_ENVIRONMENT_DEPLOYMENT_TYPE = "PROXY"
APIGEE_ENVIRONMENT_PROXY_TYPE = "PROGRAMMABLE"
APIGEE_ENVIRONMENT_PROPERTIES = {"apigee-service-extension-enabled": "true"}

# Creating the Apigee organization (guards.apigee.create), read 2026-11-25.
# - The API's billing types (organizations resource, `BillingType`): EVALUATION, SUBSCRIPTION, PAYG;
#   https://cloud.google.com/apigee/docs/reference/apis/apigee/rest/v1/organizations#BillingType.
# - An organization is named after its project (its `name` is the project ID: organizations.create takes
#   `parent=projects/PROJECT_ID`; the provisioning guides set ORG_NAME=$PROJECT_ID).
# - Without VPC peering (`disableVpcPeering: true`, required when no `authorizedNetwork` is given, valid only
#   for runtime type CLOUD): Private Service Connect carries the traffic and no IP range is reserved
#   (https://cloud.google.com/apigee/docs/api-platform/get-started/networking-options). The evaluation
#   guide has a non-peered variant (https://cloud.google.com/apigee/docs/api-platform/get-started/install-cli-non-peered-eval).
# - Evaluation organizations expire after 60 days (the same guide; "Compare evaluation and paid organizations").
# - Pay-as-you-go environment types Base, Intermediate, Comprehensive; a PAYG organization is provisioned with
#   an Intermediate environment (APIGEE_ENVIRONMENT_TYPES_SOURCE). Seed 002 needs Intermediate or
#   Comprehensive for the Extension Processor, so Base is not offered.
# - Networking (https://cloud.google.com/apigee/docs/api-platform/get-started/networking-options): `psc`, no
#   VPC peering (Private Service Connect), or `peering`: private services access from the stack's VPC through a
#   reserved range (`compute.GlobalAddress` with purpose VPC_PEERING and a Service Networking connection, as
#   pulumi-gcp's `apigee.Organization` example does) named by `authorizedNetwork`. "An Apigee instance
#   requires a non-overlapping /22 CIDR range" (APIGEE_PEERING_SOURCE, "Network sizing"), and Apigee's
#   "Configure service networking" step (APIGEE_SERVICE_NETWORKING_SOURCE, step 4; the stored copies show its
#   heading, not its commands) is followed by public provisioning scripts that reserve a second /28
#   (`google-managed-services-support-1`, "Peering range for supporting Apigee services") beside a /22 or a
#   /21. pulumi-gcp's own Apigee examples (`apigee.NatAddress`, `apigee.Organization`) reserve one /21
#   (`prefixLength: 21`) for the connection. The program reserves one range, so it asks for a /21 or larger:
#   room for the instance's /22 and the support /28 in it.
APIGEE_NETWORKING = ("psc", "peering")
APIGEE_PEERING_PREFIX = 21
APIGEE_SERVICE_NETWORKING_SOURCE = "https://cloud.google.com/apigee/docs/api-platform/get-started/install-cli"
APIGEE_PEERING_SOURCE = "https://cloud.google.com/apigee/docs/api-platform/system-administration/peering-ranges"
APIGEE_BILLING_TYPES = ("EVALUATION", "PAYG", "SUBSCRIPTION")
APIGEE_EXTENSION_ENVIRONMENT_TYPES = ("INTERMEDIATE", "COMPREHENSIVE")
APIGEE_EVALUATION_DAYS = 60
APIGEE_EVALUATION_SOURCE = "https://cloud.google.com/apigee/docs/api-platform/get-started/install-cli-non-peered-eval"
APIGEE_ENVIRONMENT_TYPES_SOURCE = (
    "https://cloud.google.com/apigee/docs/api-platform/reference/pay-as-you-go-environment-types"
)
APIGEE_LOCATIONS_SOURCE = "https://cloud.google.com/apigee/docs/locations"
APIGEE_PRICING_SOURCE = "https://cloud.google.com/apigee/pricing"

# ======================================================================================================
# Gateway classes and their proxy-only subnets (used by stacks/config/gateway_mode.py, components/network.py)
# ======================================================================================================

GATEWAY_CLASSES_READ_ON = "2026-11-25"

# The multi-cluster inference gateway's class: a cross-region internal Application Load Balancer across
# the fleet (https://cloud.google.com/kubernetes-engine/docs/how-to/setup-multicluster-inference-gateway).
MULTI_CLUSTER_GATEWAY_CLASS = "gke-l7-cross-regional-internal-managed-mc"
# Single-cluster classes GKE Inference Gateway serves InferencePools from: the regional external and the
# regional internal Application Load Balancer. Sources: GKE "Deploy GKE Inference Gateway"
# (https://cloud.google.com/kubernetes-engine/docs/how-to/deploy-gke-inference-gateway, "Deploy the
# Gateway"), llm-d's GKE guide which mirrors it ("GKE supports two types of Application Load Balancers":
# https://llm-d.ai/docs/infrastructure/gateway/gke), and the seeds 000/001, whose Gateway is
# gke-l7-regional-external-managed. The capability table lists both as single-cluster classes
# (https://cloud.google.com/kubernetes-engine/docs/how-to/gatewayclass-capabilities).
SINGLE_CLUSTER_GATEWAY_CLASSES = ("gke-l7-regional-external-managed", "gke-l7-rilb")
# Proxy-only subnet purpose per class: regional Envoy-based load balancers use REGIONAL_MANAGED_PROXY,
# cross-region internal ones GLOBAL_MANAGED_PROXY (https://cloud.google.com/load-balancing/docs/proxy-only-subnets
# #envoy-lb; GKE: https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#configure_a_proxy-only_subnet).
PROXY_SUBNET_PURPOSE = {
    MULTI_CLUSTER_GATEWAY_CLASS: "GLOBAL_MANAGED_PROXY",
    "gke-l7-regional-external-managed": "REGIONAL_MANAGED_PROXY",
    "gke-l7-rilb": "REGIONAL_MANAGED_PROXY",
}
