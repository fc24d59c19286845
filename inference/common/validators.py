"""Validators every section shares: a Kubernetes name (and the names derived from it), a pinned image and a
fraction."""

from __future__ import annotations

import re

from inference.common import name_rules
from inference.common.reader import Reader, name_problem

# A number as YAML and Pulumi hand it over: a number, or its text.
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)")
# registry/repository:tag, optionally @sha256:digest; a tag or a digest is required.
_IMAGE = re.compile(r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?")


def k8s_name(r: Reader, name: str, default: str, rule: str, *, derived: str = "{}") -> str | None:
    """A Kubernetes name; `derived` is the name the program builds from it (e.g. "{}-service"): that
    name must obey `rule`."""
    value = r.string(name, default, longest=253)
    if value is None:
        return None
    why = name_problem(derived.format(value), rule)
    if why:
        r.problem(name, value, f"{why} ({name_rules.NAME_RULES[rule].source})", _fix(rule, derived))
        return None
    return value


def _fix(rule: str, derived: str) -> str:
    r = name_rules.NAME_RULES[rule]
    room = r.longest - (len(derived) - 2)
    starts = "a letter" if r.pattern.startswith("[a-z]") else "a lowercase letter or digit"
    return f"use lowercase letters, digits and hyphens, starting with {starts}, at most {room} characters"


def image(r: Reader, name: str, default: str) -> str | None:
    value = r.string(name, default, longest=512)
    if value is None:
        return None
    tag = value.rsplit("/", 1)[-1].partition("@")[0].partition(":")[2]
    if not _IMAGE.fullmatch(value) or (not tag and "@sha256:" not in value) or tag == "latest":
        r.problem(name, value, "is not pinned to a release tag or digest", f"pin a release, e.g. {default}")
        return None
    return value


def fraction(r: Reader, name: str, default: float, *, low_open: bool = True, fix: str = "") -> float | None:
    """A number in (0, 1] (or [0, 1] when not `low_open`): YAML and Pulumi hand it over as a number or text."""
    value = r.get(name, default)
    if value is None:
        return None
    if isinstance(value, str) and NUMBER.fullmatch(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        r.problem(name, value, "must be a number", fix or "write a fraction such as 0.8")
        return None
    if not (0 < value <= 1 if low_open else 0 <= value <= 1):
        r.problem(name, value, "must be a fraction in (0, 1]", fix or "write a fraction such as 0.8, not a percentage")
        return None
    return float(value)
