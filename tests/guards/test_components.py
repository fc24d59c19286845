"""The guards' components built from small args: one traffic extension whose chain is Apigee then Model
Armor, the operator's identity, the project-wide grants, and an Apigee organization made over PSC."""

from __future__ import annotations

from inference.guards.apigee_organization import ApigeeOrganization, ApigeeOrganizationArgs
from inference.guards.guard import (
    ApigeeArgs,
    ApigeeLocation,
    GatewayGuard,
    GatewayGuardArgs,
    ModelArmorArgs,
    ServiceExtensionsAccess,
    ServiceExtensionsAccessArgs,
)
from tests.conftest import PLACEHOLDER, components, placeholder

EXTENSION = "kubernetes:networking.gke.io/v1:GCPTrafficExtension"


def _guard(armor: bool, apigee: bool) -> GatewayGuardArgs:
    return GatewayGuardArgs(
        project="p",
        namespace="default",
        gateway_name="gw",
        extension_name="gw-guard",
        chain_name="gw-guard-chain",
        gateway=placeholder("gateway"),
        namespace_resource=None,
        model_armor=ModelArmorArgs("us-central1", "tpl", "[]", access=None) if armor else None,
        apigee=ApigeeArgs(
            organization="p",
            environment="env",
            chart_version="1.1.1",
            operator_account_id="p-apim",
            backend_service="gw-apigee",
            locations={"us-central1": ApigeeLocation("net", "subnet")},
            workload_pool="p.svc.id.goog",
        )
        if apigee
        else None,
    )


def test_both_guards_make_one_extension_with_apigee_first():
    plan = components(lambda: GatewayGuard("g", _guard(True, True)))
    (extension,) = plan.by_type(EXTENSION)
    (chain,) = extension.inputs["spec"]["extensionChains"]
    assert chain["name"] == "gw-guard-chain" and [e["name"] for e in chain["extensions"]] == ["apigee", "model-armor"]
    assert plan.one(PLACEHOLDER, "gateway").urn in extension.dependencies
    backend = plan.one("kubernetes:apim.googleapis.com/v1:ApigeeBackendService", "g-apigee-backend")
    assert backend.urn in extension.dependencies and backend.inputs["spec"]["locations"][0]["name"] == "us-central1"
    identity = plan.one("gcp:serviceaccount/iAMMember:IAMMember", "g-apim-workload-identity")
    assert identity.inputs["member"] == "serviceAccount:p.svc.id.goog[apim/apim-ksa]"


def test_model_armor_alone_makes_a_template_and_no_apigee():
    plan = components(lambda: GatewayGuard("g", _guard(True, False)))
    (template,) = plan.by_type("gcp:modelarmor/template:Template")
    assert template.inputs["templateId"] == "tpl" and template.inputs["location"] == "us-central1"
    assert plan.by_type("kubernetes:helm.sh/v3:Release") == []
    (extension,) = plan.by_type(EXTENSION)
    assert [e["name"] for e in extension.inputs["spec"]["extensionChains"][0]["extensions"]] == ["model-armor"]


def test_the_agents_grants_are_members_of_model_armors_project_number():
    plan = components(lambda: ServiceExtensionsAccess("s", ServiceExtensionsAccessArgs("p")))
    members = {m.inputs["member"] for m in plan.by_type("gcp:projects/iAMMember:IAMMember")}
    (member,) = members
    assert member.startswith("serviceAccount:service-") and member.endswith("@gcp-sa-dep.iam.gserviceaccount.com")
    assert plan.by_type("gcp:projects/iAMBinding:IAMBinding") == []


def test_an_organization_over_psc_reserves_no_range_and_attaches_its_environment():
    args = ApigeeOrganizationArgs(
        project="p",
        analytics_region="us-central1",
        billing_type="PAYG",
        instance_location="us-central1",
        environment="env",
        environment_type="INTERMEDIATE",
        hostnames=("api.example.com",),
        protect=False,
    )
    plan = components(lambda: ApigeeOrganization("a", args))
    (org,) = plan.by_type("gcp:apigee/organization:Organization")
    assert org.inputs["disableVpcPeering"] is True and org.inputs["retention"] == "MINIMUM"
    assert plan.by_type("gcp:compute/globalAddress:GlobalAddress") == []
    attached = {r.type for r in plan.registrations if "Attachment" in r.type}
    assert attached == {
        "gcp:apigee/instanceAttachment:InstanceAttachment",
        "gcp:apigee/envGroupAttachment:EnvGroupAttachment",
    }
