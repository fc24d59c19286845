"""Orders the real systems need, checked in every plan the program makes (each stack file, each migration phase,
the other chart release, Istio on GKE): a token Secret after its ServiceAccount, a route after every pool it
names and every objective of those pools, a Gateway after its controller and awaited until it is Programmed."""

from __future__ import annotations

import functools
from collections import defaultdict

import pytest

from inference.migration.phases import PHASES
from tests.conftest import plan_of, run
from tools import engine, phases, stack_file

STACKS = stack_file.stack_names(engine.ROOT)
VARIANTS = {
    "prod-chart-v1.1.0": ("prod", {"inferencePool": {"chartVersion": "v1.1.0"}}),
    "istio-on-gke": ("dev", {"gateway": {"mode": "istio"}, "autoscaling": None, "inferencePool": None,
                             "modelStore": None}),
}  # fmt: skip
PLANS = [*STACKS, *(f"migration-{phase}" for phase in PHASES), *VARIANTS]
TOKEN = "kubernetes.io/service-account-token"
# Who programs a Gateway of each class: istiod (a chart's Deployment, when the stack installs Istio), or GKE's
# controllers, which run once the cluster exists and, for the multi-cluster class, once Multi Cluster Ingress is on.
GKE_CLASSES = ("gke-l7-cross-regional-internal-managed-mc", "gke-l7-regional-external-managed", "gke-l7-rilb")


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


# ------------------------------------------------------------------------------------ routes


def _targets(p: engine.Plan, route: engine.Registration) -> list[engine.Registration]:
    """The InferencePools a route names: in its own cluster, or, through a GCPInferencePoolImport, in every one."""
    pools = of_kind(p, "InferencePool")
    found = []
    for rule in route.inputs["spec"].get("rules", []):
        for ref in rule.get("backendRefs", []):
            if ref.get("kind") == "InferencePool":
                found += [
                    pool
                    for pool in pools
                    if meta(pool).get("name") == ref["name"]
                    and pool.inputs["apiVersion"].startswith(f"{ref['group']}/")
                    and pool.provider == route.provider
                ]
            elif ref.get("kind") == "GCPInferencePoolImport":
                found += [pool for pool in pools if meta(pool).get("name") == ref["name"]]
    return found


def _objectives(p: engine.Plan, pool: engine.Registration) -> list[engine.Registration]:
    """The pool's InferenceObjectives (v1) or InferenceModels (v1alpha2): what its endpoint picker schedules by."""
    group = pool.inputs["apiVersion"].rpartition("/")[0]
    return [
        o
        for kind in ("InferenceObjective", "InferenceModel")
        for o in of_kind(p, kind)
        if o.provider == pool.provider
        and o.inputs["spec"]["poolRef"]["name"] == meta(pool)["name"]
        and o.inputs["spec"]["poolRef"].get("group", "inference.networking.x-k8s.io") == group
    ]


@pytest.mark.parametrize("name", PLANS)
def test_every_route_waits_for_every_pool_it_names_and_their_objectives(name):
    p = plan(name)
    missing = []
    for route in of_kind(p, "HTTPRoute"):
        waited = waits_for(p, route.urn)
        for pool in _targets(p, route):
            missing += [(route.name, r.name) for r in [pool, *_objectives(p, pool)] if r.urn not in waited]
    assert missing == []


def test_the_route_rule_sees_objectives_in_every_mode():
    """Not vacuous: the multi-cluster route, the single-cluster one in each migration phase with a v1 pool, and
    the alpha pool's InferenceModels are all checked."""
    for name, kinds in (
        ("prod", {"InferenceObjective"}),
        ("migration-split", {"InferenceObjective", "InferenceModel"}),
        ("migration-v1", {"InferenceObjective", "InferenceModel"}),  # the alpha pool still named, at weight 0
    ):
        p = plan(name)
        seen = {
            kind_of(o) for route in of_kind(p, "HTTPRoute") for pool in _targets(p, route) for o in _objectives(p, pool)
        }
        assert seen == kinds, name


# ------------------------------------------------------------------------------------ Gateways


def _controllers(p: engine.Plan, gateway: engine.Registration) -> list[engine.Registration]:
    """What programs the Gateway, in this plan."""
    cls = gateway.inputs["spec"]["gatewayClassName"]
    if cls == "istio":
        return [d for d in of_kind(p, "Deployment") if d.rendered_by and meta(d)["name"] == "istiod"
                and d.provider == gateway.provider]  # fmt: skip
    assert cls in GKE_CLASSES, cls
    provider = p.by_urn()[gateway.provider.rsplit("::", 1)[0]]
    found = [c for c in p.by_type("gcp:container/cluster:Cluster") if c.urn in provider.dependencies]
    if cls.endswith("-mc"):
        found += [f for f in p.by_type("gcp:gkehub/feature:Feature") if f.inputs["name"] == "multiclusteringress"]
    return found


@pytest.mark.parametrize("name", PLANS)
def test_every_gateway_waits_for_its_controller_and_is_awaited_until_programmed(name):
    """`pulumi up` ends with each Gateway programmed, so the test request it prints can be sent at once."""
    p = plan(name)
    for gateway in of_kind(p, "Gateway"):
        annotations = meta(gateway).get("annotations") or {}
        assert "condition=Programmed" in annotations.get("pulumi.com/waitFor", ""), gateway.name
        assert gateway.options.get("customTimeouts", {}).get("create"), gateway.name
        waited = waits_for(p, gateway.urn)
        assert [c.name for c in _controllers(p, gateway) if c.urn not in waited] == [], gateway.name


def test_the_gateway_rule_finds_a_controller_wherever_the_stack_makes_one():
    found = {
        name: sorted(kind_of(c) for g in of_kind(plan(name), "Gateway") for c in _controllers(plan(name), g))
        for name in ("prod", "istio", "istio-on-gke", "migration-alpha")
    }
    assert found == {
        "prod": ["Cluster", "Feature"],
        "istio": ["Deployment"],
        "istio-on-gke": ["Deployment"],
        "migration-alpha": ["Cluster"],
    }
