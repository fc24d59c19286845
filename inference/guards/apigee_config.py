"""`guards.apigee.create`: the Apigee organization, instance, environment and environment group that a stack
creates when it has none to use (docs/guards.md § Creating the Apigee organization). A cloud (non-hybrid)
organization, reached through Private Service Connect or through VPC peering with the stack's VPC; what the
Apigee API refuses is refused here."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from inference.common.reader import NOT_SET, Problem, Reader, shown
from inference.core.config.network import Region, cidr, region_problem
from inference.guards import facts as guard_facts


@dataclass(frozen=True)
class ApigeeCreate:
    """An Apigee organization with one instance, environment and environment group."""

    billing_type: str  # EVALUATION, PAYG or SUBSCRIPTION
    analytics_region: str
    instance_location: str  # the Gateway's region
    environment_type: str | None  # INTERMEDIATE or COMPREHENSIVE for PAYG; None: the organization decides
    hostnames: tuple[str, ...]  # of the environment group
    protect: bool  # production: Pulumi refuses to delete them
    peering_range: str | None = None  # VPC peering through this range of the stack's VPC; None: Private Service Connect


# An environment group's hostnames: DNS names (RFC 1123 labels, lowercase), at least two labels.
_HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?")


def _hostnames(c: Reader) -> tuple[str, ...] | None:
    value: Any = c.get("hostnames", required_fix="list the hostnames of the environment group, e.g. [api.example.com]")
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        c.problem("hostnames", value, "must be a non-empty list of hostnames", "write e.g. [api.example.com]")
        return None
    bad = [h for h in value if not isinstance(h, str) or not _HOSTNAME.fullmatch(h)]
    if bad:
        c.problem("hostnames", value, f"holds {shown(bad[0])}, not a lowercase DNS name", "write e.g. api.example.com")
        return None
    if len(set(value)) != len(value):
        c.problem("hostnames", value, "lists a hostname twice", "list each hostname once")
        return None
    return tuple(value)


def _peering_range(c: Reader, regions: Sequence[Region]) -> str | None:
    """The range reserved for Apigee in the stack's VPC: private, a /21 or larger (an instance takes a /22 and
    Apigee's service networking a /28 more), and clear of the stack's own ranges."""
    value = c.string("peeringRange", required_fix="reserve a private /21 or larger for Apigee, e.g. 10.50.0.0/21")
    net = cidr(c, "peeringRange", value) if value else None
    if net is None:
        return None
    if not net.is_private or net.prefixlen > guard_facts.APIGEE_PEERING_PREFIX:
        c.problem(
            "peeringRange",
            value,
            f"is not a private /{guard_facts.APIGEE_PEERING_PREFIX} or larger: an Apigee instance takes a /22 of it "
            f"({guard_facts.APIGEE_PEERING_SOURCE}) and its service networking a /28 more "
            f"({guard_facts.APIGEE_SERVICE_NETWORKING_SOURCE})",
            f"reserve a private /{guard_facts.APIGEE_PEERING_PREFIX} or larger, e.g. 10.50.0.0/21",
        )
        return None
    for i, region in enumerate(regions):
        for key, theirs in (
            ("nodeCidr", region.node_cidr),
            ("proxyCidr", region.proxy_cidr),
            ("podCidr", region.pod_cidr),
            ("serviceCidr", region.service_cidr),
        ):
            if theirs and net.overlaps(ipaddress.IPv4Network(theirs)):
                c.problem(
                    "peeringRange",
                    value,
                    f"overlaps regions[{i}].{key} ({theirs}): peered networks' ranges may not overlap",
                    "reserve a range the stack's subnets do not use",
                )
                return None
    return value


def _billing(c: Reader, production: bool) -> str | None:
    billing = c.choice("billingType", NOT_SET, guard_facts.APIGEE_BILLING_TYPES) if c.given("billingType") else None
    if not c.given("billingType"):
        c.problem(
            "billingType",
            NOT_SET,
            "is required: it decides what the organization costs and how long it lives",
            f"choose one of {', '.join(guard_facts.APIGEE_BILLING_TYPES)} ({guard_facts.APIGEE_PRICING_SOURCE})",
        )
    if billing == "EVALUATION" and production:
        c.problem(
            "billingType",
            billing,
            f"makes an evaluation organization, which expires after {guard_facts.APIGEE_EVALUATION_DAYS} days and is "
            f"deleted ({guard_facts.APIGEE_EVALUATION_SOURCE}), in a production stack",
            "choose PAYG or SUBSCRIPTION, or set production to false",
        )
    return billing


def _environment_type(c: Reader, billing: str | None) -> str | None:
    """Only a Pay-as-you-go organization chooses its environment's type."""
    if billing == "PAYG":
        return c.choice("environmentType", "INTERMEDIATE", guard_facts.APIGEE_EXTENSION_ENVIRONMENT_TYPES)
    if c.given("environmentType"):
        c.get("environmentType")
        c.problem(
            "environmentType",
            c.raw["environmentType"],
            f"is a Pay-as-you-go environment type ({guard_facts.APIGEE_ENVIRONMENT_TYPES_SOURCE}); a {billing} "
            "organization's environment has none to choose",
            "remove guards.apigee.create.environmentType, or set billingType: PAYG",
        )
    return None


def _networking(c: Reader, regions: Sequence[Region]) -> tuple[str | None, str | None]:
    network = c.choice("network", "psc", guard_facts.APIGEE_NETWORKING)
    peering_range = _peering_range(c, regions) if network == "peering" else None
    if network == "psc" and c.given("peeringRange"):
        c.get("peeringRange")
        c.problem(
            "peeringRange",
            c.raw["peeringRange"],
            "reserves a range for VPC peering, which network: psc does not use",
            "remove guards.apigee.create.peeringRange, or set network: peering",
        )
    return network, peering_range


def apigee_region_problem(region: str) -> tuple[str, str] | None:
    """(why, fix) when Apigee does not run in `region` (guard_facts.APIGEE_REGIONS, where its table was read)."""
    if problem := region_problem(region):
        return problem
    read = region.startswith(guard_facts.APIGEE_REGIONS_READ_IN_FULL)
    if read and region not in guard_facts.APIGEE_REGIONS:
        near = [r for r in guard_facts.APIGEE_REGIONS if r.split("-")[0] == region.split("-")[0]]
        why = f"is not a region where Apigee runs ({guard_facts.APIGEE_LOCATIONS_SOURCE}, read 2026-11-25)"
        return why, f"choose one of {', '.join(near)}"
    return None


def _apigee_region(c: Reader, key: str, region: str | None) -> str | None:
    problem = apigee_region_problem(region) if region else None
    if problem:
        c.problem(key, region, *problem)
        return None
    return region


def apigee_create(
    a: Reader, *, project: str | None, production: bool, regions: Sequence[Region]
) -> ApigeeCreate | None:
    """None when the stack uses an existing organization (no `create` key)."""
    c = a.mapping("create", optional=True)
    if c is None:
        return None
    gateway_region = regions[0].name if regions else None
    before = len(c.problems)
    billing = _billing(c, production)
    instance = apigee_region_problem(gateway_region) if gateway_region else None
    if instance:  # the instance goes in the Gateway's region
        why, fix = instance
        c.problems.append(
            Problem("regions[0].name", gateway_region, f"{why}, and guards.apigee.create puts the instance there", fix)
        )
    analytics = c.string("analyticsRegion", gateway_region, longest=64)
    analytics = _apigee_region(c, "analyticsRegion", analytics) if c.given("analyticsRegion") or not instance else None
    environment_type = _environment_type(c, billing)
    hostnames = _hostnames(c)
    network, peering_range = _networking(c, regions)
    c.finish()
    if len(c.problems) > before or not (billing and analytics and hostnames and network and project and gateway_region):
        return None
    return ApigeeCreate(
        billing, analytics, gateway_region, environment_type, hostnames, protect=production, peering_range=peering_range
    )
