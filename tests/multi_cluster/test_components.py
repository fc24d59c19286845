"""The multi-cluster mode's components built from small args: the fleet, and the cross-region Gateway with
its route, health check and backend policy."""

from __future__ import annotations

import pytest

from inference.multi_cluster import facts
from inference.multi_cluster.fleet import Fleet, FleetArgs, FleetMember
from inference.multi_cluster.gateway import HealthCheckArgs, MultiClusterGateway, MultiClusterGatewayArgs
from tests.conftest import PLACEHOLDER, components, placeholder

CUSTOM = "kubernetes:{}"


def _fleet_args(manage: bool) -> FleetArgs:
    members = {r: FleetMember(f"m-{r}", f"projects/p/locations/{r}-a/clusters/c-{r}") for r in ("a-r1", "b-r1")}
    return FleetArgs(
        project="p", members=members, config_region="b-r1", manage_features=manage, workload_pool="p.svc.id.goog"
    )


def test_a_fleet_that_owns_the_features_points_ingress_at_the_config_membership():
    plan = components(lambda: Fleet("f", _fleet_args(True)))
    memberships = {m.inputs["membershipId"]: m for m in plan.by_type("gcp:gkehub/membership:Membership")}
    assert set(memberships) == {"m-a-r1", "m-b-r1"}
    mci = plan.one("gcp:gkehub/feature:Feature", "f-mci")
    assert mci.inputs["spec"]["multiclusteringress"]["configMembership"] == memberships["m-b-r1"].outputs["id"]
    role = plan.one("gcp:projects/iAMMember:IAMMember", "f-mci-container-admin")
    assert role.urn in mci.dependencies and role.inputs["role"] == "roles/container.admin"
    importer = plan.one("gcp:projects/iAMMember:IAMMember", "f-mcs-importer-network-viewer")
    assert importer.inputs["member"] == "serviceAccount:p.svc.id.goog[gke-mcs/gke-mcs-importer]"


def test_a_fleet_that_leaves_the_features_to_another_stack_only_registers_its_clusters():
    plan = components(lambda: Fleet("f", _fleet_args(False)))
    assert len(plan.by_type("gcp:gkehub/membership:Membership")) == 2
    assert plan.by_type("gcp:gkehub/feature:Feature") == [] and plan.by_type("gcp:projects/iAMMember:IAMMember") == []


def _gateway(serving_port: int = 9000) -> None:
    MultiClusterGateway(
        "g",
        MultiClusterGatewayArgs(
            namespace="ns",
            gateway_name="gw",
            route_name="rt",
            pool_name="pool",
            serving_port=serving_port,
            addresses={"a-r1": "ip-a", "b-r1": "ip-b"},
            health_check=HealthCheckArgs(4, 3, 2, 3),
            metric_export_name="kv",
            max_utilization_percent=70,
            dry_run=True,
            timeout_sec=30,
            programmed_timeout_minutes=15,
            access_log_sample_rate=None,
            exports=[placeholder("export-a"), placeholder("export-b")],
        ),
    )


@pytest.mark.parametrize("port", [8000, 9000, 18080])
def test_the_health_check_probes_the_serving_port(port):
    """The load balancer fails over on this check: probing another port than the servers' marks every backend
    down (or none)."""
    plan = components(lambda: _gateway(serving_port=port))
    check = plan.one("kubernetes:networking.gke.io/v1:HealthCheckPolicy", "g-health-check")
    assert check.inputs["spec"]["default"]["config"]["httpHealthCheck"]["port"] == port
    route = plan.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "g-route")
    assert route.inputs["spec"]["rules"][0]["backendRefs"][0]["port"] == port


def test_the_gateway_listens_in_every_region_and_its_policies_wait_for_every_export():
    plan = components(_gateway)
    gateway = plan.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "g-gateway")
    assert gateway.inputs["spec"]["gatewayClassName"] == facts.GATEWAY_CLASS
    assert [a["value"] for a in gateway.inputs["spec"]["addresses"]] == [
        "regions/a-r1/addresses/ip-a",
        "regions/b-r1/addresses/ip-b",
    ]
    assert gateway.options["customTimeouts"] == {"create": "15m", "update": "15m", "delete": "15m"}
    exports = {plan.one(PLACEHOLDER, f"export-{r}").urn for r in "ab"}
    check = plan.one("kubernetes:networking.gke.io/v1:HealthCheckPolicy", "g-health-check")
    assert check.inputs["metadata"]["name"] == "pool-health-check" and exports <= set(check.dependencies)
    assert check.inputs["spec"]["default"]["config"]["httpHealthCheck"] == {"requestPath": "/health", "port": 9000}
    assert (check.inputs["spec"]["default"]["checkIntervalSec"], check.inputs["spec"]["default"]["timeoutSec"]) == (
        4,
        3,
    )
    policy = plan.one("kubernetes:networking.gke.io/v1:GCPBackendPolicy", "g-backend-policy")
    metric = policy.inputs["spec"]["default"]["customMetrics"][0]
    assert metric == {"name": "gke.named_metrics.kv", "dryRun": True, "maxUtilizationPercent": 70}
    assert "logging" not in policy.inputs["spec"]["default"]
    route = plan.one("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "g-route")
    assert route.inputs["spec"]["rules"][0]["backendRefs"][0]["port"] == 9000 and exports <= set(route.dependencies)
