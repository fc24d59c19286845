"""Shared fixtures: the real program, run offline once per stack and shared by every test."""

from __future__ import annotations

import functools
import gc
from collections.abc import Iterable

import pytest

from tools import engine
from tools import plan as plan_tool
from tools.plan import OPERATOR_STAND_INS as OPERATOR_SECRETS  # as an operator sets them with --secret

# The suite allocates millions of short-lived objects (plans, schemas, rendered charts): a young generation of
# 50,000 instead of 700 cuts how often the collector runs, about a tenth of the suite's CPU (docs/testing.md).
gc.set_threshold(50_000, 20, 100)


def run(stack: str, **kwargs) -> engine.Plan:
    """The real program, offline, for a stack whose operator has set its secrets."""
    return plan_tool.render(stack, secrets=OPERATOR_SECRETS, **kwargs)


@functools.cache
def plan_of(stack: str) -> engine.Plan:
    plan = run(stack)
    # A session's plans (and the SDK classes the first run imported) live as long as the worker: frozen after a
    # last full collection, every later collection of the session stops rescanning them (docs/testing.md).
    gc.collect()
    gc.freeze()
    return plan


@pytest.fixture(scope="session")
def prod() -> engine.Plan:
    return plan_of("prod")


@pytest.fixture(scope="session")
def dev() -> engine.Plan:
    return plan_of("dev")


def closure(plan: engine.Plan, urn: str) -> set[str]:
    """Every URN `urn` waits for, directly or through other resources, its provider included (the
    engine creates a resource after its provider and deletes it before)."""
    regs = plan.by_urn()

    def edges(u: str) -> list[str]:
        reg = regs[u]
        return [*reg.dependencies, *([reg.provider.rsplit("::", 1)[0]] if reg.provider else [])]

    seen: set[str] = set()
    todo = edges(urn)
    while todo:
        dep = todo.pop()
        if dep in seen:
            continue
        seen.add(dep)
        if dep in regs:
            todo.extend(edges(dep))
    return seen


def names(regs: Iterable[engine.Registration]) -> list[str]:
    return sorted(r.name for r in regs)


def components(build) -> engine.Plan:
    """What `build()` registers: components made from small args, under the same mocks as the stacks."""
    return engine.run_components(build)


PLACEHOLDER = "time:index/sleep:Sleep"


def placeholder(name: str):
    """A custom resource to hand a component where its args want one (a node pool, a job, a grant) without
    building that: depending on it shows as its URN in the dependencies."""
    import pulumiverse_time as time

    return time.Sleep(name, create_duration="1s")
