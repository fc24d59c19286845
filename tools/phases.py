"""Offline plans of a migration's phases and what each `pulumi up` changes:
`python -m tools.phases <stack> [FROM TO] [--weights ALPHA V1]`.

Renders the stack once per phase (its `migration.phase` set to each of inference/migration/phases.py PHASES in
turn, everything else as in Pulumi.<stack>.yaml) and prints the offline diff (tools/diff.py, docs/diff.md) of
every step of the zero-downtime path, or of FROM -> TO only (e.g. `alpha cleanup`, the simple path). The
split phase takes the stack file's weights, or --weights. A FROM -> TO that the stack's migration gate
(inference/migration/gate.py) would refuse is refused here with the same message.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from inference.common.reader import ConfigError
from inference.migration import gate as migration_gate
from inference.migration.config import PHASES, SIMPLE_PHASES
from tools import diff, engine, stack_file
from tools import plan as plan_tool
from tools.cli_config import CliConfigError


def stack_migration(stack: str) -> dict[str, Any]:
    values, _, _ = stack_file.stack_config(stack, secrets=plan_tool.OPERATOR_STAND_INS)
    raw = values.get(f"{stack_file.project_file()['name']}:migration")
    if raw is None:
        raise ValueError(f"stack {stack} has no migration section: see docs/migration.md")
    return json.loads(raw)


def phase_config(stack: str, phase: str, weights: tuple[int, int] | None = None) -> dict[str, Any]:
    """The stack's `migration` with `phase` set; weights only where the phase takes them (split)."""
    migration = {k: v for k, v in stack_migration(stack).items() if k not in ("phase", "weights", "path")}
    migration["phase"] = phase
    migration["path"] = "simple" if phase in SIMPLE_PHASES else "zero-downtime"
    if phase == "split":
        given = stack_migration(stack).get("weights")
        if weights:
            migration["weights"] = {"alpha": weights[0], "v1": weights[1]}
        elif given:
            migration["weights"] = given
    return migration


def phase_plan(stack: str, phase: str, weights: tuple[int, int] | None = None) -> engine.Plan:
    overrides = {"migration": phase_config(stack, phase, weights)}
    return plan_tool.render(stack, overrides=overrides, secrets=plan_tool.OPERATOR_STAND_INS)


def phase_document(stack: str, phase: str, weights: tuple[int, int] | None = None) -> dict:
    """resources.json data of one phase, as tools.plan writes it and tools.diff reads it."""
    document = plan_tool.document(phase_plan(stack, phase, weights), plan_tool.regions_of(stack))
    return json.loads(json.dumps(document))


def steps(start: str | None, end: str | None) -> list[tuple[str, str]]:
    if start and end:
        return [(start, end)]
    return list(zip(PHASES, PHASES[1:], strict=False))


def step_path(start: str, end: str) -> str:
    """The path a step belongs to: alpha -> cleanup is the simple path's one step."""
    return "simple" if (start, end) == ("alpha", "cleanup") else "zero-downtime"


def refusal(stack: str, start: str, end: str) -> str | None:
    """The migration gate's message when it would refuse `pulumi up` from phase `start` to `end`."""
    managed = stack_migration(stack).get("legacy", {}).get("managed", True)
    old = {"phase": start, "path": step_path(start, end), "legacyManaged": managed}
    problem = migration_gate.refusal(old, {**old, "phase": end})
    return problem[1] if problem else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.phases", description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="a stack with a migration section, e.g. migration")
    parser.add_argument("phases", nargs="*", metavar="PHASE", help=f"FROM TO, two of {', '.join(PHASES)}")
    parser.add_argument("--weights", type=int, nargs=2, metavar=("ALPHA", "V1"), help="the split phase's weights")
    args = parser.parse_args(argv)
    if len(args.phases) not in (0, 2) or not set(args.phases) <= set(PHASES):
        parser.error(f"give no phase (every step) or two of {', '.join(PHASES)}: FROM TO")
    weights = tuple(args.weights) if args.weights else None
    try:
        documents: dict[str, dict] = {}
        for start, end in steps(*(args.phases or (None, None))):
            if refused := refusal(args.stack, start, end):
                print(f"error: {refused}", file=sys.stderr)
                return 2
            for phase in (start, end):
                if phase not in documents:
                    documents[phase] = phase_document(args.stack, phase, weights)
            print(f"### {start} → {end}\n")
            print(diff.markdown(args.stack, documents[start], documents[end]))
    except (ValueError, ConfigError, CliConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
