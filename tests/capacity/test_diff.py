"""What the offline diff shows for a capacity ladder: adopting one on prod, and changing a rung later."""

from __future__ import annotations

import json

from tests.capacity.test_capacity import LADDER, prod_with
from tests.conftest import plan_of
from tools import diff
from tools import plan as plan_tool

TWO = ["europe-west4", "us-east5"]


def _document(plan) -> dict:
    return json.loads(json.dumps(plan_tool.document(plan, TWO)))


def _changes(base, head) -> dict[str, str]:
    return {c.resource["name"]: c.action for c in diff.compare(_document(base), _document(head))}


def test_adopting_a_ladder_adds_its_pools_and_class_and_deletes_only_the_single_pool():
    changes = _changes(plan_of("prod"), prod_with(LADDER))
    assert {n for n, a in changes.items() if a == "delete"} == {"cluster-europe-west4-tpu", "cluster-us-east5-tpu"}
    assert {n for n, a in changes.items() if a == "update"} == {
        "model-server-europe-west4-deployment",
        "model-server-us-east5-deployment",
    }
    added = {n for n, a in changes.items() if a == "add"}
    assert added == {
        "capacity-europe-west4-0-on-demand",
        "capacity-europe-west4-1-spot",
        "capacity-europe-west4-class",
        "capacity-us-east5-0-reservation",
        "capacity-us-east5-1-on-demand",
        "capacity-us-east5-2-flex-start",
        "capacity-us-east5-3-spot",
        "capacity-us-east5-class",
    }
    assert "replace" not in changes.values()


def test_a_new_run_duration_replaces_only_that_flex_start_pool():
    longer = json.loads(json.dumps(LADDER))
    longer["capacity"]["ladder"][2]["maxRunDurationHours"] = 48
    changes = _changes(prod_with(LADDER), prod_with(longer))
    assert changes == {"capacity-us-east5-2-flex-start": "replace"}
