"""Hardened defaults and their options: private nodes with authorized networks and Cloud NAT, Cloud KMS
for Kubernetes Secrets, production safeguards, pinned images and sane containers everywhere."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import run
from tools import engine

KEYS = {
    "europe-west4": "projects/kms-proj/locations/europe-west4/keyRings/gke/cryptoKeys/secrets",
    "us-east5": "projects/kms-proj/locations/us-east5/keyRings/gke/cryptoKeys/secrets",
}
PINNED = re.compile(r"^[a-z0-9][a-z0-9._/-]*:(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]*(@sha256:[0-9a-f]{64})?$")


def test_prod_has_private_nodes_and_an_iam_guarded_control_plane_and_dev_says_it_is_open(prod, dev):
    for cluster in prod.by_type("gcp:container/cluster:Cluster"):
        assert cluster.inputs["privateClusterConfig"]["enablePrivateNodes"] is True
        # The IP endpoint admits no outside address; the DNS endpoint admits whoever IAM lets connect.
        assert cluster.inputs["masterAuthorizedNetworksConfig"] == {"cidrBlocks": []}
        assert cluster.inputs["controlPlaneEndpointsConfig"] == {"dnsEndpointConfig": {"allowExternalTraffic": True}}
        assert "databaseEncryption" not in cluster.inputs and cluster.inputs["enableLegacyAbac"] is False
    for pool in prod.by_type("gcp:container/nodePool:NodePool"):
        assert pool.inputs["networkConfig"]["enablePrivateNodes"] is True  # existing pools move too, in place
    assert len(prod.by_type("gcp:compute/routerNat:RouterNat")) == 2  # egress for private nodes
    # The provider reaches each cluster through its DNS endpoint, with no cluster CA (a public certificate).
    for provider in prod.by_type("pulumi:providers:kubernetes"):
        (entry,) = json.loads(provider.inputs["kubeconfig"])["clusters"]
        assert entry["cluster"]["server"].endswith(".gke.goog") and "certificate-authority-data" not in entry["cluster"]
    assert all(a.startswith("DNS endpoint guarded by IAM") for a in prod.outputs["controlPlaneAccess"].values())
    for cluster in dev.by_type("gcp:container/cluster:Cluster"):
        for key in ("privateClusterConfig", "masterAuthorizedNetworksConfig", "controlPlaneEndpointsConfig"):
            assert key not in cluster.inputs
    assert all(a.startswith("OPEN: ") for a in dev.outputs["controlPlaneAccess"].values())  # dev says so


def test_private_nodes_with_authorized_networks_and_nat_per_region():
    plan = run("prod", overrides={"privateNodes": {"enabled": True, "masterAuthorizedNetworks": ["203.0.113.0/24"]}})
    for cluster in plan.by_type("gcp:container/cluster:Cluster"):
        assert cluster.inputs["privateClusterConfig"] == {
            "enablePrivateNodes": True,
            "enablePrivateEndpoint": False,
            "masterGlobalAccessConfig": {"enabled": True},
        }
        assert cluster.inputs["masterAuthorizedNetworksConfig"] == {
            "cidrBlocks": [{"cidrBlock": "203.0.113.0/24", "displayName": "203.0.113.0/24"}]
        }
    nats = {n.inputs["region"]: n.inputs for n in plan.by_type("gcp:compute/routerNat:RouterNat")}
    assert sorted(nats) == ["europe-west4", "us-east5"]
    for region, nat in nats.items():
        assert nat["router"] == f"tpu-gke-dranet-prod-vpc-router-{region}"
        assert nat["natIpAllocateOption"] == "AUTO_ONLY"
        assert nat["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
        assert nat["subnetworks"] == [
            {
                "name": f"projects/tpu-inference-prod/regions/{region}/subnetworks/tpu-gke-dranet-prod-node-{region}",
                "sourceIpRangesToNats": ["ALL_IP_RANGES"],
            }
        ]


def test_kubernetes_secrets_encrypted_with_a_key_per_region():
    plan = run("prod", overrides={"secretsEncryptionKeys": KEYS})
    (agent,) = [
        s for s in plan.by_type("gcp:projects/serviceIdentity:ServiceIdentity") if s.name == "apis-container-agent"
    ]
    assert agent.inputs == {"project": "tpu-inference-prod", "service": "container.googleapis.com"}
    assert "cloudkms.googleapis.com" in {s.inputs["service"] for s in plan.by_type("gcp:projects/service:Service")}
    grants = {g.name: g for g in plan.by_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")}
    for region, key in KEYS.items():
        cluster = plan.one("gcp:container/cluster:Cluster", f"cluster-{region}-gke")
        assert cluster.inputs["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key}
        grant = grants[f"cluster-{region}-secrets-key-user"]
        assert grant.inputs == {
            "cryptoKeyId": key,
            "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            "member": agent.outputs["member"],
        }
        assert grant.urn in cluster.dependencies  # the agent can use the key before the cluster needs it
    assert agent.outputs["member"].endswith("@container-engine-robot.iam.gserviceaccount.com")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"production": True, "deletionProtection": False}, "deletionProtection"),
        ({"production": True, "modelStore": {"protect": False}}, "modelStore.protect"),
        (
            {"secretsEncryptionKeys": {"us-east5": KEYS["europe-west4"], "europe-west4": KEYS["europe-west4"]}},
            "secretsEncryptionKeys.us-east5",
        ),
        ({"secretsEncryptionKeys": {"us-east5": KEYS["us-east5"]}}, "secretsEncryptionKeys"),
        ({"secretsEncryptionKeys": {**KEYS, "asia-east1": KEYS["us-east5"]}}, "secretsEncryptionKeys.asia-east1"),
        (
            {"privateNodes": {"enabled": True, "masterAuthorizedNetworks": ["office"]}},
            "privateNodes.masterAuthorizedNetworks[0]",
        ),
    ],
)
def test_hardening_options_are_validated(change, key):
    from inference.common.reader import ConfigError

    with pytest.raises(ConfigError) as err:
        run("prod", overrides=change)
    assert [p.key for p in err.value.problems] == [key]
    assert err.value.registrations == []


def test_prod_is_a_production_stack_with_its_protections_on(prod):
    assert all(c.inputs["deletionProtection"] for c in prod.by_type("gcp:container/cluster:Cluster"))
    assert all(b.options["protect"] for b in prod.by_type("gcp:storage/bucket:Bucket"))


def containers(reg: engine.Registration) -> list[dict]:
    spec = reg.inputs.get("spec") or {}
    pod = (spec.get("template") or {}).get("spec") or {}
    return [*pod.get("containers", []), *pod.get("initContainers", [])]


WORKLOAD_KINDS = {"Deployment", "DaemonSet", "StatefulSet", "Job", "Pod"}


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_every_container_is_pinned_bounded_and_unprivileged(stack, prod, dev):
    plan = {"prod": prod, "dev": dev}[stack]
    found = [(r, c) for r in plan.registrations if r.type.startswith("kubernetes:") for c in containers(r)]
    # Every workload's pods are looked at: the model servers, the metrics adapter and the chart's endpoint picker
    # in each cluster, and on TPU the model server's wait for its weights (the download runs on Cloud Run:
    # tests/core/test_weights_download.py checks its pinned image).
    workloads = {
        r.urn
        for r in plan.registrations
        if r.type.startswith("kubernetes:") and r.type.split(":")[-1] in WORKLOAD_KINDS
    }
    assert workloads and {r.urn for r, _ in found} == workloads
    clusters = {r.provider for r in plan.by_type("kubernetes:apps/v1:Deployment")}
    assert len(clusters) == len(plan.outputs["kubeContexts"])
    waits = [c for r, c in found if c["name"] == "wait-for-weights"]
    assert len(waits) == (len(plan.outputs["kubeContexts"]) if stack == "prod" else 0)
    for _reg, c in found:
        assert PINNED.match(c["image"]), c["image"]
        assert c["resources"]["requests"], c["name"]
        # the chart's endpoint picker too: the post-renderer hardens it (tests/stacks/test_pod_security.py)
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        assert not c["securityContext"].get("privileged")
    assert PINNED.match(plan.outputs["testRequests"]["us-east5"].split("--image=")[1].split()[0])


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_pods_use_the_runtime_default_seccomp_profile(stack, prod, dev):
    plan = {"prod": prod, "dev": dev}[stack]
    pods = [r.inputs["spec"]["template"]["spec"] for r in plan.registrations if containers(r)]
    assert any(r.rendered_by and containers(r) for r in plan.registrations)  # the chart's picker among them
    assert pods and all(p["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"} for p in pods)


def test_production_protects_what_is_scarce_or_slow_to_rebuild(prod, dev):
    """Deletion protection stops only a delete GKE receives; Pulumi's `protect` also stops a replacement
    (a named cluster is replaced delete-before-create). Production weights survive a destroy."""
    for plan, production in ((prod, True), (dev, False)):
        for reg in plan.by_type("gcp:container/cluster:Cluster"):
            assert reg.options.get("protect", False) is production, reg.name
        for reg in plan.by_type("gcp:container/nodePool:NodePool"):
            is_tpu = reg.inputs["nodeConfig"]["machineType"].startswith("ct")
            assert reg.options.get("protect", False) is (production and is_tpu), reg.name
        for reg in plan.by_type("gcp:storage/bucket:Bucket"):
            assert reg.options.get("retainOnDelete", False) is production, reg.name


def test_unreachable_clusters_never_lose_their_objects_on_up_or_refresh(prod, dev):
    """`deleteUnreachable` on the providers would drop every object of a cluster from the state when a
    refresh finds its control plane briefly unreachable (a zonal control plane upgrading); it is set only
    for destroys (tools/e2e.py, the README's teardown) with PULUMI_K8S_DELETE_UNREACHABLE."""
    for plan in (prod, dev):
        for provider in plan.by_type("pulumi:providers:kubernetes"):
            assert "deleteUnreachable" not in provider.inputs
