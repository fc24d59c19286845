"""ModelStore: weight buckets next to the clusters, read-only serving (but its compilation cache), a separate
writer, WI members."""

from __future__ import annotations

import re

import pytest

from inference.core import model_store
from tests.conftest import closure, plan_of, run

P = "tpu-gke-dranet-prod"
READER = f"serviceAccount:{P}-fuse@tpu-inference-prod.iam.gserviceaccount.com"
WRITER = f"serviceAccount:{P}-dl@tpu-inference-prod.iam.gserviceaccount.com"


def test_one_bucket_per_region_in_that_region(prod):
    buckets = {b.inputs["location"]: b for b in prod.by_type("gcp:storage/bucket:Bucket")}
    assert sorted(buckets) == ["EUROPE-WEST4", "US-EAST5"]
    for location, bucket in buckets.items():
        i = bucket.inputs
        assert re.fullmatch(rf"{P}-weights-{location.lower()}-[0-9a-f]{{8}}", i["name"])
        assert i["uniformBucketLevelAccess"] is True
        assert i["publicAccessPrevention"] == "enforced"
        assert i["forceDestroy"] is False
        assert i["project"] == "tpu-inference-prod"
        assert bucket.options["protect"] is True  # prod protects the weights
    assert prod.outputs["buckets"] == {
        "europe-west4": buckets["EUROPE-WEST4"].inputs["name"],
        "us-east5": buckets["US-EAST5"].inputs["name"],
    }


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_every_weights_bucket_keeps_a_week_of_noncurrent_versions_and_never_expires_a_live_object(stack):
    """ARCHITECTURE §12.8: versioning on. An overwritten or deleted object stays as a noncurrent version for
    NONCURRENT_DAYS; the only lifecycle rule matches archived versions alone and sends no `age`, so no live weight
    ever matches it."""
    for bucket in plan_of(stack).by_type("gcp:storage/bucket:Bucket"):
        assert bucket.inputs["versioning"] == {"enabled": True}
        (rule,) = bucket.inputs["lifecycleRules"]
        assert rule["action"] == {"type": "Delete"}
        assert rule["condition"] == {"daysSinceNoncurrentTime": model_store.NONCURRENT_DAYS, "withState": "ARCHIVED"}


def test_bucket_names_share_one_stable_random_suffix(prod):
    suffix = prod.one("random:index/randomId:RandomId", "weights-suffix")
    assert suffix.inputs == {"byteLength": 4}
    for bucket in prod.by_type("gcp:storage/bucket:Bucket"):
        assert bucket.inputs["name"].endswith("-" + suffix.outputs["hex"])
        assert suffix.urn in bucket.dependencies


def test_dev_uses_one_disposable_bucket(dev):
    (bucket,) = dev.by_type("gcp:storage/bucket:Bucket")
    assert bucket.inputs["location"] == "US"
    assert bucket.inputs["forceDestroy"] is True
    assert bucket.options["protect"] is False
    assert set(dev.outputs["buckets"].values()) == {bucket.inputs["name"]}


def test_serving_reads_and_only_the_downloader_writes(prod):
    grants = sorted(
        (g.inputs["bucket"], g.inputs["role"], g.inputs["member"])
        for g in prod.by_type("gcp:storage/bucketIAMMember:BucketIAMMember")
    )
    bucket_names = sorted(b.inputs["name"] for b in prod.by_type("gcp:storage/bucket:Bucket"))
    assert grants == sorted(
        [(b, "roles/storage.objectViewer", READER) for b in bucket_names]
        + [(b, "roles/storage.objectUser", WRITER) for b in bucket_names]
        + [(b, "roles/storage.objectUser", READER) for b in bucket_names]  # conditional, below
    )


def test_serving_writes_only_the_compilation_cache_prefix(prod):
    for bucket in prod.by_type("gcp:storage/bucket:Bucket"):
        name = bucket.inputs["name"]
        location = bucket.inputs["location"].lower()
        grant = prod.one("gcp:storage/bucketIAMMember:BucketIAMMember", f"weights-{location}-compilation-cache")
        assert (grant.inputs["bucket"], grant.inputs["member"]) == (name, READER)
        assert grant.inputs["condition"]["expression"] == (
            f'resource.name.startsWith("projects/_/buckets/{name}/objects/xla-cache/")'
        )
        # Every other grant is unconditional: the only write the serving identity has is that prefix.
        others = [
            g
            for g in prod.by_type("gcp:storage/bucketIAMMember:BucketIAMMember")
            if g.inputs["bucket"] == name and g.name != grant.name
        ]
        assert [g.inputs.get("condition") for g in others] == [None, None]


def test_the_simulator_has_no_writer_and_no_compilation_cache(dev):
    assert sorted(a.inputs["accountId"] for a in dev.by_type("gcp:serviceaccount/account:Account")) == [
        "tpu-gke-dranet-dev-fuse",
        "tpu-gke-dranet-dev-node",
    ]
    assert [g.inputs["role"] for g in dev.by_type("gcp:storage/bucketIAMMember:BucketIAMMember")] == [
        "roles/storage.objectViewer"
    ]
    assert "downloaderServiceAccount" not in dev.outputs


def test_fuse_and_downloader_service_accounts(prod):
    accounts = {a.name: a.inputs for a in prod.by_type("gcp:serviceaccount/account:Account")}
    assert accounts["weights-reader"]["accountId"] == f"{P}-fuse"
    assert accounts["weights-writer"]["accountId"] == f"{P}-dl"
    assert prod.outputs["fuseServiceAccount"] == f"{P}-fuse@tpu-inference-prod.iam.gserviceaccount.com"
    assert prod.outputs["downloaderServiceAccount"] == f"{P}-dl@tpu-inference-prod.iam.gserviceaccount.com"


def test_workload_identity_is_a_member_on_each_service_account_never_a_project_binding(prod):
    # The serving pods' KSA only: the download runs on Cloud Run as its own service account.
    (reader,) = prod.by_type("gcp:serviceaccount/iAMMember:IAMMember")
    assert reader.name == "weights-reader-workload-identity"
    assert reader.inputs == {
        "serviceAccountId": f"projects/tpu-inference-prod/serviceAccounts/{READER.split(':')[1]}",
        "role": "roles/iam.workloadIdentityUser",
        "member": "serviceAccount:tpu-inference-prod.svc.id.goog[inference/gemma-ksa]",
    }
    for kind in ("IAMBinding", "IAMPolicy"):
        assert not [r for r in prod.registrations if r.type.endswith(f":{kind}")]
    project_roles = {m.inputs["role"] for m in prod.by_type("gcp:projects/iAMMember:IAMMember")}
    assert "roles/iam.workloadIdentityUser" not in project_roles


def test_no_pod_may_act_as_the_reader_where_no_model_server_reads_the_weights(dev):
    """The simulator reads no weights: no Workload Identity member, so no pod of the stack can read the
    bucket (least privilege; with Apigee the serving namespace is `default`, which this keeps unbound)."""
    assert dev.outputs["modelServer"]["backend"] == "simulator"
    assert not dev.by_type("gcp:serviceaccount/iAMMember:IAMMember")
    assert "weights-reader" in {a.name for a in dev.by_type("gcp:serviceaccount/account:Account")}


def test_workload_identity_waits_for_a_cluster_so_the_identity_pool_exists(prod):
    config_cluster = prod.one("gcp:container/cluster:Cluster", "cluster-us-east5-gke")
    for member in prod.by_type("gcp:serviceaccount/iAMMember:IAMMember"):
        assert config_cluster.urn in member.property_dependencies["member"]


def test_buckets_wait_for_the_storage_api(prod):
    storage_api = prod.one("gcp:projects/service:Service", "apis-storage")
    for bucket in prod.by_type("gcp:storage/bucket:Bucket"):
        assert storage_api.urn in closure(prod, bucket.urn)


def test_single_layout_puts_every_region_on_one_bucket():
    plan = run("prod", overrides={"modelStore": {"layout": "single", "location": "us"}})
    (bucket,) = plan.by_type("gcp:storage/bucket:Bucket")
    assert bucket.inputs["location"] == "US"
    assert plan.outputs["buckets"] == {"europe-west4": bucket.inputs["name"], "us-east5": bucket.inputs["name"]}
    assert len(plan.by_type("gcp:storage/bucketIAMMember:BucketIAMMember")) == 3  # read, write, cache prefix
