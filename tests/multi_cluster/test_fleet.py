"""Fleet: one membership per cluster, MCS, and MCI with the config region's cluster as config membership."""

from __future__ import annotations

from inference.multi_cluster import facts
from tests.conftest import closure, run

P = "tpu-gke-dranet-prod"
PROJECT = "tpu-inference-prod"


def test_membership_per_cluster(prod):
    memberships = {m.name: m.inputs for m in prod.by_type("gcp:gkehub/membership:Membership")}
    assert sorted(memberships) == ["fleet-europe-west4", "fleet-us-east5"]
    for region, zone in (("europe-west4", "europe-west4-a"), ("us-east5", "us-east5-b")):
        m = memberships[f"fleet-{region}"]
        cluster_id = f"projects/{PROJECT}/locations/{zone}/clusters/{P}-{region}"
        assert m["membershipId"] == f"{P}-{region}"
        assert m["location"] == "global"
        assert m["endpoint"] == {"gkeCluster": {"resourceLink": f"//container.googleapis.com/{cluster_id}"}}
        assert m["authority"] == {"issuer": f"https://container.googleapis.com/v1/{cluster_id}"}
    assert prod.outputs["memberships"]["us-east5"] == f"projects/{PROJECT}/locations/global/memberships/{P}-us-east5"


def test_features_and_config_membership(prod):
    features = {f.inputs["name"]: f.inputs for f in prod.by_type("gcp:gkehub/feature:Feature")}
    assert sorted(features) == ["multiclusteringress", "multiclusterservicediscovery"]
    assert features["multiclusterservicediscovery"]["location"] == "global"
    assert "spec" not in features["multiclusterservicediscovery"]
    assert features["multiclusteringress"]["spec"] == {
        "multiclusteringress": {"configMembership": f"projects/{PROJECT}/locations/global/memberships/{P}-us-east5"}
    }
    assert prod.outputs["configMembership"] == f"projects/{PROJECT}/locations/global/memberships/{P}-us-east5"


def test_each_fleet_feature_waits_for_every_api_its_controller_calls(prod):
    """MCS manages Cloud DNS zones and Traffic Director resources for the exported pools, MCI the load balancers:
    a feature turned on before those APIs would leave its controller failing its calls (facts.FEATURE_APIS)."""
    apis = {r.inputs["service"]: r.urn for r in prod.by_type("gcp:projects/service:Service")}
    features = {f.inputs["name"]: f for f in prod.by_type("gcp:gkehub/feature:Feature")}
    assert sorted(features) == sorted(facts.FEATURE_APIS)
    for name, feature in features.items():
        needed = {"gkehub.googleapis.com", *facts.FEATURE_APIS[name]}
        assert {a for a in needed if apis[a] not in closure(prod, feature.urn)} == set(), name
    assert "dns.googleapis.com" in facts.FEATURE_APIS["multiclusterservicediscovery"]


def test_mci_service_agent_gets_container_admin_as_a_member(prod):
    (identity,) = prod.by_type("gcp:projects/serviceIdentity:ServiceIdentity")
    assert identity.inputs == {"project": PROJECT, "service": "multiclusteringress.googleapis.com"}
    role = prod.one("gcp:projects/iAMMember:IAMMember", "fleet-mci-container-admin")
    assert role.inputs["role"] == "roles/container.admin"
    assert role.inputs["member"] == identity.outputs["member"]
    assert role.inputs["member"].endswith("@gcp-sa-multiclusteringress.iam.gserviceaccount.com")
    sleep = prod.one("time:index/sleep:Sleep", "fleet-mci-iam-propagation")
    assert sleep.inputs == {"createDuration": "60s"}


def test_config_region_moves_the_config_membership():
    plan = run("prod", overrides={"configRegion": "europe-west4"})
    mci = plan.one("gcp:gkehub/feature:Feature", "fleet-mci")
    assert mci.inputs["spec"]["multiclusteringress"]["configMembership"].endswith(f"/memberships/{P}-europe-west4")


def test_a_stack_that_does_not_own_the_fleet_features_only_registers_its_clusters():
    plan = run("dev", overrides={"fleet": {"manageFeatures": False}})
    assert len(plan.by_type("gcp:gkehub/membership:Membership")) == 2
    for type_ in (
        "gcp:gkehub/feature:Feature",
        "gcp:projects/serviceIdentity:ServiceIdentity",
        "time:index/sleep:Sleep",
    ):
        assert plan.by_type(type_) == []
    roles = [m.inputs["role"] for m in plan.by_type("gcp:projects/iAMMember:IAMMember")]
    assert "roles/container.admin" not in roles


def test_the_mcs_importer_is_granted_after_a_cluster_creates_the_identity_pool(prod):
    """IAM refuses a member of a Workload Identity pool that does not exist yet: the pool comes with the
    first cluster, so the grant takes the pool from a cluster's output, and the MCS feature waits for it."""
    grant = prod.one("gcp:projects/iAMMember:IAMMember", "fleet-mcs-importer-network-viewer")
    clusters = {c.urn for c in prod.by_type("gcp:container/cluster:Cluster")}
    assert set(grant.property_dependencies["member"]) & clusters
    assert grant.inputs["member"] == "serviceAccount:tpu-inference-prod.svc.id.goog[gke-mcs/gke-mcs-importer]"
    assert grant.urn in prod.one("gcp:gkehub/feature:Feature", "fleet-mcs").dependencies
