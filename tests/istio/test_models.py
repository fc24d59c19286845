"""Several models in Istio mode (docs/models.md "Istio mode"): dev's config cluster in Istio mode serving two models,
the first with an adapter, each with its own simulator, picker, pool and objectives; a route rule per model on the
model header, which upstream's body-based router (provider istio) sets in the Gateway's namespace."""

from __future__ import annotations

import copy
import functools

import jsonschema
import pytest

from inference.configuration import stack as stack_config
from inference.configuration.platform import PlatformConfig
from inference.istio import facts as istio_facts
from inference.istio import wiring as istio_wiring
from inference.istio.models import GUIDE_MODEL
from inference.istio.plane import IstioInferenceGateway, IstioInferenceGatewayArgs
from inference.models import facts
from tests import schemas
from tests.conftest import OPERATOR_SECRETS, components, plan_of, run
from tests.istio.test_istio import ISTIO_ON_DEV, gke_plan, obj, rendered
from tests.stacks.test_policy import MANDATORY, analyze
from tools import capacity, engine, stack_file
from tools.plan import manifest

GEMMA = {
    "id": "google/gemma-3-27b-it",
    "servedName": "gemma-3-27b",
    "priority": 10,
    "adapters": [{"name": "gemma-sql", "source": "example-org/gemma-3-27b-it-sql-lora", "priority": 5}],
}
LLAMA = {"name": "llama", "id": "meta-llama/Llama-3.1-8B-Instruct", "servedName": "llama-3.1-8b", "priority": 20}
TWO_MODELS = ISTIO_ON_DEV | {"model": None, "models": [GEMMA, LLAMA]}
OBJECTIVE = "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceObjective"
ROUTER = f"{istio_facts.INGRESS_NAMESPACE}/{facts.BODY_ROUTER_APP}"


@functools.cache
def two_models_plan() -> engine.Plan:
    return run("dev", overrides=TWO_MODELS)


@pytest.fixture(scope="module")
def two() -> engine.Plan:
    return two_models_plan()


def chart_object(plan: engine.Plan, kind: str) -> dict:
    """The object of `kind` the body router's chart rendered."""
    (reg,) = [r for r in plan.registrations if r.rendered_by and r.name.endswith(ROUTER) and r.type.endswith(kind)]
    return reg.inputs


def test_the_first_model_keeps_every_urn_of_the_one_model_plane_and_the_others_only_add(two):
    one = {r.urn for r in gke_plan().registrations}
    several = {r.urn: r for r in two.registrations}
    assert one <= set(several)
    added = {several[u].name for u in set(several) - one if not several[u].rendered_by}
    assert {n for n in added if n.startswith("istio-llama-")} == {
        f"istio-llama-{part}"
        for part in (
            "model-server", "plugins-config", "epp-service", "epp-tls", "pool", "epp-role", "epp-service-account",
            "epp-metrics-auth", "epp-metrics-auth-binding", "epp-role-binding", "epp",
            "objective-gemma-objective-llama",
        )
    }  # fmt: skip
    assert added - {n for n in added if n.startswith("istio-llama-")} == {
        "istio-objective-gemma-objective",
        "istio-objective-gemma-sql",
        "istio-body-router",
        "istio-body-router-chart",
        "istio-body-router-disruption-budget",
        "istio-body-router-ingress",
    }


def test_each_model_has_its_simulator_picker_pool_and_objectives(two):
    server = manifest(obj(two, "Deployment", "inference-model-server-deployment-llama"))
    assert server["spec"]["selector"]["matchLabels"] == {"app": "inference-model-server-llama"}
    (sim,) = server["spec"]["template"]["spec"]["containers"]
    assert sim["args"] == ["--model", "llama-3.1-8b", "--port", "8000"]  # no adapter, no LoRA flags
    (first,) = manifest(obj(two, "Deployment", "inference-model-server-deployment"))["spec"]["template"]["spec"][
        "containers"
    ]
    assert first["args"][:2] == ["--model", "gemma-3-27b"] and first["args"][4:7] == [
        "--max-loras",
        "1",
        "--lora-modules",
    ]
    assert '"name": "gemma-sql"' in first["args"][7]
    pool = manifest(obj(two, "InferencePool", "inference-model-server-pool-llama"))
    assert pool["spec"]["selector"] == {"matchLabels": {"app": "inference-model-server-llama"}}
    assert pool["spec"]["endpointPickerRef"]["name"] == "endpoint-picker-svc-llama"
    (epp,) = manifest(obj(two, "Deployment", "inference-endpoint-picker-llama"))["spec"]["template"]["spec"][
        "containers"
    ]
    assert epp["args"][:2] == ["--pool-name", "inference-model-server-pool-llama"]
    priorities = {
        o.inputs["metadata"]["name"]: (o.inputs["spec"]["priority"], o.inputs["spec"]["poolRef"]["name"])
        for o in two.by_type(OBJECTIVE)
    }
    assert priorities == {
        "gemma-objective": (10, "inference-model-server-pool"),
        "gemma-sql": (5, "inference-model-server-pool"),
        "gemma-objective-llama": (20, "inference-model-server-pool-llama"),
    }
    crd = obj(two, "CustomResourceDefinition", "inferenceobjectives.inference.networking.x-k8s.io")
    assert all(crd.urn in o.dependencies for o in two.by_type(OBJECTIVE))


def test_the_route_has_a_rule_per_model_on_the_model_header_and_waits_for_everything_it_names(two):
    route = obj(two, "HTTPRoute", istio_facts.ROUTE)
    rules = {r["backendRefs"][0]["name"]: r["matches"] for r in route.inputs["spec"]["rules"]}
    header = {"type": "PathPrefix", "value": "/v1/completions"}
    assert rules == {
        pool: [{"path": header, "headers": [{"type": "Exact", "name": facts.MODEL_HEADER, "value": n}]} for n in names]
        for pool, names in (
            ("inference-model-server-pool", ("gemma-3-27b", "gemma-sql")),
            ("inference-model-server-pool-llama", ("llama-3.1-8b",)),
        )
    }
    waits = {r.name for r in two.registrations if r.urn in route.dependencies}
    assert {"istio-pool", "istio-epp", "istio-llama-pool", "istio-llama-epp", "istio-body-router-chart"} <= waits
    assert {o.name for o in two.by_type(OBJECTIVE)} <= waits
    assert two.outputs["models"] == {
        "gemma-3-27b": "inference-model-server-pool",
        "gemma-sql": "inference-model-server-pool",
        "llama-3.1-8b": "inference-model-server-pool-llama",
    }


def test_the_body_router_is_upstreams_istio_release_in_the_gateways_namespace(two):
    chart = two.one("kubernetes:helm.sh/v4:Chart", "istio-body-router-chart")
    assert chart.inputs["namespace"] == istio_facts.INGRESS_NAMESPACE
    assert chart.inputs["values"]["provider"] == {"name": "istio"}
    assert chart.inputs["values"]["inferenceGateway"] == {"name": istio_facts.GATEWAY}
    assert two.one("kubernetes:helm.sh/v4:Chart", "istio-istio-base").urn in chart.dependencies  # Istio's CRDs
    envoy_filter = chart_object(two, "EnvoyFilter")
    assert envoy_filter["spec"]["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": istio_facts.GATEWAY}
    ]
    (patch,) = envoy_filter["spec"]["configPatches"]
    ext_proc = patch["patch"]["value"]["typed_config"]
    assert ext_proc["failure_mode_allow"] is False
    service = "body-based-router.istio-ingress.svc.cluster.local"
    assert ext_proc["grpc_service"]["envoy_grpc"]["cluster_name"] == f"outbound|{facts.BODY_ROUTER_PORT}||{service}"
    assert chart_object(two, "DestinationRule")["spec"]["host"] == service
    assert two.outputs["modelRouting"] == "body"
    assert all(facts.MODEL_HEADER not in r["command"] for r in two.outputs["modelTestRequests"].values())


def test_the_router_keeps_the_gke_routers_hardening_and_admits_only_the_gateways_pods(two):
    """The same replicas, spread, probes, resources and disruption budget as the `models` stack's router."""
    gke = plan_of("models")
    (gke_router,) = [r for r in gke.by_type("kubernetes:apps/v1:Deployment") if "BodyRouter" in r.urn]
    router = chart_object(two, ":Deployment")
    assert router["spec"] == gke_router.inputs["spec"]
    budget = two.one("kubernetes:policy/v1:PodDisruptionBudget", "istio-body-router-disruption-budget")
    assert budget.inputs["metadata"]["namespace"] == istio_facts.INGRESS_NAMESPACE
    assert budget.inputs["spec"]["maxUnavailable"] == 1
    policy = two.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "istio-body-router-ingress").inputs
    assert policy["metadata"]["namespace"] == istio_facts.INGRESS_NAMESPACE
    (rule,) = policy["spec"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": istio_facts.GATEWAY_POD_LABELS}}]
    assert {p["port"] for p in rule["ports"]} == {facts.BODY_ROUTER_PORT, facts.BODY_ROUTER_HEALTH_PORT}


def test_the_serving_namespace_admits_every_models_servers_and_pickers(two):
    policies = {
        p.inputs["metadata"]["name"]: p.inputs["spec"]
        for p in two.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    servers = policies["model-servers-ingress"]["podSelector"]["matchExpressions"]
    assert servers == [
        {"key": "app", "operator": "In", "values": ["inference-model-server", "inference-model-server-llama"]}
    ]
    pickers = policies["endpoint-pickers-ingress"]["podSelector"]["matchExpressions"]
    assert pickers == [{"key": "app", "operator": "In", "values": ["inference-epp", "inference-epp-llama"]}]


def parsed(overrides: dict) -> PlatformConfig:
    """dev's config with `overrides`, as the program validates it (tools/plan.py config_error), without a run."""
    config, secret_keys, _ = stack_file.stack_config("dev", engine.ROOT, overrides=overrides, secrets=OPERATOR_SECRETS)
    project = stack_file.project_file(engine.ROOT)["name"]
    raw, other, secret = stack_config.split(config, project, set(secret_keys).__contains__)
    return stack_config.parse(raw, "dev", other_namespaces=other, project_name=project, secret_keys=secret)


def _plane(served) -> engine.Plan:
    args = IstioInferenceGatewayArgs(
        istio_version="1.29.6", install_istio=True, install_crds=True, scorers=(("queue-scorer", 1),), models=served
    )
    return components(lambda: IstioInferenceGateway("istio", args))


def test_header_routing_has_the_rules_and_no_router_and_the_client_sends_the_header():
    cfg = parsed(TWO_MODELS | {"modelRouting": "header"})
    assert cfg.model_routing == "header"
    plan = _plane([istio_wiring.istio_model(m, several=True) for m in cfg.models])
    assert not [r for r in plan.registrations if "BodyRouter" in r.type]
    assert len(obj(plan, "HTTPRoute", istio_facts.ROUTE).inputs["spec"]["rules"]) == 2
    request = istio_wiring.model_outputs(cfg, None)["modelTestRequests"]["gemma-sql"]["command"]
    assert f"-H '{facts.MODEL_HEADER}: gemma-sql'" in request and f"-H '{facts.OBJECTIVE_HEADER}: gemma-sql'" in request
    first = istio_wiring.first_test_request(cfg, None)["command"]  # the request the docs say to paste
    assert f"-H '{facts.MODEL_HEADER}: {cfg.models[0].model.served_name}'" in first
    body = istio_wiring.first_test_request(parsed(TWO_MODELS), None)["command"]  # the router sets it
    assert facts.MODEL_HEADER not in body


def test_one_model_in_the_list_keeps_the_guides_names_and_one_rule_and_adds_only_its_objectives():
    cfg = parsed(ISTIO_ON_DEV | {"model": None, "models": [GEMMA]})
    assert cfg.model_routing is None
    guide, one = _plane([GUIDE_MODEL]), _plane([istio_wiring.istio_model(cfg.models[0], several=False)])
    urns = {r.urn for r in guide.registrations}
    assert urns <= {r.urn for r in one.registrations}
    assert {r.type for r in one.registrations if r.urn not in urns} == {OBJECTIVE}
    route = obj(one, "HTTPRoute", istio_facts.ROUTE).inputs["spec"]
    assert route == obj(guide, "HTTPRoute", istio_facts.ROUTE).inputs["spec"]


def test_the_policy_pack_passes_and_every_pod_fits(two):
    assert analyze(two)[MANDATORY] == set()
    assert capacity.check(two) == []


def _istio_validator(plan: engine.Plan, crd: str, version: str) -> jsonschema.Draft7Validator:
    """An Istio kind's schema: its CRD as the vendored base chart renders it (components/charts/istio-base-1.29.6)."""
    (v,) = [
        v for v in rendered(plan, "CustomResourceDefinition", crd).inputs["spec"]["versions"] if v["name"] == version
    ]
    schema = schemas._closed(copy.deepcopy(v["schema"]["openAPIV3Schema"]))
    schema["properties"] |= {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
    }
    return jsonschema.Draft7Validator(schema)


def test_every_object_of_the_models_validates_against_its_upstream_schema(two):
    istio = {
        "EnvoyFilter": _istio_validator(two, "envoyfilters.networking.istio.io", "v1alpha3"),
        "DestinationRule": _istio_validator(two, "destinationrules.networking.istio.io", "v1"),
    }
    folders = {"HTTPRoute": "gateway-api-v1.4.0", "InferencePool": "gateway-api-inference-extension-v1.1.0",
               "InferenceObjective": "gateway-api-inference-extension-v1.1.0"}  # fmt: skip
    checked = []
    for reg in two.registrations:
        ours = reg.type.startswith("kubernetes:") and reg.custom and not reg.rendered_by
        if not (ours or (reg.rendered_by and reg.name.startswith("istio-body-router-chart"))):
            continue
        o = manifest(reg) if not reg.rendered_by else reg.inputs
        if o["kind"] in istio:
            istio[o["kind"]].validate(o)
        elif o["kind"] in folders:
            schemas.validate_custom(o, folders[o["kind"]])
        elif o["kind"] not in ("CustomResourceDefinition", "Gateway", "GatewayClass"):
            schemas.validate_core(o)
        checked.append(o["kind"])
    assert checked.count("EnvoyFilter") == 1 and checked.count("DestinationRule") == 3  # the router's, two pickers'
    assert checked.count("InferenceObjective") == 3 and checked.count("InferencePool") == 2
