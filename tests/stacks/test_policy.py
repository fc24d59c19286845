"""The policy pack: each rule on passing and failing resources, its config, the pack as CrossGuard builds it,
and the whole dev and prod plans (no mandatory violation, only the expected advisories)."""

from __future__ import annotations

import copy
import re
import runpy
import sys

import pulumi_policy
import pytest
import yaml
from pulumi_policy import EnforcementLevel, PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy

from tests.conftest import plan_of, run
from tests.stacks.test_security import KEYS
from tools import engine

POLICY_DIR = engine.ROOT / "policy"
sys.path.insert(0, str(POLICY_DIR))  # CrossGuard runs policy/__main__.py from policy/, where `policies` imports
import policies  # noqa: E402

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
BY_NAME = {p.name: p for p in policies.POLICIES}


def args_for(resource_type, props, *, stack="prod", protect=False, config=None, name="r"):
    """What the analyzer hands a validation: inputs behind the SDK's unknown-checking proxy, options, config."""
    opts = PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    urn = f"urn:pulumi:{stack}::inference-platform::{resource_type}::{name}"
    return ResourceValidationArgs(resource_type, unknown_checking_proxy(props), urn, name, opts, None, config)


def violations(validate, args) -> list[str]:
    found: list[str] = []
    validate(args, lambda message, urn=None: found.append(message))
    return found


def check(validate, resource_type, props, **kw) -> list[str]:
    return violations(validate, args_for(resource_type, props, **kw))


# ---------------------------------------------------------------------------------------------- IAM


@pytest.mark.parametrize("module", ["projects", "folder", "organizations"])
@pytest.mark.parametrize("kind", ["Binding", "Policy"])
def test_authoritative_iam_is_refused(module, kind):
    found = check(policies.no_authoritative_iam, f"gcp:{module}/iAM{kind}:IAM{kind}", {"role": "roles/x"})
    assert found == [f"IAM{kind} is authoritative; grant each member with an IAMMember."]


def test_iam_members_are_not_authoritative():
    props = {"project": "p", "role": "roles/logging.logWriter", "member": "user:a@example.com"}
    assert check(policies.no_authoritative_iam, "gcp:projects/iAMMember:IAMMember", props) == []


@pytest.mark.parametrize(
    "resource_type",
    [
        "gcp:projects/iAMMember:IAMMember",
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "gcp:storage/bucketIAMBinding:BucketIAMBinding",
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    ],
)
@pytest.mark.parametrize("role", sorted(policies.PRIMITIVE_ROLES))
def test_primitive_roles_are_refused_on_any_iam_grant(resource_type, role):
    found = check(policies.no_primitive_roles, resource_type, {"role": role, "member": "user:a@example.com"})
    assert found == [f"grants the primitive role {role}; use a predefined role for the one service needed."]


def test_primitive_roles_inside_an_iam_policy_document():
    data = '{"bindings": [{"role": "roles/storage.objectViewer", "members": []}, {"role": "roles/owner"}]}'
    found = check(policies.no_primitive_roles, "gcp:storage/bucketIAMPolicy:BucketIAMPolicy", {"policyData": data})
    assert len(found) == 1 and "roles/owner" in found[0]


def test_predefined_roles_pass():
    props = {"role": "roles/storage.objectViewer", "member": "serviceAccount:a@p.iam.gserviceaccount.com"}
    assert check(policies.no_primitive_roles, "gcp:storage/bucketIAMMember:BucketIAMMember", props) == []
    data = '{"bindings": [{"role": "roles/storage.objectViewer"}]}'
    assert check(policies.no_primitive_roles, "gcp:projects/iAMPolicy:IAMPolicy", {"policyData": data}) == []


MCI_AGENT = "serviceAccount:service-123456789@gcp-sa-multiclusteringress.iam.gserviceaccount.com"


@pytest.mark.parametrize(
    "role, member",
    [
        ("roles/container.admin", "user:a@example.com"),
        ("roles/container.admin", "serviceAccount:service-1@gcp-sa-multiclusteringress.iam.gserviceaccount.com.evil"),
        ("roles/storage.admin", MCI_AGENT),
        ("roles/iam.securityAdmin", "group:ops@example.com"),
        ("roles/compute.instanceAdmin.v1", "user:a@example.com"),
        ("roles/iam.workloadIdentityUser", "serviceAccount:p.svc.id.goog[inference/gemma-ksa]"),
        ("roles/iam.serviceAccountTokenCreator", "user:a@example.com"),
    ],
)
def test_project_wide_admin_and_impersonation_roles_are_refused(role, member):
    props = {"project": "p", "role": role, "member": member}
    found = check(policies.no_project_admin_roles, "gcp:projects/iAMMember:IAMMember", props)
    assert found == [f"grants {role} on the whole project; grant it on the resource that needs it."]


def test_the_mci_agent_keeps_the_container_admin_google_prescribes():
    props = {"project": "p", "role": "roles/container.admin", "member": MCI_AGENT}
    assert check(policies.no_project_admin_roles, "gcp:projects/iAMMember:IAMMember", props) == []
    assert "multi-cluster ingress" in policies.exemption("roles/container.admin", MCI_AGENT)


def test_narrow_project_roles_and_resource_level_admin_pass():
    props = {"project": "p", "role": "roles/monitoring.metricWriter", "member": "user:a@example.com"}
    assert check(policies.no_project_admin_roles, "gcp:projects/iAMMember:IAMMember", props) == []
    props = {"bucket": "b", "role": "roles/storage.admin", "member": "user:a@example.com"}
    assert check(policies.no_project_admin_roles, "gcp:storage/bucketIAMMember:BucketIAMMember", props) == []


# ---------------------------------------------------------------------------------------- storage

BUCKET = {
    "name": "b",
    "location": "US-EAST5",
    "uniformBucketLevelAccess": True,
    "publicAccessPrevention": "enforced",
    "versioning": {"enabled": True},
}


def test_hardened_bucket_passes():
    assert check(policies.bucket_hardening, policies.BUCKET, BUCKET) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"uniformBucketLevelAccess": False}, "uniformBucketLevelAccess must be true."),
        ({"uniformBucketLevelAccess": None}, "uniformBucketLevelAccess must be true."),
        ({"publicAccessPrevention": "inherited"}, 'publicAccessPrevention must be "enforced".'),
        ({"publicAccessPrevention": None}, 'publicAccessPrevention must be "enforced".'),
        ({"versioning": {"enabled": False}}, "versioning must be enabled."),
        ({"versioning": None}, "versioning must be enabled."),
    ],
)
def test_bucket_without_uniform_access_public_access_prevention_or_versioning(change, expected):
    props = {k: v for k, v in (BUCKET | change).items() if v is not None}
    assert check(policies.bucket_hardening, policies.BUCKET, props) == [expected]


# ---------------------------------------------------------------------------------------- network

INTERNAL = {"network": "vpc", "sourceRanges": ["10.0.1.0/24"], "allows": [{"protocol": "tcp"}, {"protocol": "icmp"}]}
HEALTH = {"network": "vpc", "sourceRanges": ["130.211.0.0/22", "35.191.0.0/16"]}


def test_internal_firewall_passes():
    assert check(policies.firewall_no_open_ingress, policies.FIREWALL, INTERNAL) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"sourceRanges": ["10.0.1.0/24", "0.0.0.0/0"]}, "sourceRanges contains 0.0.0.0/0"),
        ({"sourceRanges": ["::/0"]}, "sourceRanges contains ::/0"),
        ({"allows": [{"protocol": "all"}]}, 'allows protocol "all"'),
        ({"allows": [{"protocol": "ALL"}]}, 'allows protocol "all"'),
    ],
)
def test_open_firewalls_are_refused(change, expected):
    (found,) = check(policies.firewall_no_open_ingress, policies.FIREWALL, INTERNAL | change)
    assert found.startswith(expected)


def test_health_check_firewall_on_the_serving_port_passes():
    props = HEALTH | {"allows": [{"protocol": "tcp", "ports": ["8000"]}]}
    assert check(policies.health_check_firewall, policies.FIREWALL, props) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            {"sourceRanges": ["35.191.0.0/16", "10.0.0.0/8"]},
            ["admits 10.0.0.0/8 besides Google's health-check ranges."],
        ),
        ({"allows": [{"protocol": "tcp"}]}, ["allows tcp on every port; health checks need tcp:8000 only."]),
        (
            {"allows": [{"protocol": "tcp", "ports": ["8000", "22"]}]},
            ["allows tcp on 8000,22; health checks need tcp:8000 only."],
        ),
        (
            {"allows": [{"protocol": "udp", "ports": ["8000"]}]},
            ["allows udp on 8000; health checks need tcp:8000 only."],
        ),
        ({"allows": []}, ["allows nothing explicitly; allow tcp:8000 only."]),
    ],
)
def test_health_check_firewall_that_admits_more(change, expected):
    props = HEALTH | {"allows": [{"protocol": "tcp", "ports": ["8000"]}]} | change
    assert check(policies.health_check_firewall, policies.FIREWALL, props) == expected


@pytest.mark.parametrize("port", [9000, 9000.0])  # the CLI hands config numbers over as floats
def test_health_check_serving_port_comes_from_policy_config(port):
    on_8000 = HEALTH | {"allows": [{"protocol": "tcp", "ports": ["8000"]}]}
    on_9000 = HEALTH | {"allows": [{"protocol": "tcp", "ports": ["9000"]}]}
    config = {"servingPort": port}
    validate = policies.health_check_firewall
    assert check(validate, policies.FIREWALL, on_9000, config=config) == []
    assert check(validate, policies.FIREWALL, on_8000, config=config) == [
        "allows tcp on 8000; health checks need tcp:9000 only."
    ]


def test_other_firewalls_are_not_health_check_firewalls():
    assert check(policies.health_check_firewall, policies.FIREWALL, INTERNAL) == []


def test_serving_port_default_is_the_programs():
    project = yaml.safe_load((engine.ROOT / "Pulumi.yaml").read_text())
    assert policies.SERVING_PORT["servingPort"]["default"] == project["config"]["servingPort"]["default"]


# -------------------------------------------------------------------------------------------- GKE

NODE_CONFIG = {
    "workloadMetadataConfig": {"mode": "GKE_METADATA"},
    "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
}
MANAGEMENT = {"autoRepair": True, "autoUpgrade": True}
CLUSTER = {
    "name": "c",
    "workloadIdentityConfig": {"workloadPool": "p.svc.id.goog"},
    "enableLegacyAbac": False,
    "enableShieldedNodes": True,
    "nodeConfig": NODE_CONFIG,
    "deletionProtection": True,
}
POOL = {"cluster": "c", "nodeConfig": NODE_CONFIG, "management": MANAGEMENT}


def without(props: dict, *path: str) -> dict:
    props = copy.deepcopy(props)
    *parents, last = path
    target = props
    for key in parents:
        target = target[key]
    del target[last]
    return props


def test_hardened_cluster_passes():
    assert check(policies.gke_cluster_hardening, policies.CLUSTER, CLUSTER) == []
    unset_flags = without(without(CLUSTER, "enableLegacyAbac"), "enableShieldedNodes")  # provider defaults are safe
    assert check(policies.gke_cluster_hardening, policies.CLUSTER, unset_flags) == []


@pytest.mark.parametrize(
    "props, expected",
    [
        (without(CLUSTER, "workloadIdentityConfig"), "workloadIdentityConfig.workloadPool must be set"),
        (CLUSTER | {"enableLegacyAbac": True}, "enableLegacyAbac must be false."),
        (CLUSTER | {"enableShieldedNodes": False}, "enableShieldedNodes must be true."),
        (
            without(CLUSTER, "nodeConfig", "workloadMetadataConfig"),
            "nodeConfig: workloadMetadataConfig.mode must be GKE_METADATA",
        ),
        (
            CLUSTER | {"nodeConfig": NODE_CONFIG | {"workloadMetadataConfig": {"mode": "GCE_METADATA"}}},
            "nodeConfig: workloadMetadataConfig.mode must be GKE_METADATA",
        ),
        (
            without(CLUSTER, "nodeConfig", "shieldedInstanceConfig", "enableSecureBoot"),
            "nodeConfig: shieldedInstanceConfig.enableSecureBoot must be true.",
        ),
        (
            CLUSTER | {"nodePools": [POOL | {"management": {"autoRepair": True}}]},
            "nodePools[0]: management.autoUpgrade must be true.",
        ),
    ],
)
def test_cluster_hardening_failures(props, expected):
    (found,) = check(policies.gke_cluster_hardening, policies.CLUSTER, props)
    assert found.startswith(expected)


def test_cluster_without_node_config_fails_every_node_check():
    found = check(policies.gke_cluster_hardening, policies.CLUSTER, without(CLUSTER, "nodeConfig"))
    assert len(found) == 3 and all(f.startswith("nodeConfig: ") for f in found)


def test_hardened_node_pool_passes():
    assert check(policies.gke_node_pool_hardening, policies.NODE_POOL, POOL) == []


@pytest.mark.parametrize(
    "props, expected",
    [
        (without(POOL, "management", "autoRepair"), ["nodePool: management.autoRepair must be true."]),
        (
            POOL | {"management": MANAGEMENT | {"autoUpgrade": False}},
            ["nodePool: management.autoUpgrade must be true."],
        ),
        (
            without(POOL, "nodeConfig", "shieldedInstanceConfig", "enableIntegrityMonitoring"),
            ["nodeConfig: shieldedInstanceConfig.enableIntegrityMonitoring must be true."],
        ),
        (
            POOL | {"nodeConfig": without(NODE_CONFIG, "workloadMetadataConfig")},
            ["nodeConfig: workloadMetadataConfig.mode must be GKE_METADATA (Workload Identity on nodes)."],
        ),
    ],
)
def test_node_pool_hardening_failures(props, expected):
    assert check(policies.gke_node_pool_hardening, policies.NODE_POOL, props) == expected


ENCRYPTED = CLUSTER | {"databaseEncryption": {"state": "ENCRYPTED", "keyName": KEYS["us-east5"]}}
PRIVATE = CLUSTER | {"privateClusterConfig": {"enablePrivateNodes": True}}


def test_secrets_encryption_is_advisory_without_a_key():
    assert check(policies.gke_secrets_encryption, policies.CLUSTER, CLUSTER) == [
        "Kubernetes Secrets are not encrypted with a Cloud KMS key (set secretsEncryptionKeys)."
    ]
    half = CLUSTER | {"databaseEncryption": {"state": "DECRYPTED"}}
    assert len(check(policies.gke_secrets_encryption, policies.CLUSTER, half)) == 1
    assert check(policies.gke_secrets_encryption, policies.CLUSTER, ENCRYPTED) == []
    assert BY_NAME["gke-secrets-encryption"].enforcement_level == ADVISORY


def test_secrets_encryption_is_mandatory_only_when_required():
    validate = policies.gke_secrets_encryption_required
    required = {"requireSecretsEncryption": True}
    assert check(validate, policies.CLUSTER, CLUSTER) == []
    assert check(validate, policies.CLUSTER, CLUSTER, config={"requireSecretsEncryption": False}) == []
    assert check(validate, policies.CLUSTER, CLUSTER, config=required) == [
        "databaseEncryption must be ENCRYPTED with a Cloud KMS keyName."
    ]
    assert check(validate, policies.CLUSTER, ENCRYPTED, config=required) == []
    assert BY_NAME["gke-secrets-encryption-required"].enforcement_level == MANDATORY


def test_private_nodes_advisory_and_mandatory_when_required():
    assert check(policies.gke_private_nodes, policies.CLUSTER, CLUSTER) == [
        "nodes have external IP addresses (set privateNodes.enabled)."
    ]
    assert check(policies.gke_private_nodes, policies.CLUSTER, PRIVATE) == []
    validate = policies.gke_private_nodes_required
    required = {"requirePrivateNodes": True}
    assert check(validate, policies.CLUSTER, CLUSTER) == []
    assert check(validate, policies.CLUSTER, CLUSTER, config=required) == [
        "privateClusterConfig.enablePrivateNodes must be true."
    ]
    public = CLUSTER | {"privateClusterConfig": {"enablePrivateNodes": False}}
    assert len(check(validate, policies.CLUSTER, public, config=required)) == 1
    assert check(validate, policies.CLUSTER, PRIVATE, config=required) == []


# ------------------------------------------------------------------------------------- Kubernetes

CONTAINER = {
    "name": "app",
    "image": "vllm/vllm-tpu:v0.12.0",
    "resources": {"requests": {"cpu": "1", "memory": "1Gi"}},
    "securityContext": {"allowPrivilegeEscalation": False},
}
DIGEST = "sha256:" + "0" * 64


def workload(kind: str, *containers: dict, init: tuple[dict, ...] = ()) -> tuple[str, dict]:
    """A workload of `kind` whose pod template runs `containers` (and `init` containers)."""
    pod = {"containers": list(containers)} | ({"initContainers": list(init)} if init else {})
    group = {"Job": "batch/v1", "CronJob": "batch/v1", "Pod": "core/v1"}.get(kind, "apps/v1")
    spec = {
        "Pod": pod,
        "CronJob": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": pod}}}},
    }.get(kind, {"template": {"spec": pod}})
    return f"kubernetes:{group}:{kind}", {"kind": kind, "metadata": {"name": "w"}, "spec": spec}


KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"]


@pytest.mark.parametrize(
    "image",
    ["vllm/vllm-tpu:v0.12.0", "ghcr.io/llm-d/llm-d-inference-sim:v0.7.1", "registry:5000/app:1.2", f"app@{DIGEST}"],
)
def test_pinned_images_pass(image):
    assert check(policies.pinned_images, *workload("Deployment", CONTAINER | {"image": image})) == []


@pytest.mark.parametrize(
    "image, problem",
    [
        ("nginx", "image nginx has no tag"),
        ("registry:5000/app", "image registry:5000/app has no tag"),
        ("nginx:latest", "image nginx:latest uses the moving tag latest"),
        ("", "has no image"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_unpinned_images_are_refused_in_every_workload(kind, image, problem):
    found = check(policies.pinned_images, *workload(kind, CONTAINER | {"image": image}))
    assert found == [f"container app {problem}; pin a release tag or digest."]


def test_init_containers_are_checked_too():
    init = CONTAINER | {"name": "setup", "image": "busybox", "resources": {}}
    resource_type, props = workload("Job", CONTAINER, init=(init,))
    assert check(policies.pinned_images, resource_type, props) == [
        "container setup image busybox has no tag; pin a release tag or digest."
    ]
    assert check(policies.container_resource_requests, resource_type, props) == [
        "container setup sets no resources.requests."
    ]


def test_the_download_jobs_image_is_pinned_too():
    def job(image: str) -> dict:
        return {"template": {"template": {"containers": [{"name": "download", "image": image}]}}}

    assert check(policies.pinned_images, policies.CLOUD_RUN_JOB, job("vllm/vllm-tpu:v0.12.0")) == []
    assert check(policies.pinned_images, policies.CLOUD_RUN_JOB, job("vllm/vllm-tpu:latest")) == [
        "container download image vllm/vllm-tpu:latest uses the moving tag latest; pin a release tag or digest."
    ]


def test_non_workloads_have_no_containers():
    props = {"metadata": {"name": "s"}, "spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}
    assert check(policies.pinned_images, "kubernetes:core/v1:Service", props) == []


@pytest.mark.parametrize("kind", KINDS)
def test_containers_need_resource_requests(kind):
    assert check(policies.container_resource_requests, *workload(kind, CONTAINER)) == []
    limits_only = CONTAINER | {"resources": {"limits": {"memory": "1Gi"}}}
    assert check(policies.container_resource_requests, *workload(kind, limits_only)) == [
        "container app sets no resources.requests."
    ]
    assert len(check(policies.container_resource_requests, *workload(kind, without(CONTAINER, "resources")))) == 1


@pytest.mark.parametrize(
    "security_context, expected",
    [
        ({"allowPrivilegeEscalation": False}, []),
        ({}, []),
        ({"privileged": False}, []),
        ({"privileged": True}, ["container app sets securityContext.privileged: true."]),
        ({"allowPrivilegeEscalation": True}, ["container app sets securityContext.allowPrivilegeEscalation: true."]),
    ],
)
@pytest.mark.parametrize("kind", ["Deployment", "CronJob", "Pod"])
def test_privileged_containers_are_refused(kind, security_context, expected):
    container = CONTAINER | {"securityContext": security_context}
    assert check(policies.no_privileged_containers, *workload(kind, container)) == expected


# ------------------------------------------------------------------------------------- production


def test_stack_of_urn():
    urn = "urn:pulumi:prod::inference-platform::inference:storage:ModelStore$gcp:storage/bucket:Bucket::w"
    assert policies.stack_of(urn) == "prod"


def test_production_clusters_keep_deletion_protection():
    validate = policies.production_safeguards
    unprotected = CLUSTER | {"deletionProtection": False}
    assert check(validate, policies.CLUSTER, CLUSTER) == []
    assert check(validate, policies.CLUSTER, without(CLUSTER, "deletionProtection")) == []  # provider default
    assert check(validate, policies.CLUSTER, unprotected) == [
        "deletionProtection must be true on a production cluster."
    ]
    assert check(validate, policies.CLUSTER, unprotected, stack="dev") == []


def test_production_buckets_are_protected():
    validate = policies.production_safeguards
    assert check(validate, policies.BUCKET, BUCKET, protect=True) == []
    assert check(validate, policies.BUCKET, BUCKET) == ["a production bucket must have the protect resource option."]
    assert check(validate, policies.BUCKET, BUCKET, stack="dev") == []


def test_production_stacks_come_from_policy_config():
    validate = policies.production_safeguards
    config = {"productionStacks": ["staging", "prod-eu"]}
    assert check(validate, policies.BUCKET, BUCKET, config=config) == []
    assert len(check(validate, policies.BUCKET, BUCKET, stack="staging", config=config)) == 1
    assert len(check(validate, policies.BUCKET, BUCKET, stack="prod-eu", config=config)) == 1


# -------------------------------------------------------------------------------- the whole plans


def unwrap(value):
    """Secrets reach a validation as their plain values."""
    if isinstance(value, engine.Secret):
        return unwrap(value.value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def registration_args(reg: engine.Registration, config=None) -> ResourceValidationArgs:
    opts = PolicyResourceOptions(
        bool(reg.options.get("protect")),
        list(reg.options.get("ignoreChanges", [])),
        None,
        [],
        PolicyCustomTimeouts(0, 0, 0),
        list(reg.options.get("additionalSecretOutputs", [])),
        reg.parent or None,
    )
    props = unknown_checking_proxy(unwrap(reg.inputs))
    return ResourceValidationArgs(reg.type, props, reg.urn, reg.name, opts, None, config)


def analyze(plan: engine.Plan, config: dict | None = None) -> dict[EnforcementLevel, set[tuple[str, str, str]]]:
    """Every policy over every registration, as CrossGuard would: level -> {(policy, resource, message)}."""
    found: dict[EnforcementLevel, set[tuple[str, str, str]]] = {MANDATORY: set(), ADVISORY: set()}
    for reg in plan.registrations:
        for policy in policies.POLICIES:
            if isinstance(policy, pulumi_policy.StackValidationPolicy):  # over the whole stack: tests/capacity
                continue
            args = registration_args(reg, (config or {}).get(policy.name))
            for message in violations(policy.validate, args):
                found[policy.enforcement_level].add((policy.name, reg.name, message))
    return found


def cluster_advisories(plan: engine.Plan, policies_: tuple[str, ...] = ("gke-secrets-encryption", "gke-private-nodes")):
    names = {r.name for r in plan.by_type(policies.CLUSTER)}
    return {(policy, name) for policy in policies_ for name in names}


# prod's nodes are private (Pulumi.prod.yaml privateNodes): only Google-managed Secrets encryption is advised there.
ADVISED = {"dev": ("gke-secrets-encryption", "gke-private-nodes"), "prod": ("gke-secrets-encryption",)}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_plan_has_no_mandatory_violation_and_the_expected_advisories(stack, request):
    plan = request.getfixturevalue(stack)
    found = analyze(plan)
    assert found[MANDATORY] == set()
    assert {(policy, name) for policy, name, _ in found[ADVISORY]} == cluster_advisories(plan, ADVISED[stack])
    assert len(cluster_advisories(plan, ADVISED[stack])) == 2 * len(ADVISED[stack])


def test_every_rule_sees_its_resources_in_the_plans(dev, prod):
    """The plans exercise the rules: a type-token typo would make a rule silently pass."""
    types = {r.type for plan in (dev, prod) for r in plan.registrations}
    for resource_type in ("gcp:projects/iAMMember:IAMMember", policies.BUCKET, policies.FIREWALL, policies.CLUSTER):
        assert resource_type in types
    assert {policies.NODE_POOL, "kubernetes:apps/v1:Deployment"} <= types
    (health,) = [r for r in prod.by_type(policies.FIREWALL) if r.name == "network-allow-health-checks"]
    assert violations(policies.health_check_firewall, registration_args(health, {"servingPort": 8080})) != []


def test_the_pack_sees_every_object_the_charts_render(prod):
    """CrossGuard validates each object a chart renders under its own URN; the analyzed plans hold them."""
    epps = [r for r in prod.by_type("kubernetes:apps/v1:Deployment") if r.rendered_by]
    assert len(epps) == 2 and all("$kubernetes:helm.sh/v4:Chart$" in r.urn for r in epps)
    assert all(policies.containers(registration_args(r)) for r in epps)


def test_the_walkthrough_chart_needs_its_exemption_and_only_it(monkeypatch):
    """v1.1.0's endpoint picker has no resources value: exempt, and the only thing exempt."""
    plan = run("prod", overrides={"inferencePool": {"chartVersion": "v1.1.0"}})
    assert analyze(plan)[MANDATORY] == set()
    monkeypatch.setattr(policies, "CHART_EXEMPTIONS", ())
    names = {r.name for r in plan.by_type("kubernetes:apps/v1:Deployment") if r.rendered_by}
    assert len(names) == 2
    assert analyze(plan)[MANDATORY] == {
        ("container-resource-requests", name, "container epp sets no resources.requests.") for name in names
    }


def test_the_models_stack_passes_with_no_exemption(monkeypatch):
    """The body router gets its resources from the post-renderer: nothing in the models stack needs exempting."""
    monkeypatch.setattr(policies, "CHART_EXEMPTIONS", ())
    assert analyze(plan_of("models"))[MANDATORY] == set()


def test_required_encryption_and_private_nodes_block_the_default_dev_plan(dev, prod):
    config = {
        "gke-secrets-encryption-required": {"requireSecretsEncryption": True},
        "gke-private-nodes-required": {"requirePrivateNodes": True},
    }
    found = analyze(dev, config)
    clusters = {r.name for r in dev.by_type(policies.CLUSTER)}
    expected = {(p, c) for p in ("gke-secrets-encryption-required", "gke-private-nodes-required") for c in clusters}
    assert {(policy, name) for policy, name, _ in found[MANDATORY]} == expected
    # prod's nodes are private: only the encryption it leaves to Google blocks it
    found = analyze(prod, config)
    assert {policy for policy, _, _ in found[MANDATORY]} == {"gke-secrets-encryption-required"}


def test_hardened_prod_passes_every_rule_with_everything_required():
    plan = run(
        "prod",
        overrides={
            "secretsEncryptionKeys": KEYS,
            "privateNodes": {"enabled": True, "masterAuthorizedNetworks": ["203.0.113.0/24"]},
        },
    )
    assert plan.by_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")  # the key grant is checked too
    config = {
        "gke-secrets-encryption-required": {"requireSecretsEncryption": True},
        "gke-private-nodes-required": {"requirePrivateNodes": True},
    }
    assert analyze(plan, config) == {MANDATORY: set(), ADVISORY: set()}


def test_dev_treated_as_production_is_refused_for_its_disposable_clusters_and_bucket(dev):
    found = analyze(dev, {"production-safeguards": {"productionStacks": ["dev"]}})
    flagged = {(policy, name) for policy, name, _ in found[MANDATORY]}
    clusters = {r.name for r in dev.by_type(policies.CLUSTER)}
    buckets = {r.name for r in dev.by_type(policies.BUCKET)}
    assert flagged == {("production-safeguards", name) for name in clusters | buckets}


# ------------------------------------------------------------------------------------- the pack


def test_main_builds_the_pack(monkeypatch):
    """`PolicyPack(...)` serves gRPC forever, so record its arguments instead."""
    built: list[dict] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.append(kwargs))
    runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="__main__")
    (pack,) = built
    assert re.fullmatch(r"[a-zA-Z0-9-_.]{1,100}", pack["name"])
    assert pack["enforcement_level"] == MANDATORY and pack["description"]
    assert pack["policies"] is policies.POLICIES
    names = [p.name for p in pack["policies"]]
    assert names and len(names) == len(set(names))
    advisory = {p.name for p in pack["policies"] if p.enforcement_level == ADVISORY}
    assert advisory == {"gke-secrets-encryption", "gke-private-nodes"}
    assert all(p.enforcement_level in (MANDATORY, ADVISORY) and p.description for p in pack["policies"])


def test_config_schemas_have_defaults():
    configured = {p.name: p.config_schema.properties for p in policies.POLICIES if p.config_schema}
    assert configured == {
        "health-check-firewall": policies.SERVING_PORT,
        "gke-secrets-encryption-required": policies.REQUIRE_SECRETS_ENCRYPTION,
        "gke-private-nodes-required": policies.REQUIRE_PRIVATE_NODES,
        "production-safeguards": policies.PRODUCTION_STACKS,
        "production-not-spot-alone": policies.PRODUCTION_STACKS,
    }
    assert all("default" in spec for schema in configured.values() for spec in schema.values())


def test_pack_project_files_pin_the_programs_pulumi():
    assert yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())["runtime"]["name"] == "python"
    pins = {}
    for name in ("requirements.txt", "requirements-dev.txt", "policy/requirements.txt"):
        for line in (engine.ROOT / name).read_text().splitlines():
            line = line.split("#")[0].strip()
            if "==" in line:
                package, version = line.split("==")
                pins.setdefault(package, set()).add(version)
    assert len(pins["pulumi"]) == 1 and len(pins["pulumi-policy"]) == 1


def test_the_docs_document_every_policy_and_config_key():
    section = (engine.ROOT / "docs" / "policy.md").read_text()
    assert "docs/policy.md" in (engine.ROOT / "README.md").read_text()
    for policy in policies.POLICIES:
        assert f"`{policy.name}`" in section, policy.name
        for key in policy.config_schema.properties if policy.config_schema else ():
            assert f"`{key}`" in section, key


def test_only_the_v1_1_0_charts_endpoint_picker_is_exempt_from_requests():
    epp = "registry.k8s.io/gateway-api-inference-extension/epp"
    type_, props = workload("Deployment", {"name": "epp", "image": f"{epp}:v1.1.0"})
    chart = "inference:serving:InferencePool$kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment"
    rendered = args_for(type_, props, name="inference-pool-us-east5-chart:inference/gemma-pool-epp")
    rendered.urn = (
        f"urn:pulumi:prod::inference-platform::{chart}::inference-pool-us-east5-chart:inference/gemma-pool-epp"
    )
    assert violations(policies.container_resource_requests, rendered) == []
    assert check(policies.container_resource_requests, type_, props) == ["container epp sets no resources.requests."]
    # v1.5.0's chart has a value for the endpoint picker's resources: no exemption.
    rendered.props = workload("Deployment", {"name": "epp", "image": f"{epp}:v1.5.0"})[1]
    assert violations(policies.container_resource_requests, rendered) == ["container epp sets no resources.requests."]
    type_, props = workload("Deployment", {"name": "sidecar", "image": "busybox:1.37"})
    rendered.props = props
    assert violations(policies.container_resource_requests, rendered) == [
        "container sidecar sets no resources.requests."
    ]
