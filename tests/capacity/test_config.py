"""The capacity section as parsed: the default ladder and a region's own, the defaults of each rung, and the node
subnet sized for the ladder's pools. Every refusal is a row of tests/configuration/bad_inputs.txt."""

from __future__ import annotations

from inference.capacity import facts
from inference.capacity.config import Rung
from inference.configuration.stack import parse
from inference.core.config import network
from inference.core.config.compute import Accelerator, SystemPool
from tests.capacity.test_capacity import LADDER
from tests.configuration.test_config import stack_settings


def test_the_default_ladder_and_a_regions_own_with_each_rungs_defaults():
    cfg = parse({**stack_settings("prod"), **LADDER}, "prod")
    assert cfg.capacity.ladders["us-east5"] == (
        Rung(facts.RESERVATION, "projects/shared-tpus/reservations/v6e-east", facts.SPECIFIC),
        Rung(facts.ON_DEMAND),
        Rung(facts.FLEX_START, max_run_hours=24),
        Rung(facts.SPOT),
    )
    assert cfg.capacity.ladders["europe-west4"] == (Rung(facts.ON_DEMAND), Rung(facts.SPOT))
    flex = parse({**stack_settings("prod"), "capacity": {"regions": {
        "us-east5": [{"kind": "on-demand"}, {"kind": "flex-start"}],
        "europe-west4": [{"kind": "reservation", "affinity": "any"}]}}}, "prod")  # fmt: skip
    assert flex.capacity.ladders["us-east5"][1].max_run_hours == facts.FLEX_START_MAX_RUN_HOURS
    assert flex.capacity.ladders["europe-west4"] == (Rung(facts.RESERVATION, None, facts.ANY),)


def test_no_capacity_key_keeps_the_single_pool():
    assert parse(stack_settings("prod"), "prod").capacity is None


def test_the_node_subnet_counts_a_surge_node_for_every_rungs_pool():
    system = SystemPool("e2-standard-16", 1, 100)
    tpu = Accelerator("ct6e-standard-4t", "2x2", 1, 2, False, None)
    single = network.nodes_per_cluster(system, tpu)
    assert network.nodes_per_cluster(system, tpu, 3) == single + 3  # three empty pools, a surge node each
