"""Orders the real systems need, checked in every plan the program makes (each stack file, each migration phase,
the other chart release, Istio on GKE): a token Secret after its ServiceAccount."""

from __future__ import annotations

import functools
from collections import defaultdict

import pytest

from inference.migration.phases import PHASES
from tests.conftest import plan_of, run
from tools import engine, phases

STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in engine.ROOT.glob("Pulumi.*.yaml"))
VARIANTS = {
    "prod-chart-v1.1.0": ("prod", {"inferencePool": {"chartVersion": "v1.1.0"}}),
    "istio-on-gke": ("dev", {"gateway": {"mode": "istio"}, "autoscaling": None, "inferencePool": None,
                             "modelStore": None}),
}  # fmt: skip
PLANS = [*STACKS, *(f"migration-{phase}" for phase in PHASES), *VARIANTS]
TOKEN = "kubernetes.io/service-account-token"


@functools.cache
def plan(name: str) -> engine.Plan:
    if name.startswith("migration-"):
        return phases.phase_plan("migration", name.removeprefix("migration-"))
    if name in VARIANTS:
        stack, overrides = VARIANTS[name]
        return run(stack, overrides=overrides)
    return plan_of(name)


def waits_for(p: engine.Plan, urn: str) -> set[str]:
    """Every URN `urn` waits for, through dependencies and providers; waiting for a Helm chart is waiting for every
    object it renders (a component in depends_on: pulumi/pulumi-kubernetes#1833, the maintainers' answer)."""
    regs = p.by_urn()
    rendered: dict[str, list[str]] = defaultdict(list)
    for r in p.registrations:
        if r.rendered_by:
            rendered[r.rendered_by].append(r.urn)

    def edges(u: str) -> list[str]:
        reg = regs[u]
        return [*reg.dependencies, *([reg.provider.rsplit("::", 1)[0]] if reg.provider else []), *rendered[u]]

    seen: set[str] = set()
    todo = edges(urn)
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(edges(dep) if dep in regs else [])
    return seen


def kind_of(reg: engine.Registration) -> str:
    return reg.type.rsplit(":", 1)[-1]


def meta(reg: engine.Registration) -> dict:
    return reg.inputs.get("metadata") or {}


def of_kind(p: engine.Plan, kind: str) -> list[engine.Registration]:
    return [r for r in p.registrations if r.custom and r.type.startswith("kubernetes:") and kind_of(r) == kind]


# ------------------------------------------------------------------------------------ token Secrets


@pytest.mark.parametrize("name", PLANS)
def test_every_token_secret_waits_for_its_service_account(name):
    """The token controller deletes a service-account token Secret whose ServiceAccount does not exist yet
    (kubernetes/kubernetes#111556; Helm installs ServiceAccounts first for it, helm/helm#7355), and Managed
    Prometheus then scrapes the endpoint picker without a token: the HPA, alerts and dashboard lose their data."""
    p = plan(name)
    accounts = {
        (r.provider, meta(r).get("namespace"), meta(r).get("name")): r.urn for r in of_kind(p, "ServiceAccount")
    }
    unordered = []
    for secret in of_kind(p, "Secret"):
        if secret.inputs.get("type") != TOKEN:
            continue
        account = (meta(secret).get("annotations") or {}).get("kubernetes.io/service-account.name")
        key = (secret.provider, meta(secret).get("namespace"), account)
        if key in accounts and accounts[key] not in waits_for(p, secret.urn):
            unordered.append(secret.name)
    assert unordered == []


def test_the_chart_pools_metrics_reader_tokens_are_checked():
    """Not vacuous: both chart releases render the reader's token where the pool's picker is monitored."""
    for name in ("prod", "prod-chart-v1.1.0", "migration-alpha"):
        secrets = [s for s in of_kind(plan(name), "Secret") if s.inputs.get("type") == TOKEN]
        assert secrets, name
