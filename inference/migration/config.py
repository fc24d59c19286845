"""`migration`: moving a single-cluster Gateway's pool from the alpha API (v1alpha2 InferencePool and
InferenceModel) to v1 (InferencePool v1 and InferenceObjective), one phase per `pulumi up` (the migration guide).

Phases, in order (the zero-downtime path):
  alpha         the legacy system alone; the route sends everything to the alpha pool
  side-by-side  the v1 pool and its InferenceObjectives beside it; the route still sends everything to alpha
  split         the route splits requests by `weights` (the guides' 50/50)
  v1            the route sends everything to the v1 pool; the alpha pool is still there to go back to
  cleanup       the route names only the v1 pool; the alpha chart, InferenceModels and CRDs are deleted
The simple path (with downtime) goes from `alpha` to `cleanup` in one `pulumi up`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inference.common import name_rules
from inference.common.modes import SINGLE_CLUSTER
from inference.common.reader import _MISSING, NOT_SET, Reader
from inference.common.validators import epp_service, helm_release, k8s_name
from inference.configuration.gateway import Gateway
from inference.migration.phases import PATHS, PHASES, SIMPLE_PHASES


@dataclass(frozen=True)
class MigratedModel:
    """One model of the alpha API and what it becomes: an InferenceModel on the alpha pool (while the
    legacy side exists and the stack manages it) and an InferenceObjective on the v1 pool."""

    name: str
    model_name: str  # the InferenceModel's spec.modelName
    criticality: str  # Critical | Standard | Sheddable (v1alpha2 InferenceModel)
    priority: int  # the InferenceObjective's priority


@dataclass(frozen=True)
class Migration:
    """v1alpha2 -> v1 migration of a single-cluster Gateway's pool (the migration guide), one phase per `pulumi up`."""

    phase: str  # one of inference/migration/phases.py PHASES
    path: str  # zero-downtime | simple
    alpha_weight: int  # the route's weights in this phase
    v1_weight: int
    legacy_pool: str  # the v1alpha2 InferencePool's name
    legacy_managed: bool  # the stack installs the alpha chart, InferenceModels and CRDs; False: another tool did
    models: tuple[MigratedModel, ...]

    @property
    def legacy_present(self) -> bool:
        return self.phase != "cleanup"

    @property
    def v1_present(self) -> bool:
        return self.phase != "alpha"


CRITICALITIES = ("Critical", "Standard", "Sheddable")  # v1alpha2 InferenceModel spec.criticality (its CRD)
# HTTPRoute backendRefs[].weight: int32, 0..1000000 (Gateway API v1.4.0 CRD, gateway.networking.k8s.io_httproutes.yaml).
MAX_WEIGHT = 1_000_000
# (alpha, v1) weights of the phases that set them; `split` takes them from `migration.weights`.
PHASE_WEIGHTS = {"alpha": (100, 0), "side-by-side": (100, 0), "v1": (0, 100), "cleanup": (0, 100)}
DEFAULT_SPLIT = {"alpha": 50, "v1": 50}  # the guides' 50/50


def migration(top: Reader, gateway: Gateway, pool_name: str | None) -> Migration | None:
    m = top.mapping("migration", optional=True)
    if m is None:
        return None
    if gateway.mode not in (None, SINGLE_CLUSTER):
        m.problem(
            "phase",
            m.raw.get("phase"),
            f"moves a single-cluster Gateway's route between InferencePools (the migration guide), and this stack's "
            f"Gateway is {gateway.mode}, whose route goes to the pools it imports",
            "set gateway.mode: single-cluster, or remove migration",
        )
        return None
    phase = m.choice("phase", _MISSING, PHASES)
    path = m.choice("path", "zero-downtime", PATHS)
    if path == "simple" and phase and phase not in SIMPLE_PHASES:
        m.problem(
            "phase",
            phase,
            "is a step of the zero-downtime path; the simple path goes from alpha to cleanup in one `pulumi up`",
            "set phase alpha or cleanup, or path: zero-downtime",
        )
    weights = _weights(m, phase)
    legacy_pool, legacy_managed = _legacy(m, pool_name)
    models = _models(m)
    m.finish()
    _check_objective_keys(top, phase)
    if None in (phase, path, weights, legacy_pool, legacy_managed, models):
        return None
    return Migration(phase, path, *weights, legacy_pool, legacy_managed, models)


def _legacy(m: Reader, pool_name: str | None) -> tuple[str | None, bool | None]:
    """The alpha pool: a release of the alpha chart when the stack manages it (Helm's and the chart's name rules),
    else an InferencePool that is there already; its endpoint picker must not share the v1 pool's name."""
    legacy = m.mapping("legacy")
    managed = legacy.boolean("managed", True)
    default = "vllm-llama3-8b-instruct-preview"
    if managed is False:
        name = k8s_name(legacy, "poolName", default, "dns-1123-subdomain")
    else:
        name = helm_release(legacy, "poolName", default, "the alpha pool's name")
    legacy.finish()
    if name and name == pool_name:
        m.problem(
            "legacy.poolName",
            name,
            "is the v1 pool's name (inferencePool.name): the two pools run side by side and need their own names",
            "name the alpha pool as it is in the cluster, and the v1 pool another name",
        )
    elif name and pool_name and managed and epp_service(name) == epp_service(pool_name):
        m.problem(
            "legacy.poolName",
            name,
            f"shares its first {name_rules.INFERENCEPOOL_RELEASE_KEPT} characters with inferencePool.name, so both "
            f"charts would name their endpoint picker {epp_service(name)} in one namespace "
            f"({name_rules.INFERENCEPOOL_EPP_NAME_SOURCE})",
            f"make the two names differ within their first {name_rules.INFERENCEPOOL_RELEASE_KEPT} characters",
        )
    return name, managed


def _weights(m: Reader, phase: str | None) -> tuple[int, int] | None:
    if phase != "split":
        if m.given("weights"):
            given = m.get("weights")
            alpha = given.get("alpha") if isinstance(given, Mapping) else None
            if phase == "cleanup" and isinstance(alpha, int) and not isinstance(alpha, bool) and alpha > 0:
                m.problem(
                    "weights",
                    given,
                    "still sends requests to the alpha pool, which cleanup deletes",
                    "move all traffic first (phase v1), then clean up; cleanup routes everything to the v1 pool",
                )
            elif phase:
                m.problem(
                    "weights",
                    given,
                    f"does nothing in phase {phase}, which sends {_share(phase)} requests to the v1 pool",
                    "remove migration.weights, or set phase: split",
                )
        return PHASE_WEIGHTS.get(phase, (None, None)) if phase else None
    w = m.mapping("weights")
    given = w.raw
    if m.given("weights"):
        for key in ("alpha", "v1"):
            if key not in given:
                w.problem(
                    key,
                    NOT_SET,
                    "is required once migration.weights is given: one weight alone would leave this one at the "
                    f"default {DEFAULT_SPLIT[key]}",
                    "set both migration.weights.alpha and migration.weights.v1, or remove migration.weights for "
                    "the guides' 50/50",
                )
    alpha = w.integer("alpha", DEFAULT_SPLIT["alpha"], low=0, high=MAX_WEIGHT, fix=_WEIGHT_FIX)
    v1 = w.integer("v1", DEFAULT_SPLIT["v1"], low=0, high=MAX_WEIGHT, fix=_WEIGHT_FIX)
    w.finish()
    if alpha == 0 and v1 == 0:
        m.problem(
            "weights",
            dict(given),
            "sum to zero: the route would send no request to either pool",
            "give the v1 pool a share, e.g. alpha: 50 and v1: 50",
        )
        return None
    return (alpha, v1) if None not in (alpha, v1) else None


def _share(phase: str) -> str:
    return "no" if PHASE_WEIGHTS[phase][1] == 0 else "all"


_WEIGHT_FIX = f"a relative share: a whole number in 0..{MAX_WEIGHT} (HTTPRoute backendRefs weight)"


def _models(m: Reader) -> tuple[MigratedModel, ...] | None:
    raw: Any = m.get("models", [])
    if not isinstance(raw, list) or not raw:
        m.problem(
            "models",
            raw,
            "must be a non-empty list",
            "list each InferenceModel: name, modelName, criticality and the InferenceObjective's priority",
        )
        return None
    found: list[MigratedModel] = []
    seen: set[str] = set()
    ok = True
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            m.problem(f"models[{i}]", item, "must be an object", "give name, modelName, criticality and priority")
            ok = False
            continue
        r = Reader(item, m.key(f"models[{i}]"), m.problems)
        before = len(m.problems)
        name = k8s_name(r, "name", _MISSING, "dns-1123-subdomain")
        model_name = r.string("modelName", longest=256)
        criticality = r.choice("criticality", "Standard", CRITICALITIES)
        priority = r.integer("priority", 0, low=-1000, high=1000)
        r.finish()
        if name in seen:
            r.problem("name", name, "names another model too", "give each model its own name")
        seen.add(name)
        if len(m.problems) != before:
            ok = False
            continue
        found.append(MigratedModel(name, model_name, criticality, priority))
    return tuple(found) if ok else None


def _check_objective_keys(top: Reader, phase: str | None) -> None:
    """The v1 pool's InferenceObjectives come from `migration.models`; the single objective of
    `inferencePool` would be a third one the guides do not have. And the HPA scales the v1 pool, which the
    alpha phase does not have yet."""
    pool = top.raw.get("inferencePool")
    for key in ("objectiveName", "priority"):
        if isinstance(pool, Mapping) and key in pool:
            top.problem(
                f"inferencePool.{key}",
                pool[key],
                "does nothing during a migration: the v1 pool's InferenceObjectives come from migration.models",
                f"remove inferencePool.{key}, and give each of migration.models its priority",
            )
    scaling = top.raw.get("autoscaling")
    if phase == "alpha" and isinstance(scaling, Mapping) and scaling.get("enabled") in (True, "true"):
        top.problem(
            "autoscaling.enabled",
            scaling["enabled"],
            "scales the v1 pool on its metrics, and phase alpha has no v1 pool yet",
            "turn autoscaling on from phase side-by-side, or set it to false",
        )
