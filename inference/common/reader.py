"""Reading raw config: the problems found, the reader that records them, and how a value is shown.

Every pattern is matched against the whole value (`fullmatch`: a YAML block scalar's trailing newline does
not pass) and spells its characters out in ASCII (`\\w` and `\\d` would let other scripts' letters and
digits through).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from inference.common import name_rules

# Secrets an operator sets with `pulumi config set --secret` and that no checked-in stack file holds.
OPERATOR_SECRETS = ("hfToken", "kubeconfig")

LONGEST_TEXT = 1024  # no text value the program takes is longer; a longer one is a mistake
_SHOWN = 120  # characters of a value an error message shows


class _NotSet:
    """The value of a key that is not in the stack at all (a YAML null is shown as `null`)."""

    def __repr__(self) -> str:
        return "(not set)"


NOT_SET: Any = _NotSet()


def shown(value: Any) -> str:
    """A value as the error message shows it: JSON, as the user wrote it in YAML (null, true, "text"),
    cut short when long."""
    if value is NOT_SET:
        return "(not set)"
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 1]}…"


def did_you_mean(word: Any, candidates: list[str] | tuple[str, ...]) -> str | None:
    if not isinstance(word, str) or len(word) > 200:  # difflib is quadratic: no hint for garbage
        return None
    close = difflib.get_close_matches(word, list(candidates), n=1)
    if not close:  # difflib tells no case apart from a typo: "ANY" is nothing like "any" to it
        close = [c for c in candidates if c.lower() == word.lower()]
    return close[0] if close else None


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    why: str
    fix: str

    def __str__(self) -> str:
        key = self.key if len(self.key) <= _SHOWN else f"{self.key[: _SHOWN - 1]}…"
        return f"{key}: {shown(self.value)} — {self.why} — {self.fix}"


class ConfigError(pulumi.RunError):
    """Raised with every problem at once; Pulumi prints it without a traceback."""

    def __init__(self, stack: str, problems: list[Problem]):
        # One error per key: the first check that refused a value says why; later ones would repeat it.
        first: dict[str, Problem] = {}
        for problem in problems:
            first.setdefault(problem.key, problem)
        self.problems = problems = list(first.values())
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"stack '{stack}' has {len(problems)} configuration problem(s):\n{lines}")

    def missing_secrets(self) -> list[str]:
        """The operator secrets this error asks for, when it asks for nothing else."""
        keys = [p.key for p in self.problems if p.key in OPERATOR_SECRETS and p.value is NOT_SET]
        return keys if len(keys) == len(self.problems) else []


_MISSING = object()
_NAME_RULES = {k: re.compile(r.pattern) for k, r in name_rules.NAME_RULES.items()}


def name_problem(name: str, rule: str) -> str | None:
    """Why `name` breaks the named rule of inference/common/name_rules.py NAME_RULES, or None: "<what> '<name>' ..."."""
    r = name_rules.NAME_RULES[rule]
    if not r.shortest <= len(name) <= r.longest:
        return f"{r.what} '{name}' is {len(name)} characters, the API allows {r.shortest} to {r.longest}"
    if not _NAME_RULES[rule].fullmatch(name):
        return f"{r.what} '{name}' does not match {r.pattern}"
    return None


class Reader:
    """Reads one mapping of raw values, records problems, and knows which keys were read."""

    def __init__(self, raw: Mapping[str, Any], path: str, problems: list[Problem]):
        self.raw = raw
        self.path = path
        self.problems = problems
        self.known: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def problem(self, name: str, value: Any, why: str, fix: str) -> None:
        self.problems.append(Problem(self.key(name), value, why, fix))

    def given(self, name: str) -> bool:
        """The key is in the stack (with a value or a null)."""
        return name in self.raw

    def get(self, name: str, default: Any = _MISSING, *, required_fix: str = "") -> Any:
        """The raw value; the default when the key is absent. A key present with a null value is a
        problem: a forgotten value must not silently become the default."""
        self.known.add(name)
        if name not in self.raw:
            if default is _MISSING:
                self.problem(name, NOT_SET, "is required", required_fix or f"set {self.key(name)}")
                return None
            return default
        value = self.raw[name]
        if value is None:
            fix = (
                required_fix or f"set {self.key(name)}"
                if default is _MISSING
                else f"give it a value, or remove the key to use the default ({shown(default)})"
                if default is not None
                else "give it a value, or remove the key"
            )
            self.problem(name, None, "has no value (a YAML null)", fix)
        return value

    def string(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        pattern: re.Pattern | None = None,
        why: str = "",
        fix: str = "",
        required_fix: str = "",
        longest: int = LONGEST_TEXT,
    ) -> str | None:
        value = self.get(name, default, required_fix=required_fix)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.problem(name, value, "is a YAML number where text is meant", f'quote it: "{value}"')
            return None
        if not isinstance(value, str):
            self.problem(name, value, "must be text", fix or f"set {self.key(name)} to text")
            return None
        if value == "":
            self.problem(name, value, 'is empty (a YAML null or "" in the stack file)', fix or "give it a value")
            return None
        if len(value) > longest:
            self.problem(name, value, f"is {len(value)} characters long, at most {longest}", fix or "shorten it")
            return None
        if pattern and not pattern.fullmatch(value):
            self.problem(name, value, why or f"does not match {pattern.pattern}", fix)
            return None
        return value

    def integer(self, name: str, default: Any = _MISSING, *, low: int, high: int, fix: str = "") -> int | None:
        value = self.get(name, default)
        if value is None:
            return None
        # Pulumi hands integers over as text (the CLI's own rule: [+-]?[0-9]+, ASCII digits only).
        if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,18}", value):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(name, value, "must be a whole number", fix or f"set a number in {low}..{high}")
            return None
        if not low <= value <= high:
            self.problem(name, value, f"must be in {low}..{high}", fix or f"set a number in {low}..{high}")
            return None
        return value

    def boolean(self, name: str, default: Any = _MISSING) -> bool | None:
        value = self.get(name, default)
        if value in ("true", "false"):  # Pulumi hands booleans over as this text
            return value == "true"
        if value is not None and not isinstance(value, bool):
            self.problem(name, value, "must be true or false", f"set {self.key(name)} to true or false")
            return None
        return value

    def choice(self, name: str, default: Any, options: tuple[str, ...]) -> str | None:
        value = self.get(name, default)
        if value is None:
            return None
        if not isinstance(value, str) or value not in options:
            close = did_you_mean(value, options)
            hint = f"did you mean '{close}'? " if close else ""
            self.problem(
                name, value, f"is not one of {', '.join(options)}", f"{hint}choose one of {', '.join(options)}"
            )
            return None
        return value

    def mapping(self, name: str, *, optional: bool = False) -> Reader | None:
        value = self.get(name, None if optional else {})
        if value is None:  # absent and optional, or a null (reported)
            return None if optional else Reader({}, self.key(name), self.problems)
        if not isinstance(value, Mapping):
            why = 'is empty (a YAML null or "" in the stack file)' if value == "" else "must be an object"
            self.problem(name, value, why, f"write {self.key(name)} as a YAML mapping")
            return Reader({}, self.key(name), self.problems)
        return Reader(value, self.key(name), self.problems)

    def finish(self) -> None:
        """Reports keys nobody read: a typo would otherwise be silently ignored."""
        for name in self.raw:
            if name in self.known:
                continue
            close = did_you_mean(name, sorted(self.known))
            hint = (
                f"did you mean '{self.key(close)}'?"
                if close
                else f"remove it; known keys: {', '.join(sorted(self.known))}"
            )
            self.problem(str(name), self.raw[name], "is not a known key", hint)
