"""Offline plan diff: what a change does to a stack, from two rendered plans (`resources.json`).

Resources are matched by URN. A matched resource is replaced when a changed input forces it (the
provider's force-new fields, `tools/replacements.py`), when its cloud or Kubernetes name changes, when
its provider is replaced, or when a resource it takes a force-new input from is replaced; one whose URN
changes but keeps its cloud name was renamed in the program, which Pulumi also replaces unless an
alias says otherwise. Secrets are compared by a digest written next to the plan and always shown as
`[secret]`; offline, a secret is a placeholder or derived from public configuration, never a real
secret value. The legend and how to extend the table: docs/diff.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import engine, replacements, timing

SECRET = "[secret]"
MAX_VALUE = 120
# Inputs a provider sends with every update of a resource and the API accepts once only: terraform-provider-google
# `resource_cloud_run_v2_job.go` Update PATCHes `runExecutionToken` / `startExecutionToken` whenever they are set,
# and Cloud Run refuses an execution name it already has ("Resource '<job>-<token>' already exists",
# GoogleCloudPlatform/magic-modules#19060; hashicorp/terraform-provider-google#24451). An update that keeps such an
# input fails `pulumi up`.
ONCE_PER_UPDATE = {"gcp:cloudrunv2/job:Job": ("runExecutionToken", "startExecutionToken")}


def secret_digests(value: Any, path: str = "") -> dict[str, str]:
    """Digest of every secret inside `value`, by property path."""
    if isinstance(value, engine.Secret):
        text = json.dumps(engine.to_json(value.value, reveal=True), sort_keys=True)
        return {path: hashlib.sha256(text.encode()).hexdigest()[:16]}
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            found |= secret_digests(v, _join(path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found |= secret_digests(v, f"{path}[{i}]")
    return found


def _join(path: str, key: str) -> str:
    part = key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else json.dumps(key)
    if not path:
        return part if part == key else f"[{part}]"
    return f"{path}.{part}" if part == key else f"{path}[{part}]"


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Property path -> scalar, for JSON data (empty objects and lists count as values)."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= leaves(v, _join(path, k))
        return out
    if isinstance(value, list) and value:
        out = {}
        for i, v in enumerate(value):
            out |= leaves(v, f"{path}[{i}]")
        return out
    return {path: value}


@dataclass
class Change:
    action: str  # add, delete, replace, rename, update
    resource: dict  # the head's entry (the base's for a delete)
    before: dict | None = None  # the base's entry for replace, rename and update
    properties: list[tuple[str, Any, Any]] = field(default_factory=list)  # path, old, new
    reasons: list[str] = field(default_factory=list)  # why a replace is one
    possible: bool = False  # a replace that the changes may, not surely, force
    refusals: list[str] = field(default_factory=list)  # why the provider or API would refuse this update


@dataclass(frozen=True)
class Unknown:
    """An input taken from a resource that is replaced: unknown until that one is recreated (the engine then
    updates this resource with the new value)."""

    source: str  # the replaced resource's name

    def __str__(self) -> str:
        return f"(known once **{self.source}** is replaced)"


_MISSING = object()


def _property_changes(old: dict, new: dict) -> list[tuple[str, Any, Any]]:
    a = leaves({"inputs": old["inputs"], "options": old.get("options") or {}})
    b = leaves({"inputs": new["inputs"], "options": new.get("options") or {}})
    sa, sb = old.get("secretDigests") or {}, new.get("secretDigests") or {}
    changes = []
    for path in sorted(a.keys() | b.keys()):
        before, after = a.get(path, _MISSING), b.get(path, _MISSING)
        key = path.removeprefix("inputs.")
        secret_changed = before == after == SECRET and sa.get(key) != sb.get(key)
        if before != after or secret_changed:
            changes.append((path.removeprefix("inputs."), before, after))
    return changes


def _provider_urn(r: dict) -> str:
    return r["provider"].rsplit("::", 1)[0] if r.get("provider") else ""


def _code(paths: list[str]) -> str:
    return ", ".join(f"`{p}`" for p in paths)


def _direct(old: dict, new: dict, props: list, head: dict[str, dict]) -> tuple[list[str], list[str], bool]:
    """(reasons, possible-replacement reasons, certain) for one resource, from its own changes."""
    rule = replacements.rule_for(new, head.get(_provider_urn(new)))
    forced, maybe = replacements.classify(rule, props, old["inputs"], new["inputs"], new.get("options"))
    reasons = []
    if old["physicalName"] != new["physicalName"]:
        reasons.append(f"name `{old['physicalName']}` → `{new['physicalName']}`")
    if forced:
        reasons.append(f"forces replacement: {_code(forced)}")
    if _provider_urn(old) and _provider_urn(new) and _provider_urn(old) != _provider_urn(new):
        reasons.append(f"moves to provider **{head[_provider_urn(new)]['name']}**")
    return reasons, [f"possible replacement: {_code(maybe)}"] if maybe else [], bool(reasons)


def _cascade(old: dict, new: dict, replaced: dict[str, bool]) -> dict[str, list[str]]:
    """Adds to `replaced` (URN -> True if surely, False if possibly) the resources replaced with their
    provider, or with a resource they take a force-new input from: its outputs are unknown until it is
    recreated (pulumi/pulumi pkg/resource/deploy/step_generator.go, `calculateDependentReplacements`).
    Returns the reasons found, by URN."""

    def causes(urn: str) -> list[tuple[str, str, bool]]:  # (replaced resource, its input key or "", forces surely)
        r = new[urn]
        provider = _provider_urn(r)
        found = [(provider, "", True)] if provider in new else []
        rule = replacements.rule_for(r, new.get(provider))
        for key, deps in sorted((r.get("propertyDependencies") or {}).items()):
            effect = replacements.input_forces(rule, key)
            found += [(d, key, effect == "forces") for d in deps if effect and d in new]
        return [c for c in found if c[0] != urn]

    grew = True
    while grew:
        grew = False
        for urn in sorted(old.keys() & new.keys()):
            for dep, _, forces in causes(urn):
                sure = dep in replaced and replaced[dep] and forces
                if dep in replaced and (urn not in replaced or (sure and not replaced[urn])):
                    replaced[urn], grew = sure, True

    def because(dep: str, key: str, sure: bool) -> str:
        name = new[dep]["name"]
        if not key:
            return f"{'' if sure else 'possibly '}replaced with its provider **{name}**"
        return f"because **{name}** is replaced (`{key}`)" if sure else f"possibly, as **{name}** may be (`{key}`)"

    return {
        urn: [because(dep, key, replaced[dep] and forces) for dep, key, forces in causes(urn) if dep in replaced]
        for urn in replaced
    }


def compare(base: dict, head: dict) -> list[Change]:
    """Every difference between two plans of one stack (`resources.json` data)."""
    old = {r["urn"]: r for r in base["resources"] if r["custom"] or r["remote"]}
    new = {r["urn"]: r for r in head["resources"] if r["custom"] or r["remote"]}
    changes: list[Change] = []
    added = [new[u] for u in sorted(new.keys() - old.keys())]
    removed = {u: old[u] for u in sorted(old.keys() - new.keys())}
    for r in added:
        twin = next(
            (
                u
                for u, o in removed.items()
                if o["type"] == r["type"] and o["physicalName"] and o["physicalName"] == r["physicalName"]
            ),
            None,
        )
        if twin:
            before = removed.pop(twin)
            moved = _property_changes(before, r)
            rule = replacements.rule_for(r, new.get(_provider_urn(r)))
            forced, _ = replacements.classify(rule, moved, before["inputs"], r["inputs"], r.get("options"))
            # An alias keeps the resource only if no force-new input changes with the new name.
            why = [f"renamed in the program from **{before['name']}**"]
            why += [f"forces replacement: {_code(forced)}"] if forced else ["add an alias to keep it"]
            changes.append(Change("rename", r, before, moved, why))
        else:
            changes.append(Change("add", r))
    changes += [Change("delete", r) for r in removed.values()]
    props = {u: _property_changes(old[u], new[u]) for u in sorted(old.keys() & new.keys())}
    replaced = {c.resource["urn"]: True for c in changes if c.action == "rename"}
    reasons: dict[str, list[str]] = {}
    for urn, found in props.items():
        sure, maybe, certain = _direct(old[urn], new[urn], found, new)
        if sure or maybe:
            replaced[urn], reasons[urn] = certain, sure + maybe
    for urn, found in _cascade(old, new, replaced).items():
        reasons[urn] = reasons.get(urn, []) + found
    for urn, found in props.items():
        if urn in replaced:
            changes.append(Change("replace", new[urn], old[urn], found, reasons[urn], not replaced[urn]))
        elif found := found + _unknown_inputs(old[urn], new[urn], found, replaced, new):
            changes.append(Change("update", new[urn], old[urn], found, refusals=_refusals(new[urn], found)))
    return changes


def _unknown_inputs(
    old: dict, new: dict, found: list[tuple[str, Any, Any]], replaced: dict[str, bool], head: dict[str, dict]
) -> list[tuple[str, Any, Any]]:
    """The inputs of a resource that is not replaced taken from one that surely is: their new values are known
    only once it exists again, and the engine updates the resource with them."""
    seen = {path.split(".")[0].split("[")[0] for path, _, _ in found}
    unknown = []
    for key, deps in sorted((new.get("propertyDependencies") or {}).items()):
        gone = [d for d in deps if replaced.get(d)]
        if key not in seen and gone:
            unknown.append((key, old["inputs"].get(key, _MISSING), Unknown(head[gone[0]]["name"])))
    return unknown


def _refusals(new: dict, found: list[tuple[str, Any, Any]]) -> list[str]:
    """An update that sends a once-only input it does not change (ONCE_PER_UPDATE)."""
    changed = {path.split(".")[0].split("[")[0] for path, _, _ in found}
    return [
        f"the provider sends `{key}` with every update and the API accepts each value once: change it with the update"
        for key in ONCE_PER_UPDATE.get(new["type"], ())
        if new["inputs"].get(key) and key not in changed
    ]


def refusals(base: dict, head: dict) -> list[tuple[str, str]]:
    """(resource name, why) of every update of `head` over `base` that would be refused."""
    return [(c.resource["name"], why) for c in compare(base, head) for why in c.refusals]


_SYMBOL = {"add": "+", "delete": "-", "replace": "+-", "rename": "+-", "update": "~"}
POSSIBLE = "+-?"  # a replacement the changes may force (docs/diff.md)


def _value(v: Any) -> str:
    if v is _MISSING:
        return "(none)"
    if isinstance(v, Unknown):
        return str(v)
    text = SECRET if v == SECRET else json.dumps(v, sort_keys=True)
    return (text[: MAX_VALUE - 1] + "…") if len(text) > MAX_VALUE else text


def _label(r: dict) -> str:
    name = f" `{r['physicalName']}`" if r["physicalName"] else ""
    return f"`{r['type']}` **{r['name']}**{name}"


def markdown(stack: str, base: dict, head: dict) -> str:
    """The diff as Markdown: a one-line summary, then the changes by component and region."""
    changes = compare(base, head)
    total = sum(1 for r in head["resources"] if r["custom"] or r["remote"])
    before, after = base.get("timeToServeSeconds"), head.get("timeToServeSeconds")
    serve = ""
    if after is not None:
        serve = f" · time to serve {_minutes(before)} → {_minutes(after)} min" if before != after else ""
        serve = serve or f" · time to serve {_minutes(after)} min (unchanged)"
    if not changes:
        return f"**{stack}**: no changes ({total} resources){serve}\n"
    counts = {a: sum(1 for c in changes if c.action == a) for a in _SYMBOL}
    replace = counts["replace"] + counts["rename"]
    possible = sum(1 for c in changes if c.possible)
    lines = [
        f"**{stack}**: {counts['add']} to add, {counts['update']} to change, {replace} to replace"
        f"{f' ({possible} possible)' if possible else ''}, {counts['delete']} to delete "
        f"({total - counts['add'] - counts['update'] - replace} unchanged){serve}"
    ]
    groups: dict[tuple[str, str], list[Change]] = {}
    for c in changes:
        groups.setdefault((c.resource["component"], c.resource["region"]), []).append(c)
    for (component, region), items in sorted(groups.items()):
        lines += ["", f"#### {component} · {region}"]
        for c in sorted(items, key=lambda c: (c.resource["type"], c.resource["name"])):
            r = c.resource
            shield = _guards(c)
            if c.action in ("replace", "rename"):
                what = f"replace ({'; '.join(c.reasons + shield)})"
            else:
                what = {"add": "add", "delete": "delete", "update": "change"}[c.action]
                what += f" ({'; '.join(shield)})" if shield else ""
            lines.append(f"- `{POSSIBLE if c.possible else _SYMBOL[c.action]}` {what} {_label(r)}")
            lines += [f"  - `{p}`: `{_value(a)}` → `{_value(b)}`" for p, a, b in c.properties]
            lines += [f"  - **refused**: {why}" for why in c.refusals]
    return "\n".join(lines) + "\n"


def _guards(c: Change) -> list[str]:
    """What stops a delete or replace: Pulumi's `protect` (pulumi/pulumi step_generator.go) and a
    provider's `deletionProtection` (e.g. resource_container_cluster.go: "Cannot destroy cluster
    because deletion_protection is set to true")."""
    old = c.resource if c.action == "delete" else c.before
    if c.action not in ("delete", "replace", "rename") or old is None:
        return []
    found = (
        ["protected: `pulumi up` stops until it is unprotected"] if (old.get("options") or {}).get("protect") else []
    )
    if old["inputs"].get("deletionProtection") is True:
        found.append("`deletionProtection` is on: the provider refuses to delete it until it is off")
    return found


def _minutes(seconds: int | None) -> str:
    return "?" if seconds is None else timing.minutes(seconds)


def load(folder: Path) -> dict:
    """A rendered plan; an empty one when the base revision had no such stack."""
    path = folder / "resources.json"
    return json.loads(path.read_text()) if path.exists() else {"resources": []}
