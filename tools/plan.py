"""Offline plan: `python -m tools.plan <stack> [--out DIR] [--diff BASE_DIR]`.

Runs the real program for a stack without a cloud account, prints what it would create grouped by
component and region and the time-to-serve critical path, and writes every registration to
`<out>/resources.json`, the dependency graph to `<out>/graph.mmd` and the Kubernetes objects under
`<out>/manifests/`. Helm charts are rendered with a real Helm binary
(tools/charts.py) and their objects count, and are written, like the program's. With `--diff`, prints
instead the Markdown diff against a plan rendered from another revision into BASE_DIR.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

from inference.capacity import costs
from inference.common.reader import OPERATOR_SECRETS, ConfigError
from inference.configuration import stack as stack_config
from tools import capacity, charts, diff, engine, graph, stack_file, timing
from tools.cli_config import CliConfigError

# The input that holds a resource's own name in Google Cloud or Kubernetes, by resource type.
_NAME_KEYS = ("name", "accountId", "membershipId", "service", "role", "displayName")


def component_of(reg: engine.Registration, regs: dict[str, engine.Registration]) -> engine.Registration | None:
    """The top-level component a resource belongs to (None for resources created at the stack level)."""
    top = None
    parent = regs.get(reg.parent)
    while parent is not None:
        top = parent
        parent = regs.get(parent.parent)
    return top


def provider_of(reg: engine.Registration, regs: dict[str, engine.Registration]) -> engine.Registration | None:
    """The explicit provider a resource uses (a cluster's Kubernetes provider), from its "urn::id" reference."""
    return regs.get(reg.provider.rsplit("::", 1)[0]) if reg.provider else None


def region_of(reg: engine.Registration, regions: list[str], regs: dict[str, engine.Registration]) -> str:
    provider = provider_of(reg, regs)
    if provider is not None:
        reg = provider  # Kubernetes objects live where their cluster is
    for field in ("region", "location"):
        value = str(reg.inputs.get(field, ""))
        for region in regions:
            if value.lower().startswith(region):
                return region
    for region in regions:
        if region in reg.name:
            return region
    return "global"


def gcp_name(reg: engine.Registration) -> str:
    meta = reg.inputs.get("metadata")
    if isinstance(meta, dict) and meta.get("name"):
        return f"{meta.get('namespace', '')}/{meta['name']}".lstrip("/")
    for key in _NAME_KEYS:
        value = reg.inputs.get(key)
        if isinstance(value, str):
            return value
    return ""


def regions_of(stack: str) -> list[str]:
    config, _, _ = stack_file.stack_config(stack)
    project = stack_file.project_file()["name"]
    raw = json.loads(config.get(f"{project}:regions", "[]"))
    return [r.get("name", "") for r in raw if isinstance(r, dict)]


def component_label(reg: engine.Registration, regs: dict[str, engine.Registration]) -> str:
    top = component_of(reg, regs)
    return f"{top.name} ({top.type.split(':')[-1]})" if top else "stack"


def summary(plan: engine.Plan, regions: list[str]) -> str:
    regs = plan.by_urn()
    custom = [r for r in plan.registrations if r.custom or r.remote]
    groups: dict[str, dict[str, list[engine.Registration]]] = defaultdict(lambda: defaultdict(list))
    for reg in custom:
        groups[component_label(reg, regs)][region_of(reg, regions, regs)].append(reg)

    rendered = [r for r in custom if r.rendered_by]
    lines = [
        f"Stack {plan.stack}: {len(custom)} resources in {len(plan.registrations) - len(custom)} components "
        "(offline plan: real program, mocked engine, no cloud calls)",
        f"{len(rendered)} of them rendered by Helm from {len({r.rendered_by for r in rendered})} charts, "
        "as the Kubernetes provider expands them",
    ]
    if plan.stand_ins:
        lines.append(f"Encrypted config is not readable offline; stand-ins replace: {', '.join(plan.stand_ins)}")
    for label in sorted(groups):
        by_region = groups[label]
        lines.append("")
        lines.append(f"{label}: {sum(len(v) for v in by_region.values())}")
        for region in sorted(by_region, key=lambda r: (r != "global", r)):
            lines.append(f"  {region}")
            for reg in sorted(by_region[region], key=lambda r: (r.type, r.name)):
                lines.append(f"    + {reg.type:<48} {reg.name:<44} {gcp_name(reg)}")
    lines += ["", "Resources by type:"]
    for type_, count in sorted(Counter(r.type for r in custom).items()):
        lines.append(f"  {count:>3}  {type_}")
    lines += ["", "Stack outputs:"]
    for key, value in engine.to_json(plan.outputs).items():
        lines.append(f"  {key}: {json.dumps(value)}")
    lines += ["", timing.render(timing.critical_path(plan))]
    lines += ladder_costs(engine.to_json(plan.outputs).get("capacityLadder") or {})
    lines += ["", capacity.render(capacity.analyse(plan))]  # tools/capacity.py
    return "\n".join(lines)


def ladder_costs(ladders: dict[str, list[dict]]) -> list[str]:
    """What a lost slice costs on each rung of each region's capacity ladder (inference/capacity/costs.py)."""
    if not ladders:
        return []
    lines = ["", "Capacity ladder, what a lost slice costs (modelled from the durations above):"]
    for region, rungs in sorted(ladders.items()):
        lines += [f"  {region} {i}: {costs.describe(rung)}" for i, rung in enumerate(rungs)]
    return lines


def document(plan: engine.Plan, regions: list[str]) -> dict:
    """resources.json: every registration with its inputs, options and dependencies, the labels the
    diff groups by, and the modelled time to serve."""
    regs = plan.by_urn()
    chain = timing.critical_path(plan)
    return {
        "stack": plan.stack,
        "regions": regions,
        "timeToServeSeconds": timing.total_seconds(chain),
        "criticalPath": [link.reg.name for link in chain],
        "resources": [
            {
                "urn": r.urn,
                "component": component_label(r, regs),
                "region": region_of(r, regions, regs),
                "physicalName": gcp_name(r),
                "secretDigests": diff.secret_digests(r.inputs),
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "custom": r.custom,
                "remote": r.remote,
                "renderedBy": r.rendered_by,
                "provider": r.provider,
                "inputs": engine.to_json(r.inputs),
                "options": r.options,
                "dependencies": r.dependencies,
                "propertyDependencies": r.property_dependencies,
            }
            for r in sorted(plan.registrations, key=lambda r: r.urn)
        ],
        "outputs": engine.to_json(plan.outputs),
    }


def write(plan: engine.Plan, out: Path, regions: list[str]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "resources.json"
    path.write_text(json.dumps(document(plan, regions), indent=2, sort_keys=True) + "\n")
    return path


def manifest(reg: engine.Registration) -> dict:
    """The Kubernetes object as it will be applied; a Helm chart as its chart, release and values (the
    objects it renders have manifests of their own)."""
    inputs = engine.to_json(reg.inputs)
    if reg.remote:
        return {"helmChart": {k: inputs[k] for k in ("chart", "version", "name", "namespace", "values") if k in inputs}}
    first = {k: inputs.pop(k) for k in ("apiVersion", "kind", "metadata") if k in inputs}
    return {**first, **inputs}


def write_manifests(plan: engine.Plan, out: Path) -> list[Path]:
    """Every Kubernetes object as YAML under <out>/manifests/<cluster>/, for a reviewer to read: the
    program's and those rendered from its charts, each as `<Kind>-<namespace>-<name>.yaml`. A file that
    already says the same is left as it is; one the plan no longer has is removed."""
    regs = plan.by_urn()
    written = []
    stale = set((out / "manifests").rglob("*.yaml"))
    for reg in plan.registrations:
        provider = provider_of(reg, regs)
        if provider is None or provider.type != "pulumi:providers:kubernetes":
            continue
        cluster = provider.inputs["clusterIdentifier"].rsplit("_", 1)[-1]
        meta = reg.inputs.get("metadata") or {}
        kind = reg.type.rsplit(":", 1)[-1]
        name = "-".join(p for p in (kind, meta.get("namespace"), meta.get("name") or reg.inputs.get("name")) if p)
        path = out / "manifests" / cluster / f"{name}.yaml"
        # PyYAML's own emitter: libyaml's folds long multi-line strings otherwise, and the manifests would change.
        text = yaml.safe_dump(manifest(reg), sort_keys=False)
        if path not in stale or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        stale.discard(path)
        written.append(path)
    for path in stale:
        path.unlink()
        if not any(path.parent.iterdir()):
            path.parent.rmdir()  # a cluster the plan no longer has
    return written


def write_graph(plan: engine.Plan, out: Path) -> Path:
    regs = plan.by_urn()
    path = out / "graph.mmd"
    path.write_text(graph.mermaid(plan, lambda reg: component_label(reg, regs)))
    return path


# Stand-ins for the secrets an operator sets with `pulumi config set --secret` (never checked in).
OPERATOR_STAND_INS = {key: stack_file.STAND_IN.format(key=key) for key in OPERATOR_SECRETS}


def render(stack: str, **kwargs: Any) -> engine.Plan:
    """The program's registrations for `stack` (tools/engine.py `run`, same arguments), and every object
    each Helm chart renders, expanded as the Kubernetes provider expands it (tools/charts.py), each chart from the
    moment the program registers it."""
    with charts.Expansion(kwargs.get("root") or engine.ROOT) as expansion:
        plan = engine.run(stack, on_register=expansion.registered, **kwargs)
        plan.registrations += expansion.registrations(plan.registrations)
    return plan


def config_error(stack: str, **kwargs: Any) -> ConfigError | None:
    """What the program's validation (inference/configuration/stack.py) says of the stack's config as the CLI
    hands it over (tools/stack_file.py `stack_config`, with its `overrides` and `secrets`), checked without
    running the program: None when it takes it."""
    config, secret_keys, _ = stack_file.stack_config(stack, engine.ROOT, **kwargs)
    project = stack_file.project_file(engine.ROOT)["name"]
    raw, other, secret = stack_config.split(config, project, set(secret_keys).__contains__)
    try:
        stack_config.parse(raw, stack, other_namespaces=other, project_name=project, secret_keys=secret)
    except ConfigError as e:
        return e
    return None


def run_offline(stack: str) -> tuple[engine.Plan, str]:
    """The stack's plan from one run of the program, and a note when it needed a stand-in for a secret the
    operator sets outside the repository: the plan shows the error `pulumi up` would stop with, then plans on.
    The validation decides which stand-ins the run gets, before it."""
    e = config_error(stack)
    if e is None:
        return render(stack), ""
    missing = e.missing_secrets()
    if not missing:
        raise e
    secrets = {key: OPERATOR_STAND_INS[key] for key in missing}
    note = (
        f"note: {', '.join(missing)} is set with `pulumi config set --secret`, never in Pulumi.{stack}.yaml; "
        f"until it is, `pulumi up` stops with:\n{e}\nThis plan goes on with a stand-in secret."
    )
    return render(stack, secrets=secrets), note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan", description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--out", type=Path, help="output folder (default build/plan/<stack>)")
    parser.add_argument(
        "--diff", type=Path, metavar="BASE_DIR", help="print a Markdown diff against the plan rendered in BASE_DIR"
    )
    args = parser.parse_args(argv)
    if not (engine.ROOT / f"Pulumi.{args.stack}.yaml").is_file():
        stacks = stack_file.stack_names(engine.ROOT)
        print(
            f"error: no stack file Pulumi.{args.stack}.yaml in {engine.ROOT}; "
            f"the stacks here are: {', '.join(stacks) or 'none'}",
            file=sys.stderr,
        )
        return 2
    try:
        plan, note = run_offline(args.stack)
    except (ConfigError, CliConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if note:
        print(note, file=sys.stderr)
    regions = regions_of(args.stack)
    base = diff.load(args.diff) if args.diff else None  # read before --out may overwrite it
    out = args.out or engine.ROOT / "build" / "plan" / args.stack
    path = write(plan, out, regions)
    graph_path = write_graph(plan, out)
    manifests = write_manifests(plan, out)
    refused: list[tuple[str, str]] = []
    if base is not None:
        head = json.loads(path.read_text())
        print(diff.markdown(args.stack, base, head), end="")
        refused = diff.refusals(base, head)
    else:
        print(summary(plan, regions))
        print(f"\nWrote {path}, {graph_path} and {len(manifests)} Kubernetes manifests under {out / 'manifests'}")
    problems = capacity.check(plan)  # pods that would stay Pending: `pulumi up` would time out on them
    if problems:
        print(f"error: {capacity.error(problems)}", file=sys.stderr)
        return 2
    for name, why in refused:  # updates `pulumi up` would fail on (tools/diff.py ONCE_PER_UPDATE)
        print(f"error: the update of {name} would be refused: {why}", file=sys.stderr)
    return 2 if refused else 0


if __name__ == "__main__":
    status = main()
    # What the run built (the SDKs' classes, every registration) dies with the process: frozen, the interpreter's
    # exit neither collects nor tears it down piece by piece, most of a second (docs/offline-plan.md).
    gc.freeze()
    sys.exit(status)
