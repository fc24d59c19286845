"""`accelerator`, `systemPool`, `releaseChannel` and `gkeVersion`: the clusters' node pools and version, checked
against the machine types and GKE versions in inference/core/facts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from inference.common.reader import Reader, did_you_mean, name_problem
from inference.core.facts import machines, versions

# ct6e machine type -> (topology, chips), from inference/core/facts/machines.py. Every v6e serving shape is single-host.
TPU_V6E_SHAPES: Mapping[str, tuple[str, int]] = {
    name: (m.tpu_topology, m.tpu_chips)
    for name, m in machines.MACHINE_TYPES.items()
    if m.tpu_accelerator == machines.TPU_V6E_ACCELERATOR
}

RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")

GKE_VERSION_EXAMPLE = "1.35"  # a minor alias past every feature minimum in inference/core/facts/versions.py


@dataclass(frozen=True)
class Accelerator:
    machine_type: str
    topology: str
    nodes_per_pool: int
    max_nodes: int  # above nodes_per_pool: the pool autoscales, a slice per node
    spot: bool
    reservation: str | None
    # A disk image with the vLLM TPU image preloaded, attached to each TPU node as a secondary boot disk.
    image_cache_disk_image: str | None = None
    image_streaming: bool = True  # GKE image streaming on the TPU pools

    @property
    def chips(self) -> int:
        return TPU_V6E_SHAPES[self.machine_type][1]


@dataclass(frozen=True)
class SystemPool:
    machine_type: str
    node_count: int
    disk_size_gb: int


# The forms GKE takes for a cluster version, `1.X`, `1.X.Y` or `1.X.Y-gke.N`
# (https://cloud.google.com/kubernetes-engine/versioning#specifying_cluster_version). Not `latest`: the
# provider parses min_master_version as a version when it changes (resource_container_cluster.go).
_GKE_VERSION = re.compile(r"1\.[0-9]{1,3}(\.[0-9]{1,3}(-gke\.[0-9]{1,12})?)?")
# A disk image as a node pool's secondary boot disk names it (gke-disk-image-builder's output,
# https://cloud.google.com/kubernetes-engine/docs/how-to/data-container-image-preloading).
_DISK_IMAGE = re.compile(r"(projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/)?global/images/[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
CPU_MACHINE_TYPES = sorted(
    (name for name, m in machines.MACHINE_TYPES.items() if not m.tpu_chips),
    key=lambda n: (machines.MACHINE_TYPES[n].vcpus, machines.MACHINE_TYPES[n].memory_gib, n),
)


def accelerator(top: Reader) -> Accelerator | None:
    """`accelerator` of `top`: the stack's, or a model's own (`models[i]`); None when absent or refused, so nothing
    is checked against a shape built from defaults (a text value once cascaded into slice counts)."""
    before = len(top.problems)
    r = top.mapping("accelerator", optional=True)
    if r is None:
        return None
    machine = r.choice("machineType", "ct6e-standard-4t", tuple(TPU_V6E_SHAPES))
    expected = TPU_V6E_SHAPES[machine][0] if machine else None
    topology = r.string("topology", expected, longest=16)  # unknown machine type: reported once, above
    if expected and topology and topology != expected:
        r.problem(
            "topology",
            topology,
            f"{machine} is a {expected} slice",
            f"set topology {expected}, or pick the ct6e machine type whose slice is {topology}",
        )
    # Every v6e serving shape is a single-host slice and the pool has no placement policy, so each node
    # is a slice of its own and a vLLM replica takes one (GKE TPU docs, "single-host TPU slice").
    nodes = r.integer("nodesPerPool", 1, low=1, high=1000, fix="the slices (nodes) each cluster starts with")
    most = r.integer(
        "maxNodes", nodes or 1, low=1, high=1000, fix="the most slices the pool may autoscale to (your TPU quota)"
    )
    if nodes is not None and most is not None and most < nodes:
        r.problem("maxNodes", most, f"is below nodesPerPool ({nodes})", "set maxNodes >= nodesPerPool")
    spot = r.boolean("spot", False)
    reservation = _reservation(r)
    if spot and reservation:
        r.problem(
            "reservation",
            reservation,
            "cannot be combined with spot: true",
            "use either Spot capacity or a reservation",
        )
    image_cache = r.string(
        "imageCacheDiskImage",
        None,
        pattern=_DISK_IMAGE,
        why="is not a Compute Engine disk image path",
        fix="write global/images/NAME (or projects/PROJECT/global/images/NAME), the image gke-disk-image-builder made",
        longest=128,
    )
    streaming = r.boolean("imageStreaming", True)
    if image_cache and streaming is False:
        r.problem(
            "imageStreaming",
            streaming,
            "is false, but GKE requires image streaming on a node pool with a container image cache disk "
            "(https://cloud.google.com/kubernetes-engine/docs/how-to/data-container-image-preloading)",
            "set accelerator.imageStreaming: true, or remove accelerator.imageCacheDiskImage",
        )
    r.finish()
    if len(top.problems) > before:
        return None
    return Accelerator(machine, topology, nodes, most, spot, reservation, image_cache, streaming)


# A node pool's reservationAffinity `values`: "a name to a reservation in the same project or
# projects/different-project/reservations/some-reservation-name to target a shared reservation in the same zone
# but in a different project" (https://cloud.google.com/compute/docs/reference/rest/v1/ReservationAffinity).
RESERVATION_SOURCE = "https://cloud.google.com/compute/docs/reference/rest/v1/ReservationAffinity"
_SHARED_RESERVATION = re.compile(r"projects/(?P<project>[^/]*)/reservations/(?P<name>[^/]*)")
_PROJECT_ID = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]")


def _reservation(r: Reader) -> str | None:
    """A specific reservation: its name in the stack's project, or projects/P/reservations/NAME when shared."""
    value = r.string("reservation", None, longest=128)
    if value is None:
        return None
    shared = _SHARED_RESERVATION.fullmatch(value)
    name = shared["name"] if shared else value
    if shared and not _PROJECT_ID.fullmatch(shared["project"]):
        why = f"names the project {shared['project']!r}, which is not a Google Cloud project ID"
    elif "/" in value and not shared:
        why = f"is neither a reservation name nor projects/PROJECT/reservations/NAME ({RESERVATION_SOURCE})"
    else:
        why = name_problem(name, "gce")
    if why:
        fix = "name a specific reservation in the zone, or projects/PROJECT/reservations/NAME for a shared one"
        r.problem("reservation", value, why, fix)
        return None
    return value


# The capacity ladder's reservation rungs (inference/capacity/config.py) name a reservation the same way.
reservation_value = _reservation


def system_pool(top: Reader) -> SystemPool:
    r = top.mapping("systemPool")
    machine = r.string("machineType", "e2-standard-16", longest=64)
    if machine and machine not in machines.MACHINE_TYPES:
        close = did_you_mean(machine, CPU_MACHINE_TYPES)
        r.problem(
            "machineType",
            machine,
            "is not a machine type of the supported families (E2, N2, N2 high-memory and C3 standard; "
            "inference/core/facts/machines.py MACHINE_TYPES, whose capacity the checks know)",
            f"did you mean '{close}'?" if close else f"use one of {', '.join(CPU_MACHINE_TYPES)}",
        )
        machine = None
    elif machine and machines.MACHINE_TYPES[machine].tpu_chips:
        r.problem(
            "machineType",
            machine,
            "is a TPU host: GKE taints its nodes, so the controllers and the endpoint picker could not run there",
            "use a CPU machine type such as e2-standard-16",
        )
        machine = None
    pool = SystemPool(
        machine,
        r.integer("nodeCount", 1, low=1, high=100),
        r.integer("diskSizeGb", 100, low=10, high=65536),
    )
    r.finish()
    return pool


def gke_version(top: Reader, channel: str | None, needs_dranet: bool) -> str | None:
    """The clusters' minimum GKE version, or None for the release channel's default.

    Unset by default: the channel's default version is past every feature minimum (inference/core/facts/versions.py
    CHANNEL_VERSIONS, checked here), while a pinned version is only creatable while the channel still
    offers it (1.34.1-gke.1829001 left Rapid on 2025-11-14). When set, it is at least what the stack's
    features need."""
    needed = [versions.MULTI_CLUSTER_INFERENCE_MINIMUM] + ([versions.DRANET_MINIMUM] if needs_dranet else [])
    floor = max(needed, key=lambda m: versions.version_key(m.version))
    version = top.string(
        "gkeVersion",
        None,
        pattern=_GKE_VERSION,
        why="is not a GKE version",
        fix=f"write a minor version such as {GKE_VERSION_EXAMPLE} or an exact one such as {floor.version}",
        longest=32,
    )
    if version and versions.version_key(version) < versions.version_key(floor.version):
        top.problem(
            "gkeVersion",
            version,
            f"is older than {floor.version}, the first version with {floor.feature} ({floor.source})",
            f"remove it to take the channel's default, or use {floor.version} or later",
        )
        return None
    offered = versions.CHANNEL_VERSIONS.get(channel or "")
    if offered and versions.version_key(offered) < versions.version_key(floor.version):
        top.problem(
            "releaseChannel",
            channel,
            f"offered {offered} on {versions.CHANNEL_VERSIONS_READ_ON}, older than {floor.version} ({floor.feature})",
            f"use a channel that offers {floor.version} or later, e.g. RAPID",
        )
    return version
