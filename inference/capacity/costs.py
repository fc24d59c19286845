"""What losing a slice costs on each rung, in seconds: how long until a replacement serves, how much warning the
node gets before it goes, and how soon the other region answers if it was the region's last slice. Computed from
the time-to-serve model's durations (inference/core/facts/durations.py, which tools/timing.py STEPS reads too) and
the Gateway's failover detection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inference.capacity import facts
from inference.core.facts import durations

MODELLED = "modelled: a new TPU node, then the model load"
LOWER_BOUND = "lower bound: flex-start queues for capacity first, for a time GKE does not publish"
AFTER_FALLBACK = (
    "lower bound: reached only after the rungs above fail to scale up, a wait GKE does not publish for TPU pools"
)
FIRST_RUNG = "none: the first rung is tried first"
NOT_PUBLISHED = "not published: GKE names a configurable delay before falling back from TPU pools, not its length"
BEHIND_FLEX_START = (
    "; while a flex-start rung above queues (for an indeterminate time) this rung may be reached late or never"
)


@dataclass(frozen=True)
class RungFigures:
    replace_seconds: int  # a lost slice of this rung serves again after this (a lower bound but on the first rung)
    replace_is: str  # MODELLED, LOWER_BOUND or AFTER_FALLBACK
    fallback: str  # how long the rungs above take to give up: FIRST_RUNG or NOT_PUBLISHED (+ BEHIND_FLEX_START)
    notice_seconds: int | None  # warning before the node goes: Spot's notice, flex-start's run; None: not preempted
    pod_grace_seconds: int | None  # the share of Spot's notice the model server's Pods get
    failover_seconds: int | None  # the region's last slice lost: the other region answers within this (None: one)

    def output(self) -> dict[str, Any]:
        return {
            "replaceSeconds": self.replace_seconds,
            "replaceIs": self.replace_is,
            "fallback": self.fallback,
            "noticeSeconds": self.notice_seconds,
            "podGraceSeconds": self.pod_grace_seconds,
            "failoverSeconds": self.failover_seconds,
        }


def words(kind: str, affinity: str | None) -> facts.RungCost:
    """The rung's costs in words: affinity any is not held capacity (facts.ANY_RESERVATION_COST)."""
    return facts.ANY_RESERVATION_COST if affinity == facts.ANY else facts.COSTS[kind]


def _fallback(above: tuple[str, ...]) -> str:
    if not above:
        return FIRST_RUNG
    return NOT_PUBLISHED + (BEHIND_FLEX_START if facts.FLEX_START in above else "")


def figures(
    kind: str, max_run_hours: int | None, detection_seconds: int | None, above: tuple[str, ...] = ()
) -> RungFigures:
    """A rung's figures; `above` is the kinds of the rungs before it. Every rung replaces a slice with a new node
    and a model load; flex-start queues first, and a rung below another is reached only after the autoscaler gave
    up on the rungs above (facts.COMPUTE_CLASS_FALLBACK), for a time nobody publishes: both are lower bounds."""
    replace = durations.TPU_NODE_POOL_SECONDS + durations.MODEL_LOAD_SECONDS
    flex = kind == facts.FLEX_START
    notice = None
    if kind == facts.SPOT:
        notice = facts.SPOT_NOTICE_SECONDS
    elif flex:  # the node's end is known when it starts: its maximum run duration
        notice = (max_run_hours or facts.FLEX_START_MAX_RUN_HOURS) * 3600
    return RungFigures(
        replace_seconds=replace,
        replace_is=LOWER_BOUND if flex else AFTER_FALLBACK if above else MODELLED,
        fallback=_fallback(above),
        notice_seconds=notice,
        pod_grace_seconds=facts.SPOT_POD_GRACE_SECONDS if kind == facts.SPOT else None,
        failover_seconds=detection_seconds,
    )


def describe(rung: dict[str, Any]) -> str:
    """One line of a rung of the output `capacityLadder`, for the plan and the drill's report."""
    line = f"{rung['kind']} ({rung['pool']}): {rung['loss']}"
    if rung.get("replaceSeconds") is None:  # a stack deployed before the figures were output
        return line
    bound = "at least " if rung.get("replaceIs") in (LOWER_BOUND, AFTER_FALLBACK) else ""
    line += f"; a lost slice serves again after {bound}{rung['replaceSeconds']} s"
    if rung.get("failoverSeconds") is not None:
        line += f", the other region answering within {rung['failoverSeconds']} s if it was the region's last"
    if rung.get("fallback", FIRST_RUNG) != FIRST_RUNG:
        line += "; fallback time to this rung not published"
        if rung["fallback"].endswith(BEHIND_FLEX_START):
            line += ", and it may be starved while flex-start above queues"
    return line
