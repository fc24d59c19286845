"""Removes, on `pulumi destroy`, what GKE's controllers left on this stack's VPC and no Pulumi resource owns.

- Firewall rules of the multi-cluster controllers: `gke-<cluster>-<hash>-mcsd` (multi-cluster services),
  `k8s-fw-l7-<hash>` (the walkthrough's hunt) and `gkemcg1-l7-<network>-<region|global>` (multi-cluster
  Gateway), as GKE's firewall-rules page lists them
  (https://cloud.google.com/kubernetes-engine/docs/concepts/firewall-rules). While they exist the VPC
  cannot be deleted.
- Network endpoint groups of the NEG controller (`k8s1-<cluster uid>-<namespace>-<service>-<port>-<hash>`):
  GKE leaves them behind when a cluster is deleted before the controller removed them ("Preventing leaked
  NEGs", https://cloud.google.com/kubernetes-engine/docs/how-to/standalone-neg), and a leftover NEG blocks
  the deletion of its subnet and network ("already being used by .../networkEndpointGroups/k8s1-...",
  hashicorp/terraform-provider-google#7637).

The sweeper is created after the VPC and the node subnets and before the clusters, so destroy runs it
after the clusters and fleet features are gone and before the subnets and the VPC. It deletes only
resources on this one network whose names carry those markers.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import pulumi
import pulumi.dynamic

FIREWALL_MARKERS = ("mcsd", "k8s-fw-l7", "gkemcg1-l7-")
NEG_PREFIX = "k8s1-"
# The REST endpoint; resources name their network with `https://www.googleapis.com/compute/v1/...`
# (the Compute API's `network` field), so they are matched on the path, whatever the host.
COMPUTE = "https://compute.googleapis.com/compute/v1"


def path_of(link: str) -> str:
    """`projects/P/...` from a self link or a path, so every spelling of a resource compares equal."""
    return link[link.index("projects/") :] if "projects/" in link else link


def network_filter(network: str) -> str:
    """A Compute list filter on the network field: a regular expression that must match the whole
    field, so it holds whichever host the field is written with."""
    return f'network eq ".*/{path_of(network)}"'


class ComputeApi(Protocol):
    def list_firewalls(self, project: str, network: str) -> list[dict[str, Any]]: ...
    def delete_firewall(self, project: str, name: str) -> str: ...  # returns the operation's URL
    def list_negs(self, project: str, network: str) -> list[dict[str, Any]]: ...
    def delete_neg(self, project: str, zone: str, name: str) -> str: ...
    def wait(self, operation: str) -> None: ...


def on_network(items: list[dict[str, Any]], network: str) -> list[dict[str, Any]]:
    return [i for i in items if path_of(i.get("network", "")) == path_of(network)]


def leftover_rules(rules: list[dict[str, Any]], network: str) -> list[str]:
    return sorted(r["name"] for r in on_network(rules, network) if any(m in r["name"] for m in FIREWALL_MARKERS))


def leftover_negs(negs: list[dict[str, Any]], network: str) -> list[tuple[str, str]]:
    """(zone, name) of the NEG controller's groups on `network`."""
    return sorted(
        (n["zone"].rsplit("/", 1)[-1], n["name"]) for n in on_network(negs, network) if n["name"].startswith(NEG_PREFIX)
    )


def sweep(api: ComputeApi, project: str, network: str) -> list[str]:
    """Deletes the leftover NEGs and firewall rules on `network`, waits for every deletion, and returns
    what it removed. NEGs go first: a NEG still referenced by a backend service cannot be deleted, and
    the error says which one."""
    negs = leftover_negs(api.list_negs(project, network), network)
    for operation in [api.delete_neg(project, zone, name) for zone, name in negs]:
        api.wait(operation)
    rules = leftover_rules(api.list_firewalls(project, network), network)
    for operation in [api.delete_firewall(project, name) for name in rules]:
        api.wait(operation)
    return [f"networkEndpointGroup {zone}/{name}" for zone, name in negs] + [f"firewall {r}" for r in rules]


class RestComputeApi:
    """The Compute Engine REST API with the operator's application default credentials."""

    def __init__(self) -> None:
        import google.auth
        from google.auth.transport.requests import AuthorizedSession

        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
        self.session = AuthorizedSession(credentials)

    def _call(self, method: str, url: str, **kwargs) -> dict[str, Any]:
        response = self.session.request(method, url, timeout=60, **kwargs)
        response.raise_for_status()
        return response.json()

    def _pages(self, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        pages, token = [], None
        while True:
            page = self._call("GET", url, params={**params, "pageToken": token})
            pages.append(page)
            token = page.get("nextPageToken")
            if not token:
                return pages

    def list_firewalls(self, project: str, network: str) -> list[dict[str, Any]]:
        pages = self._pages(f"{COMPUTE}/projects/{project}/global/firewalls", {"filter": network_filter(network)})
        return [rule for page in pages for rule in page.get("items", [])]

    def list_negs(self, project: str, network: str) -> list[dict[str, Any]]:
        # networkEndpointGroups.aggregatedList: items keyed by scope ("zones/us-east5-b").
        pages = self._pages(
            f"{COMPUTE}/projects/{project}/aggregated/networkEndpointGroups",
            {"filter": network_filter(network), "returnPartialSuccess": "true"},
        )
        return [
            neg
            for page in pages
            for scoped in page.get("items", {}).values()
            for neg in scoped.get("networkEndpointGroups", [])
        ]

    def delete_firewall(self, project: str, name: str) -> str:
        return self._call("DELETE", f"{COMPUTE}/projects/{project}/global/firewalls/{name}")["selfLink"]

    def delete_neg(self, project: str, zone: str, name: str) -> str:
        return self._call("DELETE", f"{COMPUTE}/projects/{project}/zones/{zone}/networkEndpointGroups/{name}")[
            "selfLink"
        ]

    def wait(self, operation: str) -> None:
        """Polls the operation (global or zonal: its own self link) with `operations.wait`."""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            op = self._call("POST", f"{COMPUTE}/{path_of(operation)}/wait")
            if op.get("status") == "DONE":
                if op.get("error"):
                    raise RuntimeError(f"{op.get('operationType')} of {op.get('targetLink')} failed: {op['error']}")
                return
        raise TimeoutError(f"operation {operation} did not finish in 10 minutes")


class _SweeperProvider(pulumi.dynamic.ResourceProvider):
    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return pulumi.dynamic.CreateResult(id_=path_of(props["network"]), outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        """Never a replacement: replacing the sweeper would run its delete, and sweep, mid-update."""
        changed = [k for k in ("project", "network", "subnetworks") if olds.get(k) != news.get(k)]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return pulumi.dynamic.UpdateResult(outs=news)

    def delete(self, resource_id: str, props: dict[str, Any]) -> None:
        removed = sweep(RestComputeApi(), props["project"], props["network"])
        pulumi.log.info(f"removed {len(removed)} leftover(s) on {resource_id}: {', '.join(removed) or 'none'}")


class LeftoverSweeper(pulumi.dynamic.Resource):
    """Does nothing on create or update; on delete, sweeps the controllers' leftovers from one network.
    `subnetworks` are the node subnets the NEGs live in: taking them as input makes destroy run the
    sweeper before it deletes them."""

    def __init__(
        self,
        name: str,
        project: str,
        network: pulumi.Input[str],
        subnetworks: list[pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(
            _SweeperProvider(), name, {"project": project, "network": network, "subnetworks": subnetworks}, opts
        )
