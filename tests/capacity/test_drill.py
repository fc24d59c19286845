"""The failover drill on a stack with a capacity ladder: its report lists how each rung's slice of the downed region
would really go away, beside the figure it measures (which the ladder does not change)."""

from __future__ import annotations

import io

from inference.capacity import facts
from tests.tools.test_drill import OUTPUTS, US, World
from tools import drill

LADDERED = OUTPUTS | {
    "capacityLadder": {
        US: [
            {"kind": "on-demand", "pool": "tpu-v6e-0-on-demand", "loss": facts.COSTS[facts.ON_DEMAND].loss},
            {"kind": "spot", "pool": "tpu-v6e-1-spot", "loss": facts.COSTS[facts.SPOT].loss},
        ]
    }
}


def _text(outputs) -> tuple[int, str]:
    world, out = World(detect=5.0), io.StringIO()
    code = drill.main(
        ["failover", "--stack", "dev", "--region", US], outputs=lambda s: outputs, cluster=world, clock=world.clock,
        sleep=world.sleep, out=out,
    )  # fmt: skip
    return code, out.getvalue()


def test_the_report_states_each_rungs_loss_of_the_downed_region():
    code, text = _text(LADDERED)
    assert code == 0 and "result:    PASSED" in text
    assert f"capacity:  spot (tpu-v6e-1-spot): preempted at any time with {facts.SPOT_NOTICE_SECONDS} s notice" in text
    assert "capacity:  on-demand (tpu-v6e-0-on-demand): never preempted" in text


def test_without_a_ladder_the_report_has_no_capacity_line():
    code, text = _text(OUTPUTS)
    assert code == 0 and "capacity:" not in text
