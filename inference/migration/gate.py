"""MigrationGate: refuses a `pulumi preview` or `pulumi up` whose migration step is not one the runbook
allows from the phase this stack last applied, read from Pulumi's own state (the gate's inputs).

Pulumi calls a dynamic provider's `check(olds, news)` with the inputs last applied and the new ones
before it plans the resource, and a CheckFailure fails the preview and the update
(https://www.pulumi.com/docs/iac/guides/building-extending/providers/dynamic-providers/, "check";
pulumi/pulumi#5138). The program registers the gate first and the route depends on it.

Allowed steps:
- zero-downtime path: stay, go one phase forward, or one back while the alpha side exists (clean-up
  deleted it); so `cleanup` only from `v1`.
- simple path: stay, or from `alpha` to `cleanup`.
- `migration.legacy.managed` does not change while the alpha side exists: true -> false would make
  Pulumi delete the alpha chart, InferenceModels and CRDs the route may still send to; false -> true
  would install a second copy over the one another tool installed.
A stack's first apply (no state yet) may start at any phase.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic

from inference.migration.phases import PHASES


def refusal(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str] | None:
    """(the gate's input at fault, the reason naming its config key and the fix) when the step from `old`
    to `new` is not allowed, else None. Both are the gate's inputs: phase, path, alphaWeight, v1Weight,
    legacyManaged. Pulumi prints a failure as "<type> resource '<name>'s property '<input>' value <value> has
    a problem: <reason>" (pulumi/pulumi pkg/resource/deploy/step_generator.go, issueCheckFailures)."""
    if not old.get("phase"):
        return None
    before, after, path = old["phase"], new["phase"], new["path"]
    if before != "cleanup" and old.get("legacyManaged") != new.get("legacyManaged"):
        change = f"{str(old.get('legacyManaged')).lower()} -> {str(new.get('legacyManaged')).lower()}"
        why = (
            "would delete the alpha chart, InferenceModels and CRDs while the route still names the alpha pool"
            if old.get("legacyManaged")
            else "would install the alpha chart and CRDs over the ones another tool installed"
        )
        return (
            "legacyManaged",
            f"migration.legacy.managed {change} in phase {before} {why}; "
            f"keep migration.legacy.managed: {str(old.get('legacyManaged')).lower()} until the migration is "
            "through cleanup",
        )
    if after == before:
        return None
    if before == "cleanup":
        return (
            "phase",
            f"migration.phase cleanup -> {after}: clean-up deleted the alpha side, so there is no going back; "
            "keep migration.phase: cleanup (docs/migration.md)",
        )
    i, j = PHASES.index(before), PHASES.index(after)
    if path == "simple":
        allowed = before == "alpha" and after == "cleanup"
        steps = ["cleanup"] if before == "alpha" else []
    else:
        allowed = abs(j - i) == 1
        steps = [*PHASES[i + 1 : i + 2], *PHASES[max(i - 1, 0) : i]]
    if allowed:
        return None
    *others, last = [before, *steps]
    choices = f"{', '.join(others)} or {last}" if others else last
    return (
        "phase",
        f"migration.phase {before} -> {after} skips the runbook's steps on the {path} path; the stack last "
        f"applied phase {before}: set migration.phase to {choices}, one `pulumi up` per phase (docs/migration.md)",
    )


class _GateProvider(pulumi.dynamic.ResourceProvider):
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        problem = refusal(olds, news)
        failures = [pulumi.dynamic.CheckFailure(*problem)] if problem else []
        return pulumi.dynamic.CheckResult(inputs=news, failures=failures)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        return pulumi.dynamic.CreateResult(id_="migration", outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        """Never a replacement: the gate's state is the last applied step."""
        keys = ("phase", "path", "alphaWeight", "v1Weight", "legacyManaged")
        changed = any(olds.get(k) != news.get(k) for k in keys)
        return pulumi.dynamic.DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        return pulumi.dynamic.UpdateResult(outs=news)


class MigrationGate(pulumi.dynamic.Resource, module="migration", name="Gate"):
    def __init__(
        self, name: str, phase: str, path: str, alpha_weight: int, v1_weight: int, legacy_managed: bool
    ) -> None:
        props = {
            "phase": phase,
            "path": path,
            "alphaWeight": alpha_weight,
            "v1Weight": v1_weight,
            "legacyManaged": legacy_managed,
        }
        super().__init__(_GateProvider(), name, props)
