"""A model with a TPU shape of its own (`models[].accelerator`, inference/models/shapes.py): a node pool of its own in
every cluster, sized by its keys, that its servers alone select; beside the stack's pool, or outside its capacity
ladder. The stack's pool, its model and every URN prod has stay as they are."""

from __future__ import annotations

import functools
import json

from inference.capacity.facts import COMPUTE_CLASS_LABEL
from inference.common.quantities import memory_bytes
from inference.core.config.compute import TPU_V6E_SHAPES
from inference.core.facts import machines
from inference.serving import facts as serving_facts
from inference.serving.facts import NODE_POOL_LABEL
from tests.capacity.test_capacity import LADDER
from tests.conftest import closure, plan_of, run
from tools import engine

NODE_POOL = "gcp:container/nodePool:NodePool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
GEMMA = {"id": "google/gemma-3-27b-it"}
# One chip is enough for 4B parameters; the stack's ct6e-standard-4t again, for a pool the model keeps to itself.
ONE_CHIP = {"machineType": "ct6e-standard-1t", "maxNodes": 2}
SMALL = {"name": "small", "id": "google/gemma-3-4b-it", "accelerator": ONE_CHIP}
TWIN = {"name": "twin", "id": "meta-llama/Llama-3.1-8B-Instruct", "accelerator": {"maxNodes": 2, "spot": True}}


@functools.cache
def _planned(overrides: str) -> engine.Plan:
    return run("prod", overrides=json.loads(overrides))


def prod_with(*models: dict, **more) -> engine.Plan:
    return _planned(json.dumps({"model": None, "models": [GEMMA, *models], **more}, sort_keys=True))


def _pod(plan: engine.Plan, name: str) -> dict:
    return plan.one(DEPLOYMENT, f"{name}-deployment").inputs["spec"]["template"]["spec"]


def test_a_model_with_its_own_shape_gets_a_pool_of_its_own_in_every_cluster():
    plan = prod_with(SMALL, TWIN)
    pools = {p.name: p.inputs for p in plan.by_type(NODE_POOL)}
    for region in ("europe-west4", "us-east5"):
        small, twin = pools[f"cluster-{region}-tpu-small"], pools[f"cluster-{region}-tpu-twin"]
        assert small["name"] == "tpu-v6e-pool-small" and small["nodeConfig"]["machineType"] == "ct6e-standard-1t"
        assert small["autoscaling"] == {"minNodeCount": 1, "maxNodeCount": 2}
        assert twin["nodeConfig"]["machineType"] == "ct6e-standard-4t" and twin["nodeConfig"]["spot"] is True
        # the stack's own pool is prod's, input for input
        assert pools[f"cluster-{region}-tpu"] == plan_of("prod").one(NODE_POOL, f"cluster-{region}-tpu").inputs


def test_its_servers_select_their_pool_and_shard_across_its_chips():
    plan = prod_with(SMALL, TWIN)
    small = _pod(plan, "model-server-small-us-east5")
    assert small["nodeSelector"] == {
        "cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice",
        "cloud.google.com/gke-tpu-topology": "1x1",
        NODE_POOL_LABEL: "tpu-v6e-pool-small",
    }
    (vllm,) = small["containers"]
    assert vllm["resources"]["limits"]["google.com/tpu"] == "1" and "--tensor-parallel-size=1" in vllm["args"]
    # Its memory limit fits one node of its shape (176 GiB of memory); the stack's 4-chip shape keeps its 192Gi.
    assert vllm["resources"]["limits"]["memory"] == "161Gi"
    (first,) = _pod(plan, "model-server-us-east5")["containers"]
    assert first["resources"]["limits"]["memory"] == "192Gi"
    deployment = plan.one(DEPLOYMENT, "model-server-small-us-east5-deployment")
    assert plan.one(NODE_POOL, "cluster-us-east5-tpu-small").urn in closure(plan, deployment.urn)
    # Two pools of the stack's shape: the stack's model and the twin each select theirs by name.
    assert _pod(plan, "model-server-us-east5")["nodeSelector"][NODE_POOL_LABEL] == "tpu-v6e-pool"
    assert _pod(plan, "model-server-twin-us-east5")["nodeSelector"][NODE_POOL_LABEL] == "tpu-v6e-pool-twin"


def test_own_shapes_only_add_resources():
    """prod's URNs all stay; what is new is the models' servers, pools, objectives, HPAs and node pools."""
    plan, prod = prod_with(SMALL), plan_of("prod")
    assert {r.urn for r in prod.registrations} <= {r.urn for r in plan.registrations}
    assert _pod(plan, "model-server-us-east5") == _pod(prod, "model-server-us-east5")  # its one pool: no pinning


def test_with_a_capacity_ladder_the_own_pool_stays_outside_it():
    """The ladder's pools are tainted for its ComputeClass; a model with its own shape takes its own pool instead,
    and the stack's model keeps the class."""
    plan = prod_with(SMALL, **LADDER)
    assert plan.one(NODE_POOL, "cluster-us-east5-tpu-small").inputs["nodeConfig"].get("taints") is None
    small, first = _pod(plan, "model-server-small-us-east5"), _pod(plan, "model-server-us-east5")
    assert COMPUTE_CLASS_LABEL not in small["nodeSelector"] and small.get("tolerations") is None
    assert small["nodeSelector"][NODE_POOL_LABEL] == "tpu-v6e-pool-small"
    assert COMPUTE_CLASS_LABEL in first["nodeSelector"] and NODE_POOL_LABEL not in first["nodeSelector"]


def test_the_model_servers_memory_limit_fits_one_node_of_each_shape():
    request = serving_facts.VLLM_MEMORY_REQUEST_GI * machines.GI
    for machine_type in TPU_V6E_SHAPES:
        room = machines.node_room(machines.MACHINE_TYPES[machine_type])["memory"] - machines.FUSE_SIDECAR_MEMORY
        assert request <= memory_bytes(serving_facts.vllm_memory_limit(machine_type)) <= room, machine_type
    assert [serving_facts.vllm_memory_limit(t) for t in ("ct6e-standard-1t", "ct6e-standard-4t")] == ["161Gi", "192Gi"]


def test_a_models_memory_limit_is_its_own_when_set():
    plan = prod_with({**SMALL, "memoryLimit": "120Gi"})
    (vllm,) = _pod(plan, "model-server-small-us-east5")["containers"]
    assert vllm["resources"]["limits"]["memory"] == "120Gi"
