"""Network: the VPC, per-region node and proxy-only subnets, gateway addresses and firewall rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from inference.core.facts.ranges import GLOBAL_PROXY_PURPOSE
from inference.core.leftover_sweeper import LeftoverSweeper

# Google's health-check probers (https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges).
HEALTH_CHECK_RANGES = ("130.211.0.0/22", "35.191.0.0/16")


@dataclass(frozen=True)
class SubnetRanges:
    node_subnet: str
    proxy_subnet: str
    gateway_address: str | None  # None: the Gateway takes an address of its own (single-cluster mode)
    node_cidr: str
    proxy_cidr: str
    pod_cidr: str | None = None
    service_cidr: str | None = None
    router: str | None = None  # the Cloud Router and NAT of the region, when its nodes are private
    nat: str | None = None


@dataclass(frozen=True)
class NetworkArgs:
    project: str
    network_name: str
    mtu: int
    regions: Mapping[str, SubnetRanges]  # region -> names and ranges
    firewall_names: Mapping[str, str]  # "internal" | "health-checks" | "proxies" -> rule name
    serving_port: int
    nat: bool = False  # private nodes have no external IPs: Cloud NAT gives them egress per region
    # The Gateway class's proxy-only subnet purpose (each mode's facts PROXY_SUBNET_PURPOSE).
    proxy_purpose: str = GLOBAL_PROXY_PURPOSE
    labels: Mapping[str, str] = field(default_factory=dict)
    depends_on: Sequence[pulumi.Resource] = ()  # the Compute Engine API


_FLOW_LOGS = gcp.compute.SubnetworkLogConfigArgs(
    aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5, metadata="INCLUDE_ALL_METADATA"
)


class Network(pulumi.ComponentResource):
    """One VPC shared by every region; each region gets a node subnet, a proxy-only subnet for the
    cross-region internal Application Load Balancer, and the static internal IP its Gateway uses."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.vpc = gcp.compute.Network(
            f"{name}-vpc",
            project=args.project,
            name=args.network_name,
            auto_create_subnetworks=False,
            mtu=args.mtu,
            routing_mode="GLOBAL",  # the load balancer's proxies in one region reach backends in another
            opts=child,
        )
        self.node_subnets: dict[str, gcp.compute.Subnetwork] = {}
        self.proxy_subnets: dict[str, gcp.compute.Subnetwork] = {}
        self.gateway_addresses: dict[str, gcp.compute.Address] = {}
        for region, ranges in args.regions.items():
            self._region(name, args, region, ranges, child)
        self.firewalls = self._firewalls(name, args, child)
        # Created after the VPC and the node subnets and before the clusters, so `pulumi destroy` runs it
        # after the clusters and fleet features are gone and before the subnets and the VPC: see
        # inference/core/leftover_sweeper.py.
        self.leftover_sweeper = LeftoverSweeper(
            f"{name}-leftover-sweeper",
            args.project,
            self.vpc.self_link,
            [s.self_link for s in self.node_subnets.values()],
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name=f"{name}-leftover-firewall-sweeper")]),
        )
        self.register_outputs(
            {
                "network": self.vpc.name,
                "node_subnets": {r: s.name for r, s in self.node_subnets.items()},
                "proxy_subnets": {r: s.name for r, s in self.proxy_subnets.items()},
                "gateway_addresses": {r: a.address for r, a in self.gateway_addresses.items()},
            }
        )

    def _region(self, name: str, args: NetworkArgs, region: str, ranges: SubnetRanges, child) -> None:
        """The region's node subnet (with its secondary ranges), proxy-only subnet, NAT and gateway address."""
        secondary = [
            gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=f"{kind}s", ip_cidr_range=cidr)
            for kind, cidr in (("pod", ranges.pod_cidr), ("service", ranges.service_cidr))
            if cidr
        ]
        node = self.node_subnets[region] = gcp.compute.Subnetwork(
            f"{name}-node-{region}",
            project=args.project,
            name=ranges.node_subnet,
            region=region,
            network=self.vpc.id,
            ip_cidr_range=ranges.node_cidr,
            secondary_ip_ranges=secondary or None,
            private_ip_google_access=True,  # nodes pull from Google APIs without public egress
            log_config=_FLOW_LOGS,
            opts=child,
        )
        self.proxy_subnets[region] = gcp.compute.Subnetwork(
            f"{name}-proxy-{region}",
            project=args.project,
            name=ranges.proxy_subnet,
            region=region,
            network=self.vpc.id,
            ip_cidr_range=ranges.proxy_cidr,
            purpose=args.proxy_purpose,
            role="ACTIVE",
            opts=child,
        )
        if args.nat:
            self._nat(name, args, region, ranges, node, child)
        if ranges.gateway_address is not None:
            self.gateway_addresses[region] = gcp.compute.Address(
                f"{name}-gateway-ip-{region}",
                project=args.project,
                name=ranges.gateway_address,
                region=region,
                subnetwork=node.id,
                address_type="INTERNAL",
                labels=dict(args.labels),
                opts=child,
            )

    def _nat(self, name: str, args: NetworkArgs, region: str, ranges: SubnetRanges, node, child) -> None:
        """Private nodes have no external IPs: Cloud NAT gives the node subnet egress."""
        router = gcp.compute.Router(
            f"{name}-router-{region}",
            project=args.project,
            name=ranges.router,
            region=region,
            network=self.vpc.id,
            opts=child,
        )
        gcp.compute.RouterNat(
            f"{name}-nat-{region}",
            project=args.project,
            name=ranges.nat,
            region=region,
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[gcp.compute.RouterNatSubnetworkArgs(name=node.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"])],
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child,
        )

    def _firewalls(self, name: str, args: NetworkArgs, child) -> dict[str, gcp.compute.Firewall]:
        node_and_pod_ranges = sorted(
            cidr for r in args.regions.values() for cidr in (r.node_cidr, r.pod_cidr, r.service_cidr) if cidr
        )
        serving = [gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(args.serving_port)])]

        def rule(purpose: str, sources: list[str], allows: list) -> gcp.compute.Firewall:
            return gcp.compute.Firewall(
                f"{name}-allow-{purpose}",
                project=args.project,
                name=args.firewall_names[purpose],
                network=self.vpc.name,
                direction="INGRESS",
                source_ranges=sources,
                allows=allows,
                opts=child,
            )

        return {
            # Nodes and pods of every region talk to each other; this VPC's own ranges only.
            "internal": rule(
                "internal",
                node_and_pod_ranges,
                [gcp.compute.FirewallAllowArgs(protocol=p) for p in ("tcp", "udp", "icmp")],
            ),
            # Google's health checkers probe the model servers on the serving port and nothing else.
            "health-checks": rule("health-checks", list(HEALTH_CHECK_RANGES), serving),
            # The load balancer's Envoy proxies (proxy-only subnets of every region) reach the pods.
            "proxies": rule("proxies", sorted(r.proxy_cidr for r in args.regions.values()), serving),
        }
