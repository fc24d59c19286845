"""Every URN stays: a deployed stack's state is keyed by URN, and a resource whose type token, name or parent
chain changes is deleted and created again unless it carries an alias to its old URN. tests/stacks/urns/ holds
the URNs each checked-in stack (and each migration phase) registered before the program moved into
feature packages; each must still be registered, or be an alias of a registration."""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

import pytest

from tests.conftest import plan_of, run
from tools import engine, phases

RECORDS = Path(__file__).parent / "urns"
PHASES = ("side-by-side", "split", "v1", "cleanup")


def recorded(name: str) -> list[str]:
    lines = (RECORDS / f"{name}.txt").read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


@functools.cache
def plan(name: str) -> engine.Plan:
    if name.startswith("migration-"):
        return phases.phase_plan("migration", name.removeprefix("migration-"))
    return plan_of(name)


def _urn(stack: str, project: str, parent: str | None, type_: str, name: str) -> str:
    """A URN as the mock runtime builds it: the parent's own type, then the resource's type and name."""
    chain = f"{parent.split('::')[2].split('$')[-1]}${type_}" if parent else type_
    return f"urn:pulumi:{stack}::{project}::{chain}::{name}"


def _aliases(reg: engine.Registration, stack: str, project: str) -> set[str]:
    """A registration's own aliases, written as URNs or as specs (another name, type or parent)."""
    found = set()
    for alias in reg.options.get("aliases", []):
        if "urn" in alias:
            found.add(alias["urn"])
            continue
        spec = alias.get("spec", {})
        parent = None if spec.get("noParent") else spec.get("parentUrn") or reg.parent
        name, type_ = spec.get("name", reg.name), spec.get("type", reg.type)
        found.add(_urn(spec.get("stack", stack), spec.get("project", project), parent, type_, name))
    return found


def registered_or_aliased(p: engine.Plan) -> set[str]:
    """The URNs a real engine would match old state against: every registration's, its aliases', and the
    URNs it had under each old URN of its parent (the engine gives a child every alias of its parent, with
    the parent's old name in place of its new one where the child's name starts with it)."""
    regs = p.by_urn()
    known: dict[str, set[str]] = {}

    def old(urn: str) -> set[str]:
        if urn not in known:
            reg = regs[urn]
            names = {urn, *_aliases(reg, p.stack, p.project)}
            parent = regs.get(reg.parent)
            for parent_urn in old(reg.parent) if parent else ():
                was = parent_urn.rsplit("::", 1)[1]
                child = {reg.name} | (
                    {was + reg.name[len(parent.name) :]} if reg.name.startswith(parent.name) else set()
                )
                names |= {_urn(p.stack, p.project, parent_urn, reg.type, n) for n in child}
            known[urn] = names
        return known[urn]

    return {u for urn in regs for u in old(urn)}


def test_there_is_a_record_for_every_stack_file_and_migration_phase():
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in engine.ROOT.glob("Pulumi.*.yaml"))
    records = sorted(p.stem for p in RECORDS.glob("*.txt") if p.stem != "providers")
    assert records == sorted([*stacks, *(f"migration-{p}" for p in PHASES)])


@pytest.mark.parametrize("name", sorted(p.stem for p in RECORDS.glob("*.txt") if p.stem != "providers"))
def test_every_recorded_urn_is_still_registered_or_aliased(name):
    lost = sorted(set(recorded(name)) - registered_or_aliased(plan(name)))
    assert lost == [], f"{len(lost)} URNs of {name} would be replaced; keep their names or add aliases"


def test_an_alias_keeps_a_renamed_component_and_its_children(monkeypatch):
    """The other half of the check: the same rename with an alias to the old name loses nothing, for the
    component and, through its parent's alias, every child."""
    import pulumi

    from inference.core import node_identity

    original = node_identity.NodeIdentity.__init__

    def renamed(self, name, args, opts=None):
        aliased = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(name=name)]))
        original(self, f"{name}-renamed", args, aliased)

    monkeypatch.setattr(node_identity.NodeIdentity, "__init__", renamed)
    plan = run("dev")
    assert any(r.name == "nodes-renamed" for r in plan.registrations)
    assert set(recorded("dev")) - registered_or_aliased(plan) == set()


def test_a_renamed_component_loses_its_urns(monkeypatch):
    """The check sees a rename: a component type token changed in the program shows up as lost URNs."""
    from inference.core import node_identity

    original = node_identity.NodeIdentity.__init__

    def renamed(self, name, args, opts=None):
        original(self, f"{name}-renamed", args, opts)

    monkeypatch.setattr(node_identity.NodeIdentity, "__init__", renamed)
    lost = set(recorded("dev")) - registered_or_aliased(run("dev"))
    assert lost and all("nodes" in urn for urn in lost)


# The dynamic providers' import paths pickled into deployed stacks' state (components/README.md).
PICKLED = {
    "components.leftover_sweeper": ("_SweeperProvider", "inference.core.leftover_sweeper"),
    "components.firewall_sweeper": ("_SweeperProvider", "inference.core.leftover_sweeper"),
    "components.migration_gate": ("_GateProvider", "inference.migration.gate"),
    "components.route_readiness": ("_RouteReadinessProvider", "inference.single_cluster.route_readiness"),
}


def test_the_pickles_deployed_stacks_hold_still_load():
    """Each provider pickle recorded from the state of stacks deployed before the move unpickles to the
    provider's current class (a delete or a refresh of those stacks loads exactly this)."""
    import base64

    import dill

    lines = [line.split() for line in (RECORDS / "providers.txt").read_text().splitlines() if line[:1] != "#"]
    assert {path for path, _ in lines} == {f"{old}.{PICKLED[old][0]}" for old in PICKLED}
    for path, pickled in lines:
        old, name = path.rsplit(".", 1)
        current = getattr(importlib.import_module(PICKLED[old][1]), name)
        assert type(dill.loads(base64.b64decode(pickled))) is current, path


@pytest.mark.parametrize("old", sorted(PICKLED))
def test_each_dynamic_providers_former_path_still_imports_the_same_class(old):
    name, new = PICKLED[old]
    assert getattr(importlib.import_module(old), name) is getattr(importlib.import_module(new), name)


def test_every_dynamic_provider_is_pickled_by_a_path_that_stays_importable():
    """Pulumi pickles a dynamic provider by reference to its module; the module of each provider the program
    uses must be one this test knows, so moving it again is a decision, with a shim."""
    import base64

    from pulumi.dynamic.dynamic import serialize_provider

    from inference.core.leftover_sweeper import _SweeperProvider
    from inference.migration.gate import _GateProvider
    from inference.single_cluster.route_readiness import _RouteReadinessProvider

    for provider in (_SweeperProvider, _GateProvider, _RouteReadinessProvider):
        pickled = base64.b64decode(serialize_provider(provider()))
        assert provider.__module__.encode() in pickled  # by reference: the path is what the state holds
        assert (provider.__name__, provider.__module__) in {(n, m) for n, m in PICKLED.values()}
