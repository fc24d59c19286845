"""Cold start: the vLLM TPU image preloaded on a secondary boot disk when the operator provides one."""

from __future__ import annotations

from tests.conftest import closure, run

DISK_IMAGE = "global/images/vllm-tpu-v0-12-0"
ACCELERATOR = {"machineType": "ct6e-standard-4t", "topology": "2x2", "nodesPerPool": 1, "maxNodes": 2}


def test_a_preloaded_image_goes_on_the_tpu_pools_with_image_streaming():
    plan = run("prod", overrides={"accelerator": {**ACCELERATOR, "imageCacheDiskImage": DISK_IMAGE}})
    api = plan.one("gcp:projects/service:Service", "apis-containerfilesystem")
    for region in ("europe-west4", "us-east5"):
        tpu = plan.one("gcp:container/nodePool:NodePool", f"cluster-{region}-tpu").inputs["nodeConfig"]
        assert tpu["secondaryBootDisks"] == [{"diskImage": DISK_IMAGE, "mode": "CONTAINER_IMAGE_CACHE"}]
        assert tpu["gcfsConfig"] == {"enabled": True}  # GKE's requirement for the image cache
        system = plan.one("gcp:container/nodePool:NodePool", f"cluster-{region}-system").inputs["nodeConfig"]
        assert "secondaryBootDisks" not in system and "gcfsConfig" not in system
        assert api.urn in closure(plan, plan.one("gcp:container/cluster:Cluster", f"cluster-{region}-gke").urn)


def test_without_a_disk_image_nothing_changes(prod):
    for pool in prod.by_type("gcp:container/nodePool:NodePool"):
        assert "secondaryBootDisks" not in pool.inputs["nodeConfig"] and "gcfsConfig" not in pool.inputs["nodeConfig"]
    services = {s.inputs["service"] for s in prod.by_type("gcp:projects/service:Service")}
    assert "containerfilesystem.googleapis.com" not in services
