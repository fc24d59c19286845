"""IAM: the plan grants exactly what the features' facts (PERMISSIONS) say each GKE feature needs from each
identity, with its source: nothing missing (a feature that silently fails), nothing broader."""

from __future__ import annotations

import re

import pytest

from inference.autoscaling import facts as autoscaling_facts
from inference.core.facts import permissions as core_facts
from inference.guards import facts as guard_facts
from inference.multi_cluster import facts as multi_cluster_facts
from tests.conftest import run

KEYS = {
    "europe-west4": "projects/kms-proj/locations/europe-west4/keyRings/gke/cryptoKeys/secrets",
    "us-east5": "projects/kms-proj/locations/us-east5/keyRings/gke/cryptoKeys/secrets",
}
SCOPE_OF_TYPE = {
    "gcp:projects/iAMMember:IAMMember": "project",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "bucket",
    "gcp:serviceaccount/iAMMember:IAMMember": "service-account",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "kms-key",
    "gcp:secretmanager/secretIamMember:SecretIamMember": "secret",
}

# Every feature's grants and identities, as each package's facts list them.
FEATURES = (core_facts, multi_cluster_facts, autoscaling_facts, guard_facts)
PERMISSIONS = tuple(grant for feature in FEATURES for grant in feature.PERMISSIONS)
IDENTITIES = {key: who for feature in FEATURES for key, who in feature.IDENTITIES.items()}


def identity(member: str, stack: str) -> str:
    """The PERMISSIONS identity a member string stands for."""
    patterns = {
        "node": rf"serviceAccount:tpu-gke-dranet-{stack}-node@.*",
        "fuse-reader": rf"serviceAccount:tpu-gke-dranet-{stack}-fuse@.*",
        "downloader": rf"serviceAccount:tpu-gke-dranet-{stack}-dl@.*",
        "mci-agent": r"serviceAccount:service-\d+@gcp-sa-multiclusteringress\.iam\.gserviceaccount\.com",
        "gke-agent": r"serviceAccount:service-\d+@container-engine-robot\.iam\.gserviceaccount\.com",
        "mcs-importer": r"serviceAccount:[a-z0-9-]+\.svc\.id\.goog\[gke-mcs/gke-mcs-importer\]",
        "reader-ksa": r"serviceAccount:[a-z0-9-]+\.svc\.id\.goog\[[a-z0-9-]+/gemma-ksa\]",  # any namespace
        "metrics-adapter": (
            r"serviceAccount:[a-z0-9-]+\.svc\.id\.goog\[custom-metrics/custom-metrics-stackdriver-adapter\]"
        ),
        "service-extensions-agent": r"serviceAccount:service-\d+@gcp-sa-dep\.iam\.gserviceaccount\.com",
        "apigee-operator": rf"serviceAccount:tpu-gke-dranet-{stack}-apim@.*",
        "apigee-operator-ksa": r"serviceAccount:[a-z0-9-]+\.svc\.id\.goog\[apim/apim-ksa\]",
    }
    (found,) = [name for name, pattern in patterns.items() if re.fullmatch(pattern, member)] or [member]
    return found


def scope(reg) -> str:
    """Where a grant applies; a bucket grant with an IAM condition applies to an object prefix only."""
    if reg.inputs.get("condition"):
        assert reg.type == "gcp:storage/bucketIAMMember:BucketIAMMember", reg.name
        assert reg.inputs["condition"]["expression"].startswith('resource.name.startsWith("projects/_/buckets/')
        return "object-prefix"
    return SCOPE_OF_TYPE[reg.type]


def granted(plan, stack: str) -> set[tuple[str, str, str]]:
    return {
        (identity(r.inputs["member"], stack), r.inputs["role"], scope(r))
        for r in plan.registrations
        if r.type.endswith(("IAMMember", "IamMember"))
    }


def expected(*conditions: str) -> set[tuple[str, str, str]]:
    return {(g.identity, g.role, g.scope) for g in PERMISSIONS if g.when in ("always", *conditions)}


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_each_stack_grants_exactly_what_its_features_need(stack, prod, dev):
    plan = {"prod": prod, "dev": dev}[stack]
    assert granted(plan, stack) == expected("features", "autoscaling", *(("tpu",) if stack == "prod" else ()))


def test_a_stack_that_leaves_the_fleet_features_to_another_grants_none_of_theirs():
    plan = run("dev", overrides={"fleet": {"manageFeatures": False}, "autoscaling": {"enabled": False}})
    assert granted(plan, "dev") == expected()


def test_secrets_encryption_adds_only_the_gke_agents_use_of_the_key():
    plan = run("prod", overrides={"secretsEncryptionKeys": KEYS})
    assert granted(plan, "prod") == expected("features", "kms", "autoscaling", "tpu")


def test_every_grant_says_why_and_cites_its_source():
    for grant in PERMISSIONS:
        assert grant.identity in IDENTITIES and grant.why
        assert grant.source.startswith(("https://", "hashicorp/", "the customisation guide")), grant
        assert grant.when in ("always", "features", "kms", "autoscaling", "tpu", "armor", "apigee")


def test_project_wide_grants_are_read_or_write_only_roles_except_those_google_prescribes():
    broad = {(g.identity, g.role) for g in PERMISSIONS if g.scope == "project" and "admin" in g.role.lower()}
    assert broad == {
        ("mci-agent", "roles/container.admin"),  # Google's multi-cluster Gateway setup
        ("service-extensions-agent", "roles/container.admin"),  # the customisation guide's Model Armor setup
        # Apigee's operator install guide, for the operator's own account
        ("apigee-operator", "roles/apigee.admin"),
        ("apigee-operator", "roles/networkservices.serviceExtensionsAdmin"),
        ("apigee-operator", "roles/compute.networkAdmin"),
        ("apigee-operator", "roles/compute.loadBalancerAdmin"),
    }
