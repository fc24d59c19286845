"""RouteReadiness: waits, on every create and every update of an HTTPRoute, until the Gateway controller
has applied the route's current spec (the guides' "verify before the next step", `kubectl wait`).

A `pulumi.com/waitFor` JSONPath on the route itself is not enough: it reads the condition's `status`
only, and on an update the previous generation's `ResolvedRefs=True` is still there until the controller
writes the new one, so the wait ends at once. Gateway API's rule is to trust a condition only when its
`observedGeneration` equals the object's `metadata.generation`
(https://gateway-api.sigs.k8s.io/concepts/troubleshooting/, "Status and Conditions"). So this resource
reads the route through the cluster's Kubernetes API until every parent Gateway reports `Accepted` and
`ResolvedRefs` True for the current generation. No source says GKE's controller sets a further route
condition for "load balancer programmed", so none is awaited (the Gateway's own `Programmed` is).

It runs after the route (it depends on it) and whenever the route's spec changes (its `specHash` input).
Pulumi deletes resources that left the program only after every create and update of the run
(https://www.pulumi.com/docs/iac/concepts/how-pulumi-works/), so at clean-up the alpha side is deleted
after GKE applied the route that no longer names it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import pulumi
import pulumi.dynamic

REQUIRED_CONDITIONS = ("Accepted", "ResolvedRefs")
POLL_SECONDS = 10
# Answers worth another try: the zonal control plane is briefly unreachable during its repairs and
# upgrades (https://cloud.google.com/kubernetes-engine/docs/concepts/regional-clusters), and 429/5xx are
# transient by the API's own conventions.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class TransientApiError(Exception):
    """A read of the route that failed for a reason that may pass: the wait keeps polling."""


# GKE accepts a Google OAuth 2.0 access token as bearer token; the credentials need the userinfo.email
# scope (https://cloud.google.com/kubernetes-engine/docs/how-to/api-server-authentication).
SCOPES = ("https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/userinfo.email")


def spec_hash(spec: Mapping[str, Any]) -> str:
    """Changes with any backend, weight or parent of the route, and triggers a new wait."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def unready(route: Mapping[str, Any], gateways: Sequence[str]) -> list[str]:
    """What still keeps the route from being applied: one line per missing or stale condition, [] when ready."""
    generation = route.get("metadata", {}).get("generation")
    parents = {p.get("parentRef", {}).get("name"): p for p in route.get("status", {}).get("parents", [])}
    missing = []
    for gateway in gateways:
        if gateway not in parents:
            missing.append(f"Gateway {gateway} has not reported on the route yet")
            continue
        conditions = {c.get("type"): c for c in parents[gateway].get("conditions", [])}
        for kind in REQUIRED_CONDITIONS:
            c = conditions.get(kind)
            if c is not None and "observedGeneration" not in c:
                missing.append(f"Gateway {gateway}: {kind} carries no observedGeneration, so it cannot be trusted")
            elif c is None or c.get("observedGeneration") != generation:
                missing.append(f"Gateway {gateway}: {kind} not reported for generation {generation} yet")
            elif c.get("status") != "True":
                missing.append(f"Gateway {gateway}: {kind}={c.get('status')} ({c.get('reason')}: {c.get('message')})")
    return missing


class RouteApi(Protocol):
    def get_route(self, namespace: str, name: str) -> dict[str, Any]: ...


def wait_for_route(
    api: RouteApi,
    namespace: str,
    name: str,
    gateways: Sequence[str],
    timeout_seconds: int,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    deadline = clock() + timeout_seconds
    while True:
        try:
            missing = unready(api.get_route(namespace, name), gateways)
        except TransientApiError as e:
            missing = [f"the API did not answer ({e})"]
        if not missing:
            return
        if clock() >= deadline:
            raise TimeoutError(
                f"HTTPRoute {namespace}/{name} was not applied within {timeout_seconds} s: {'; '.join(missing)}. "
                f"Read `kubectl -n {namespace} describe httproute {name}`; raise "
                "gateway.programmedTimeoutMinutes if the controller is only slow"
            )
        sleep(POLL_SECONDS)


class RestRouteApi:
    """The cluster's Kubernetes API with the operator's application default credentials."""

    def __init__(self, endpoint: str, ca_file: str | bool) -> None:
        import google.auth
        import google.auth.transport.requests
        import requests

        credentials, _ = google.auth.default(scopes=list(SCOPES))
        self.credentials, self.refresh = credentials, google.auth.transport.requests.Request()
        self.endpoint, self.session, self.requests = endpoint, requests.Session(), requests
        # Passed on every request: a cluster CA's file is then used as given, whatever REQUESTS_CA_BUNDLE says;
        # `True` (the DNS endpoint) takes requests' bundle, certifi's or REQUESTS_CA_BUNDLE's
        # (requests `Session.merge_environment_settings`).
        self.ca_file = ca_file

    def get_route(self, namespace: str, name: str) -> dict[str, Any]:
        try:
            if not self.credentials.valid:
                self.credentials.refresh(self.refresh)
            response = self.session.get(
                f"https://{self.endpoint}/apis/gateway.networking.k8s.io/v1/namespaces/{namespace}/httproutes/{name}",
                headers={"Authorization": f"Bearer {self.credentials.token}"},
                verify=self.ca_file,
                timeout=30,
            )
        except (self.requests.ConnectionError, self.requests.Timeout) as e:
            raise TransientApiError(type(e).__name__) from e
        if response.status_code in RETRY_STATUSES:
            raise TransientApiError(f"HTTP {response.status_code}")
        response.raise_for_status()
        return response.json()


def _wait(props: dict[str, Any]) -> None:
    if not props.get("caCertificate"):  # the DNS endpoint: a publicly trusted certificate, requests' CA bundle
        api = RestRouteApi(props["endpoint"], True)
        wait_for_route(api, props["namespace"], props["route"], props["gateways"], int(props["timeoutSeconds"]))
        return
    # GKE's masterAuth gives the CA certificate as base64 PEM; requests reads it from a file.
    with tempfile.NamedTemporaryFile("wb", suffix=".pem") as ca:
        ca.write(base64.b64decode(props["caCertificate"]))
        ca.flush()
        api = RestRouteApi(props["endpoint"], ca.name)
        wait_for_route(api, props["namespace"], props["route"], props["gateways"], int(props["timeoutSeconds"]))


class _RouteReadinessProvider(pulumi.dynamic.ResourceProvider):
    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        _wait(props)
        return pulumi.dynamic.CreateResult(id_=f"{props['namespace']}/{props['route']}", outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        """Never a replacement: every change is an update, which waits again."""
        keys = ("specHash", "namespace", "route", "gateways", "timeoutSeconds", "endpoint", "caCertificate")
        changed = any(olds.get(k) != news.get(k) for k in keys)
        return pulumi.dynamic.DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        _wait(news)
        return pulumi.dynamic.UpdateResult(outs=news)


class RouteReadiness(pulumi.dynamic.Resource, module="gateway", name="RouteReadiness"):
    def __init__(
        self,
        name: str,
        props: dict[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(_RouteReadinessProvider(), name, props, opts)
