"""Cold start: image streaming on the TPU pools, and the vLLM TPU image preloaded on a secondary boot disk when
the operator provides one."""

from __future__ import annotations

from tests.conftest import closure, run
from tools import replacements as rules

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


def test_image_streaming_is_on_for_the_tpu_pools_by_default(prod):
    """vllm/vllm-tpu is a public Docker Hub image, which GKE's image streaming accepts: the TPU pools stream it
    without a disk image, the system pools are left as they are."""
    for region in ("europe-west4", "us-east5"):
        tpu = prod.one("gcp:container/nodePool:NodePool", f"cluster-{region}-tpu").inputs["nodeConfig"]
        assert tpu["gcfsConfig"] == {"enabled": True} and "secondaryBootDisks" not in tpu
        system = prod.one("gcp:container/nodePool:NodePool", f"cluster-{region}-system").inputs["nodeConfig"]
        assert "gcfsConfig" not in system
        api = prod.one("gcp:projects/service:Service", "apis-containerfilesystem")
        assert api.urn in closure(prod, prod.one("gcp:container/cluster:Cluster", f"cluster-{region}-gke").urn)
    # Turning it on for an existing pool is an in-place update, not a replacement (tools/replacements.py).
    forces = rules.GCP["gcp:container/nodePool:NodePool"].forces
    assert not [f for f in forces if rules.under("nodeConfig.gcfsConfig.enabled", f)]


def test_image_streaming_can_be_turned_off():
    plan = run("prod", overrides={"accelerator": {**ACCELERATOR, "imageStreaming": False}})
    for pool in plan.by_type("gcp:container/nodePool:NodePool"):
        assert "gcfsConfig" not in pool.inputs["nodeConfig"]
    services = {s.inputs["service"] for s in plan.by_type("gcp:projects/service:Service")}
    assert "containerfilesystem.googleapis.com" not in services


def test_dev_has_no_tpu_pool_to_stream_to(dev):
    services = {s.inputs["service"] for s in dev.by_type("gcp:projects/service:Service")}
    assert "containerfilesystem.googleapis.com" not in services
