"""The v1alpha2 -> v1 migration (the migration guide) on Pulumi.migration.yaml: every phase rendered offline, the
route's backends and weights, the objects of each phase, their order, and what each `pulumi up` changes."""

from __future__ import annotations

import functools
import re

import pytest

from inference.common import images
from inference.migration import legacy_pool as legacy_inference_pool
from inference.migration.config import PHASES
from inference.single_cluster import route_readiness
from tests import schemas
from tests.conftest import plan_of, run
from tests.tools import test_upstream
from tools import diff, phases, upstream
from tools.plan import manifest

STACK = "migration"
ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute"
READINESS = "pulumi-python:dynamic/gateway:RouteReadiness"
GATE = "pulumi-python:dynamic/migration:Gate"
ALPHA = {"group": "inference.networking.x-k8s.io", "kind": "InferencePool", "name": "vllm-llama3-8b-instruct-preview"}
V1 = {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "vllm-llama3-8b-instruct-ga"}
# The route in each phase: the guides' split is 50/50; a weight of 0 keeps a pool named but sends it nothing.
BACKENDS = {
    "alpha": [{**ALPHA, "weight": 100}],
    "side-by-side": [{**V1, "weight": 0}, {**ALPHA, "weight": 100}],
    "split": [{**V1, "weight": 50}, {**ALPHA, "weight": 50}],
    "v1": [{**V1, "weight": 100}, {**ALPHA, "weight": 0}],
    "cleanup": [{**V1, "weight": 100}],
}


@functools.cache
def plan(phase: str):
    return phases.phase_plan(STACK, phase)


@functools.cache
def document(phase: str) -> dict:
    return phases.phase_document(STACK, phase)


def of_type(p, kind: str):
    return [r for r in p.registrations if r.type.rsplit(":", 1)[-1] == kind]


def route(p):
    (reg,) = p.by_type(ROUTE)
    return reg


def charts(p) -> dict[str, object]:
    return {r.inputs["name"]: r for r in p.by_type("kubernetes:helm.sh/v4:Chart")}


def test_the_stack_file_is_the_guides_system_before_the_migration():
    p = plan_of(STACK)
    gateway = p.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway")
    assert gateway.inputs["metadata"]["name"] == "inference-gateway"
    assert gateway.inputs["spec"]["gatewayClassName"] == "gke-l7-regional-external-managed"
    assert route(p).inputs["metadata"]["name"] == "llm-route"
    assert route(p).inputs["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "inference-gateway"}
    ]
    # The runbook starts from the committed phase: the alpha system alone, the route all on the alpha pool.
    assert p.outputs["migration"]["phase"] == "alpha"
    assert sorted(charts(p)) == ["vllm-llama3-8b-instruct-preview"]
    assert route(p).inputs["spec"]["rules"] == [{"backendRefs": BACKENDS["alpha"]}]
    objectives = {
        r.inputs["metadata"]["name"]: r.inputs["spec"] for r in of_type(plan("side-by-side"), "InferenceObjective")
    }
    assert objectives == {
        name: {"priority": 2, "poolRef": {"name": "vllm-llama3-8b-instruct-ga", "group": "inference.networking.k8s.io"}}
        for name in ("food-review", "base-model")
    }


@pytest.mark.parametrize("phase", PHASES)
def test_the_route_names_the_pools_of_its_phase_with_their_weights(phase):
    p = plan(phase)
    assert route(p).inputs["spec"]["rules"] == [{"backendRefs": BACKENDS[phase]}]
    weights = p.outputs["migration"]["weights"]
    assert weights == {"alpha": BACKENDS[phase][-1]["weight"] if phase != "cleanup" else None, "v1": weights["v1"]}


def test_the_split_takes_its_weights_from_config():
    p = phases.phase_plan(STACK, "split", (90, 10))
    assert route(p).inputs["spec"]["rules"][0]["backendRefs"] == [{**V1, "weight": 10}, {**ALPHA, "weight": 90}]


@pytest.mark.parametrize("phase", PHASES)
def test_each_phase_has_the_objects_the_guide_has_at_that_step(phase):
    p = plan(phase)
    legacy = phase != "cleanup"
    v1 = phase != "alpha"
    assert sorted(charts(p)) == sorted(
        [*(["vllm-llama3-8b-instruct-preview"] if legacy else []), *(["vllm-llama3-8b-instruct-ga"] if v1 else [])]
    )
    models = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in of_type(p, "InferenceModel")}
    assert models == (
        {
            "food-review": {"modelName": "food-review", "criticality": "Standard", "poolRef": ALPHA},
            "base-model": {
                "modelName": "meta-llama/Llama-3.1-8B-Instruct",
                "criticality": "Critical",
                "poolRef": ALPHA,
            },
        }
        if legacy
        else {}
    )
    assert len(of_type(p, "InferenceObjective")) == (2 if v1 else 0)
    crds = {r.inputs["metadata"]["name"] for r in of_type(p, "CustomResourceDefinition")}
    alpha_crds = {"inferencepools.inference.networking.x-k8s.io", "inferencemodels.inference.networking.x-k8s.io"}
    assert (alpha_crds <= crds) == legacy and alpha_crds.isdisjoint(crds) == (not legacy)
    rendered = {r.inputs["metadata"]["name"]: r.type for r in of_type(p, "InferencePool") if r.rendered_by}
    assert rendered == {
        **(
            {"vllm-llama3-8b-instruct-preview": "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferencePool"}
            if legacy
            else {}
        ),
        **({"vllm-llama3-8b-instruct-ga": "kubernetes:inference.networking.k8s.io/v1:InferencePool"} if v1 else {}),
    }


@pytest.mark.parametrize("phase", PHASES)
def test_the_route_waits_for_every_pool_it_names_and_the_alpha_side_for_its_crds(phase):
    p = plan(phase)
    by_name = charts(p)
    named = {ref["name"] for ref in BACKENDS[phase]}
    assert set(by_name) == named
    assert {by_name[pool].urn for pool in named} <= set(route(p).dependencies)
    if phase == "cleanup":
        return
    crds = {r.inputs["metadata"]["name"]: r.urn for r in of_type(p, "CustomResourceDefinition")}
    legacy_chart = by_name["vllm-llama3-8b-instruct-preview"]
    assert {crds[f"{kind}.inference.networking.x-k8s.io"] for kind in ("inferencepools", "inferencemodels")} <= set(
        legacy_chart.dependencies
    )
    for model in of_type(p, "InferenceModel"):
        assert crds["inferencemodels.inference.networking.x-k8s.io"] in model.dependencies
        assert by_name["vllm-llama3-8b-instruct-preview"].urn in model.dependencies
    for objective in of_type(p, "InferenceObjective"):
        assert crds["inferenceobjectives.inference.networking.x-k8s.io"] in objective.dependencies


@pytest.mark.parametrize("phase", PHASES)
def test_readiness_waits_replace_kubectl_wait(phase):
    """The Gateway waits for Programmed; the route, in every phase, for the controller to apply the spec of
    that phase: the readiness wait runs after the route and again whenever the route's spec changes."""
    p = plan(phase)
    assert "annotations" not in route(p).inputs["metadata"]
    gateway = p.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway")
    assert gateway.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Programmed"}
    assert route(p).options["customTimeouts"]["update"] == "20m"
    (ready,) = p.by_type(READINESS)
    assert route(p).urn in ready.dependencies
    (cluster,) = p.by_type("gcp:container/cluster:Cluster")
    assert {k: v for k, v in ready.inputs.items() if k not in ("endpoint", "caCertificate")} == {
        "namespace": "inference",
        "route": "llm-route",
        "gateways": ["inference-gateway"],
        "specHash": route_readiness.spec_hash(route(p).inputs["spec"]),
        "timeoutSeconds": 1200,
    }
    assert ready.inputs["endpoint"] == cluster.outputs["endpoint"]
    assert ready.inputs["caCertificate"] == cluster.outputs["masterAuth"]["clusterCaCertificate"]


def test_the_gate_is_registered_first_and_the_route_depends_on_it():
    for phase in PHASES:
        p = plan(phase)
        (gate,) = p.by_type(GATE)
        assert [r for r in p.registrations if r.custom][0].urn == gate.urn  # before any cloud resource
        assert gate.urn in route(p).dependencies
        weights = BACKENDS[phase]
        assert gate.inputs == {
            "phase": phase,
            "path": "simple" if phase in ("alpha", "cleanup") else "zero-downtime",
            "alphaWeight": weights[-1]["weight"] if phase != "cleanup" else 0,
            "v1Weight": weights[0]["weight"] if phase != "alpha" else 0,
            "legacyManaged": True,
        }


@pytest.mark.parametrize(("start", "end"), phases.steps(None, None) + [("alpha", "cleanup")])
def test_every_step_updates_the_same_route_in_place_and_replaces_nothing(start, end):
    changes = diff.compare(document(start), document(end))
    assert not [c for c in changes if c.action in ("replace", "rename")]
    (route_change,) = [c for c in changes if c.resource["type"] == ROUTE]
    assert route_change.action == "update"
    assert route_change.resource["urn"] == route_change.before["urn"]
    assert route_change.resource["physicalName"] == route_change.before["physicalName"] == "inference/llm-route"


@pytest.mark.parametrize(("start", "end"), [("side-by-side", "split"), ("split", "v1")])
def test_shifting_traffic_changes_only_the_routes_weights(start, end):
    """Besides the route's weights: the gate records the step and the readiness wait runs again."""
    changes = {
        c.resource["type"]: [path for path, _, _ in c.properties] for c in diff.compare(document(start), document(end))
    }
    assert changes == {
        ROUTE: ["spec.rules[0].backendRefs[0].weight", "spec.rules[0].backendRefs[1].weight"],
        READINESS: ["specHash"],
        GATE: ["alphaWeight", "phase", "v1Weight"],
    }


def test_cleanup_deletes_the_alpha_side_after_the_route_stopped_naming_it():
    changes = diff.compare(document("v1"), document("cleanup"))
    deleted = [c.resource for c in changes if c.action == "delete"]
    assert deleted and all(r["component"].startswith("legacy-pool") for r in deleted)
    assert {c.action for c in changes} == {"update", "delete"}
    assert {c.resource["type"] for c in changes if c.action == "update"} == {ROUTE, READINESS, GATE}
    (update,) = [c for c in changes if c.action == "update" and c.resource["type"] == ROUTE]
    assert {path.rsplit(".", 1)[0] for path, _, _ in update.properties} == {"spec.rules[0].backendRefs[1]"}
    # Pulumi deletes what left the program after every create and update of the step, dependents first:
    # the route's update (it no longer names the alpha pool) comes before any delete, the InferenceModels
    # and the chart before the CRDs they depend on.
    old = plan("v1")
    by_urn = old.by_urn()
    crds = [r for r in of_type(old, "CustomResourceDefinition") if r.name.startswith("legacy-pool")]
    for crd in crds:
        dependents = [r for r in old.registrations if crd.urn in r.dependencies]
        assert dependents and all(by_urn[r.urn].name.startswith("legacy-pool") for r in dependents)


def test_a_legacy_side_installed_by_another_tool_is_only_named():
    p = run(STACK, overrides={"migration": phases.phase_config(STACK, "split") | {"legacy": {"managed": False}}})
    assert route(p).inputs["spec"]["rules"][0]["backendRefs"] == [{**V1, "weight": 50}, {**ALPHA, "weight": 50}]
    assert list(charts(p)) == ["vllm-llama3-8b-instruct-ga"]
    assert not of_type(p, "InferenceModel") and not [r for r in p.registrations if r.name.startswith("legacy-pool")]
    assert p.outputs["migration"]["legacyManagedByStack"] is False


def test_the_guides_detection_commands_and_test_request_are_outputs():
    out = plan("v1").outputs
    context = out["kubeContexts"]["us-central1"]
    assert out["migration"]["detectAlphaResources"] == [
        f"kubectl --context {context} get inferencepools.inference.networking.x-k8s.io --all-namespaces",
        f"kubectl --context {context} get inferencemodels.inference.networking.x-k8s.io --all-namespaces",
    ]
    assert out["migration"]["v1Pools"].endswith("get inferencepools.inference.networking.k8s.io --all-namespaces")
    assert out["migration"]["gatewayStatus"].endswith("-n inference get gateway -o wide")
    assert (
        "get gateway/inference-gateway -o jsonpath='{.status.addresses[0].value}'" in out["testRequests"]["us-central1"]
    )


@pytest.mark.parametrize("phase", ["split", "cleanup"])
def test_custom_resources_validate_against_their_upstream_crds(phase):
    alpha, v1 = "gateway-api-inference-extension-v0.5.1", "gateway-api-inference-extension-v1.5.0"
    folders = {
        "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceModel": alpha,
        "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferencePool": alpha,
        "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceObjective": v1,
        "kubernetes:inference.networking.k8s.io/v1:InferencePool": v1,
        ROUTE: "gateway-api-v1.4.0",
        "kubernetes:gateway.networking.k8s.io/v1:Gateway": "gateway-api-v1.4.0",
        "kubernetes:networking.gke.io/v1:HealthCheckPolicy": "gke-gateway-api",
        "kubernetes:networking.gke.io/v1:GCPBackendPolicy": "gke-gateway-api",
    }
    checked = 0
    for reg in plan(phase).registrations:
        if reg.type in folders:
            schemas.validate_custom(manifest(reg), folders[reg.type])
            checked += 1
    assert checked == {"split": 12, "cleanup": 7}[phase]


def test_the_alpha_chart_and_crds_are_the_upstream_v0_5_1_files():
    test_upstream.test_each_inferencepool_chart_is_the_tags_config_charts("v0.5.1")
    rows = upstream.by_path()
    for kind in ("inferencepools", "inferencemodels"):
        name = f"inference.networking.x-k8s.io_{kind}.yaml"
        row = rows[f"crds/gateway-api-inference-extension-v0.5.1/{name}"]
        assert row.url.endswith(f"/v0.5.1/config/crd/bases/{name}") and not row.mark
        assert (legacy_inference_pool.LEGACY_CRDS / name).read_bytes() == (upstream.VENDORED / row.path).read_bytes()


@pytest.mark.parametrize("phase", ["split", "cleanup"])
def test_the_policy_pack_passes_every_phase_and_the_alpha_picker_gets_resources_from_the_post_renderer(phase):
    from tests.stacks.test_policy import MANDATORY, analyze

    assert analyze(plan(phase))[MANDATORY] == set()
    (legacy_epp,) = [r for r in plan("split").by_type("kubernetes:apps/v1:Deployment") if r.name.startswith("legacy")]
    (container,) = legacy_epp.inputs["spec"]["template"]["spec"]["containers"]
    # The v0.5.1 chart has no value for them: the post-renderer gives it the stack's endpoint picker resources.
    assert container["resources"]["requests"]
    # Its image is the chart's own tag with the digest recorded for it (the registry's promotion manifest).
    assert container["image"] == images.PICKER_IMAGES["v0.5.1"]
    assert container["image"].startswith("registry.k8s.io/gateway-api-inference-extension/epp:v0.5.1@sha256:")


def test_the_phases_tool_prints_one_step_or_refuses_a_stack_without_migration(capsys):
    assert phases.main([STACK, "split", "v1"]) == 0
    out = capsys.readouterr().out
    # The step only moves traffic: updates in place, nothing added, replaced or deleted.
    assert re.match(
        r"### split → v1\n\n\*\*migration\*\*: 0 to add, [1-9]\d* to change, 0 to replace, 0 to delete", out
    )
    assert "`spec.rules[0].backendRefs[1].weight`: `50` → `0`" in out
    assert phases.main(["dev"]) == 2
    assert "stack dev has no migration section" in capsys.readouterr().err


def test_the_phases_tool_refuses_an_unknown_phase(capsys):
    with pytest.raises(SystemExit):
        phases.main([STACK, "split", "done"])
    assert "give no phase (every step) or two of alpha, side-by-side, split, v1, cleanup" in capsys.readouterr().err


def test_the_alpha_endpoint_pickers_metrics_are_scraped_with_a_token_the_stack_creates():
    """The v0.5.1 chart's ClusterPodMonitoring reads a token Secret it does not create; the stack creates it,
    and what lets Managed Prometheus use it, as the v1.5.0 chart does for the v1 pool (epplib _gke.yaml)."""
    p = plan("split")
    (monitoring,) = [r for r in of_type(p, "ClusterPodMonitoring") if r.name.startswith("legacy-pool")]
    secret_ref = monitoring.inputs["spec"]["endpoints"][0]["authorization"]["credentials"]["secret"]
    assert secret_ref == {
        "name": "vllm-llama3-8b-instruct-preview-metrics-reader-secret",
        "key": "token",
        "namespace": "inference",
    }
    (secret,) = [r for r in of_type(p, "Secret") if r.name == "legacy-pool-metrics-reader-token"]
    assert secret.inputs["metadata"]["name"] == secret_ref["name"]
    assert secret.inputs["type"] == "kubernetes.io/service-account-token"
    reader = secret.inputs["metadata"]["annotations"]["kubernetes.io/service-account.name"]
    assert "data" in secret.options["additionalSecretOutputs"]
    (binding,) = [r for r in of_type(p, "ClusterRoleBinding") if r.name == "legacy-pool-metrics-reader-binding"]
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": reader, "namespace": "inference"}]
    (role,) = [
        r for r in of_type(p, "ClusterRole") if r.inputs["metadata"]["name"] == binding.inputs["roleRef"]["name"]
    ]
    assert role.inputs["rules"] == [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]
    (collector,) = [r for r in of_type(p, "RoleBinding") if r.name == "legacy-pool-metrics-secret-collector"]
    assert collector.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "collector", "namespace": "gmp-system"}]
    (secret_read,) = [
        r for r in of_type(p, "Role") if r.inputs["metadata"]["name"] == collector.inputs["roleRef"]["name"]
    ]
    assert secret_read.inputs["rules"][0]["resourceNames"] == [secret_ref["name"]]
    assert not [r for r in plan("cleanup").registrations if r.name.startswith("legacy-pool")]
