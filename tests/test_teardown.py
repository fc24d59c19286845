"""Teardown: `pulumi destroy` deletes in an order that finishes on its own, and the sweeper removes
exactly the controllers' leftover firewall rules from this stack's network."""

from __future__ import annotations

import pytest

from components import firewall_sweeper
from tests.conftest import closure

NETWORK = "projects/p/global/networks/tpu-gke-dranet-prod-vpc"
LINK = f"https://www.googleapis.com/compute/v1/{NETWORK}"


class FakeCompute:
    """The three Compute Engine calls the sweeper makes, over an in-memory project."""

    def __init__(self, rules: list[dict]):
        self.rules = {r["name"]: r for r in rules}
        self.calls: list[tuple] = []

    def list_firewalls(self, project: str, network: str) -> list[dict]:
        self.calls.append(("list", project, network))
        return list(self.rules.values())  # the real filter is server-side; the sweeper re-checks

    def delete_firewall(self, project: str, name: str) -> str:
        self.calls.append(("delete", project, name))
        del self.rules[name]
        return f"operation-{name}"

    def wait(self, project: str, operation: str) -> None:
        self.calls.append(("wait", project, operation))


RULES = [
    {"name": "gkemcg1-inference-mcsd-abc", "network": LINK},
    {"name": "k8s-fw-l7--4f2a9c-inference", "network": LINK},
    {
        "name": "mcsd-other-stack",
        "network": "https://www.googleapis.com/compute/v1/projects/p/global/networks/other-vpc",
    },
    {"name": "tpu-gke-dranet-prod-allow-health-checks", "network": LINK},  # ours: Pulumi deletes it
    {"name": "gke-tpu-gke-dranet-prod-us-east5-all", "network": LINK},  # GKE deletes it with the cluster
    {"name": "k8s-fw-l4-something", "network": LINK},  # not a marker the codelab hunts
]


def test_sweep_deletes_exactly_the_leftover_rules_on_this_network():
    api = FakeCompute(RULES)
    removed = firewall_sweeper.sweep(api, "p", LINK)
    assert removed == ["gkemcg1-inference-mcsd-abc", "k8s-fw-l7--4f2a9c-inference"]
    assert sorted(api.rules) == [
        "gke-tpu-gke-dranet-prod-us-east5-all",
        "k8s-fw-l4-something",
        "mcsd-other-stack",
        "tpu-gke-dranet-prod-allow-health-checks",
    ]
    # every deletion is awaited before the sweeper reports success (and before the VPC goes)
    assert api.calls[-2:] == [
        ("wait", "p", "operation-gkemcg1-inference-mcsd-abc"),
        ("wait", "p", "operation-k8s-fw-l7--4f2a9c-inference"),
    ]


def test_sweep_with_nothing_left_deletes_nothing():
    api = FakeCompute([r for r in RULES if "mcsd" not in r["name"] and "l7" not in r["name"]])
    assert firewall_sweeper.sweep(api, "p", NETWORK) == []
    assert [c[0] for c in api.calls] == ["list"]


def test_network_is_matched_by_path_whatever_its_spelling():
    assert firewall_sweeper.network_path(LINK) == NETWORK == firewall_sweeper.network_path(NETWORK)
    assert firewall_sweeper.leftover_rules([{"name": "x-mcsd", "network": NETWORK}], LINK) == ["x-mcsd"]


def test_rest_client_lists_only_this_networks_rules(monkeypatch):
    class Session:
        def __init__(self):
            self.requests = []

        def request(self, method, url, **kwargs):
            self.requests.append((method, url, kwargs.get("params")))
            page = {"items": [{"name": f"r{len(self.requests)}", "network": LINK}]}
            if len(self.requests) == 1:
                page["nextPageToken"] = "t"
            return type("Response", (), {"raise_for_status": lambda self: None, "json": lambda self: page})()

    api = firewall_sweeper.RestFirewallApi.__new__(firewall_sweeper.RestFirewallApi)
    api.session = Session()
    assert [r["name"] for r in api.list_firewalls("p", LINK)] == ["r1", "r2"]
    (method, url, params), (_, _, second) = api.session.requests
    assert (method, url) == ("GET", "https://compute.googleapis.com/compute/v1/projects/p/global/firewalls")
    assert params["filter"] == f'network="https://compute.googleapis.com/compute/v1/{NETWORK}"'
    assert second["pageToken"] == "t"


def deleted_before(plan, first: str, then: str) -> bool:
    """Destroy deletes a resource before everything it depends on."""
    return plan.by_urn()[then].urn in closure(plan, first)


def urn(plan, type_suffix: str, name_part: str = "") -> list[str]:
    return [r.urn for r in plan.registrations if r.custom and r.type.endswith(type_suffix) and name_part in r.name]


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_destroy_order(stack, prod, dev):
    plan = {"prod": prod, "dev": dev}[stack]
    (sweeper,) = urn(plan, "dynamic:Resource")
    (vpc,) = urn(plan, ":Network")
    features = urn(plan, ":Feature")
    gateway_objects = urn(plan, ":Gateway") + urn(plan, ":HTTPRoute") + urn(plan, "Policy")
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
    # the sweeper after the clusters and before the VPC
    assert all(deleted_before(plan, c, sweeper) for c in clusters)
    assert deleted_before(plan, sweeper, vpc)
    # every Kubernetes object goes while its cluster still exists
    kubernetes = [r for r in plan.registrations if r.type.startswith("kubernetes:") and r.custom]
    for obj in kubernetes:
        assert any(deleted_before(plan, obj.urn, c) for c in clusters), obj.name
