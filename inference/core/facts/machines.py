"""Machine types, node allocatable and GKE's own pods: what the capacity checks of the configuration and
tools/capacity.py rely on, each with its source and the date it was read. Data and small pure functions only."""

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
TPU_V6E_ACCELERATOR = "tpu-v6e-slice"  # the node label cloud.google.com/gke-tpu-accelerator of a v6e slice


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
        tpu_accelerator=TPU_V6E_ACCELERATOR,
        tpu_topology="1x1",
        note="sources disagree on memory: a copy of GKE's plan-tpus table says 448 GiB; a measured VM shows "
        "172 GB and a GKE user reports ~163 GB allocatable, both consistent with 176 GB: the smaller is used",
    ),
    "ct6e-standard-4t": MachineType(
        180,
        720,
        f"{TPU_V6E} (VM types); {GKE_PLAN_TPUS}",
        tpu_chips=4,
        tpu_accelerator=TPU_V6E_ACCELERATOR,
        tpu_topology="2x2",
    ),
    "ct6e-standard-8t": MachineType(
        180,
        1440,
        f"{TPU_V6E} (VM types); {GKE_PLAN_TPUS}",
        tpu_chips=8,
        tpu_accelerator=TPU_V6E_ACCELERATOR,
        tpu_topology="2x4",
    ),
}

# HBM per v6e chip: the v6e page's "System architecture" table says "HBM capacity per chip | 32 GB" (read
# 2026-11-25); the stacks are binary (HuggingFace optimum-tpu's hardware page: "32GB for v6e"), so 32 GiB is used,
# the larger reading: the HBM check refuses only what cannot fit either way.
TPU_V6E_HBM_BYTES_PER_CHIP = 32 * GI
TPU_V6E_HBM_SOURCE = f"{TPU_V6E} (System architecture: HBM capacity per chip)"

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
# Room on one node, for the config-time check of the pods the program pins to the system pool (used by
# the configuration; the same data as tools/capacity.py), read 2026-11-25
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
