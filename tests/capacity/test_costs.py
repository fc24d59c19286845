"""What a lost slice costs on each rung, computed from the time-to-serve model's durations (tools/timing.py STEPS)
and the rungs' sourced notices, not restated here."""

from __future__ import annotations

from pathlib import Path

from inference.capacity import costs, facts
from inference.core.facts import durations
from tools import timing

DETECTION = 6  # any failover detection figure: the figures carry it through


def _replace_seconds() -> int:
    """A new TPU node, then the model load: the two steps of the time-to-serve model."""
    return timing.STEPS["tpu-node-pool"].seconds + timing.STEPS["model-load"].seconds


def test_the_first_rung_replaces_a_slice_in_a_node_and_a_model_load():
    for kind in (facts.RESERVATION, facts.ON_DEMAND, facts.SPOT):
        figures = costs.figures(kind, None, DETECTION)
        assert figures.replace_seconds == _replace_seconds() and figures.replace_is == costs.MODELLED
        assert figures.fallback == costs.FIRST_RUNG and figures.failover_seconds == DETECTION


def test_a_later_rung_is_a_lower_bound_since_the_fallback_time_is_not_published():
    """GKE falls back from TPU pools after a delay it does not publish (facts.COMPUTE_CLASS_FALLBACK): no 0 s."""
    for kind in (facts.ON_DEMAND, facts.SPOT):
        figures = costs.figures(kind, None, DETECTION, above=(facts.RESERVATION,))
        assert figures.replace_is == costs.AFTER_FALLBACK and figures.fallback == costs.NOT_PUBLISHED
        assert figures.replace_seconds == _replace_seconds()


def test_a_rung_behind_flex_start_may_be_starved_while_its_request_queues():
    spot = costs.figures(facts.SPOT, None, DETECTION, above=(facts.ON_DEMAND, facts.FLEX_START))
    assert spot.fallback == costs.NOT_PUBLISHED + costs.BEHIND_FLEX_START
    line = costs.describe({"kind": facts.SPOT, "pool": "p", "loss": "preempted"} | spot.output())
    assert f"after at least {_replace_seconds()} s" in line and "starved while flex-start above queues" in line
    before = costs.figures(facts.SPOT, None, DETECTION, above=(facts.ON_DEMAND,))
    assert "starved" not in costs.describe({"kind": facts.SPOT, "pool": "p", "loss": "x"} | before.output())


def test_flex_start_is_a_lower_bound_and_announces_its_end_by_its_run_duration():
    figures = costs.figures(facts.FLEX_START, 24, DETECTION, above=(facts.ON_DEMAND,))
    assert figures.replace_seconds == _replace_seconds() and figures.replace_is == costs.LOWER_BOUND
    assert figures.notice_seconds == 24 * 3600
    default = costs.figures(facts.FLEX_START, None, DETECTION, above=(facts.ON_DEMAND,))
    assert default.notice_seconds == facts.FLEX_START_MAX_RUN_HOURS * 3600


def test_only_spot_is_preempted_with_a_notice_and_a_grace_for_its_pods():
    spot = costs.figures(facts.SPOT, None, DETECTION)
    assert (spot.notice_seconds, spot.pod_grace_seconds) == (facts.SPOT_NOTICE_SECONDS, facts.SPOT_POD_GRACE_SECONDS)
    assert spot.pod_grace_seconds < spot.notice_seconds
    for kind in (facts.RESERVATION, facts.ON_DEMAND):
        figures = costs.figures(kind, None, DETECTION)
        assert figures.notice_seconds is None and figures.pod_grace_seconds is None


def test_the_time_to_serve_model_and_the_ladder_share_one_table_with_its_sources():
    """The durations and their sources live in inference/core/facts/durations.py; timing.STEPS takes both."""
    node, load = timing.STEPS["tpu-node-pool"], timing.STEPS["model-load"]
    assert (node.seconds, node.source) == (durations.TPU_NODE_POOL_SECONDS, durations.TPU_NODE_POOL_SOURCE)
    assert (load.seconds, load.source) == (durations.MODEL_LOAD_SECONDS, durations.MODEL_LOAD_SOURCE)
    assert not hasattr(facts, "NEW_SLICE_NODE_SECONDS") and not hasattr(facts, "MODEL_LOAD_SECONDS")


def test_affinity_any_is_described_as_a_reservation_if_free_else_on_demand():
    words = costs.words(facts.RESERVATION, facts.ANY)
    assert words == facts.ANY_RESERVATION_COST and "else an on-demand node" in words.provisioning
    assert costs.words(facts.RESERVATION, facts.SPECIFIC) == facts.COSTS[facts.RESERVATION]
    assert costs.words(facts.SPOT, None) == facts.COSTS[facts.SPOT]


def test_the_description_says_the_bound_and_the_failover_when_there_is_one():
    flex = {"kind": facts.FLEX_START, "pool": "p", "loss": "ends"} | costs.figures(facts.FLEX_START, 24, 6).output()
    text = costs.describe(flex)
    assert f"after at least {_replace_seconds()} s" in text and "within 6 s" in text
    single = {"kind": facts.SPOT, "pool": "p", "loss": "preempted"} | costs.figures(facts.SPOT, None, None).output()
    assert costs.describe(single).endswith(f"after {_replace_seconds()} s")  # one region: nowhere to fail over
    assert costs.describe({"kind": facts.SPOT, "pool": "p", "loss": "preempted"}) == "spot (p): preempted"


def test_the_docs_state_the_figures_the_model_computes(prod):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "capacity-ladder.md").read_text()
    node, load = timing.STEPS["tpu-node-pool"].seconds, timing.STEPS["model-load"].seconds
    assert f"| {node} + {load} = {node + load} | at least {node + load} | at least {node + load} |" in doc
    detection = prod.outputs["failoverDetectionSeconds"]
    assert f"after {node + load} s, the other region answering within {detection} s" in doc
    assert f"prod: {detection} |" in doc
