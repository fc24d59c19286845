"""The capacity ladder built from small args: a pool per rung with that rung's provisioning model, the class's label
and taint on each, and a ComputeClass that names the pools in the ladder's order."""

from __future__ import annotations

import json

import jsonschema

from inference.capacity import facts
from inference.capacity.ladder import CapacityLadder, CapacityLadderArgs, LadderRung
from tests.conftest import components
from tools.upstream import VENDORED

NODE_POOL = "gcp:container/nodePool:NodePool"
COMPUTE_CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"

# GKE's ComputeClass CRD as a cluster serves it, vendored in JSON Schema (facts.COMPUTE_CLASS_SCHEMA): closed, so
# a misspelt field fails.
SCHEMA = json.loads((VENDORED / facts.COMPUTE_CLASS_SCHEMA).read_text())
NODEPOOLS_ALONE = "Nodepool field cannot be set along with other fields"


RUNGS = (
    LadderRung("p-res", facts.RESERVATION, 1, 3, "projects/shared/reservations/r1", "SPECIFIC_RESERVATION"),
    LadderRung("p-any", facts.RESERVATION, 0, 3, affinity="ANY_RESERVATION"),
    LadderRung("p-od", facts.ON_DEMAND, 0, 3),
    LadderRung("p-flex", facts.FLEX_START, 0, 3, max_run_seconds=7200),
    LadderRung("p-spot", facts.SPOT, 0, 3),
)


def _ladder(rungs=RUNGS, **changes):
    args = CapacityLadderArgs(
        project="p",
        zone="us-east5-b",
        cluster_name="c",
        class_name="cls",
        machine_type="ct6e-standard-4t",
        rungs=rungs,
        node_service_account="nodes@p.iam.gserviceaccount.com",
        labels={"team": "t"},
        **changes,
    )
    return components(lambda: CapacityLadder("ladder", args))


def test_a_pool_per_rung_with_its_provisioning_model():
    plan = _ladder()
    pools = {p.inputs["name"]: p.inputs for p in plan.by_type(NODE_POOL)}
    assert sorted(pools) == sorted(r.pool_name for r in RUNGS)
    config = {name: inputs["nodeConfig"] for name, inputs in pools.items()}
    assert config["p-res"]["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["projects/shared/reservations/r1"],
    }
    assert config["p-any"]["reservationAffinity"] == {"consumeReservationType": "ANY_RESERVATION"}
    # Without an affinity GKE would let on-demand and Spot nodes consume any matching reservation
    # (facts.RESERVATION_AFFINITY_DEFAULT): both say NO_RESERVATION.
    for name in ("p-od", "p-spot"):
        assert config[name]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert not config["p-od"].get("spot")
    assert config["p-flex"]["flexStart"] is True and config["p-flex"]["maxRunDuration"] == "7200s"
    assert config["p-flex"]["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    # Flex-start too: GKE creates its TPU pools with auto-repair (facts.FLEX_START_POOL).
    assert all(i["management"] == {"autoRepair": True, "autoUpgrade": True} for i in pools.values())
    assert pools["p-flex"]["autoscaling"]["locationPolicy"] == "ANY"
    others = [inputs for name, inputs in pools.items() if name != "p-flex"]
    assert not any("locationPolicy" in i["autoscaling"] for i in others)
    assert config["p-spot"]["spot"] is True
    assert not any(c.get("flexStart") for name, c in config.items() if name != "p-flex")


def test_every_pool_carries_the_class_label_and_taint_and_the_tpu_pool_settings():
    for pool in _ladder(image_streaming=True, private_nodes=True, protect=True).by_type(NODE_POOL):
        node = pool.inputs["nodeConfig"]
        assert node["labels"][facts.COMPUTE_CLASS_LABEL] == "cls"
        assert node["taints"] == [{"key": facts.COMPUTE_CLASS_LABEL, "value": "cls", "effect": "NO_SCHEDULE"}]
        assert node["machineType"] == "ct6e-standard-4t" and node["serviceAccount"] == "nodes@p.iam.gserviceaccount.com"
        assert node["workloadMetadataConfig"] == {"mode": "GKE_METADATA"} and node["gcfsConfig"] == {"enabled": True}
        # Each pool's own private-nodes switch, as on the single TPU pool (core/cluster.py _private_pool).
        assert pool.inputs["networkConfig"] == {"acceleratorNetworkProfile": "auto", "enablePrivateNodes": True}
        assert pool.inputs["cluster"] == "c" and pool.inputs["location"] == "us-east5-b"
        assert pool.options["protect"] is True


def test_public_nodes_leave_the_pools_switch_unset():
    assert all(p.inputs["networkConfig"] == {"acceleratorNetworkProfile": "auto"} for p in _ladder().by_type(NODE_POOL))


def test_only_the_first_rung_holds_slices_and_each_autoscales_to_the_most():
    pools = [p for p in _ladder().by_type(NODE_POOL) if p.inputs["name"] != "p-flex"]
    floors = {p.inputs["name"]: (p.inputs["nodeCount"], p.inputs["autoscaling"]) for p in pools}
    assert floors.pop("p-res") == (1, {"minNodeCount": 1, "maxNodeCount": 3})
    assert len(floors) == 3 and all(f == (0, {"minNodeCount": 0, "maxNodeCount": 3}) for f in floors.values())


def test_the_compute_class_names_the_pools_in_the_ladders_order():
    plan = _ladder()
    (cls,) = plan.by_type(COMPUTE_CLASS)
    assert cls.inputs["metadata"]["name"] == "cls"
    spec = cls.inputs["spec"]
    jsonschema.validate({k: cls.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}, SCHEMA)
    assert [p["nodepools"] for p in spec["priorities"]] == [["p-res"], ["p-any"], ["p-od"], ["p-flex"], ["p-spot"]]
    assert spec["whenUnsatisfiable"] == "DoNotScaleUp" and spec["nodePoolAutoCreation"] == {"enabled": False}


def test_each_priority_names_its_pool_alone_as_the_crds_rule_requires():
    """jsonschema does not run the CRD's CEL rules; this one, read from the vendored schema, is what the API server
    would refuse the class for."""
    priority = SCHEMA["properties"]["spec"]["properties"]["priorities"]["items"]
    (rule,) = [v["rule"] for v in priority["x-kubernetes-validations"] if v["message"] == NODEPOOLS_ALONE]
    assert rule == "has(self.nodepools) ? (size(dyn(self)) == 1) : true"
    (cls,) = _ladder().by_type(COMPUTE_CLASS)
    assert all(list(p) == ["nodepools"] for p in cls.inputs["spec"]["priorities"])


def test_a_misspelt_class_field_fails_the_schema():
    (cls,) = _ladder().by_type(COMPUTE_CLASS)
    bad = {k: cls.inputs[k] for k in ("apiVersion", "kind", "metadata")} | {
        "spec": {"priorities": [{"nodePools": ["p"]}], "whenUnsatisfiable": "DoNotScaleUp"}
    }
    try:
        jsonschema.validate(bad, SCHEMA)
    except jsonschema.ValidationError:
        return
    raise AssertionError("the schema accepted nodePools")
