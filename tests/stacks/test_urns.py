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


def registered_or_aliased(p: engine.Plan) -> set[str]:
    """The URNs a real engine would match old state against: every registration's, and its aliases'."""
    urns = {r.urn for r in p.registrations}
    for r in p.registrations:
        for alias in r.options.get("aliases", []):
            if "urn" in alias:
                urns.add(alias["urn"])
    return urns


def test_there_is_a_record_for_every_stack_file_and_migration_phase():
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in engine.ROOT.glob("Pulumi.*.yaml"))
    assert sorted(p.stem for p in RECORDS.glob("*.txt")) == sorted([*stacks, *(f"migration-{p}" for p in PHASES)])


@pytest.mark.parametrize("name", sorted(p.stem for p in RECORDS.glob("*.txt")))
def test_every_recorded_urn_is_still_registered_or_aliased(name):
    lost = sorted(set(recorded(name)) - registered_or_aliased(plan(name)))
    assert lost == [], f"{len(lost)} URNs of {name} would be replaced; keep their names or add aliases"


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
