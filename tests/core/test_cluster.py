"""InferenceCluster: GKE Standard per region, system and TPU v6e pools, and its Kubernetes provider."""

from __future__ import annotations

import json

import pytest

from tests.conftest import plan_of, run

P = "tpu-gke-dranet-prod"
NODE_SA = f"{P}-node@tpu-inference-prod.iam.gserviceaccount.com"
ZONES = {"europe-west4": "europe-west4-a", "us-east5": "us-east5-b"}


@pytest.mark.parametrize("region", sorted(ZONES))
def test_cluster_has_every_feature_multi_cluster_inference_needs(prod, region):
    c = prod.one("gcp:container/cluster:Cluster", f"cluster-{region}-gke").inputs
    assert c["name"] == f"{P}-{region}"
    assert c["location"] == ZONES[region]  # zonal, in the TPU zone
    assert c["project"] == "tpu-inference-prod"
    assert c["releaseChannel"] == {"channel": "RAPID"}
    assert c["datapathProvider"] == "ADVANCED_DATAPATH"
    assert c["networkingMode"] == "VPC_NATIVE"
    assert c["ipAllocationPolicy"] == {}
    assert c["gatewayApiConfig"] == {"channel": "CHANNEL_STANDARD"}
    assert c["workloadIdentityConfig"] == {"workloadPool": "tpu-inference-prod.svc.id.goog"}
    assert c["addonsConfig"] == {"gcsFuseCsiDriverConfig": {"enabled": True}}
    # no pinned version: the channel's default is past managed DRANET's 1.34.1-gke.1829001 (validated)
    assert "minMasterVersion" not in c
    assert c["monitoringConfig"] == {"managedPrometheus": {"enabled": True}}
    assert c["podAutoscaling"] == {"hpaProfile": "PERFORMANCE"}
    assert c["deletionProtection"] is True
    assert c["removeDefaultNodePool"] is True
    assert c["enableShieldedNodes"] is True
    assert c["network"] == f"projects/tpu-inference-prod/global/networks/{P}-vpc"
    assert c["subnetwork"] == f"projects/tpu-inference-prod/regions/{region}/subnetworks/{P}-node-{region}"
    labels = {"environment": "prod", "team": "ml-platform", "stack": "prod", "managed-by": "pulumi"}
    assert c["resourceLabels"] == labels
    # Even the throwaway default pool runs as the dedicated node identity.
    assert c["nodeConfig"]["serviceAccount"] == NODE_SA
    assert c["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}


def test_cluster_changes_to_the_default_pool_never_replace_it(prod):
    c = prod.one("gcp:container/cluster:Cluster", "cluster-us-east5-gke")
    assert c.options["ignoreChanges"] == ["nodeConfig", "initialNodeCount"]
    assert c.options["customTimeouts"]["create"] == "45m"


@pytest.mark.parametrize("region", sorted(ZONES))
def test_system_pool(prod, region):
    pool = prod.one("gcp:container/nodePool:NodePool", f"cluster-{region}-system").inputs
    assert pool["name"] == "system"
    assert pool["cluster"] == f"{P}-{region}" and pool["location"] == ZONES[region]
    assert pool["nodeCount"] == 1
    nc = pool["nodeConfig"]
    assert (nc["machineType"], nc["diskSizeGb"], nc["diskType"]) == ("e2-standard-16", 100, "pd-balanced")
    assert nc["serviceAccount"] == NODE_SA
    assert nc["oauthScopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert nc["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert nc["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert pool["management"] == {"autoRepair": True, "autoUpgrade": True}


@pytest.mark.parametrize("region", sorted(ZONES))
def test_tpu_v6e_pool_with_managed_dranet(prod, region):
    reg = prod.one("gcp:container/nodePool:NodePool", f"cluster-{region}-tpu")
    pool = reg.inputs
    assert pool["name"] == "tpu-v6e-pool"
    assert pool["cluster"] == f"{P}-{region}" and pool["location"] == ZONES[region]
    assert pool["nodeCount"] == 1
    # a single-host slice: GKE refuses a topology or COMPACT placement for it (xpk PRs #822, #825)
    assert "placementPolicy" not in pool
    assert pool["networkConfig"] == {"acceleratorNetworkProfile": "auto", "enablePrivateNodes": True}
    nc = pool["nodeConfig"]
    assert nc["machineType"] == "ct6e-standard-4t"
    assert nc["labels"] == {"cloud.google.com/gke-networking-dra-driver": "true"}
    assert nc["spot"] is False and "reservationAffinity" not in nc
    assert nc["serviceAccount"] == NODE_SA
    assert nc["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert pool["management"] == {"autoRepair": True, "autoUpgrade": True}
    # the autoscaler owns the count (prod: 1 to 2 slices, for the HPA's second model server)
    assert pool["autoscaling"] == {"minNodeCount": 1, "maxNodeCount": 2}
    assert reg.options["ignoreChanges"] == ["nodeConfig.labels", "nodeCount"]
    assert reg.options["customTimeouts"]["create"] == "60m"


def test_spot_or_reservation_capacity():
    spot = run(
        "prod",
        overrides={
            "accelerator": {"machineType": "ct6e-standard-8t", "spot": True, "maxNodes": 2},
            "model": {"tensorParallelSize": 8},
        },
    )
    pool = spot.one("gcp:container/nodePool:NodePool", "cluster-us-east5-tpu").inputs
    assert pool["nodeConfig"]["spot"] is True and pool["nodeConfig"]["machineType"] == "ct6e-standard-8t"
    assert "placementPolicy" not in pool
    reserved = run("prod", overrides={"accelerator": {"reservation": "v6e-east", "maxNodes": 2}})
    nc = reserved.one("gcp:container/nodePool:NodePool", "cluster-us-east5-tpu").inputs["nodeConfig"]
    assert nc["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["v6e-east"],
    }


def test_dev_has_no_tpu_pool_and_small_system_nodes(dev):
    pools = dev.by_type("gcp:container/nodePool:NodePool")
    assert sorted(p.inputs["name"] for p in pools) == ["system", "system"]
    assert {p.inputs["nodeConfig"]["machineType"] for p in pools} == {"e2-standard-4"}
    assert {p.inputs["nodeCount"] for p in pools} == {2}
    assert {c.inputs["deletionProtection"] for c in dev.by_type("gcp:container/cluster:Cluster")} == {False}


def test_node_identity_has_only_the_roles_nodes_need(prod):
    (account,) = [a for a in prod.by_type("gcp:serviceaccount/account:Account") if a.name == "nodes-sa"]
    assert account.inputs["accountId"] == f"{P}-node"
    roles = sorted(
        (m.inputs["role"], m.inputs["member"])
        for m in prod.registrations
        if m.type == "gcp:projects/iAMMember:IAMMember" and m.name.startswith("nodes-")
    )
    assert roles == [
        ("roles/autoscaling.metricsWriter", f"serviceAccount:{NODE_SA}"),
        ("roles/logging.logWriter", f"serviceAccount:{NODE_SA}"),
        ("roles/monitoring.metricWriter", f"serviceAccount:{NODE_SA}"),
        ("roles/stackdriver.resourceMetadata.writer", f"serviceAccount:{NODE_SA}"),
    ]


@pytest.mark.parametrize("region", sorted(ZONES))
def test_kubernetes_provider_uses_stable_outputs_and_the_auth_plugin(prod, region):
    provider = prod.one("pulumi:providers:kubernetes", f"cluster-{region}-k8s")
    cluster = prod.one("gcp:container/cluster:Cluster", f"cluster-{region}-gke")
    context = f"gke_tpu-inference-prod_{ZONES[region]}_{P}-{region}"
    assert provider.inputs["clusterIdentifier"] == context
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    assert kubeconfig["current-context"] == context
    (entry,) = kubeconfig["clusters"]
    # prod's control plane is reached through its DNS endpoint, which presents a public certificate: no cluster CA
    dns = cluster.outputs["controlPlaneEndpointsConfig"]["dnsEndpointConfig"]["endpoint"]
    assert entry["cluster"] == {"server": f"https://{dns}"}
    (user,) = kubeconfig["users"]
    assert user["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert "token" not in json.dumps(kubeconfig).lower().replace("gke-gcloud-auth-plugin", "")
    assert set(provider.property_dependencies["kubeconfig"]) == {cluster.urn}
    assert provider.dependencies == [cluster.urn]  # no node pool: the control plane is enough
    assert prod.outputs["kubeContexts"][region] == context


def test_without_the_dns_endpoint_the_provider_reaches_the_ip_endpoint_with_the_clusters_ca(dev):
    provider = dev.one("pulumi:providers:kubernetes", "cluster-us-east5-k8s")
    cluster = dev.one("gcp:container/cluster:Cluster", "cluster-us-east5-gke")
    (entry,) = json.loads(provider.inputs["kubeconfig"])["clusters"]
    assert entry["cluster"] == {
        "server": f"https://{cluster.outputs['endpoint']}",
        "certificate-authority-data": cluster.outputs["masterAuth"]["clusterCaCertificate"],
    }


def test_intranode_visibility_and_binary_authorization_are_options():
    plan = run(
        "dev", overrides={"intranodeVisibility": True, "binaryAuthorization": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    )
    for cluster in plan.by_type("gcp:container/cluster:Cluster"):
        assert cluster.inputs["enableIntranodeVisibility"] is True
        assert cluster.inputs["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
        # Enforcement needs the Binary Authorization API on before the cluster.
        api = plan.one("gcp:projects/service:Service", "apis-binaryauthorization")
        assert api.urn in cluster.dependencies
    for plan in (plan_of("dev"), plan_of("prod")):  # off unless a stack turns them on
        for cluster in plan.by_type("gcp:container/cluster:Cluster"):
            assert "enableIntranodeVisibility" not in cluster.inputs and "binaryAuthorization" not in cluster.inputs
        assert not [s for s in plan.by_type("gcp:projects/service:Service") if "binaryauthorization" in s.name]


def test_intranode_visibility_turned_off_is_sent_as_false_so_a_cluster_that_had_it_loses_it():
    # The field is optional and computed: left out, it would leave a cluster that had it on as it was.
    plan = run("dev", overrides={"intranodeVisibility": False, "binaryAuthorization": "DISABLED"})
    for cluster in plan.by_type("gcp:container/cluster:Cluster"):
        assert cluster.inputs["enableIntranodeVisibility"] is False
    assert not [s for s in plan.by_type("gcp:projects/service:Service") if "binaryauthorization" in s.name]


def test_cluster_outputs(prod):
    assert prod.outputs["clusters"] == {
        "europe-west4": {"name": f"{P}-europe-west4", "location": "europe-west4-a", "dnsEndpoint": True},
        "us-east5": {"name": f"{P}-us-east5", "location": "us-east5-b", "dnsEndpoint": True},
    }


def test_a_fixed_tpu_pool_keeps_its_node_count():
    """Without autoscaling the stack sizes the pool: `pulumi up` keeps it at nodesPerPool."""
    plan = run("prod", overrides={"accelerator": {"nodesPerPool": 2}, "autoscaling": {"enabled": False}})
    reg = plan.one("gcp:container/nodePool:NodePool", "cluster-us-east5-tpu")
    assert reg.inputs["nodeCount"] == 2 and "autoscaling" not in reg.inputs
    assert reg.options["ignoreChanges"] == ["nodeConfig.labels"]
