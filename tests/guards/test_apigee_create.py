"""The Apigee organization a guarded stack creates when asked (`guards.apigee.create`): what the API is sent,
the order Pulumi creates it in, and its protection in production. The refusals are rows of the bad-input
table (tests/configuration/test_config.py, class "guards")."""

from __future__ import annotations

import pytest

from tests.conftest import closure, plan_of, run
from tests.stacks.test_policy import MANDATORY, analyze
from tools import replacements, timing

ARMOR = {"enabled": True, "location": "us-central1"}
CREATE = {"billingType": "PAYG", "hostnames": ["llm.example.com"]}
ORG = "gcp:apigee/organization:Organization"
APIGEE_TYPES = {
    ORG,
    "gcp:apigee/instance:Instance",
    "gcp:apigee/environment:Environment",
    "gcp:apigee/envGroup:EnvGroup",
    "gcp:apigee/instanceAttachment:InstanceAttachment",
    "gcp:apigee/envGroupAttachment:EnvGroupAttachment",
}
PEERING_TYPES = {"gcp:compute/globalAddress:GlobalAddress", "gcp:servicenetworking/connection:Connection"}
# A production stack keeps its protections on (inference/core/config/security.py).
PRODUCTION = {"production": True, "deletionProtection": True, "modelStore": {"forceDestroy": False, "protect": True}}


def guards(create: dict) -> dict:
    return {"guards": {"modelArmor": ARMOR, "apigee": {"enabled": True, "environment": "inference", "create": create}}}


@pytest.fixture(scope="module")
def created():
    return run("guarded", overrides=guards(CREATE))


def test_the_organization_is_the_projects_without_vpc_peering(created):
    org = created.one(ORG, "apigee-org")
    assert org.inputs == {
        "projectId": "tpu-inference-guarded",
        "analyticsRegion": "us-central1",  # the Gateway's region unless given
        "billingType": "PAYG",
        "runtimeType": "CLOUD",
        "disableVpcPeering": True,
        "retention": "MINIMUM",  # outside production: a deleted paid organization is kept the shortest time
    }
    assert created.one("gcp:projects/service:Service", "apis-apigee").urn in org.dependencies


def test_one_instance_in_the_gateways_region_holds_the_environment_and_its_group(created):
    instance = created.one("gcp:apigee/instance:Instance", "apigee-instance")
    assert instance.inputs == {
        "name": "us-central1",
        "location": "us-central1",
        "orgId": "organizations/tpu-inference-guarded",
    }
    env = created.one("gcp:apigee/environment:Environment", "apigee-environment")
    # What the operator needs of an environment it does not generate (install guide, generateEnv=FALSE).
    assert env.inputs == {
        "name": "inference",
        "orgId": "organizations/tpu-inference-guarded",
        "type": "INTERMEDIATE",
        "deploymentType": "PROXY",
        "apiProxyType": "PROGRAMMABLE",
        "properties": {"properties": [{"name": "apigee-service-extension-enabled", "value": "true"}]},
    }
    group = created.one("gcp:apigee/envGroup:EnvGroup", "apigee-group")
    assert group.inputs["hostnames"] == ["llm.example.com"]
    attached = created.one("gcp:apigee/instanceAttachment:InstanceAttachment", "apigee-instance-attachment")
    assert attached.inputs == {
        "instanceId": "organizations/tpu-inference-guarded/instances/us-central1",
        "environment": "inference",
    }
    grouped = created.one("gcp:apigee/envGroupAttachment:EnvGroupAttachment", "apigee-group-attachment")
    assert grouped.inputs == {
        "envgroupId": "organizations/tpu-inference-guarded/envgroups/inference",
        "environment": "inference",
    }
    # The operator names the environment the stack creates.
    backend = created.one("kubernetes:apim.googleapis.com/v1:ApigeeBackendService", "guard-apigee-backend")
    assert backend.inputs["spec"]["apigeeEnv"] == env.inputs["name"]


def test_the_operator_and_the_backend_wait_for_the_environment_to_be_attached(created):
    attachments = [r.urn for r in created.registrations if r.type.endswith("Attachment")]
    assert len(attachments) == 2
    for name in ("guard-apim-operator", "guard-apigee-backend"):
        reg = next(r for r in created.registrations if r.name == name)
        assert set(attachments) <= closure(created, reg.urn)


def test_an_evaluation_organization_leaves_the_environment_type_to_apigee():
    plan = run("guarded", overrides=guards({"billingType": "EVALUATION", "hostnames": ["llm.example.com"]}))
    assert plan.one(ORG, "apigee-org").inputs["billingType"] == "EVALUATION"
    assert "type" not in plan.one("gcp:apigee/environment:Environment", "apigee-environment").inputs


def test_production_protects_every_piece_of_the_organization():
    peered = {**CREATE, "environmentType": "COMPREHENSIVE", "network": "peering", "peeringRange": "10.50.0.0/21"}
    plan = run("guarded", overrides={**guards(peered), **PRODUCTION})
    kept = (APIGEE_TYPES | PEERING_TYPES) - {t for t in APIGEE_TYPES if "Attachment" in t}
    pieces = [r for r in plan.registrations if r.type in kept]
    assert len(pieces) == 6 and all(r.options.get("protect") is True for r in pieces)
    assert plan.one("gcp:apigee/environment:Environment", "apigee-environment").inputs["type"] == "COMPREHENSIVE"
    # Production keeps the API's default retention of a deleted organization.
    assert "retention" not in plan.one(ORG, "apigee-org").inputs


def test_a_stack_that_uses_an_existing_organization_creates_none():
    plan = plan_of("guarded")
    assert not [r for r in plan.registrations if r.type in APIGEE_TYPES]


def test_every_piece_has_mocks_a_duration_and_replacement_rules(created):
    pieces = [r for r in created.registrations if r.type in APIGEE_TYPES]
    assert {r.type for r in pieces} == APIGEE_TYPES
    assert all(replacements.GCP[r.type].forces and timing.step_of(r) for r in pieces)
    # Apigee's slow creations are on the path to the extension, and the model says so.
    path = [link.reg.name for link in timing.critical_path(created)]
    assert {"apigee-org", "apigee-instance"} <= set(path)


def test_a_peered_organization_gets_a_reserved_range_and_a_service_networking_connection():
    plan = run("guarded", overrides=guards({**CREATE, "network": "peering", "peeringRange": "10.50.0.0/21"}))
    reserved = plan.one("gcp:compute/globalAddress:GlobalAddress", "apigee-peering-range")
    vpc = "projects/tpu-inference-guarded/global/networks/tpu-gke-dranet-guarded-vpc"
    assert reserved.inputs == {
        "project": "tpu-inference-guarded",
        "name": "tpu-gke-dranet-guarded-apigee",
        "purpose": "VPC_PEERING",
        "addressType": "INTERNAL",
        "address": "10.50.0.0",
        "prefixLength": 21,
        "network": vpc,
    }
    connection = plan.one("gcp:servicenetworking/connection:Connection", "apigee-peering")
    assert connection.inputs == {
        "network": vpc,
        "service": "servicenetworking.googleapis.com",
        "reservedPeeringRanges": ["tpu-gke-dranet-guarded-apigee"],
        # destroy leaves the peering rather than fail on a connection the soft-deleted organization still uses
        "deletionPolicy": "ABANDON",
    }
    org = plan.one(ORG, "apigee-org")
    assert org.inputs["authorizedNetwork"] == vpc and org.inputs["disableVpcPeering"] is False
    assert connection.urn in org.dependencies
    api = plan.one("gcp:projects/service:Service", "apis-servicenetworking")
    assert api.urn in closure(plan, connection.urn)
    for r in (reserved, connection):
        assert replacements.GCP[r.type].forces and timing.step_of(r)


def test_private_service_connect_enables_no_service_networking(created):
    assert not [
        s for s in created.by_type("gcp:projects/service:Service") if "servicenetworking" in s.inputs["service"]
    ]
    assert not created.by_type("gcp:servicenetworking/connection:Connection")


def test_a_created_organization_passes_the_policy_pack(created):
    assert analyze(created)[MANDATORY] == set()
