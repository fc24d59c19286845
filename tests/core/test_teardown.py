"""Teardown: `pulumi destroy` deletes in an order that finishes on its own, and the sweeper removes
exactly the controllers' leftover firewall rules and NEGs from this stack's network."""

from __future__ import annotations

import pytest

from inference.core import leftover_sweeper
from tests.conftest import closure

NETWORK = "projects/p/global/networks/tpu-gke-dranet-prod-vpc"
# What Compute returns in `network` and `selfLink`: the www.googleapis.com host, not the endpoint's.
LINK = f"https://www.googleapis.com/compute/v1/{NETWORK}"
OTHER = "https://www.googleapis.com/compute/v1/projects/p/global/networks/other-vpc"
ZONE = "https://www.googleapis.com/compute/v1/projects/p/zones/us-east5-b"


class FakeCompute:
    """The Compute Engine calls the sweeper makes, over an in-memory project."""

    def __init__(self, rules: list[dict], negs: list[dict] = ()):
        self.rules = {r["name"]: r for r in rules}
        self.negs = {n["name"]: n for n in negs}
        self.calls: list[tuple] = []

    def list_firewalls(self, project: str, network: str) -> list[dict]:
        self.calls.append(("list", project, network))
        return list(self.rules.values())  # the real filter is server-side; the sweeper re-checks

    def delete_firewall(self, project: str, name: str) -> str:
        self.calls.append(("delete", project, name))
        del self.rules[name]
        return f"operation-{name}"

    def list_negs(self, project: str, network: str) -> list[dict]:
        self.calls.append(("list-negs", project, network))
        return list(self.negs.values())

    def delete_neg(self, project: str, zone: str, name: str) -> str:
        self.calls.append(("delete-neg", zone, name))
        del self.negs[name]
        return f"operation-{name}"

    def wait(self, operation: str) -> None:
        self.calls.append(("wait", operation))


RULES = [
    {"name": "gke-tpu-gke-dranet-prod-us-east5-4f2a9c-mcsd", "network": LINK},
    {"name": "k8s-fw-l7--4f2a9c-inference", "network": LINK},
    {"name": "gkemcg1-l7-tpu-gke-dranet-prod-vpc-global", "network": LINK},
    {"name": "mcsd-other-stack", "network": OTHER},
    {"name": "tpu-gke-dranet-prod-allow-health-checks", "network": LINK},  # ours: Pulumi deletes it
    {"name": "gke-tpu-gke-dranet-prod-us-east5-all", "network": LINK},  # GKE deletes it with the cluster
    {"name": "k8s-fw-l4-something", "network": LINK},  # an L4 Service's rule; the program makes none
]
NEGS = [
    {"name": "k8s1-ddb447c6-inference-gke-mcs-gemma-8000-9f63cdd9", "network": LINK, "zone": ZONE},
    {"name": "k8s1-0a1b2c3d-other-svc-80-1234abcd", "network": OTHER, "zone": ZONE},
    {"name": "hand-made-neg", "network": LINK, "zone": ZONE},
]


def test_sweep_deletes_exactly_the_leftovers_on_this_network():
    api = FakeCompute(RULES, NEGS)
    removed = leftover_sweeper.sweep(api, "p", LINK)
    assert removed == [
        "networkEndpointGroup us-east5-b/k8s1-ddb447c6-inference-gke-mcs-gemma-8000-9f63cdd9",
        "firewall gke-tpu-gke-dranet-prod-us-east5-4f2a9c-mcsd",
        "firewall gkemcg1-l7-tpu-gke-dranet-prod-vpc-global",
        "firewall k8s-fw-l7--4f2a9c-inference",
    ]
    assert sorted(api.rules) == [
        "gke-tpu-gke-dranet-prod-us-east5-all",
        "k8s-fw-l4-something",
        "mcsd-other-stack",
        "tpu-gke-dranet-prod-allow-health-checks",
    ]
    assert sorted(api.negs) == ["hand-made-neg", "k8s1-0a1b2c3d-other-svc-80-1234abcd"]
    # every deletion is awaited before the sweeper reports success (and before the subnets go)
    assert [c for c in api.calls if c[0] == "wait"] == [
        ("wait", "operation-k8s1-ddb447c6-inference-gke-mcs-gemma-8000-9f63cdd9"),
        ("wait", "operation-gke-tpu-gke-dranet-prod-us-east5-4f2a9c-mcsd"),
        ("wait", "operation-gkemcg1-l7-tpu-gke-dranet-prod-vpc-global"),
        ("wait", "operation-k8s-fw-l7--4f2a9c-inference"),
    ]


def test_sweep_with_nothing_left_deletes_nothing():
    api = FakeCompute([r for r in RULES if r["name"].startswith("tpu-")], [])
    assert leftover_sweeper.sweep(api, "p", NETWORK) == []
    assert [c[0] for c in api.calls] == ["list-negs", "list"]


def test_network_is_matched_by_path_whatever_its_host():
    endpoint_host = f"https://compute.googleapis.com/compute/v1/{NETWORK}"
    assert leftover_sweeper.path_of(LINK) == NETWORK == leftover_sweeper.path_of(endpoint_host)
    assert leftover_sweeper.leftover_rules([{"name": "x-mcsd", "network": NETWORK}], endpoint_host) == ["x-mcsd"]


class Session:
    """Pages of a list call, then the operation calls, as the REST client sends them."""

    def __init__(self, pages: list[dict]):
        self.pages = pages
        self.requests: list[tuple] = []

    def request(self, method, url, **kwargs):
        self.requests.append((method, url, kwargs.get("params")))
        operation = {"selfLink": "https://www.googleapis.com/compute/v1/projects/p/zones/us-east5-b/operations/op-1"}
        body = self.pages.pop(0) if method == "GET" else {**operation, "status": "DONE"}
        return type("Response", (), {"raise_for_status": lambda self: None, "json": lambda self: body})()


def rest(pages: list[dict]) -> leftover_sweeper.RestComputeApi:
    api = leftover_sweeper.RestComputeApi.__new__(leftover_sweeper.RestComputeApi)
    api.session = Session(pages)
    return api


def test_rest_client_filters_on_the_network_path_not_on_one_host():
    api = rest([{"items": [{"name": "r1", "network": LINK}], "nextPageToken": "t"}, {"items": [{"name": "r2"}]}])
    assert [r["name"] for r in api.list_firewalls("p", LINK)] == ["r1", "r2"]
    (method, url, params), (_, _, second) = api.session.requests
    assert (method, url) == ("GET", "https://compute.googleapis.com/compute/v1/projects/p/global/firewalls")
    # a regular expression over the whole field: matches the www.googleapis.com links Compute stores
    assert params["filter"] == f'network eq ".*/{NETWORK}"'
    assert second["pageToken"] == "t"


def test_rest_client_lists_negs_of_every_zone_and_deletes_in_their_zone():
    neg = NEGS[0]
    api = rest([{"items": {"zones/us-east5-b": {"networkEndpointGroups": [neg]}, "zones/us-east5-a": {"warning": {}}}}])
    assert api.list_negs("p", LINK) == [neg]
    (_, url, params) = api.session.requests[0]
    assert url == "https://compute.googleapis.com/compute/v1/projects/p/aggregated/networkEndpointGroups"
    assert params["filter"] == f'network eq ".*/{NETWORK}"' and params["returnPartialSuccess"] == "true"
    operation = api.delete_neg("p", "us-east5-b", neg["name"])
    api.wait(operation)
    assert [r[:2] for r in api.session.requests[1:]] == [
        (
            "DELETE",
            f"https://compute.googleapis.com/compute/v1/projects/p/zones/us-east5-b/networkEndpointGroups/{neg['name']}",
        ),
        ("POST", "https://compute.googleapis.com/compute/v1/projects/p/zones/us-east5-b/operations/op-1/wait"),
    ]


def test_the_sweeper_is_never_replaced_because_replacing_it_would_sweep_mid_update():
    provider = leftover_sweeper._SweeperProvider()
    result = provider.diff("id", {"network": LINK, "subnetworks": []}, {"network": LINK, "subnetworks": ["s"]})
    assert result.changes is True and result.replaces == []


def deleted_before(plan, first: str, then: str) -> bool:
    """Destroy deletes a resource before everything it depends on."""
    return plan.by_urn()[then].urn in closure(plan, first)


def urn(plan, type_suffix: str, name_part: str = "") -> list[str]:
    """The program's resources (the charts' own objects are checked by the last rule of test_destroy_order)."""
    regs = [r for r in plan.registrations if r.custom and not r.rendered_by]
    return [r.urn for r in regs if r.type.endswith(type_suffix) and name_part in r.name]


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_destroy_order(stack, prod, dev):
    plan = {"prod": prod, "dev": dev}[stack]
    (sweeper,) = urn(plan, "dynamic:Resource")
    node_subnets = [r.urn for r in plan.by_type("gcp:compute/subnetwork:Subnetwork") if "-node-" in r.name]
    (vpc,) = urn(plan, ":Network")
    features = urn(plan, ":Feature")
    gateway_objects = urn(plan, ":Gateway") + urn(plan, ":HTTPRoute") + urn(plan, "Policy", "gateway-")
    exports = urn(plan, ":InferencePoolPatch")
    clusters = urn(plan, ":Cluster")
    memberships = urn(plan, ":Membership")
    assert len(features) == 2 and len(gateway_objects) == 4 and len(exports) == 2
    # Kubernetes objects and the Gateway before the fleet features
    for obj in gateway_objects + exports:
        assert all(deleted_before(plan, obj, f) for f in features), obj
    # the fleet features before the memberships, clusters and network
    for feature in features:
        assert all(deleted_before(plan, feature, m) for m in memberships)
        assert all(deleted_before(plan, feature, c) for c in clusters)
        assert deleted_before(plan, feature, sweeper) and deleted_before(plan, feature, vpc)
    # the sweeper after the clusters and before the node subnets (its NEGs block them) and the VPC
    assert all(deleted_before(plan, c, sweeper) for c in clusters)
    assert deleted_before(plan, sweeper, vpc)
    assert node_subnets and all(deleted_before(plan, sweeper, s) for s in node_subnets)
    # every Kubernetes object goes while its cluster still exists
    kubernetes = [r for r in plan.registrations if r.type.startswith("kubernetes:") and r.custom]
    for obj in kubernetes:
        assert any(deleted_before(plan, obj.urn, c) for c in clusters), obj.name


# What the cloud itself refuses to delete while something uses it ("resource in use by"), beyond the
# edges Pulumi knows from data flow. (user, used, source) by the resources' names in the plan.
IN_USE = [
    # Compute refuses to delete a proxy-only subnet while a load balancer's proxies use it; the Gateway's
    # load balancer goes when the Gateway does (its controller's finalizer holds the deletion until then).
    ("gateway-gateway", "network-proxy-{region}", "https://cloud.google.com/load-balancing/docs/proxy-only-subnets"),
    # The load balancer's health checks and proxies reach the pods through these rules while it exists.
    ("gateway-gateway", "network-allow-health-checks", "https://cloud.google.com/load-balancing/docs/health-checks"),
    ("gateway-gateway", "network-allow-proxies", "https://cloud.google.com/load-balancing/docs/l7-internal"),
    # The Gateway's forwarding rules hold the reserved internal addresses.
    ("gateway-gateway", "network-gateway-ip-{region}", "https://cloud.google.com/compute/docs/ip-addresses"),
    # NEGs in the node subnet block its deletion (terraform-provider-google#7637); the sweeper removes
    # the leftovers after the clusters and before the subnets.
    ("network-leftover-sweeper", "network-node-{region}", "hashicorp/terraform-provider-google#7637"),
    # A cluster uses its node subnet until it is deleted.
    ("cluster-{region}-gke", "network-node-{region}", "https://cloud.google.com/vpc/docs/subnets"),
]


@pytest.mark.parametrize("stack", ["prod", "dev"])
@pytest.mark.parametrize(("user", "used", "source"), IN_USE, ids=[f"{u}>{d}" for u, d, _ in IN_USE])
def test_destroy_removes_each_user_before_what_it_uses(stack, user, used, source, prod, dev):
    plan = {"prod": prod, "dev": dev}[stack]
    by_name = {r.name: r.urn for r in plan.registrations}
    for region in plan.outputs["clusters"]:
        assert deleted_before(plan, by_name[user.format(region=region)], by_name[used.format(region=region)]), source


def test_stacks_deployed_before_the_rename_can_still_load_the_sweeper_from_their_state():
    from components import firewall_sweeper

    assert firewall_sweeper._SweeperProvider is leftover_sweeper._SweeperProvider
