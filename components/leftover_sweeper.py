"""Removes, on `pulumi destroy`, the firewall rules GKE's multi-cluster controllers left on this stack's VPC.

The multi-cluster services and Gateway controllers create rules named `...mcsd...` and `...k8s-fw-l7...`
that no Pulumi resource owns; while they exist the VPC cannot be deleted. The sweeper is created after
the VPC and before the clusters, so destroy runs it after the clusters and fleet features are gone and
before the VPC. It deletes only rules on this one network whose names carry those markers.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import pulumi
import pulumi.dynamic

LEFTOVER_MARKERS = ("mcsd", "k8s-fw-l7")
COMPUTE = "https://compute.googleapis.com/compute/v1"


def network_path(link: str) -> str:
    """`projects/P/global/networks/N` from a self link or a path, so both spellings compare equal."""
    return link[link.index("projects/") :] if "projects/" in link else link


class FirewallApi(Protocol):
    def list_firewalls(self, project: str, network: str) -> list[dict[str, Any]]: ...
    def delete_firewall(self, project: str, name: str) -> str: ...  # returns the operation name
    def wait(self, project: str, operation: str) -> None: ...


def leftover_rules(rules: list[dict[str, Any]], network: str) -> list[str]:
    return sorted(
        rule["name"]
        for rule in rules
        if network_path(rule.get("network", "")) == network_path(network)
        and any(marker in rule["name"] for marker in LEFTOVER_MARKERS)
    )


def sweep(api: FirewallApi, project: str, network: str) -> list[str]:
    """Deletes the leftover rules on `network` and waits for every deletion; returns their names."""
    names = leftover_rules(api.list_firewalls(project, network), network)
    operations = [api.delete_firewall(project, name) for name in names]
    for operation in operations:
        api.wait(project, operation)
    return names


class RestFirewallApi:
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

    def list_firewalls(self, project: str, network: str) -> list[dict[str, Any]]:
        rules, token = [], None
        while True:
            params = {"filter": f'network="{COMPUTE}/{network_path(network)}"', "pageToken": token}
            page = self._call("GET", f"{COMPUTE}/projects/{project}/global/firewalls", params=params)
            rules += page.get("items", [])
            token = page.get("nextPageToken")
            if not token:
                return rules

    def delete_firewall(self, project: str, name: str) -> str:
        return self._call("DELETE", f"{COMPUTE}/projects/{project}/global/firewalls/{name}")["name"]

    def wait(self, project: str, operation: str) -> None:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            op = self._call("POST", f"{COMPUTE}/projects/{project}/global/operations/{operation}/wait")
            if op.get("status") == "DONE":
                if op.get("error"):
                    raise RuntimeError(f"deleting a firewall rule failed: {op['error']}")
                return
        raise TimeoutError(f"operation {operation} did not finish in 10 minutes")


class _SweeperProvider(pulumi.dynamic.ResourceProvider):
    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return pulumi.dynamic.CreateResult(id_=network_path(props["network"]), outs=props)

    def delete(self, resource_id: str, props: dict[str, Any]) -> None:
        removed = sweep(RestFirewallApi(), props["project"], props["network"])
        pulumi.log.info(
            f"removed {len(removed)} leftover firewall rule(s) on {resource_id}: {', '.join(removed) or 'none'}"
        )


class LeftoverFirewallSweeper(pulumi.dynamic.Resource):
    """Does nothing on create; on delete, sweeps the controllers' leftover rules from one network."""

    def __init__(self, name: str, project: str, network: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None):
        super().__init__(_SweeperProvider(), name, {"project": project, "network": network}, opts)
