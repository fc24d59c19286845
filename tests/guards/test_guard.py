"""Guards in front of the model (the customisation guide): the Model Armor template, the Service Extensions
agent's grants, the Apigee operator, and the Gateway's one traffic extension, on the checked-in `guarded` stack."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest

from inference.guards import facts as guard_facts
from inference.guards import guard, wiring
from tests import schemas
from tests.conftest import closure, plan_of, run
from tests.stacks.test_permissions import expected, granted
from tests.stacks.test_policy import MANDATORY, analyze, check, policies

EXTENSION = "kubernetes:networking.gke.io/v1:GCPTrafficExtension"
BACKEND = "kubernetes:apim.googleapis.com/v1:ApigeeBackendService"
TEMPLATE = "gcp:modelarmor/template:Template"
RELEASE = "kubernetes:helm.sh/v3:Release"
AGENT = re.compile(r"serviceAccount:service-(\d+)@gcp-sa-dep\.iam\.gserviceaccount\.com")
GUIDE_AGENT_ROLES = {
    "roles/container.admin",
    "roles/modelarmor.calloutUser",
    "roles/serviceusage.serviceUsageConsumer",
    "roles/modelarmor.user",
}


@pytest.fixture(scope="module")
def guarded():
    return plan_of("guarded")


@pytest.fixture(scope="module")
def armor_only():
    return run("guarded", overrides={"guards": {"modelArmor": {"enabled": True, "location": "us-central1"}}})


def extension_of(plan):
    (ext,) = plan.by_type(EXTENSION)
    return ext


def test_the_template_has_the_guides_filters_and_logging(guarded):
    template = guarded.one(TEMPLATE, "guard-template")
    # `<prefix>-<stack>`: two guarded stacks in one project and location never share a template id.
    assert (template.inputs["location"], template.inputs["templateId"]) == ("us-central1", "tpu-gke-dranet-guarded")
    filters = template.inputs["filterConfig"]
    assert filters["piAndJailbreakFilterSettings"] == {
        "filterEnforcement": "ENABLED",
        "confidenceLevel": "MEDIUM_AND_ABOVE",
    }
    assert sorted(filters["raiSettings"]["raiFilters"], key=lambda f: f["filterType"]) == [
        {"filterType": t, "confidenceLevel": "MEDIUM_AND_ABOVE"}
        for t in ("DANGEROUS", "HARASSMENT", "HATE_SPEECH", "SEXUALLY_EXPLICIT")
    ]
    assert template.inputs["templateMetadata"] == {"logSanitizeOperations": True, "logTemplateOperations": True}
    api = guarded.one("gcp:projects/service:Service", "apis-modelarmor")
    assert api.urn in template.dependencies


def test_the_agent_gets_the_guides_four_roles_as_members_with_the_projects_number(guarded):
    grants = [r for r in guarded.by_type("gcp:projects/iAMMember:IAMMember") if AGENT.fullmatch(r.inputs["member"])]
    assert {g.inputs["role"] for g in grants} == GUIDE_AGENT_ROLES and len(grants) == 4
    identity = guarded.one("gcp:projects/serviceIdentity:ServiceIdentity", "service-extensions-modelarmor-identity")
    number = re.fullmatch(r"service-(\d+)@gcp-sa-modelarmor\.iam\.gserviceaccount\.com", identity.outputs["email"])
    assert {AGENT.fullmatch(g.inputs["member"]).group(1) for g in grants} == {number.group(1)}
    assert all(identity.urn in closure(guarded, g.urn) for g in grants)  # the number comes from the resource
    # Nothing is authoritative: every grant in the plan is a member.
    assert not [r for r in guarded.registrations if re.search(r"IAM(Binding|Policy)$", r.type)]


def test_the_plan_grants_exactly_the_permissions_table(guarded):
    assert granted(guarded, "guarded") == expected("armor", "apigee")


def test_a_second_stack_in_the_project_leaves_the_agents_grants_to_the_first():
    guards = {"modelArmor": {"enabled": True, "location": "us-central1"}, "manageProjectGrants": False}
    plan = run("guarded", overrides={"guards": guards})
    assert not [r for r in plan.registrations if AGENT.fullmatch(str(r.inputs.get("member", "")))]
    assert not [r for r in plan.registrations if "ServiceExtensionsAccess" in r.type]
    assert len(plan.by_type(TEMPLATE)) == 1 and len(plan.by_type(EXTENSION)) == 1


def test_the_agent_is_provisioned_before_its_roles_are_granted(guarded):
    agent = guarded.one("gcp:projects/serviceIdentity:ServiceIdentity", "service-extensions-agent-identity")
    assert agent.inputs["service"] == "networkservices.googleapis.com"
    grants = [r for r in guarded.registrations if AGENT.fullmatch(str(r.inputs.get("member", "")))]
    assert grants and all(agent.urn in g.dependencies for g in grants)


def test_the_extension_fits_the_gke_crd_and_its_rules(guarded):
    ext = extension_of(guarded)
    schemas.validate_custom(ext.inputs, "gke-gateway-api")
    (chain,) = ext.inputs["spec"]["extensionChains"]
    assert len(chain["extensions"]) <= guard_facts.EXTENSIONS_PER_CHAIN
    for extension in chain["extensions"]:  # the CRD's CEL rules, which a JSON schema does not evaluate
        assert extension["timeout"] == "1s"  # within 10ms..10000ms
        assert "authority" not in extension
        assert ("backendRef" in extension) != ("googleAPIServiceName" in extension)  # exactly one
        for key, value in extension["metadata"].items():
            assert re.fullmatch(r"[A-Za-z0-9/\-._~%!$&'()*+,;=:\s{}\[\]]{1,63}", key)
            assert len(value) <= 1023
    backend = chain["extensions"][0]["backendRef"]
    assert (backend["group"], backend["kind"]) == ("apim.googleapis.com", "ApigeeBackendService")


def test_both_guards_make_one_extension_with_one_chain_apigee_first(guarded):
    ext = extension_of(guarded)
    spec = ext.inputs["spec"]
    assert spec["targetRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "inference-gateway"}
    ]
    (chain,) = spec["extensionChains"]
    assert chain["matchCondition"] == {"celExpressions": [{"celMatcher": 'request.path.startsWith("/")'}]}
    apigee, armor = chain["extensions"]
    assert apigee == {
        "name": "apigee",
        "metadata": {"apigee-extension-processor": "inference-gateway-apigee"},
        "failOpen": False,
        "timeout": "1s",
        "supportedEvents": ["RequestHeaders", "ResponseHeaders", "ResponseBody"],
        "backendRef": {
            "group": "apim.googleapis.com",
            "kind": "ApigeeBackendService",
            "name": "inference-gateway-apigee",
            "port": 443,
        },
    }
    assert armor["googleAPIServiceName"] == "modelarmor.us-central1.rep.googleapis.com"
    assert armor["failOpen"] is False and armor["timeout"] == "1s"
    assert armor["supportedEvents"] == [
        "RequestHeaders",
        "RequestBody",
        "RequestTrailers",
        "ResponseHeaders",
        "ResponseBody",
        "ResponseTrailers",
    ]
    template = "projects/tpu-inference-guarded/locations/us-central1/templates/tpu-gke-dranet-guarded"
    assert json.loads(armor["metadata"]["model_armor_settings"]) == [
        {"model": "google/gemma-3-27b-it", "model_response_template_id": template, "user_prompt_template_id": template}
    ]
    assert guarded.outputs["guards"]["chain"] == ["apigee", "model-armor"]


def test_model_armor_alone_is_the_only_extension_of_the_chain_and_nothing_of_apigee_is_made(armor_only):
    (chain,) = extension_of(armor_only).inputs["spec"]["extensionChains"]
    assert [e["name"] for e in chain["extensions"]] == ["model-armor"]
    assert not armor_only.by_type(BACKEND) and not armor_only.by_type(RELEASE)
    assert "apigeeTestRequests" not in armor_only.outputs
    assert not [s for s in armor_only.by_type("gcp:projects/service:Service") if "apigee" in s.inputs["service"]]


def test_the_extension_comes_after_the_gateway_the_template_the_grants_and_the_apigee_backend(guarded):
    ext = extension_of(guarded)
    deps = closure(guarded, ext.urn)
    assert guarded.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway").urn in ext.dependencies
    assert guarded.one(TEMPLATE, "guard-template").urn in ext.dependencies
    assert guarded.one(BACKEND, "guard-apigee-backend").urn in ext.dependencies
    agent_grants = [r for r in guarded.registrations if AGENT.fullmatch(str(r.inputs.get("member", "")))]
    assert agent_grants and all(g.urn in deps for g in agent_grants)
    # Pulumi waits as the guide's `kubectl wait` does.
    assert ext.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": guard.PROGRAMMED}


def test_the_apigee_backend_waits_for_the_operator_which_waits_for_its_identity(guarded):
    backend = guarded.one(BACKEND, "guard-apigee-backend")
    crds, operator = guarded.one(RELEASE, "guard-apim-crds"), guarded.one(RELEASE, "guard-apim-operator")
    assert {crds.urn, operator.urn} <= set(backend.dependencies)
    assert backend.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": guard.BACKEND_CREATED}
    wi = guarded.one("gcp:serviceaccount/iAMMember:IAMMember", "guard-apim-workload-identity")
    assert wi.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert wi.inputs["member"].endswith(".svc.id.goog[apim/apim-ksa]")
    operator_grants = [r for r in guarded.by_type("gcp:projects/iAMMember:IAMMember") if "-apim@" in r.inputs["member"]]
    assert {g.inputs["role"] for g in operator_grants} == set(guard.OPERATOR_ROLES)
    assert {wi.urn, crds.urn, *(g.urn for g in operator_grants)} <= set(operator.dependencies)


def test_the_operator_charts_are_pinned_and_configured_for_the_stacks_organization(guarded):
    crds, operator = guarded.one(RELEASE, "guard-apim-crds"), guarded.one(RELEASE, "guard-apim-operator")
    assert crds.inputs["chart"] == f"{guard_facts.APIGEE_CHART_REPOSITORY}/apigee-apim-operator-crds"
    assert operator.inputs["chart"] == f"{guard_facts.APIGEE_CHART_REPOSITORY}/apigee-apim-operator-helm"
    assert crds.inputs["version"] == operator.inputs["version"] == "1.1.1"
    assert crds.inputs["namespace"] == operator.inputs["namespace"] == "apim"
    assert operator.inputs["values"] == {
        "projectId": "tpu-inference-guarded",
        "serviceAccount": "tpu-gke-dranet-guarded-apim@tpu-inference-guarded.iam.gserviceaccount.com",
        "apigeeOrg": "tpu-inference-guarded",
        "generateEnv": "FALSE",  # the install guide's form
    }
    # Workload Identity may take 7 minutes or more to reach the operator (install guide): 15 minutes' room.
    assert operator.inputs["timeout"] >= 900


def test_the_apigee_backend_covers_every_region_the_gateway_serves(guarded):
    spec = guarded.one(BACKEND, "guard-apigee-backend").inputs["spec"]
    assert spec == {
        "apigeeEnv": "inference",
        "defaultSecurityEnabled": True,
        "locations": [
            {
                "name": "us-central1",
                "network": "projects/tpu-inference-guarded/global/networks/tpu-gke-dranet-guarded-vpc",
                "subnetwork": "projects/tpu-inference-guarded/regions/us-central1/subnetworks/"
                "tpu-gke-dranet-guarded-node-us-central1",
            }
        ],
    }


def test_the_guides_two_apigee_requests_are_output_ready_to_paste(guarded):
    requests = guarded.outputs["apigeeTestRequests"]
    for command in requests.values():
        assert "get gateway/inference-gateway -o jsonpath='{.status.addresses[0].value}'" in command
        # the listener's port; an internal class's address is reached from a pod in the VPC
        assert "curl -i http://${IP}:80/v1/completions" in command and "run curl-apigee" in command
    assert "x-api-key" not in requests["unauthenticated"]
    # The key reaches curl on its standard input: not in the outputs, the pod's spec or a command line.
    key, pod = requests["withApiKey"].split(" | ")
    assert key.endswith("""printf 'x-api-key: %s\\n' "${API_KEY:?export API_KEY first}\"""")
    assert "API_KEY" not in pod and " -H @- " in pod


def test_with_header_routing_the_apigee_requests_name_the_model_in_the_header_the_route_matches():
    cfg = SimpleNamespace(
        model=SimpleNamespace(served_name="gemma-3-27b"),
        model_server=SimpleNamespace(namespace="default"),
        gateway=SimpleNamespace(name="inference-gateway", class_name="gke-l7-rilb"),
        model_routing="header",
    )
    for command in wiring.apigee_requests(cfg, "ctx").values():
        assert "-H 'X-Gateway-Model-Name: gemma-3-27b'" in command
    cfg.model_routing = None  # one model (or body-based routing): nothing to add
    assert all("X-Gateway-Model-Name" not in c for c in wiring.apigee_requests(cfg, "ctx").values())


def test_an_external_class_sends_the_apigee_requests_from_where_you_are():
    external = {"name": "inference-gateway", "mode": "single-cluster", "className": "gke-l7-regional-external-managed"}
    stack = {"gateway": external}
    requests = run("guarded", overrides=stack).outputs["apigeeTestRequests"]
    assert all("kubectl" not in c.split(" && ")[1] for c in requests.values())
    assert requests["unauthenticated"].split(" && ")[1].startswith("curl -i http://${IP}:80/v1/completions")


def test_the_guarded_plan_passes_the_policy_pack(guarded):
    assert analyze(guarded)[MANDATORY] == set()


APIM = "serviceAccount:tpu-gke-dranet-guarded-apim@p-123456.iam.gserviceaccount.com"
DEP = "serviceAccount:service-123456789012@gcp-sa-dep.iam.gserviceaccount.com"


@pytest.mark.parametrize(
    ("role", "member", "allowed"),
    [
        ("roles/container.admin", DEP, True),
        ("roles/container.admin", APIM, False),
        *((role, APIM, True) for role in guard.OPERATOR_ROLES),
        # the operator's roles, to an account of another project, or not the operator's
        *((role, APIM.replace("@p-123456.", "@other-project."), False) for role in guard.OPERATOR_ROLES),
        ("roles/compute.loadBalancerAdmin", "serviceAccount:a-node@p-123456.iam.gserviceaccount.com", False),
        ("roles/networkservices.serviceExtensionsAdmin", DEP, False),
        ("roles/apigee.admin", "user:ops@example.com", False),
        ("roles/apigee.admin", "serviceAccount:" + "x" * 30 + "-apim@p-123456.iam.gserviceaccount.com", False),
        ("roles/modelarmor.admin", DEP, False),
    ],
)
def test_the_policy_pack_exempts_exactly_the_guards_prescribed_admin_roles(role, member, allowed):
    props = {"project": "p-123456", "role": role, "member": member}
    found = check(policies.no_project_admin_roles, "gcp:projects/iAMMember:IAMMember", props)
    assert (found == []) is allowed
    assert (policies.exemption(role, member, "p-123456") is not None) is allowed


def test_every_operator_role_the_program_grants_is_an_exempted_admin_role():
    assert set(guard.OPERATOR_ROLES) == {
        "roles/apigee.admin",
        "roles/networkservices.serviceExtensionsAdmin",
        "roles/compute.networkAdmin",
        "roles/compute.loadBalancerAdmin",
    }


def test_another_prefix_gets_another_template_id():
    plan = run("guarded", overrides={"prefix": "team-b"})
    assert plan.one(TEMPLATE, "guard-template").inputs["templateId"] == "team-b-guarded"


def test_apigees_gateway_resources_are_in_the_default_namespace_which_the_program_does_not_create(guarded):
    """The operator's known limitation: with an ApigeeBackendService, every Gateway resource in `default`."""
    for reg in (extension_of(guarded), guarded.one(BACKEND, "guard-apigee-backend")):
        assert reg.inputs["metadata"]["namespace"] == "default"
    gateway = guarded.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "gateway-gateway")
    assert gateway.inputs["metadata"]["namespace"] == "default"
    assert not [n for n in guarded.by_type("kubernetes:core/v1:Namespace") if n.inputs["metadata"]["name"] == "default"]


def test_the_extension_waits_for_the_namespace_the_program_creates():
    plan = run(
        "guarded",
        overrides={
            "modelServer": {"namespace": "inference", "backend": "simulator"},
            "guards": {"modelArmor": {"enabled": True, "location": "us-central1"}},
        },
    )
    (namespace,) = [
        n for n in plan.by_type("kubernetes:core/v1:Namespace") if n.inputs["metadata"]["name"] == "inference"
    ]
    ext = extension_of(plan)
    assert ext.inputs["metadata"]["namespace"] == "inference" and namespace.urn in ext.dependencies


def test_the_apigee_backend_waits_for_a_namespace_the_program_creates(monkeypatch):
    """Apigee is refused outside `default`, which the program never creates; should the operator's limitation
    go, the ApigeeBackendService still waits for a namespace the program creates."""
    monkeypatch.setattr(guard_facts, "APIGEE_GATEWAY_NAMESPACE", "inference")
    plan = run("guarded", overrides={"modelServer": {"namespace": "inference", "backend": "simulator"}})
    (namespace,) = [
        n for n in plan.by_type("kubernetes:core/v1:Namespace") if n.inputs["metadata"]["name"] == "inference"
    ]
    backend = plan.one(BACKEND, "guard-apigee-backend")
    assert backend.inputs["metadata"]["namespace"] == "inference" and namespace.urn in backend.dependencies


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_guards_are_off_by_default(stack, request):
    plan = request.getfixturevalue(stack)
    assert not [r for r in plan.registrations if "inference:guard:" in r.urn]
    assert not [
        s
        for s in plan.by_type("gcp:projects/service:Service")
        if s.inputs["service"].startswith(("modelarmor", "apigee"))
    ]
    assert "guards" not in plan.outputs


def test_model_armor_screens_every_model_and_adapter_a_request_may_name():
    """An entry of model_armor_settings is per model name: a name it lacks would go unscreened."""
    plan = run("models", overrides={"guards": {"modelArmor": {"enabled": True, "location": "us-central1"}}})
    (chain,) = extension_of(plan).inputs["spec"]["extensionChains"]
    (armor,) = chain["extensions"]
    settings = json.loads(armor["metadata"]["model_armor_settings"])
    assert [s["model"] for s in settings] == ["gemma-3-27b", "gemma-sql", "llama-3.1-8b"]
    assert len({(s["model_response_template_id"], s["user_prompt_template_id"]) for s in settings}) == 1
