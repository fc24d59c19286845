"""What the `models` list is checked for beyond each entry's keys (inference/models/checks.py): the matches the route
renders against the HTTPRoute CRD's CEL limit, and the vllm-tpu images whose TPU worker loads no LoRA adapter,
however the reference is written. The messages themselves are rows of tests/configuration/test_config.py."""

from __future__ import annotations

import jsonschema
import pytest

from inference.configuration import stack as config
from inference.models import checks, facts
from inference.multi_cluster.gateway import ModelRoute
from tests import schemas
from tests.configuration.test_config import stack_settings
from tests.conftest import OPERATOR_SECRETS, plan_of
from tests.models.test_models import ROUTE, multi_cluster_routes
from tools import plan as plan_tool
from tools.plan import manifest

CRDS = "gateway-api-v1.4.0"
ADAPTERS = [{"name": "sql", "source": "org/sql-lora"}]


def _route(*rules: int) -> dict:
    """An HTTPRoute whose rules have these numbers of header matches."""
    match = {"headers": [{"type": "Exact", "name": facts.MODEL_HEADER, "value": "m"}]}
    rows = [{"matches": [match] * n, "backendRefs": [{"name": "pool"}]} for n in rules]
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "r"}, "spec": {
        "parentRefs": [{"name": "gw"}], "rules": rows}}  # fmt: skip


def test_the_program_refuses_what_the_crds_cel_rule_refuses():
    limit, defaulted, _ = schemas.route_match_limit(CRDS)
    assert (limit, defaulted) == (facts.MOST_ROUTE_MATCHES, 1)  # a rule without matches defaults to one


def test_the_schema_check_evaluates_the_cel_limit_on_matches_across_rules():
    schemas.validate_custom(_route(64, 64), CRDS)  # 128: the most the rule allows
    with pytest.raises(jsonschema.ValidationError, match="129 matches, the CEL rule allows 128"):
        schemas.validate_custom(_route(64, 64, 1), CRDS)
    route = _route(64, 64)
    route["spec"]["rules"].append({"backendRefs": [{"name": "pool"}]})  # no matches: defaulted to one
    with pytest.raises(jsonschema.ValidationError, match="129 matches"):
        schemas.validate_custom(route, CRDS)


def test_a_rendered_route_over_the_limit_fails_its_crd():
    """Every test that validates a rendered HTTPRoute against its CRD now checks the limit too."""
    names = [[f"m{i}-{j}" for j in range(64)] for i in range(3)]
    routes = [ModelRoute(facts.MODEL_HEADER, n, f"pool-{i}", f"kv-{i}") for i, n in enumerate(names)]
    (route,) = multi_cluster_routes(routes).by_type(ROUTE)
    with pytest.raises(jsonschema.ValidationError, match="192 matches"):
        schemas.validate_custom(manifest(route), CRDS)


def test_the_config_counts_the_matches_the_route_renders():
    plan = plan_of("models")
    (route,) = [r for r in plan.by_type(ROUTE) if r.name == "gateway-route"]
    rendered = sum(len(r["matches"]) for r in route.inputs["spec"]["rules"])
    assert checks.route_matches(config.parse(stack_settings("models"), "models").models) == rendered
    assert rendered == len(plan.outputs["models"]) == 3  # gemma-3-27b, gemma-sql, llama-3.1-8b


def _refusal(image: str):
    stack = {"model": None, "models": [{"id": "google/gemma-3-27b-it", "adapters": ADAPTERS}]}
    changes = {**stack, "modelServer": {"image": image}}
    return plan_tool.config_error("prod", overrides=changes, secrets=OPERATOR_SECRETS)


@pytest.mark.parametrize(
    ("image", "release"),
    [
        ("vllm/vllm-tpu:v0.13.2", "0.13.2"),
        ("index.docker.io/vllm/vllm-tpu:v0.12.0", "0.12.0"),
        ("registry-1.docker.io/vllm/vllm-tpu:v0.24.1", "0.24.1"),
        ("docker.io/vllm/vllm-tpu:0.12.0", "0.12.0"),
        ("INDEX.DOCKER.IO/vllm/vllm-tpu:v0.12.0-rc1", "0.12.0"),
    ],
)
def test_every_release_before_the_workers_add_lora_is_refused_adapters_on_any_docker_hub_host(image, release):
    error = _refusal(image)
    assert error is not None, image
    (problem,) = error.problems
    assert problem.key == "models[0].adapters" and f"tpu-inference {release} (before 0.25.0)" in problem.why


@pytest.mark.parametrize(
    "image",
    ["vllm/vllm-tpu:v0.25.0", "docker.io/vllm/vllm-tpu:v1.0.0", "vllm/vllm-tpu:nightly", "ghcr.io/o/vllm:v0.12.0"],
)
def test_a_release_that_loads_adapters_or_another_image_is_the_stacks_to_vouch_for(image):
    assert _refusal(image) is None


def test_a_digest_recorded_for_an_old_tag_names_that_release(monkeypatch):
    digest = "sha256:" + "ab" * 32
    monkeypatch.setattr(checks, "DIGESTS", {"vllm/vllm-tpu:v0.12.0": digest})
    assert checks.release(f"vllm/vllm-tpu@{digest}") == (0, 12, 0)
    assert checks.release(f"vllm/vllm-tpu@sha256:{'cd' * 32}") is None  # a digest of no recorded tag: unknown
