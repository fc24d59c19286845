"""The policy pack's stack validation: a production stack may not serve from Spot TPU capacity alone."""

from __future__ import annotations

import pytest
from pulumi_policy import PolicyResource, StackValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

from tests.capacity.test_capacity import LADDER, prod_with
from tests.stacks import test_policy as pack
from tools import engine

policies = pack.policies
FOUR_CHIPS = {"machineType": "ct6e-standard-4t", "topology": "2x2", "nodesPerPool": 1, "maxNodes": 2}


def stack_args(plan: engine.Plan, config=None) -> StackValidationArgs:
    """What CrossGuard hands a stack validation: every resource of the plan, its inputs behind the SDK's proxy."""
    resources = [
        PolicyResource(reg.type, unknown_checking_proxy(pack.unwrap(reg.inputs)), reg.urn, reg.name, None, None, None,
                       [], {})
        for reg in plan.registrations
    ]  # fmt: skip
    return StackValidationArgs(resources, config)


def spot_alone(plan: engine.Plan, config=None) -> list[str]:
    found: list[str] = []
    policies.production_not_spot_alone(stack_args(plan, config), lambda message, urn=None: found.append(message))
    return found


def test_prod_and_a_ladder_with_other_rungs_pass(prod):
    assert spot_alone(prod) == []
    assert spot_alone(prod_with(LADDER)) == []
    # On-demand first holds the standing slices; Spot behind it is burst capacity.
    assert spot_alone(prod_with({"capacity": {"ladder": [{"kind": "on-demand"}, {"kind": "spot"}]}})) == []


@pytest.mark.parametrize(
    "change",
    [
        {"accelerator": {**FOUR_CHIPS, "spot": True}},
        {"capacity": {"ladder": [{"kind": "spot"}]}},
        # The first rung holds every standing slice; the on-demand rung behind it starts empty.
        {"capacity": {"ladder": [{"kind": "spot"}, {"kind": "on-demand"}]}},
        {
            "capacity": {
                "ladder": [{"kind": "spot"}, {"kind": "on-demand"}],
                "regions": {"us-east5": [{"kind": "spot"}, {"kind": "flex-start"}]},
            }
        },
    ],
    ids=["the single pool on Spot", "a ladder of Spot alone", "Spot first, then on-demand", "Spot, then flex-start"],
)
def test_production_on_spot_alone_is_refused(change):
    found = spot_alone(prod_with(change))
    assert len(found) == 2 and all("is Spot only at steady state" in m for m in found)  # one per cluster
    assert {m.split(" in ")[1].split(" is ")[0] for m in found} == {"europe-west4-a", "us-east5-b"}


def test_a_stack_that_is_not_production_may_run_on_spot_alone():
    plan = prod_with({"capacity": {"ladder": [{"kind": "spot"}]}})
    assert spot_alone(plan, {"productionStacks": ["staging"]}) == []


def test_the_pack_runs_the_stack_policy_as_mandatory():
    (policy,) = [p for p in policies.POLICIES if p.name == "production-not-spot-alone"]
    assert policy.enforcement_level == pack.MANDATORY


def test_a_flex_start_pool_needs_auto_repair_like_every_pool():
    """GKE creates flex-start TPU pools with auto-repair (facts.FLEX_START_POOL): no exemption."""
    node = {
        "workloadMetadataConfig": {"mode": "GKE_METADATA"},
        "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
    }
    flex = {"nodeConfig": node | {"flexStart": True}, "management": {"autoRepair": False, "autoUpgrade": True}}
    assert pack.check(policies.gke_node_pool_hardening, policies.NODE_POOL, flex) == [
        "nodePool: management.autoRepair must be true."
    ]
