"""What losing a slice costs on each rung, in seconds: how long until a replacement serves, how much warning the
node gets before it goes, and how soon the other region answers if it was the region's last slice. Computed from
the durations in inference/capacity/facts.py (the time-to-serve model's own) and the Gateway's failover detection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inference.capacity import facts

MODELLED = "modelled: a new TPU node, then the model load"
LOWER_BOUND = "lower bound: flex-start queues for capacity first, for a time GKE does not publish"


@dataclass(frozen=True)
class RungFigures:
    replace_seconds: int  # a lost slice of this rung serves again after this (a lower bound on flex-start)
    replace_is: str  # MODELLED or LOWER_BOUND
    notice_seconds: int | None  # warning before the node goes: Spot's notice, flex-start's run; None: not preempted
    pod_grace_seconds: int | None  # the share of Spot's notice the model server's Pods get
    failover_seconds: int | None  # the region's last slice lost: the other region answers within this (None: one)

    def output(self) -> dict[str, Any]:
        return {
            "replaceSeconds": self.replace_seconds,
            "replaceIs": self.replace_is,
            "noticeSeconds": self.notice_seconds,
            "podGraceSeconds": self.pod_grace_seconds,
            "failoverSeconds": self.failover_seconds,
        }


def figures(kind: str, max_run_hours: int | None, detection_seconds: int | None) -> RungFigures:
    """A rung's figures. Every rung that has capacity replaces a slice the same way, and a rung without capacity
    hands over to the next with no wait (facts.COMPUTE_CLASS_FALLBACK), so only flex-start's queue and how a
    slice goes away differ between rungs."""
    replace = facts.NEW_SLICE_NODE_SECONDS + facts.MODEL_LOAD_SECONDS
    flex = kind == facts.FLEX_START
    notice = None
    if kind == facts.SPOT:
        notice = facts.SPOT_NOTICE_SECONDS
    elif flex:  # the node's end is known when it starts: its maximum run duration
        notice = (max_run_hours or facts.FLEX_START_MAX_RUN_HOURS) * 3600
    return RungFigures(
        replace_seconds=replace,
        replace_is=LOWER_BOUND if flex else MODELLED,
        notice_seconds=notice,
        pod_grace_seconds=facts.SPOT_POD_GRACE_SECONDS if kind == facts.SPOT else None,
        failover_seconds=detection_seconds,
    )


def describe(rung: dict[str, Any]) -> str:
    """One line of a rung of the output `capacityLadder`, for the plan and the drill's report."""
    line = f"{rung['kind']} ({rung['pool']}): {rung['loss']}"
    if rung.get("replaceSeconds") is None:  # a stack deployed before the figures were output
        return line
    bound = "at least " if rung.get("replaceIs") == LOWER_BOUND else ""
    line += f"; a lost slice serves again after {bound}{rung['replaceSeconds']} s"
    if rung.get("failoverSeconds") is not None:
        line += f", the other region answering within {rung['failoverSeconds']} s if it was the region's last"
    return line
