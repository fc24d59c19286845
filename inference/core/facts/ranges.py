"""What a subnet and GKE's secondary ranges accept: the network checks of the configuration."""

from __future__ import annotations

# ======================================================================================================
# Network ranges: what a subnet and GKE's secondary ranges accept (used by the configuration), read 2026-11-25
# ======================================================================================================

NETWORK_READ_ON = "2026-11-25"

# A proxy-only subnet's purpose: cross-region internal Envoy-based load balancers run their proxies in
# GLOBAL_MANAGED_PROXY subnets, regional ones in REGIONAL_MANAGED_PROXY subnets
# (https://cloud.google.com/load-balancing/docs/proxy-only-subnets#envoy-lb).
GLOBAL_PROXY_PURPOSE, REGIONAL_PROXY_PURPOSE = "GLOBAL_MANAGED_PROXY", "REGIONAL_MANAGED_PROXY"
# The MTUs a VPC accepts (https://cloud.google.com/vpc/docs/mtu).
MTU_RANGE = (1300, 8896)

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
