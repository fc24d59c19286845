"""`accelerator`, `systemPool`, `releaseChannel` and `gkeVersion`: machine types from stacks/facts.py, and
whether the pods the program pins to the system pool fit one of its nodes."""

from __future__ import annotations

import math
import re

from stacks import facts
from stacks.config.model import (
    GKE_VERSION_EXAMPLE,
    TPU_V6E_SHAPES,
    Accelerator,
    InferencePool,
    SystemPool,
    cpu_cores,
    memory_bytes,
)
from stacks.config.reader import Reader, did_you_mean, name_problem

# The forms GKE takes for a cluster version, `1.X`, `1.X.Y` or `1.X.Y-gke.N`
# (https://cloud.google.com/kubernetes-engine/versioning#specifying_cluster_version). Not `latest`: the
# provider parses min_master_version as a version when it changes (resource_container_cluster.go).
_GKE_VERSION = re.compile(r"1\.[0-9]{1,3}(\.[0-9]{1,3}(-gke\.[0-9]{1,12})?)?")
# A disk image as a node pool's secondary boot disk names it (gke-disk-image-builder's output,
# https://cloud.google.com/kubernetes-engine/docs/how-to/data-container-image-preloading).
_DISK_IMAGE = re.compile(r"(projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/)?global/images/[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
_CPU_TYPES = sorted(
    (name for name, m in facts.MACHINE_TYPES.items() if not m.tpu_chips),
    key=lambda n: (facts.MACHINE_TYPES[n].vcpus, facts.MACHINE_TYPES[n].memory_gib, n),
)


def accelerator(top: Reader) -> Accelerator | None:
    r = top.mapping("accelerator", optional=True)
    if r is None:
        return None
    before = len(top.problems)
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
    reservation = r.string("reservation", None, longest=63)
    if reservation and (why := name_problem(reservation, "gce")):
        r.problem("reservation", reservation, why, "name an existing specific reservation in the zone")
        reservation = None
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


def system_pool(top: Reader) -> SystemPool:
    r = top.mapping("systemPool")
    machine = r.string("machineType", "e2-standard-16", longest=64)
    if machine and machine not in facts.MACHINE_TYPES:
        close = did_you_mean(machine, _CPU_TYPES)
        r.problem(
            "machineType",
            machine,
            "is not a machine type of the supported families (E2, N2, N2 high-memory and C3 standard; "
            "stacks/facts.py MACHINE_TYPES, whose capacity the checks know)",
            f"did you mean '{close}'?" if close else f"use one of {', '.join(_CPU_TYPES)}",
        )
        machine = None
    elif machine and facts.MACHINE_TYPES[machine].tpu_chips:
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

    Unset by default: the channel's default version is past every feature minimum (stacks/facts.py
    CHANNEL_VERSIONS, checked here), while a pinned version is only creatable while the channel still
    offers it (1.34.1-gke.1829001 left Rapid on 2025-11-14). When set, it is at least what the stack's
    features need."""
    needed = [facts.MULTI_CLUSTER_INFERENCE_MINIMUM] + ([facts.DRANET_MINIMUM] if needs_dranet else [])
    floor = max(needed, key=lambda m: facts.version_key(m.version))
    version = top.string(
        "gkeVersion",
        None,
        pattern=_GKE_VERSION,
        why="is not a GKE version",
        fix=f"write a minor version such as {GKE_VERSION_EXAMPLE} or an exact one such as {floor.version}",
        longest=32,
    )
    if version and facts.version_key(version) < facts.version_key(floor.version):
        top.problem(
            "gkeVersion",
            version,
            f"is older than {floor.version}, the first version with {floor.feature} ({floor.source})",
            f"remove it to take the channel's default, or use {floor.version} or later",
        )
        return None
    offered = facts.CHANNEL_VERSIONS.get(channel or "")
    if offered and facts.version_key(offered) < facts.version_key(floor.version):
        top.problem(
            "releaseChannel",
            channel,
            f"offered {offered} on {facts.CHANNEL_VERSIONS_READ_ON}, older than {floor.version} ({floor.feature})",
            f"use a channel that offers {floor.version} or later, e.g. RAPID",
        )
    return version


def _cpu(milli: int) -> str:
    return f"{milli / 1000:g}" if milli % 1000 == 0 else f"{milli}m"


def _gib(memory: int) -> str:
    return f"{memory / facts.GI:.1f}Gi"


def _smallest_fitting(cpu_milli: int, memory: int, like: str) -> str | None:
    """The smallest machine type whose node has room, of the same series as `like` if one does."""
    fits = [
        n
        for n in _CPU_TYPES
        if facts.node_room(facts.MACHINE_TYPES[n])["cpu"] >= cpu_milli
        and facts.node_room(facts.MACHINE_TYPES[n])["memory"] >= memory
    ]
    series = like.rsplit("-", 1)[0]
    return next((n for n in fits if n.rsplit("-", 1)[0] == series), fits[0] if fits else None)


def check_system_pool_fit(top: Reader, pool: SystemPool, inference_pool: InferencePool) -> None:
    """The endpoint picker runs on the system pool (the weights download runs on Cloud Run): it must fit
    one node after GKE's reservations and its per-node system pods (stacks/facts.py node_room, the same
    data tools/capacity.py packs with), or it stays Pending and `pulumi up` times out."""
    before = len(top.problems)
    machine = facts.MACHINE_TYPES[pool.machine_type]
    room = facts.node_room(machine)
    left = f"one {pool.machine_type} node leaves cpu {_cpu(room['cpu'])}, memory {_gib(room['memory'])}"
    left += " after GKE's reservations and its system pods (stacks/facts.py)"
    epp = inference_pool.endpoint_picker
    if epp is not None:
        cpu = math.ceil(cpu_cores(epp.cpu_request) * 1000)
        memory = memory_bytes(epp.memory_request)
        larger = _smallest_fitting(cpu, memory, pool.machine_type)
        bigger = f", or a systemPool.machineType such as {larger}" if larger else ""
        if cpu > room["cpu"]:
            top.problem(
                "inferencePool.endpointPicker.cpuRequest",
                epp.cpu_request,
                f"the endpoint picker would stay Pending: {left}",
                f"set inferencePool.endpointPicker.cpuRequest to at most {room['cpu']}m{bigger}",
            )
        elif memory > room["memory"]:
            top.problem(
                "inferencePool.endpointPicker.memoryRequest",
                epp.memory_request,
                f"the endpoint picker would stay Pending: {left}",
                f"set inferencePool.endpointPicker.memoryRequest to at most {room['memory'] // facts.MI}Mi{bigger}",
            )
    pods = [(s.cpu_milli, s.memory) for s in facts.CLUSTER_SYSTEM_PODS for _ in range(s.replicas)]
    if epp is not None:
        pods.append((math.ceil(cpu_cores(epp.cpu_request) * 1000), memory_bytes(epp.memory_request)))
    if pool.node_count and len(top.problems) == before and not facts.fits_on_nodes(pods, room, pool.node_count):
        top.problem(
            "systemPool.nodeCount",
            pool.node_count,
            f"the endpoint picker fits a {pool.machine_type} node but not together with GKE's cluster-wide system "
            f"pods on {pool.node_count} node(s) (first-fit per node, stacks/facts.py): a pod would stay Pending",
            "add a node, use a larger systemPool.machineType, or size inferencePool.endpointPicker down",
        )
