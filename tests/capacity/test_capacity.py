"""A stack with a capacity ladder: prod's configuration with a ladder per region. The ladder's pools replace the
single TPU pool, the model servers select the class and wait for its pools, and everything else (the PDB, the HPA,
the Gateway's failover, the rest of the URNs) stays what prod has."""

from __future__ import annotations

import functools
import json

import pytest

from inference.capacity import costs, facts
from tests.conftest import run
from tools import capacity, engine, plan, timing

LADDER = {
    "capacity": {
        "ladder": [
            {"kind": "reservation", "reservation": "projects/shared-tpus/reservations/v6e-east"},
            {"kind": "on-demand"},
            {"kind": "flex-start", "maxRunDurationHours": 24},
            {"kind": "spot"},
        ],
        # europe-west4-a offers no flex-start v6e (facts.FLEX_START_V6E_ZONES): a ladder of its own
        "regions": {"europe-west4": [{"kind": "on-demand"}, {"kind": "spot"}]},
    }
}
NODE_POOL = "gcp:container/nodePool:NodePool"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


@functools.cache
def _planned(overrides: str) -> engine.Plan:
    return run("prod", overrides=json.loads(overrides))


def prod_with(overrides: dict) -> engine.Plan:
    """prod with `overrides`, planned once per worker for every test of the ladder that asks for the same."""
    return _planned(json.dumps(overrides, sort_keys=True))


@pytest.fixture(scope="module")
def laddered() -> engine.Plan:
    return prod_with(LADDER)


def _pools(plan: engine.Plan, region: str) -> list[engine.Registration]:
    return sorted(
        (p for p in plan.by_type(NODE_POOL) if p.name.startswith(f"capacity-{region}-")), key=lambda p: p.name
    )


def test_each_region_gets_its_own_ladder_in_order_and_no_single_tpu_pool(laddered):
    assert [p.inputs["name"] for p in _pools(laddered, "us-east5")] == [
        "tpu-v6e-0-reservation",
        "tpu-v6e-1-on-demand",
        "tpu-v6e-2-flex-start",
        "tpu-v6e-3-spot",
    ]
    assert [p.inputs["name"] for p in _pools(laddered, "europe-west4")] == ["tpu-v6e-0-on-demand", "tpu-v6e-1-spot"]
    assert not [p for p in laddered.by_type(NODE_POOL) if p.name.endswith("-tpu")]
    flex = laddered.one(NODE_POOL, "capacity-us-east5-2-flex-start").inputs["nodeConfig"]
    assert flex["maxRunDuration"] == f"{24 * 3600}s"


def test_every_rung_pool_has_the_single_tpu_pools_network_settings(laddered, prod):
    """Managed DRANET and prod's private nodes on each pool (core/cluster.py: each pool sets its own switch)."""
    for region in ("europe-west4", "us-east5"):
        single = prod.one(NODE_POOL, f"cluster-{region}-tpu").inputs["networkConfig"]
        assert single["enablePrivateNodes"] is True
        assert all(p.inputs["networkConfig"] == single for p in _pools(laddered, region))


def test_the_model_servers_select_the_class_and_wait_for_its_pools(laddered):
    for region in ("europe-west4", "us-east5"):
        server = laddered.one(DEPLOYMENT, f"model-server-{region}-deployment")
        pod = server.inputs["spec"]["template"]["spec"]
        assert pod["nodeSelector"][facts.COMPUTE_CLASS_LABEL] == "tpu-v6e-ladder"
        assert {"key": facts.COMPUTE_CLASS_LABEL, "operator": "Equal", "value": "tpu-v6e-ladder"}.items() <= (
            pod["tolerations"][0].items()
        )
        pools = {p.urn for p in _pools(laddered, region)}
        assert pools <= set(server.dependencies)


def test_the_disruption_budget_and_the_hpa_are_prods(laddered, prod):
    for type_ in ("kubernetes:policy/v1:PodDisruptionBudget", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"):
        assert {r.name: r.inputs for r in laddered.by_type(type_)} == {r.name: r.inputs for r in prod.by_type(type_)}
    assert laddered.outputs["failoverDetectionSeconds"] == prod.outputs["failoverDetectionSeconds"]


def test_only_the_single_tpu_pool_gives_way(laddered, prod):
    gone = {r.urn for r in prod.registrations} - {r.urn for r in laddered.registrations}
    assert {urn.rsplit("::", 1)[1] for urn in gone} == {"cluster-europe-west4-tpu", "cluster-us-east5-tpu"}


def test_the_outputs_say_what_each_rung_costs(laddered):
    ladder = laddered.outputs["capacityLadder"]
    assert [r["kind"] for r in ladder["us-east5"]] == ["reservation", "on-demand", "flex-start", "spot"]
    spot = ladder["us-east5"][-1]
    assert f"{facts.SPOT_NOTICE_SECONDS} s notice" in spot["loss"] and spot["pool"] == "tpu-v6e-3-spot"
    # In seconds: a new TPU node and a model load (the time-to-serve model's steps), the Gateway's failover.
    replace = timing.STEPS["tpu-node-pool"].seconds + timing.STEPS["model-load"].seconds
    for rung in [*ladder["us-east5"], *ladder["europe-west4"]]:
        assert rung["replaceSeconds"] == replace
        assert rung["failoverSeconds"] == laddered.outputs["failoverDetectionSeconds"]
    flex = ladder["us-east5"][2]
    assert flex["replaceIs"] == costs.LOWER_BOUND and flex["noticeSeconds"] == 24 * 3600
    # Only the first rung is modelled; the ones below wait for an unpublished fallback, Spot behind flex-start too.
    assert [r["replaceIs"] for r in ladder["europe-west4"]] == [costs.MODELLED, costs.AFTER_FALLBACK]
    assert [r["fallback"] for r in ladder["us-east5"]] == [
        costs.FIRST_RUNG,
        costs.NOT_PUBLISHED,
        costs.NOT_PUBLISHED,
        costs.NOT_PUBLISHED + costs.BEHIND_FLEX_START,
    ]
    assert (spot["noticeSeconds"], spot["podGraceSeconds"]) == (facts.SPOT_NOTICE_SECONDS, facts.SPOT_POD_GRACE_SECONDS)


def test_the_plan_prints_what_a_lost_slice_costs_per_rung(laddered):
    lines = plan.ladder_costs(engine.to_json(laddered.outputs)["capacityLadder"])
    assert len([line for line in lines if line.startswith("  us-east5 ")]) == 4
    assert any(line.startswith("  europe-west4 1: spot (tpu-v6e-1-spot)") for line in lines)
    assert plan.ladder_costs({}) == []


def test_every_ladder_pool_states_its_reservation_affinity(laddered):
    affinity = {
        p.inputs["name"]: p.inputs["nodeConfig"]["reservationAffinity"]["consumeReservationType"]
        for p in _pools(laddered, "us-east5")
    }
    assert affinity == {
        "tpu-v6e-0-reservation": "SPECIFIC_RESERVATION",
        "tpu-v6e-1-on-demand": facts.NO_RESERVATION,
        "tpu-v6e-2-flex-start": facts.NO_RESERVATION,
        "tpu-v6e-3-spot": facts.NO_RESERVATION,
    }


def test_time_to_serve_is_prods_the_first_rung_holding_the_slices(laddered, prod):
    assert timing.total_seconds(timing.critical_path(laddered)) == timing.total_seconds(timing.critical_path(prod))


def test_the_capacity_check_counts_the_ladders_pools_with_their_cluster(laddered):
    assert capacity.check(laddered) == []
    pools = {(p.cluster, p.name) for p in capacity.analyse(laddered).pools}
    assert ("tpu-gke-dranet-prod-us-east5", "tpu-v6e-3-spot") in pools
