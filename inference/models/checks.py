"""What the `models` list is checked for beyond each entry's keys: names no two models or adapters share, the
matches an HTTPRoute holds, and an image whose TPU worker cannot load LoRA adapters (docs/models.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from inference.common import image_reference
from inference.common.images import DIGESTS
from inference.common.reader import Reader
from inference.models import facts

if TYPE_CHECKING:
    from inference.models.config import ServedModel
    from inference.serving.config import ModelServer

_VERSION_TAG = re.compile(r"v?([0-9]+)\.([0-9]+)\.([0-9]+)(?:[-+.][A-Za-z0-9_.-]*)?")  # v0.13.2, 0.12.0-rc1


def route_matches(served: list[ServedModel] | tuple[ServedModel, ...]) -> int:
    """The matches the route renders across its rules: none with one model (its one rule takes everything), else
    one per name a request may send (a model's served name and its adapters')."""
    return sum(len(m.served_names) for m in served) if len(served) > 1 else 0


def too_many_matches(top: Reader, found: list[ServedModel]) -> bool:
    matches = route_matches(found)
    if matches <= facts.MOST_ROUTE_MATCHES:
        return False
    top.problem(
        "models",
        f"{matches} route matches",
        f"makes the HTTPRoute match {matches} names (each model's servedName and each adapter's name) across its "
        f"rules, and Gateway API v1.4.0's HTTPRoute allows at most {facts.MOST_ROUTE_MATCHES} (a CEL rule on "
        "spec.rules)",
        f"list fewer models or adapters: at most {facts.MOST_ROUTE_MATCHES} names in all",
    )
    return True


def _named(i: int, m: ServedModel, raw: Mapping[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(what, name, key, value) for every name a model brings: its own, the names requests send (its served name,
    its adapters') and its objectives, each under the key the user wrote (a derived name: the key it comes from)."""
    at, listed = f"models[{i}]", raw.get("adapters") or []
    served_key = "servedName" if "servedName" in raw else "id"
    if "objectiveName" in raw or m.key:
        objective_key = "objectiveName" if "objectiveName" in raw else "name"
        objective = (f"{at}.{objective_key}", raw[objective_key])
    else:  # the first model's objective is inferencePool.objectiveName
        objective = ("inferencePool.objectiveName", m.objective)
    names = [
        ("name", m.key, f"{at}.name", raw.get("name")),
        ("served name", m.model.served_name, f"{at}.{served_key}", raw[served_key]),
        ("objective", m.objective, *objective),
    ]
    for j, a in enumerate(m.adapters):
        adapter = f"{at}.adapters[{j}]"
        names.append(("served name", a.name, f"{adapter}.name", a.name))
        if "objectiveName" in listed[j]:
            names.append(("objective", a.objective, f"{adapter}.objectiveName", a.objective))
        else:
            names.append(("objective", a.objective, f"{adapter}.name", a.name))
    return [n for n in names if n[1]]


def duplicates(top: Reader, found: list[ServedModel], raw: list[Mapping[str, Any]]) -> bool:
    """Two models (or adapters) by one name would make one route rule shadow the other: reported under the key of
    the second, naming the key of the first."""
    seen: dict[tuple[str, str], str] = {}
    for i, m in enumerate(found):
        for what, name, key, value in _named(i, m, raw[i]):
            if (what, name) in seen:
                makes = "" if value == name else f"makes the {what} '{name}', which "
                top.problem(
                    key,
                    value,
                    f"{makes}is the {what} {seen[what, name]} gives too: each model and adapter needs its own",
                    f"change {key} (or {seen[what, name]}) so that every model and adapter has a name of its own",
                )
                return True
            seen[what, name] = key
    return False


def release(image: str) -> tuple[int, int, int] | None:
    """The release a vllm/vllm-tpu image reference names, on any Docker Hub host, by its tag or by the digest
    image_digests.json records for one of its tags; None for another image, or a tag that is no version."""
    ref = image_reference.parse(image)
    if ref is None:
        return None
    registry = "docker.io" if ref.registry.lower() in image_reference.DOCKER_HUB_HOSTS else ref.registry.lower()
    if (registry, ref.path) != facts.SERVER_LORA_REPOSITORY:
        return None
    recorded = [i.split(":", 1)[1] for i, d in DIGESTS.items() if d == ref.digest and i.startswith(f"{ref.path}:")]
    tags = [ref.tag] if ref.tag else recorded
    versions = [tuple(map(int, m.groups())) for t in tags if (m := _VERSION_TAG.fullmatch(t))]
    return versions[0] if versions else None


def server_lora_refused(top: Reader, served: tuple[ServedModel, ...], server: ModelServer) -> bool:
    """Adapters on vLLM with an image whose TPU worker cannot load one into the server (facts.py, docs/models.md):
    refused here, rather than servers that fail at start. The simulator loads them; another image is the
    stack's to vouch for."""
    named = release(server.image) if server.backend == "vllm-tpu" else None
    if named is None or named >= facts.SERVER_LORA_SINCE:
        return False
    since, version = ".".join(map(str, facts.SERVER_LORA_SINCE)), ".".join(map(str, named))
    for i, m in enumerate(served):
        if m.adapters:
            top.problem(
                f"models[{i}].adapters",
                [a.name for a in m.adapters],
                f"cannot be served by {server.image}: the TPU worker of its tpu-inference {version} (before "
                f"{since}) loads no LoRA adapter into the OpenAI server (--lora-modules fails at start)",
                "remove the adapters, or use backend: simulator, or set modelServer.image to a vllm-tpu image "
                f"on tpu-inference {since} or later",
            )
            return True
    return False
