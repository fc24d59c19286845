"""The single-cluster Gateway built from small args: its class, the route's backends and weights, what the
route waits for, and the readiness wait on the route itself."""

from __future__ import annotations

from inference.single_cluster.gateway import RouteBackend, SingleClusterGateway, SingleClusterGatewayArgs
from tests.conftest import PLACEHOLDER, components, placeholder


def test_a_weighted_route_waits_for_its_pools_and_the_gate_and_is_awaited():
    def build():
        SingleClusterGateway(
            "g",
            SingleClusterGatewayArgs(
                namespace="ns",
                gateway_name="gw",
                route_name="rt",
                class_name="gke-l7-rilb",
                backends=[RouteBackend("v1", weight=30), RouteBackend("alpha", "inference.networking.x-k8s.io", 70)],
                programmed_timeout_minutes=10,
                endpoint="10.0.0.1",
                ca_certificate="Q0E=",
                pools=[placeholder("v1-chart"), placeholder("alpha-chart")],
                gate=[placeholder("gate")],
            ),
        )

    plan = components(build)
    gateway = plan.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "g-gateway")
    assert gateway.inputs["spec"]["gatewayClassName"] == "gke-l7-rilb"
    route = plan.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "g-route")
    refs = route.inputs["spec"]["rules"][0]["backendRefs"]
    assert [(r["group"], r["name"], r["weight"]) for r in refs] == [
        ("inference.networking.k8s.io", "v1", 30),
        ("inference.networking.x-k8s.io", "alpha", 70),
    ]
    waits = {plan.one(PLACEHOLDER, n).urn for n in ("v1-chart", "alpha-chart", "gate")}
    assert waits <= set(route.dependencies)
    ready = plan.one("pulumi-python:dynamic/gateway:RouteReadiness", "g-route-ready")
    assert route.urn in ready.dependencies and ready.inputs["timeoutSeconds"] == 600


def test_a_single_backend_has_the_default_weight():
    assert RouteBackend("pool").ref() == {
        "group": "inference.networking.k8s.io",
        "kind": "InferencePool",
        "name": "pool",
    }
