"""`regions` (names, zones and ranges), `network` and `privateNodes`: checked against the tables of regions,
zones and valid ranges in inference/core/facts/."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inference.common.reader import _MISSING, Problem, Reader, did_you_mean
from inference.core.config.compute import Accelerator, SystemPool
from inference.core.facts import places, ranges


@dataclass(frozen=True)
class Region:
    name: str
    zone: str
    node_cidr: str
    proxy_cidr: str
    pod_cidr: str | None = None
    service_cidr: str | None = None


@dataclass(frozen=True)
class PrivateNodes:
    enabled: bool
    master_authorized_networks: tuple[str, ...]  # CIDRs that may reach the control plane; () leaves it open
    # The control plane's DNS-based endpoint, guarded by IAM; the IP endpoint then admits only the networks above.
    dns_endpoint: bool = False


_ADDRESS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
_CIDR = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}")
_VALID = [(ipaddress.IPv4Network(c), what) for c, what in ranges.VALID_SUBNET_RANGES]
_PROHIBITED = [(ipaddress.IPv4Network(c), what) for c, what in ranges.PROHIBITED_SUBNET_RANGES]
_PRIVATE_FIX = "use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
# key -> (what the range is for, smallest prefix, largest prefix, why the smallest)
_SIZES = {
    "nodeCidr": ("node subnet", ranges.SUBNET_SMALLEST_PREFIX, 4, "the smallest primary range of a subnet"),
    "proxyCidr": (
        "proxy-only subnet",
        ranges.PROXY_ONLY_SMALLEST_PREFIX,
        4,
        "the minimum for a proxy-only subnet",
    ),
    "podCidr": (
        "Pod range",
        ranges.POD_RANGE_PREFIX_PER_NODE,
        ranges.POD_RANGE_LARGEST_PREFIX,
        "the Pod range one node takes at 110 Pods per node",
    ),
    "serviceCidr": (
        "Service range",
        ranges.SERVICE_RANGE_PREFIXES[1],
        ranges.SERVICE_RANGE_PREFIXES[0],
        "the smallest Service range GKE takes",
    ),
}


def cidr(r: Reader, key: str, value: str) -> ipaddress.IPv4Network | None:
    """An IPv4 range written as address/prefix-length, with no host bits set."""
    if _ADDRESS.fullmatch(value):
        try:
            example = ipaddress.IPv4Network(f"{value}/24", strict=False)
        except ValueError:
            example = "10.0.1.0/24"
        r.problem(
            key,
            value,
            "is an address, not a range (without a prefix length it would be read as a single-address /32)",
            f"write the range with its prefix length, e.g. {example}",
        )
        return None
    if not _CIDR.fullmatch(value):
        r.problem(key, value, "is not an IPv4 CIDR range", "write it like 10.0.1.0/24")
        return None
    try:
        return ipaddress.IPv4Network(value)
    except ValueError:
        pass
    try:
        net = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        r.problem(key, value, "is not an IPv4 CIDR range", "write it like 10.0.1.0/24")
        return None
    r.problem(key, value, "has host bits set", f"use the network address {net}")
    return None


def subnet_range(r: Reader, key: str, value: str) -> ipaddress.IPv4Network | None:
    """A range GCP accepts in a subnet and GKE uses without further set-up, of the size its purpose needs."""
    net = cidr(r, key, value)
    if net is None:
        return None
    for blocked, what in _PROHIBITED:
        if net.overlaps(blocked):
            r.problem(
                key,
                value,
                f"overlaps {blocked} ({what}), which GCP refuses in a subnet ({ranges.SUBNET_RANGES_SOURCE})",
                _PRIVATE_FIX,
            )
            return None
    if not any(net.subnet_of(valid) for valid, _ in _VALID):
        r.problem(
            key,
            value,
            "is not inside a private range: GCP takes a public range only as a privately used public range, "
            "which needs GKE's default SNAT disabled, and the program does not disable it "
            f"({ranges.SUBNET_RANGES_SOURCE})",
            f"{_PRIVATE_FIX}, or in another range GCP reserves for private use such as 100.64.0.0/10",
        )
        return None
    what, smallest, largest, why = _SIZES[key]
    if net.prefixlen > smallest:
        fix = f"use a /{smallest} or larger"
        if key == "proxyCidr":
            fix += f" (Google recommends /{ranges.PROXY_ONLY_RECOMMENDED_PREFIX})"
        r.problem(key, value, f"is smaller than /{smallest}, {why}", fix)
        return None
    if net.prefixlen < largest:
        r.problem(
            key,
            value,
            f"is larger than /{largest}, the largest {what} GKE takes ({ranges.GKE_RANGES_SOURCE})",
            f"use a /{largest} to /{smallest}",
        )
        return None
    return net


def region_problem(value: str) -> tuple[str, str] | None:
    """(why, fix) when `value` is not a Compute Engine region of inference/core/facts/places.py: every location
    key that names a region is checked against the same list."""
    if value in places.REGION_ZONES:
        return None
    owner = next((reg for reg in places.REGION_ZONES if value in places.zones_of(reg)), None)
    if owner:
        return f"is a zone of {owner}, not a region", f"use its region {owner}"
    close = did_you_mean(value, sorted(places.REGION_ZONES))
    return (
        f"is not a Google Cloud region (inference/core/facts/places.py, from {places.REGIONS_SOURCE}, read "
        f"{places.PLACES_READ_ON})",
        f"did you mean '{close}'?" if close else "use a region such as us-east5 or europe-west4",
    )


def _name_and_zone(r: Reader, seen: set[str]) -> tuple[str | None, str | None]:
    name = r.string("name", required_fix="set a Compute Engine region such as us-east5", longest=64)
    zone = r.string("zone", required_fix="set the zone that has TPU v6e capacity, e.g. us-east5-b", longest=64)
    if name and (problem := region_problem(name)):
        r.problem("name", name, *problem)
        return None, None
    if name and name in seen:
        r.problem("name", name, "appears twice", "list each region once")
        return None, None
    if name:
        seen.add(name)
    if name and zone and zone not in places.zones_of(name):
        owner = next((reg for reg in places.REGION_ZONES if zone in places.zones_of(reg)), None)
        why = f"is a zone of {owner}, not of {name}" if owner else f"is not a zone of {name}"
        r.problem("zone", zone, why, f"use one of {', '.join(places.zones_of(name))}")
        return name, None
    if name and zone and zone in places.ai_zones_of(name):
        # Each cluster here is zonal: its control plane and every pool sit in this zone. GKE takes AI zones
        # for node pools (and compute classes) of a cluster located in the region's standard zones, and a
        # project sees them only once AI zone visibility is on (inference/core/facts/places.py AI_ZONES_SOURCE).
        standard = [z for z in places.zones_of(name) if z not in places.ai_zones_of(name)]
        r.problem(
            "zone",
            zone,
            "is an AI zone: GKE runs node pools there, not the zonal cluster's control plane this program creates",
            f"use a standard zone of {name} ({', '.join(standard)}), or a region with a standard v6e zone",
        )
        return name, None
    return name, zone


def regions(top: Reader) -> list[tuple[int, Region]]:
    """The regions with their index in the list (keys name `regions[i]`)."""
    fix = "list at least one region with name, zone, nodeCidr and proxyCidr"
    raw = top.get("regions", required_fix=fix)
    found: list[tuple[int, Region]] = []
    if raw is None:
        return found
    if not isinstance(raw, list) or not raw:
        top.problem("regions", raw, "must be a non-empty list", fix)
        return found
    ranges: list[tuple[str, Any, ipaddress.IPv4Network]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            top.problem(f"regions[{i}]", item, "must be an object", "give name, zone, nodeCidr and proxyCidr")
            continue
        r = Reader(item, f"regions[{i}]", top.problems)
        before = len(top.problems)
        name, zone = _name_and_zone(r, seen)
        cidrs: dict[str, str | None] = {}
        for key in ("nodeCidr", "proxyCidr", "podCidr", "serviceCidr"):
            default = None if key in ("podCidr", "serviceCidr") else _MISSING
            value = r.string(key, default, required_fix=f"set a private CIDR range for {r.key(key)}", longest=64)
            net = subnet_range(r, key, value) if value else None
            if net is not None:
                ranges.append((r.key(key), value, net))
            cidrs[key] = value if net is not None else None
        r.finish()
        if len(top.problems) == before:
            found.append((i, Region(name, zone, **{_FIELD[k]: v for k, v in cidrs.items()})))
    for a in range(len(ranges)):
        for b in range(a + 1, len(ranges)):
            (ka, va, na), (kb, _, nb) = ranges[a], ranges[b]
            if na.overlaps(nb):
                top.problems.append(
                    Problem(
                        ka,
                        va,
                        f"overlaps {kb} ({nb})",
                        "give every node, proxy, pod and service range its own addresses",
                    )
                )
    return found


_FIELD = {"nodeCidr": "node_cidr", "proxyCidr": "proxy_cidr", "podCidr": "pod_cidr", "serviceCidr": "service_cidr"}


def check_tpu_zones(top: Reader, found: list[tuple[int, Region]], accelerator: Accelerator) -> None:
    """Every region's zone must offer the accelerator (inference/core/facts/places.py TPU_V6E_ZONES)."""
    for i, region in found:
        if region.zone in places.TPU_V6E_ZONES:
            continue
        here = [z for z in places.TPU_V6E_ZONES if z in places.zones_of(region.name)]
        regions_with = sorted(
            {reg for reg in places.REGION_ZONES for z in places.TPU_V6E_ZONES if z in places.zones_of(reg)}
        )
        top.problems.append(
            Problem(
                f"regions[{i}].zone",
                region.zone,
                f"offers no TPU v6e ({accelerator.machine_type}) by {places.TPU_V6E_ZONES_SOURCE} "
                f"(read {places.PLACES_READ_ON})",
                f"use {' or '.join(here)}"
                if here
                else f"serve from a region with v6e zones: {', '.join(regions_with)}",
            )
        )


def nodes_per_cluster(
    system_pool: SystemPool, accelerator: Accelerator | None, empty_pools: int = 0, more: Sequence[Accelerator] = ()
) -> int:
    """Nodes one cluster can have at once: every pool's nodes and a surge node per pool while upgrading
    (`empty_pools`: a capacity ladder's rungs past the first, which start with no node; `more`: the TPU pools of
    models with a shape of their own)."""
    pools = [system_pool.node_count] + ([accelerator.nodes_per_pool] if accelerator else []) + [0] * empty_pools
    pools += [a.nodes_per_pool for a in more]
    return sum(pools) + ranges.SURGE_NODES_PER_POOL * len(pools)


def check_range_sizes(top: Reader, found: list[tuple[int, Region]], nodes: int) -> None:
    """The node subnet holds every node and the Gateway's address; the Pod range a /24 per node."""
    for i, region in found:
        node = ipaddress.IPv4Network(region.node_cidr)
        usable = node.num_addresses - ranges.SUBNET_UNUSABLE_ADDRESSES
        if usable < nodes + 1:
            need = 32 - math.ceil(math.log2(nodes + 1 + ranges.SUBNET_UNUSABLE_ADDRESSES))
            top.problems.append(
                Problem(
                    f"regions[{i}].nodeCidr",
                    region.node_cidr,
                    f"has {usable} usable addresses (GCP keeps {ranges.SUBNET_UNUSABLE_ADDRESSES}), fewer than the "
                    f"{nodes} nodes a cluster can have during an upgrade (the pools and a surge node each) and the "
                    "Gateway's address",
                    f"use a /{need} or larger",
                )
            )
        if region.pod_cidr:
            pod = ipaddress.IPv4Network(region.pod_cidr)
            fits = 2 ** (ranges.POD_RANGE_PREFIX_PER_NODE - pod.prefixlen)
            if fits < nodes:
                need = ranges.POD_RANGE_PREFIX_PER_NODE - math.ceil(math.log2(nodes))
                top.problems.append(
                    Problem(
                        f"regions[{i}].podCidr",
                        region.pod_cidr,
                        f"holds {fits} node(s) at a /{ranges.POD_RANGE_PREFIX_PER_NODE} each, fewer than the {nodes} "
                        f"a cluster can have during an upgrade ({ranges.GKE_RANGES_SOURCE})",
                        f"use a /{need} or larger",
                    )
                )


def mtu(top: Reader) -> int | None:
    net = top.mapping("network")
    low, high = ranges.MTU_RANGE
    value = net.integer(  # the largest by default, as the walkthrough's VPC
        "mtu", high, low=low, high=high, fix=f"GCP VPCs accept an MTU from {low} to {high}; the walkthrough uses {high}"
    )
    net.finish()
    return value


def private_nodes(top: Reader) -> PrivateNodes:
    r = top.mapping("privateNodes")
    enabled = r.boolean("enabled", False)
    networks = r.get("masterAuthorizedNetworks", [])
    good: list[str] = []
    if networks is None:
        networks = []
    if not isinstance(networks, list):
        r.problem("masterAuthorizedNetworks", networks, "must be a list of CIDR ranges", "write e.g. [203.0.113.0/24]")
        networks = []
    for i, value in enumerate(networks):
        key = f"masterAuthorizedNetworks[{i}]"
        if not isinstance(value, str) or len(value) > 64:
            r.problem(key, value, "is not an IPv4 CIDR range", "write it like 203.0.113.0/24")
        elif cidr(r, key, value) is not None:
            good.append(value)
    dns_endpoint = r.boolean("dnsEndpoint", False)
    r.finish()
    return PrivateNodes(bool(enabled), tuple(good), bool(dns_endpoint))
