"""Offline plan diff: what a change does to a stack, from two rendered plans (`resources.json`).

Resources are matched by URN. A resource whose cloud or Kubernetes name changes is replaced (the
name is immutable); one whose URN changes but keeps its cloud name was renamed in the program, which
Pulumi also replaces unless an alias says otherwise. Secrets are compared by a digest written next to
the plan and always shown as `[secret]`; offline, a secret is a placeholder or derived from public
configuration, never a real secret value.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import engine, timing

SECRET = "[secret]"
MAX_VALUE = 120


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
            changes.append(Change("rename", r, removed.pop(twin), _property_changes(old[twin], r)))
        else:
            changes.append(Change("add", r))
    changes += [Change("delete", r) for r in removed.values()]
    for urn in sorted(old.keys() & new.keys()):
        props = _property_changes(old[urn], new[urn])
        if props:
            renamed = old[urn]["physicalName"] != new[urn]["physicalName"]
            changes.append(Change("replace" if renamed else "update", new[urn], old[urn], props))
    return changes


_SYMBOL = {"add": "+", "delete": "-", "replace": "+-", "rename": "+-", "update": "~"}


def _value(v: Any) -> str:
    if v is _MISSING:
        return "(none)"
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
    lines = [
        f"**{stack}**: {counts['add']} to add, {counts['update']} to change, "
        f"{counts['replace'] + counts['rename']} to replace, {counts['delete']} to delete "
        f"({total - counts['add'] - counts['update'] - counts['replace'] - counts['rename']} unchanged){serve}"
    ]
    groups: dict[tuple[str, str], list[Change]] = {}
    for c in changes:
        groups.setdefault((c.resource["component"], c.resource["region"]), []).append(c)
    for (component, region), items in sorted(groups.items()):
        lines += ["", f"#### {component} · {region}"]
        for c in sorted(items, key=lambda c: (c.resource["type"], c.resource["name"])):
            r = c.resource
            if c.action == "replace":
                what = f"replace (name `{c.before['physicalName']}` → `{r['physicalName']}`)"
            elif c.action == "rename":
                what = f"replace (renamed in the program from **{c.before['name']}**; add an alias to keep it)"
            else:
                what = {"add": "add", "delete": "delete", "update": "change"}[c.action]
            lines.append(f"- `{_SYMBOL[c.action]}` {what} {_label(r)}")
            lines += [f"  - `{p}`: `{_value(a)}` → `{_value(b)}`" for p, a, b in c.properties]
    return "\n".join(lines) + "\n"


def _minutes(seconds: int | None) -> str:
    return "?" if seconds is None else timing.minutes(seconds)


def load(folder: Path) -> dict:
    """A rendered plan; an empty one when the base revision had no such stack."""
    path = folder / "resources.json"
    return json.loads(path.read_text()) if path.exists() else {"resources": []}
