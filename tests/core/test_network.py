"""Network: VPC, node and proxy-only subnets, gateway addresses and firewall rules."""

from __future__ import annotations

from tests.conftest import names, run

P = "tpu-gke-dranet-prod"


def test_vpc_is_custom_mode_with_jumbo_frames(prod):
    (vpc,) = prod.by_type("gcp:compute/network:Network")
    assert vpc.inputs == {
        "project": "tpu-inference-prod",
        "name": f"{P}-vpc",
        "autoCreateSubnetworks": False,
        "mtu": 8896,
        "routingMode": "GLOBAL",
    }


def test_node_subnets_per_region(prod):
    subnets = {s.inputs["name"]: s.inputs for s in prod.by_type("gcp:compute/subnetwork:Subnetwork")}
    vpc_id = f"projects/tpu-inference-prod/global/networks/{P}-vpc"
    for region, cidr in (("europe-west4", "10.0.1.0/24"), ("us-east5", "10.0.2.0/24")):
        node = subnets[f"{P}-node-{region}"]
        assert node["region"] == region and node["ipCidrRange"] == cidr and node["network"] == vpc_id
        assert "purpose" not in node
        assert node["privateIpGoogleAccess"] is True
        assert node["logConfig"]["aggregationInterval"] == "INTERVAL_5_SEC"


def test_proxy_only_subnets_for_the_cross_region_load_balancer(prod):
    subnets = {s.inputs["name"]: s.inputs for s in prod.by_type("gcp:compute/subnetwork:Subnetwork")}
    assert len(subnets) == 4
    for region, cidr in (("europe-west4", "10.1.1.0/24"), ("us-east5", "10.1.2.0/24")):
        proxy = subnets[f"{P}-proxy-{region}"]
        assert (proxy["purpose"], proxy["role"], proxy["ipCidrRange"], proxy["region"]) == (
            "GLOBAL_MANAGED_PROXY",
            "ACTIVE",
            cidr,
            region,
        )
        assert "logConfig" not in proxy and "privateIpGoogleAccess" not in proxy


def test_internal_gateway_address_in_each_node_subnet(prod):
    addresses = {a.inputs["region"]: a for a in prod.by_type("gcp:compute/address:Address")}
    assert sorted(addresses) == ["europe-west4", "us-east5"]
    for region, address in addresses.items():
        assert address.inputs["name"] == f"{P}-gateway-ip-{region}"
        assert address.inputs["addressType"] == "INTERNAL"
        subnet = f"projects/tpu-inference-prod/regions/{region}/subnetworks/{P}-node-{region}"
        assert address.inputs["subnetwork"] == subnet
    assert prod.outputs["gatewayAddresses"] == {r: a.outputs["address"] for r, a in addresses.items()}
    assert prod.outputs["gatewayAddresses"]["us-east5"].startswith("10.0.2.")


def test_firewalls_open_only_what_serving_needs(prod):
    rules = {f.inputs["name"]: f.inputs for f in prod.by_type("gcp:compute/firewall:Firewall")}
    assert sorted(rules) == [f"{P}-allow-health-checks", f"{P}-allow-internal", f"{P}-allow-proxies"]
    for rule in rules.values():
        assert rule["network"] == f"{P}-vpc" and rule["direction"] == "INGRESS"
        assert "0.0.0.0/0" not in rule["sourceRanges"]
        assert all(a["protocol"] != "all" for a in rule["allows"])

    hc = rules[f"{P}-allow-health-checks"]
    assert hc["sourceRanges"] == ["130.211.0.0/22", "35.191.0.0/16"]
    assert hc["allows"] == [{"protocol": "tcp", "ports": ["8000"]}]

    proxies = rules[f"{P}-allow-proxies"]
    assert proxies["sourceRanges"] == ["10.1.1.0/24", "10.1.2.0/24"]
    assert proxies["allows"] == [{"protocol": "tcp", "ports": ["8000"]}]

    internal = rules[f"{P}-allow-internal"]
    assert internal["sourceRanges"] == ["10.0.1.0/24", "10.0.2.0/24"]
    assert [a["protocol"] for a in internal["allows"]] == ["tcp", "udp", "icmp"]


def test_serving_port_and_pod_ranges_flow_into_the_rules():

    regions = [
        {
            "name": "us-east5",
            "zone": "us-east5-b",
            "nodeCidr": "10.0.2.0/24",
            "proxyCidr": "10.1.2.0/24",
            "podCidr": "10.8.0.0/16",
            "serviceCidr": "10.9.0.0/20",
        },
    ]
    plan = run("prod", overrides={"servingPort": 9000, "regions": regions, "configRegion": "us-east5"})
    rules = {f.name: f.inputs for f in plan.by_type("gcp:compute/firewall:Firewall")}
    assert rules["network-allow-health-checks"]["allows"] == [{"protocol": "tcp", "ports": ["9000"]}]
    assert rules["network-allow-internal"]["sourceRanges"] == ["10.0.2.0/24", "10.8.0.0/16", "10.9.0.0/20"]
    (node,) = [s for s in plan.by_type("gcp:compute/subnetwork:Subnetwork") if "purpose" not in s.inputs]
    assert node.inputs["secondaryIpRanges"] == [
        {"rangeName": "pods", "ipCidrRange": "10.8.0.0/16"},
        {"rangeName": "services", "ipCidrRange": "10.9.0.0/20"},
    ]
    (cluster,) = plan.by_type("gcp:container/cluster:Cluster")
    assert cluster.inputs["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": "pods",
        "servicesSecondaryRangeName": "services",
    }


def test_network_resources_are_children_of_the_network_component(prod):
    network_children = [r for r in prod.registrations if r.parent.endswith("inference:network:Network::network")]
    assert names(network_children) == names(
        prod.by_type("gcp:compute/network:Network")
        + prod.by_type("gcp:compute/subnetwork:Subnetwork")
        + prod.by_type("gcp:compute/address:Address")
        + prod.by_type("gcp:compute/firewall:Firewall")
        + prod.by_type("pulumi-python:dynamic:Resource")
        + prod.by_type("gcp:compute/router:Router")  # Cloud NAT for prod's private nodes
        + prod.by_type("gcp:compute/routerNat:RouterNat")
    )
