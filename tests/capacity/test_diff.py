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


def test_appending_a_rung_adds_its_pool_and_replaces_nothing():
    """Pool names follow the rung's position (docs/capacity-ladder.md, "Pool names"): a rung added at the end is a
    new pool and a new priority of the class; every pool before it keeps its name."""
    appended = json.loads(json.dumps(LADDER))
    appended["capacity"]["ladder"].append({"kind": "reservation", "reservation": "v6e-east-burst"})
    changes = _changes(prod_with(LADDER), prod_with(appended))
    assert changes == {"capacity-us-east5-4-reservation": "add", "capacity-us-east5-class": "update"}


def test_inserting_a_rung_first_renames_and_replaces_the_pools_after_it():
    """The cost of names by position, stated rather than hidden: prepending shifts every later rung."""
    inserted = json.loads(json.dumps(LADDER))
    inserted["capacity"]["regions"]["europe-west4"].insert(0, {"kind": "reservation", "reservation": "v6e-eu"})
    changes = _changes(prod_with(LADDER), prod_with(inserted))
    assert {n for n, a in changes.items() if a == "add"} == {
        "capacity-europe-west4-0-reservation",
        "capacity-europe-west4-1-on-demand",
        "capacity-europe-west4-2-spot",
    }
    assert {n for n, a in changes.items() if a == "delete"} == {
        "capacity-europe-west4-0-on-demand",
        "capacity-europe-west4-1-spot",
    }
