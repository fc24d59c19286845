"""`models` and `modelRouting`: several base models behind one Gateway, each with its own model servers,
InferencePool and objective, optionally with LoRA adapters loaded into its servers, and how the Gateway
learns which model a request names (docs/models.md). `models` is the alternative to `model`: the first entry
keeps the names `modelServer` and `inferencePool` give today, the others add `-<name>` to them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inference.common import name_rules
from inference.common.modes import ISTIO
from inference.common.reader import NOT_SET, Reader, name_problem
from inference.common.validators import epp_service, git_revision
from inference.core.config import model as model_config
from inference.core.config.compute import Accelerator
from inference.core.config.model import Model
from inference.models import checks, facts, shapes
from inference.serving.config import InferencePool, ModelServer, vllm_memory_limit

_NO_WEIGHTS = "remove it, or use backend: vllm-tpu with an accelerator"
_WEIGHTS_ONLY = ("revision", "tensorParallelSize", "billionParameters")


@dataclass(frozen=True)
class Adapter:
    """A LoRA adapter: clients send `name` as the request's model; its files come from `source` at `revision`."""

    name: str
    source: str
    revision: str
    objective: str
    priority: int


@dataclass(frozen=True)
class ServedModel:
    key: str  # "" for the first model, which keeps today's names; else the entry's `name`
    model: Model
    server_name: str  # the Deployment; its Service, budget and scrape derive from it
    app_label: str
    pool_name: str
    objective: str
    priority: int
    metric_export_name: str
    replicas: int | None  # None: modelServer.replicas (or the HPA's)
    min_replicas: int | None  # None: autoscaling.minReplicas
    max_replicas: int | None  # None: autoscaling.maxReplicas
    adapters: tuple[Adapter, ...] = ()
    max_lora_rank: int = facts.DEFAULT_LORA_RANK
    # Its own TPU shape, served from a node pool of its own in every cluster; None: the stack's `accelerator`.
    accelerator: Accelerator | None = None
    # The vLLM container's memory limit on its own shape (or `models[i].memoryLimit`); None: modelServer.memoryLimit.
    memory_limit: str | None = None

    @property
    def served_names(self) -> tuple[str, ...]:
        """Every name a request may send to reach this model's pool: the base model's and its adapters'."""
        return (self.model.served_name, *(a.name for a in self.adapters))

    @property
    def objectives(self) -> dict[str, int]:
        """Objective -> priority: the model's, and one per adapter."""
        return {self.objective: self.priority, **{a.objective: a.priority for a in self.adapters}}


def _suffixed(base: str, key: str) -> str:
    return f"{base}-{key}" if key else base


def _derived_names_problem(r: Reader, key: str, server: ModelServer, pool: InferencePool) -> bool:
    """The names `-<key>` makes must still be names Kubernetes, Helm and Compute accept."""
    checks = (
        (f"{server.name}-{key}-service", "dns-1035-label", "the model servers' Service"),
        (f"{pool.name}-{key}", "helm-release", "the pool's Helm release"),
        (epp_service(f"{pool.name}-{key}"), "dns-1035-label", "the endpoint picker's Service"),
        (f"{pool.objective_name}-{key}", "dns-1123-subdomain", "the model's InferenceObjective"),
        (f"gke.named_metrics.{pool.metric_export_name}-{key}", "gcp-custom-metric", "the KV-cache metric"),
    )
    for name, rule, what in checks:
        why = (
            ("is longer than 64 characters" if len(name) > 64 else None)
            if rule == "gcp-custom-metric"
            else name_problem(name, rule)
        )
        if why:
            r.problem(
                "name",
                key,
                f"makes {what} '{name}', which {why}",
                "use a shorter name of lowercase letters, digits and hyphens, starting with a letter",
            )
            return True
    return False


def _key(r: Reader, index: int, server: ModelServer, pool: InferencePool) -> str | None:
    if index == 0 and not r.given("name"):
        return ""
    key = r.string("name", required_fix="name the model (e.g. llama): its servers and pool are named after it")
    if key is None:
        return None
    if name_problem(key, "dns-1035-label") or len(key) > 20:
        r.problem("name", key, "is not a short Kubernetes name", "use at most 20 lowercase letters, digits, hyphens")
        return None
    names = (server.name, pool.name, pool.objective_name, pool.metric_export_name)
    if all(names) and _derived_names_problem(r, key, server, pool):
        return None
    return key if index else ""  # the first model keeps today's names, whatever it is called


def _objective_name(r: Reader, default: str) -> str | None:
    value = r.string("objectiveName", default, longest=253)
    if value and (why := name_problem(value, "dns-1123-subdomain")):
        r.problem(
            "objectiveName",
            value,
            f"is not an InferenceObjective name: {why} ({name_rules.NAME_RULES['dns-1123-subdomain'].source})",
            "set objectiveName to lowercase letters, digits, '-' and '.'",
        )
        return None
    return value


def _adapter_objective(a: Reader, name: str) -> str | None:
    """The adapter's InferenceObjective: `objectiveName`, else its name in lowercase, whose problem is the name's."""
    derived = name.lower()
    if a.given("objectiveName") or not (why := name_problem(derived, "dns-1123-subdomain")):
        return _objective_name(a, derived)
    a.problem(
        "name",
        name,
        f"makes the adapter's InferenceObjective '{derived}', which breaks its rule: {why} "
        f"({name_rules.NAME_RULES['dns-1123-subdomain'].source})",
        "use lowercase letters, digits, '-' and '.' in the name, or set the adapter's objectiveName",
    )
    a.known.add("objectiveName")
    return None


def _adapters(m: Reader, priority: int | None, simulator: bool) -> tuple[Adapter, ...] | None:
    raw = m.get("adapters", [])
    if not isinstance(raw, list):
        m.problem("adapters", raw, "must be a list", "list the adapters, each with name and source")
        return None
    if len(raw) >= facts.MOST_NAMES_PER_MODEL:
        m.problem(
            "adapters",
            f"{len(raw)} adapters",
            f"makes the model's route rule match {len(raw) + 1} names, and an HTTPRoute rule holds "
            f"{facts.MOST_NAMES_PER_MODEL} matches (Gateway API v1.4.0)",
            f"list at most {facts.MOST_NAMES_PER_MODEL - 1} adapters per model",
        )
        return None
    found = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            m.problem(f"adapters[{i}]", item, "must be an object", "give the adapter's name and source")
            continue
        a = Reader(item, m.key(f"adapters[{i}]"), m.problems)
        name = model_config.served_name(a, "name", NOT_SET)
        source = model_config.repo_id(a, "source", NOT_SET)
        if simulator and a.given("revision"):
            a.problem(
                "revision",
                a.raw["revision"],
                "does nothing with backend simulator: no adapter is downloaded",
                "remove it, or use backend: vllm-tpu with an accelerator",
            )
        revision = git_revision(a, "revision", "main")
        objective = _adapter_objective(a, name) if name else None
        adapter_priority = a.integer("priority", priority if priority is not None else 0, low=-1000, high=1000)
        a.finish()
        if None not in (name, source, revision, objective, adapter_priority):
            found.append(Adapter(name, source, revision, objective, adapter_priority))
    return tuple(found)


def _entry(r: Reader, index: int, ctx: dict[str, Any]) -> ServedModel | None:
    server, pool = ctx["server"], ctx["pool"]
    before = len(r.problems)
    key = _key(r, index, server, pool)
    if ctx["simulator"]:
        for name in (n for n in _WEIGHTS_ONLY if r.given(n)):
            why = "nothing is sharded across TPU chips" if name != "revision" else "no weights are downloaded"
            r.problem(name, r.raw[name], f"does nothing with backend simulator: {why}", _NO_WEIGHTS)
    own, shape_ok = shapes.own_accelerator(r, index, ctx["accelerator"], ctx["simulator"])
    shape = own or (ctx["accelerator"] if shape_ok else None)  # a refused shape checks no fit: no cascade
    served = model_config.read_model(r, shape, r.key("accelerator") if own else "accelerator", NOT_SET)
    priority = r.integer("priority", pool.priority if pool.priority is not None else 10, low=-1000, high=1000)
    default_objective = _suffixed(pool.objective_name, key) if pool.objective_name and key is not None else None
    objective = _objective_name(r, default_objective) if default_objective else None
    slots = shape.max_nodes if shape else 100
    replicas = r.integer("replicas", None, low=0, high=slots) if r.given("replicas") else None
    scale_fix = "at least 1: an HPA never scales to zero here"
    low = r.integer("minReplicas", None, low=1, high=1000, fix=scale_fix) if r.given("minReplicas") else None
    high = r.integer("maxReplicas", None, low=1, high=1000) if r.given("maxReplicas") else None
    adapters = _adapters(r, priority, ctx["simulator"])
    memory_limit = _memory_limit(r, own, shape, ctx["simulator"])
    rank = r.integer("maxLoraRank", facts.DEFAULT_LORA_RANK, low=1, high=max(facts.LORA_RANKS))
    ranks = ", ".join(map(str, facts.LORA_RANKS))
    if rank is not None and rank not in facts.LORA_RANKS:
        r.problem("maxLoraRank", rank, "is not a rank vLLM accepts", f"choose one of {ranks}")
    elif r.given("maxLoraRank") and not adapters:
        r.problem("maxLoraRank", rank, "does nothing without adapters", "remove it, or list the model's adapters")
    r.finish()
    if len(r.problems) != before or key is None:
        return None
    return ServedModel(
        key=key,
        model=served,
        server_name=_suffixed(server.name, key),
        app_label=_suffixed(server.app_label, key),
        pool_name=_suffixed(pool.name, key),
        objective=objective,
        priority=priority,
        metric_export_name=_suffixed(pool.metric_export_name, key),
        replicas=replicas,
        min_replicas=low,
        max_replicas=high,
        adapters=adapters or (),
        max_lora_rank=rank,
        accelerator=own,
        memory_limit=memory_limit,
    )


def _memory_limit(r: Reader, own: Accelerator | None, shape: Accelerator | None, simulator: bool) -> str | None:
    """`memoryLimit` fitted to the model's shape; unset, its own shape's default, or None: modelServer.memoryLimit."""
    if simulator and r.given("memoryLimit"):
        r.get("memoryLimit")
        r.problem("memoryLimit", r.raw["memoryLimit"], "does nothing with backend simulator", _NO_WEIGHTS)
        return None
    if r.given("memoryLimit") or own:
        return vllm_memory_limit(r, "memoryLimit", shape)
    return None


def models(
    top: Reader, accelerator: Accelerator | None, server: ModelServer | None, pool: InferencePool
) -> tuple[ServedModel, ...]:
    """The `models` list; () when the stack serves one `model`."""
    if not top.given("models"):
        return ()
    raw = top.get("models")
    if top.given("model"):
        top.problem("models", raw, "is the alternative to model, and both are set", "move model into models[0]")
        return ()
    if not isinstance(raw, list) or not raw:
        top.problem(
            "models", raw, "must be a non-empty list", "list the models, each with id (and name after the first)"
        )
        return ()
    if len(raw) > facts.MOST_MODELS:
        top.problem(
            "models",
            f"{len(raw)} models",
            f"needs a route rule each, and an HTTPRoute holds {facts.MOST_MODELS} rules (Gateway API v1.4.0)",
            f"list at most {facts.MOST_MODELS} models",
        )
        return ()
    if server is None or None in (server.name, server.app_label, pool.name):
        return ()  # the names every model derives from are refused already
    ctx = {"accelerator": accelerator, "server": server, "pool": pool, "simulator": server.backend == "simulator"}
    found = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            top.problem(f"models[{i}]", item, "must be an object", "give the model's id (and name after the first)")
            continue
        entry = _entry(Reader(item, f"models[{i}]", top.problems), i, ctx)
        if entry is not None:
            found.append(entry)
    if len(found) != len(raw) or checks.duplicates(top, found, raw) or checks.too_many_matches(top, found):
        return ()
    return tuple(found)


def model_routing(top: Reader, served: tuple[ServedModel, ...], mode: str | None, class_name: str | None) -> str | None:
    """`modelRouting`: body (body-based routing sets the model header) where the Gateway class runs routing
    extensions, header (the client sets it) where it does not; None with one model, adapters or not."""
    if len(served) < 2:  # one pool takes every request, whatever model (or adapter) it names
        if top.given("models") and not served:  # refused: its problem says enough
            top.known.add("modelRouting")
        elif top.given("modelRouting"):
            top.get("modelRouting")
            top.problem(
                "modelRouting", top.raw["modelRouting"], "does nothing with one model", "remove it, or list models"
            )
        return None
    # Istio runs the router through an EnvoyFilter on its own Gateway (inference/models/body_router.py).
    supported = class_name in facts.ROUTING_EXTENSION_CLASSES or mode == ISTIO
    routing = top.choice("modelRouting", facts.BODY if supported else facts.HEADER, facts.MODEL_ROUTINGS)
    if routing == facts.BODY and class_name is None:  # the class is refused: its problem says enough
        return None
    if routing == facts.BODY and not supported:
        top.problem(
            "modelRouting",
            routing,
            f"needs a GCPRoutingExtension on the Gateway, and GKE supports none on {class_name} "
            f"(only {', '.join(facts.ROUTING_EXTENSION_CLASSES)}: {facts.ROUTING_EXTENSION_SOURCE})",
            f"use modelRouting: header (clients send the {facts.MODEL_HEADER} header), or gateway.mode: single-cluster",
        )
        return None
    return routing


def check(top: Reader, served: tuple[ServedModel, ...], fields: Mapping[str, Any]) -> None:
    """What the models list asks of the rest of the stack: a mode that serves it, replicas the HPA or the TPU pool
    allow."""
    if not served:
        return
    if fields.get("migration") is not None:
        top.problem(
            "models",
            [m.model.id for m in served],
            "serves several models, and a migration moves one model",
            "serve one model (model) until the migration is done",
        )
        return
    if not checks.server_lora_refused(top, served, fields["model_server"]):
        # Istio mode refuses autoscaling (inference/istio/config.py): the fix cannot be to turn it on.
        unscaled = ": Istio mode has no autoscaling" if fields["gateway"].mode == ISTIO else ", or turn autoscaling on"
        _check_replicas(top, served, fields, unscaled)


def _check_replicas(top: Reader, served, fields: Mapping[str, Any], unscaled: str) -> None:
    scaling, accelerator, server = fields["autoscaling"], fields["accelerator"], fields["model_server"]
    for i, m in enumerate(served):
        if scaling and m.replicas is not None:
            top.problem(
                f"models[{i}].replicas",
                m.replicas,
                "is owned by the HorizontalPodAutoscaler when autoscaling is on",
                f"remove it, and set models[{i}].minReplicas and maxReplicas instead",
            )
            return
        if not scaling and (m.min_replicas is not None or m.max_replicas is not None):
            top.problem(
                f"models[{i}].maxReplicas" if m.max_replicas is not None else f"models[{i}].minReplicas",
                m.max_replicas if m.max_replicas is not None else m.min_replicas,
                "does nothing unless autoscaling is on",
                f"set models[{i}].replicas{unscaled}",
            )
            return
        low, high = bounds(m, scaling)
        if scaling and low > high:
            top.problem(
                f"models[{i}].minReplicas",
                low,
                f"is above maxReplicas ({high})",
                f"set models[{i}].minReplicas <= models[{i}].maxReplicas",
            )
            return
    if accelerator and server.backend == "vllm-tpu":
        shared = [m for m in served if m.accelerator is None]
        if not _slices_problem(top, "models", shared, accelerator, "accelerator.maxNodes", scaling, server):
            for i, m in enumerate(served):
                if m.accelerator and _slices_problem(
                    top, f"models[{i}]", [m], m.accelerator, f"models[{i}].accelerator.maxNodes", scaling, server
                ):
                    return


def _slices_problem(top: Reader, key: str, on_pool, accelerator, max_key: str, scaling, server) -> bool:
    """The most servers of the models on one TPU pool, a whole slice each, fit the pool's `maxNodes`."""
    most = sum(bounds(m, scaling)[1] if scaling else replicas(m, server) for m in on_pool)
    if most <= accelerator.max_nodes:
        return False
    top.problem(
        key,
        [m.model.id for m in on_pool] if key == "models" else on_pool[0].model.id,
        f"may run {most} model servers together, and each takes a whole TPU slice of the "
        f"{accelerator.max_nodes} the TPU pool holds ({max_key})",
        f"lower the models' replicas (or maxReplicas), or raise {max_key}"
        if key == "models"
        else f"lower {key}.maxReplicas (or replicas), or raise {max_key}",
    )
    return True


def bounds(m: ServedModel, scaling) -> tuple[int, int]:
    """The model's HPA bounds: its own, else the autoscaling section's."""
    low = m.min_replicas if m.min_replicas is not None else scaling.min_replicas if scaling else 0
    high = m.max_replicas if m.max_replicas is not None else scaling.max_replicas if scaling else 0
    return low, high


def replicas(m: ServedModel, server: ModelServer) -> int:
    return m.replicas if m.replicas is not None else server.replicas or 0


def single(served: Model, server: ModelServer, pool: InferencePool) -> ServedModel:
    """The one `model` as the first (and only) entry of the list: today's names, replicas and objective."""
    return ServedModel(
        key="",
        model=served,
        server_name=server.name,
        app_label=server.app_label,
        pool_name=pool.name,
        objective=pool.objective_name,
        priority=pool.priority,
        metric_export_name=pool.metric_export_name,
        replicas=None,
        min_replicas=None,
        max_replicas=None,
    )
