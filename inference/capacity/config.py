"""`capacity`: the ordered ways each region obtains its TPU v6e slices (reservation, on-demand, flex-start, Spot),
checked against what GKE accepts for each (inference/capacity/facts.py). Absent: one TPU pool, as `accelerator` says."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inference.capacity import facts
from inference.common.reader import NOT_SET, Reader
from inference.core.config.compute import Accelerator, reservation_value
from inference.core.config.network import Region

MOST_RUNGS = 6  # more pools than this per cluster is a ladder nobody can reason about
_KIND_FIX = f"set kind to one of {', '.join(facts.KINDS)}"


@dataclass(frozen=True)
class Rung:
    kind: str  # facts.KINDS
    reservation: str | None = None  # a specific reservation: NAME or projects/P/reservations/NAME
    affinity: str | None = None  # reservation rungs: facts.SPECIFIC or facts.ANY
    max_run_hours: int | None = None  # flex-start rungs: how long a node runs before GKE ends it


@dataclass(frozen=True)
class Capacity:
    ladders: Mapping[str, tuple[Rung, ...]]  # region -> its rungs, most preferred first


def _reservation_rung(r: Reader) -> Rung | None:
    affinity = r.choice("affinity", facts.SPECIFIC, tuple(facts.AFFINITIES))
    if affinity is None:  # reported; whether a name is needed depends on the affinity meant
        r.get("reservation", None)
        return None
    if affinity == facts.ANY:
        if r.given("reservation"):
            r.get("reservation")
            r.problem(
                "reservation",
                r.raw["reservation"],
                "names a reservation, but affinity any consumes any matching reservation with automatic "
                f"consumption and takes no name ({facts.RESERVATIONS})",
                "remove reservation, or set affinity: specific",
            )
            return None
        return Rung(facts.RESERVATION, None, facts.ANY)
    fix = "name the reservation (NAME, or projects/PROJECT/reservations/NAME when another project shares it)"
    if not r.given("reservation"):
        r.get("reservation", required_fix=fix)
        return None
    name = reservation_value(r)
    return Rung(facts.RESERVATION, name, affinity) if name and affinity else None


def _flex_start_rung(r: Reader, region: Region | None) -> Rung | None:
    hours = r.integer(
        "maxRunDurationHours",
        facts.FLEX_START_MAX_RUN_HOURS,
        low=1,
        high=facts.FLEX_START_MAX_RUN_HOURS,
        fix=f"flex-start nodes run at most seven days ({facts.FLEX_START_SOURCE}): "
        f"set 1..{facts.FLEX_START_MAX_RUN_HOURS}",
    )
    if region and region.zone not in facts.FLEX_START_V6E_ZONES:
        r.problem("kind", facts.FLEX_START, *_flex_start_zone(region))
        return None
    return Rung(facts.FLEX_START, max_run_hours=hours) if hours else None


def _only_for(r: Reader, kind: str) -> bool:
    """Keys that belong to another kind of rung: GKE would refuse them, or they would do nothing."""
    wrong = {
        "reservation": "a reservation rung (a Spot or flex-start node consumes no reservation)",
        "affinity": "a reservation rung",
        "maxRunDurationHours": "a flex-start rung",
    }
    owner = {"reservation": facts.RESERVATION, "affinity": facts.RESERVATION, "maxRunDurationHours": facts.FLEX_START}
    clean = True
    for key, where in wrong.items():
        if owner[key] != kind and r.given(key):
            r.get(key)
            r.problem(key, r.raw[key], f"only applies to {where}, not to kind {kind}", f"remove {r.key(key)}")
            clean = False
    return clean


def _rung(r: Reader, region: Region | None) -> Rung | None:
    kind = r.choice("kind", None, facts.KINDS) if r.given("kind") else r.get("kind", required_fix=_KIND_FIX)
    if kind is None:
        return None
    if not _only_for(r, kind):
        return None
    if kind == facts.RESERVATION:
        return _reservation_rung(r)
    if kind == facts.FLEX_START:
        return _flex_start_rung(r, region)
    return Rung(kind)


def _ladder(top: Reader, key: str, raw: Any, region: Region | None, project: str | None) -> tuple[Rung, ...] | None:
    """One ordered ladder; `region` is None for the default ladder, whose zones are checked per region later."""
    fix = f"list the rungs in order of preference, e.g. [{{kind: on-demand}}, {{kind: {facts.SPOT}}}]"
    if not isinstance(raw, list) or not 1 <= len(raw) <= MOST_RUNGS:
        top.problem(key, raw, f"must be a list of 1..{MOST_RUNGS} rungs", fix)
        return None
    rungs: list[Rung] = []
    before = len(top.problems)
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            top.problem(f"{key}[{i}]", item, "must be an object", _KIND_FIX)
            continue
        r = Reader(item, top.key(f"{key}[{i}]"), top.problems)
        rung = _rung(r, region)
        r.finish()
        if rung is None:
            continue
        same = _same_reservation(rung, project)
        if same in {_same_reservation(x, project) for x in rungs} or (
            rung.kind != facts.RESERVATION and any(x.kind == rung.kind for x in rungs)
        ):
            top.problem(f"{key}[{i}].kind", rung.kind, "repeats an earlier rung", "list each way to get capacity once")
            continue
        rungs.append(rung)
    if len(top.problems) > before:
        return None
    if rungs[0].kind == facts.FLEX_START:
        top.problem(
            f"{key}[0].kind",
            facts.FLEX_START,
            "is the first rung, which holds accelerator.nodesPerPool slices; a flex-start pool starts empty and "
            f"gets nodes only for pending Pods ({facts.FLEX_START_SOURCE})",
            "put a reservation, on-demand or spot rung first",
        )
        return None
    return tuple(rungs)


def _zones_offer(r: Reader, ladder: tuple[Rung, ...], region: Region) -> bool:
    """The default ladder's rungs that depend on the zone, checked for each region that takes it."""
    for i, rung in enumerate(ladder):
        if rung.kind == facts.FLEX_START and region.zone not in facts.FLEX_START_V6E_ZONES:
            r.problem(f"ladder[{i}].kind", rung.kind, *_flex_start_zone(region))
            return False
    return True


def _flex_start_zone(region: Region) -> tuple[str, str]:
    return (
        f"is not offered for TPU v6e in {region.zone}, {region.name}'s zone (flex-start v6e zones: "
        f"{', '.join(facts.FLEX_START_V6E_ZONES)}; {facts.FLEX_START_SOURCE}, read {facts.CAPACITY_LADDER_READ_ON})",
        f"give {region.name} a ladder without flex-start in capacity.regions, or serve from one of those zones",
    )


def _replaced_keys(top: Reader) -> None:
    """accelerator.spot and accelerator.reservation describe the one pool a ladder replaces."""
    given = top.raw.get("accelerator")
    if not isinstance(given, Mapping):
        return
    for key, value in (("spot", given.get("spot")), ("reservation", given.get("reservation"))):
        if key in given and value not in (False, "false", None):
            top.problem(
                f"accelerator.{key}",
                value,
                "describes the single TPU pool, which capacity.ladder replaces",
                f"remove accelerator.{key}, and add a {'spot' if key == 'spot' else 'reservation'} rung to the ladder",
            )


def _same_reservation(rung: Rung, project: str | None) -> Rung:
    """The rung as the duplicate check compares it: projects/<the stack's project>/reservations/NAME is NAME."""
    prefix = f"projects/{project}/reservations/"
    if project and rung.reservation and rung.reservation.startswith(prefix):
        return Rung(rung.kind, rung.reservation.removeprefix(prefix), rung.affinity, rung.max_run_hours)
    return rung


def capacity(
    top: Reader, regions: list[tuple[int, Region]], accelerator: Accelerator | None, project: str | None = None
) -> Capacity | None:
    r = top.mapping("capacity", optional=True)
    if r is None or not isinstance(top.raw["capacity"], Mapping):  # absent, or refused as no mapping
        return None
    if accelerator is None:
        r.get("ladder", None)
        r.get("regions", None)
        if not top.given("accelerator"):  # a given accelerator that was refused is reported once, as itself
            fix = "add accelerator, or remove capacity"
            top.problem("capacity", top.raw["capacity"], "does nothing without accelerator", fix)
        return None
    before = len(top.problems)
    _replaced_keys(top)
    default_raw = r.get("ladder", None)
    overrides = r.get("regions", {})
    r.finish()
    if overrides is not None and not isinstance(overrides, Mapping):
        r.problem("regions", overrides, "must be an object", "map a region's name to its ladder")
        overrides = {}
    named = {region.name: region for _, region in regions}
    for name in overrides or {}:
        if name not in named:
            r.problem(f"regions.{name}", overrides[name], "is not one of the regions", f"use one of {', '.join(named)}")
    default = _ladder(r, "ladder", default_raw, None, project) if default_raw is not None else None
    bare = [name for name in named if name not in (overrides or {})]
    if default_raw is None and bare:
        fix = f"set capacity.ladder, or capacity.regions.{bare[0]}"
        r.problem("ladder", NOT_SET, f"is required: {', '.join(bare)} has no ladder of its own", fix)
    ladders: dict[str, tuple[Rung, ...]] = {}
    for name, region in named.items():
        if name in (overrides or {}):
            ladder = _ladder(r, f"regions.{name}", overrides[name], region, project)
        else:
            ladder = default if default and _zones_offer(r, default, region) else None
        if ladder:
            ladders[name] = ladder
    if len(top.problems) > before:
        return None
    return Capacity(ladders)
