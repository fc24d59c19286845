"""The pack's rules: plain validators over a resource's inputs (camelCase, as the engine sees them).

Each validator takes `(args, report_violation)` like every CrossGuard resource validation, so tests call
them directly; `POLICIES` wraps them with their enforcement level and config schema. Inputs arrive as
read-only mappings and sequences (the SDK's unknown-checking proxies), never as dict or list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from exemptions import CHART_EXEMPTIONS, EXEMPTIONS
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from tpu_pools import flex_start, preemptible, standing_slices, tpu_pools_by_zone

PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
AUTHORITATIVE_IAM = {
    f"gcp:{module}/iAM{kind}:IAM{kind}"
    for module in ("projects", "folder", "organizations")
    for kind in ("Binding", "Policy")
}
# Project-wide, these let a member act as any service account of the project.
IMPERSONATION_ROLES = {
    "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.workloadIdentityUser",
}
ADMIN_ROLE = re.compile(r"admin(\.v\d+)?$", re.IGNORECASE)
OPEN_RANGES = {"0.0.0.0/0", "::/0"}
HEALTH_CHECK_RANGES = {"130.211.0.0/22", "35.191.0.0/16"}  # Google Cloud load balancer health checks
WORKLOADS = {
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:apps/v1:ReplicaSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
    "kubernetes:core/v1:Pod",
}
CLUSTER = "gcp:container/cluster:Cluster"
CLOUD_RUN_JOB = "gcp:cloudrunv2/job:Job"
NODE_POOL = "gcp:container/nodePool:NodePool"
BUCKET = "gcp:storage/bucket:Bucket"
FIREWALL = "gcp:compute/firewall:Firewall"

SERVING_PORT = {
    "servingPort": {
        "type": "integer",
        "minimum": 1,
        "maximum": 65535,
        "default": 8000,  # the program's `servingPort` default in Pulumi.yaml
        "description": "Port the model servers listen on: the only port health checks may reach.",
    }
}
PRODUCTION_STACKS = {
    "productionStacks": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["prod"],
        "description": "Stacks that must keep deletion protection on clusters and `protect` on buckets.",
    }
}
REQUIRE_SECRETS_ENCRYPTION = {
    "requireSecretsEncryption": {
        "type": "boolean",
        "default": False,
        "description": "Block clusters whose Kubernetes Secrets are not encrypted with a Cloud KMS key.",
    }
}
REQUIRE_PRIVATE_NODES = {
    "requirePrivateNodes": {
        "type": "boolean",
        "default": False,
        "description": "Block clusters whose nodes have external IP addresses.",
    }
}


def setting(args, schema: Mapping[str, Mapping[str, Any]]) -> Any:
    """The policy's configured value, or its schema default when the pack config leaves it out."""
    ((key, spec),) = schema.items()
    return (args.get_config() or {}).get(key, spec["default"])


def stack_of(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> `<stack>`."""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


def _class(resource_type: str) -> str:
    return resource_type.rsplit(":", 1)[-1]


def _get(value: Any, *path: str) -> Any:
    """A nested input, or None when any step is missing."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


# ---------------------------------------------------------------------------------------------- IAM


def no_authoritative_iam(args, report_violation: ReportViolation) -> None:
    """An authoritative binding or policy at project, folder or organization level silently removes every
    member granted elsewhere (by people, other stacks or Google's own service agents)."""
    if args.resource_type in AUTHORITATIVE_IAM:
        report_violation(f"{_class(args.resource_type)} is authoritative; grant each member with an IAMMember.")


def _roles(args) -> list[str]:
    name = _class(args.resource_type)
    if name.endswith(("IAMMember", "IAMBinding")):
        return [args.props.get("role") or ""]
    if name.endswith("IAMPolicy") and isinstance(args.props.get("policyData"), str):
        return [b.get("role", "") for b in json.loads(args.props["policyData"]).get("bindings", [])]
    return []


def no_primitive_roles(args, report_violation: ReportViolation) -> None:
    """Owner, editor and viewer span every service of the resource; grant a predefined role instead."""
    for role in _roles(args):
        if role in PRIMITIVE_ROLES:
            report_violation(f"grants the primitive role {role}; use a predefined role for the one service needed.")


def exemption(role: str, member: str, project: str | None = None) -> str | None:
    """Why a broad project role is allowed for this member on `project`, or None. A pattern with a `project`
    group exempts only an account of the project the role is granted on."""
    for exempt_role, pattern, why in EXEMPTIONS:
        found = pattern.match(member) if role == exempt_role else None
        if found and found.groupdict().get("project", project) == project:
            return why
    return None


def no_project_admin_roles(args, report_violation: ReportViolation) -> None:
    """Project-wide admin and impersonation roles reach every resource of the project; grant them on the one
    resource that needs them, except the exemptions Google prescribes."""
    if args.resource_type != "gcp:projects/iAMMember:IAMMember":
        return
    role = args.props.get("role") or ""
    member, project = args.props.get("member") or "", args.props.get("project")
    if (ADMIN_ROLE.search(role) or role in IMPERSONATION_ROLES) and not exemption(role, member, project):
        report_violation(f"grants {role} on the whole project; grant it on the resource that needs it.")


# -------------------------------------------------------------------------------------- storage


def bucket_hardening(args, report_violation: ReportViolation) -> None:
    """Uniform access keeps object ACLs out of the picture; public access prevention blocks allUsers grants;
    versioning keeps an overwritten or deleted object recoverable."""
    if args.resource_type != BUCKET:
        return
    if args.props.get("uniformBucketLevelAccess") is not True:
        report_violation("uniformBucketLevelAccess must be true.")
    if args.props.get("publicAccessPrevention") != "enforced":
        report_violation('publicAccessPrevention must be "enforced".')
    if (args.props.get("versioning") or {}).get("enabled") is not True:
        report_violation("versioning must be enabled.")


# -------------------------------------------------------------------------------------- network


def firewall_no_open_ingress(args, report_violation: ReportViolation) -> None:
    """Nothing in this platform is meant to be reached from the whole internet, nor on every protocol."""
    if args.resource_type != FIREWALL:
        return
    for source in args.props.get("sourceRanges") or []:
        if source in OPEN_RANGES:
            report_violation(f"sourceRanges contains {source}; admit only the ranges that need access.")
    for allow in args.props.get("allows") or []:
        if str(allow.get("protocol", "")).lower() == "all":
            report_violation('allows protocol "all"; name the protocol and ports.')


def health_check_firewall(args, report_violation: ReportViolation) -> None:
    """A rule for Google's health-check ranges exists to let probes reach the model servers: only those
    ranges, only TCP to the serving port; anything more is an opening nobody reviews."""
    if args.resource_type != FIREWALL:
        return
    sources = set(args.props.get("sourceRanges") or [])
    if not sources & HEALTH_CHECK_RANGES:
        return
    port = str(int(setting(args, SERVING_PORT)))
    for extra in sorted(sources - HEALTH_CHECK_RANGES):
        report_violation(f"admits {extra} besides Google's health-check ranges.")
    allows = args.props.get("allows") or []
    if not allows:
        report_violation(f"allows nothing explicitly; allow tcp:{port} only.")
    for allow in allows:
        protocol = str(allow.get("protocol", "")).lower()
        ports = list(allow.get("ports") or [])
        if protocol != "tcp" or ports != [port]:
            shown = ",".join(ports) or "every port"
            report_violation(f"allows {protocol} on {shown}; health checks need tcp:{port} only.")


# ------------------------------------------------------------------------------------------ GKE


def node_config_problems(node_config: Any, where: str) -> list[str]:
    """Node settings must be explicit: GKE's own defaults leave secure boot off."""
    problems = []
    if _get(node_config, "workloadMetadataConfig", "mode") != "GKE_METADATA":
        problems.append(f"{where}: workloadMetadataConfig.mode must be GKE_METADATA (Workload Identity on nodes).")
    for flag in ("enableSecureBoot", "enableIntegrityMonitoring"):
        if _get(node_config, "shieldedInstanceConfig", flag) is not True:
            problems.append(f"{where}: shieldedInstanceConfig.{flag} must be true.")
    return problems


def management_problems(management: Any, where: str) -> list[str]:
    flags = ("autoRepair", "autoUpgrade")  # flex-start pools too: GKE creates them with both (capacity-ladder.md)
    return [f"{where}: management.{flag} must be true." for flag in flags if _get(management, flag) is not True]


def gke_cluster_hardening(args, report_violation: ReportViolation) -> None:
    """Workload Identity, no legacy ABAC, shielded nodes; the cluster's own node config (its default pool,
    even when removed right after creation) and inline pools hardened like separate pools. Unset
    top-level flags take the provider's defaults, which are the safe values."""
    if args.resource_type != CLUSTER:
        return
    props = args.props
    if not _get(props, "workloadIdentityConfig", "workloadPool"):
        report_violation("workloadIdentityConfig.workloadPool must be set (Workload Identity).")
    if props.get("enableLegacyAbac", False) is not False:
        report_violation("enableLegacyAbac must be false.")
    if props.get("enableShieldedNodes", True) is not True:
        report_violation("enableShieldedNodes must be true.")
    for problem in node_config_problems(props.get("nodeConfig"), "nodeConfig"):
        report_violation(problem)
    for i, pool in enumerate(props.get("nodePools") or []):
        where = f"nodePools[{i}]"
        for problem in node_config_problems(pool.get("nodeConfig"), f"{where}.nodeConfig"):
            report_violation(problem)
        for problem in management_problems(pool.get("management"), where):
            report_violation(problem)


def gke_node_pool_hardening(args, report_violation: ReportViolation) -> None:
    """Every pool: Workload Identity metadata, shielded instances, auto-repair and auto-upgrade."""
    if args.resource_type != NODE_POOL:
        return
    problems = node_config_problems(args.props.get("nodeConfig"), "nodeConfig")
    for problem in problems + management_problems(args.props.get("management"), "nodePool"):
        report_violation(problem)


def _secrets_encrypted(props: Mapping[str, Any]) -> bool:
    encryption = props.get("databaseEncryption")
    return _get(encryption, "state") == "ENCRYPTED" and bool(_get(encryption, "keyName"))


def gke_secrets_encryption(args, report_violation: ReportViolation) -> None:
    """Advisory: without a Cloud KMS key, Kubernetes Secrets rest under Google-managed keys only."""
    if args.resource_type == CLUSTER and not _secrets_encrypted(args.props):
        report_violation("Kubernetes Secrets are not encrypted with a Cloud KMS key (set secretsEncryptionKeys).")


def gke_secrets_encryption_required(args, report_violation: ReportViolation) -> None:
    """Blocks clusters without application-layer secrets encryption where the config requires it."""
    required = args.resource_type == CLUSTER and setting(args, REQUIRE_SECRETS_ENCRYPTION)
    if required and not _secrets_encrypted(args.props):
        report_violation("databaseEncryption must be ENCRYPTED with a Cloud KMS keyName.")


def _private_nodes(props: Mapping[str, Any]) -> bool:
    return _get(props, "privateClusterConfig", "enablePrivateNodes") is True


def gke_private_nodes(args, report_violation: ReportViolation) -> None:
    """Advisory: nodes with external IP addresses can be reached from, and reach, the internet directly."""
    if args.resource_type == CLUSTER and not _private_nodes(args.props):
        report_violation("nodes have external IP addresses (set privateNodes.enabled).")


def gke_private_nodes_required(args, report_violation: ReportViolation) -> None:
    """Blocks clusters with public nodes where the config requires private ones."""
    required = args.resource_type == CLUSTER and setting(args, REQUIRE_PRIVATE_NODES)
    if required and not _private_nodes(args.props):
        report_violation("privateClusterConfig.enablePrivateNodes must be true.")


# ----------------------------------------------------------------------------------- Kubernetes


def pod_spec(args) -> Any:
    """The pod template of a workload, None for any other resource."""
    if args.resource_type not in WORKLOADS:
        return None
    kind = _class(args.resource_type)
    if kind == "Pod":
        return args.props.get("spec")
    if kind == "CronJob":
        return _get(args.props, "spec", "jobTemplate", "spec", "template", "spec")
    return _get(args.props, "spec", "template", "spec")


def containers(args) -> Iterator[Any]:
    spec = pod_spec(args)
    for field in ("initContainers", "containers"):
        yield from _get(spec, field) or []


def image_problem(image: Any) -> str | None:
    """None when the image is pinned to a digest or to a tag other than latest."""
    if not image:
        return "has no image"
    if "@" in image:
        return None
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:  # no colon, or the colon is a registry port
        return f"image {image} has no tag"
    if tag == "latest":
        return f"image {image} uses the moving tag latest"
    return None


def pinned_images(args, report_violation: ReportViolation) -> None:
    """A moving tag makes a rollout or a node replacement run code nobody reviewed (the weights download's
    Cloud Run job included)."""
    found = containers(args)
    if args.resource_type == CLOUD_RUN_JOB:
        found = _get(args.props, "template", "template", "containers") or []
    for container in found:
        problem = image_problem(container.get("image"))
        if problem:
            report_violation(f"container {container.get('name')} {problem}; pin a release tag or digest.")


def chart_exempt(rule: str, urn: str, container: Mapping[str, Any]) -> bool:
    name, image = container.get("name"), container.get("image")
    return any(r == rule and p.search(urn) and (c, i) == (name, image) for r, p, c, i, _ in CHART_EXEMPTIONS)


def container_resource_requests(args, report_violation: ReportViolation) -> None:
    """Without requests the scheduler packs pods blind and they are the first evicted under pressure."""
    for container in containers(args):
        if chart_exempt("container-resource-requests", args.urn, container):
            continue
        if not _get(container, "resources", "requests"):
            report_violation(f"container {container.get('name')} sets no resources.requests.")


def no_privileged_containers(args, report_violation: ReportViolation) -> None:
    """A privileged container, or one allowed to gain privileges, is root on the node."""
    for container in containers(args):
        for flag in ("privileged", "allowPrivilegeEscalation"):
            if _get(container, "securityContext", flag) is True:
                report_violation(f"container {container.get('name')} sets securityContext.{flag}: true.")


# ----------------------------------------------------------------------------------- production


def production_safeguards(args, report_violation: ReportViolation) -> None:
    """In a production stack a mistyped `pulumi destroy` or replacement must not take the clusters or the
    weights with it. Unset deletionProtection is the provider's default, true."""
    if stack_of(args.urn) not in setting(args, PRODUCTION_STACKS):
        return
    if args.resource_type == CLUSTER and args.props.get("deletionProtection", True) is not True:
        report_violation("deletionProtection must be true on a production cluster.")
    if args.resource_type == BUCKET and not args.opts.protect:
        report_violation("a production bucket must have the protect resource option.")


def production_not_spot_alone(args, report_violation: ReportViolation) -> None:
    """A production cluster must hold standing TPU slices that no preemption takes: at least one pool that is
    neither Spot nor flex-start keeps a slice at steady state. A ladder of Spot then on-demand does not: its first
    rung holds every standing slice and the later ones start empty (docs/capacity-ladder.md), so it serves from
    Spot alone until a preemption wave."""
    for zone, pools in tpu_pools_by_zone(args.resources, NODE_POOL).items():
        if stack_of(pools[0].urn) not in setting(args, PRODUCTION_STACKS):
            continue
        if not any(standing_slices(p) >= 1 and not preemptible(p) and not flex_start(p) for p in pools):
            report_violation(
                f"production TPU capacity in {zone} is Spot only at steady state: no reservation or on-demand pool "
                "holds a slice (minNodeCount >= 1); put a reservation or on-demand rung first (capacity.ladder).",
                pools[0].urn,
            )


def _policy(
    name: str,
    description: str,
    validate: Callable[..., None],
    level: EnforcementLevel = EnforcementLevel.MANDATORY,
    schema: Mapping[str, Mapping[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name,
        description=description,
        enforcement_level=level,
        validate=validate,
        config_schema=PolicyConfigSchema(properties=dict(schema)) if schema else None,
    )


POLICIES = [
    _policy(
        "no-authoritative-iam",
        "No authoritative IAM binding or policy on a project, folder or organization.",
        no_authoritative_iam,
    ),
    _policy("no-primitive-roles", "No owner, editor or viewer role in any IAM grant.", no_primitive_roles),
    _policy(
        "no-project-admin-roles",
        "No project-wide admin or impersonation role, except the documented exemptions.",
        no_project_admin_roles,
    ),
    _policy(
        "bucket-hardening",
        "Buckets use uniform bucket-level access, enforce public access prevention and keep versions.",
        bucket_hardening,
    ),
    _policy(
        "firewall-no-open-ingress",
        'No firewall rule admits 0.0.0.0/0 or ::/0, or allows protocol "all".',
        firewall_no_open_ingress,
    ),
    _policy(
        "health-check-firewall",
        "The health-check firewall admits only Google's probe ranges, on TCP to the serving port.",
        health_check_firewall,
        schema=SERVING_PORT,
    ),
    _policy(
        "gke-cluster-hardening",
        "GKE clusters: Workload Identity, no legacy ABAC, shielded nodes, hardened node config.",
        gke_cluster_hardening,
    ),
    _policy(
        "gke-node-pool-hardening",
        "GKE node pools: GKE_METADATA, secure boot, integrity monitoring, auto-repair and auto-upgrade.",
        gke_node_pool_hardening,
    ),
    _policy(
        "gke-secrets-encryption",
        "GKE clusters should encrypt Kubernetes Secrets with a Cloud KMS key.",
        gke_secrets_encryption,
        EnforcementLevel.ADVISORY,
    ),
    _policy(
        "gke-secrets-encryption-required",
        "GKE clusters encrypt Kubernetes Secrets with a Cloud KMS key (when requireSecretsEncryption is set).",
        gke_secrets_encryption_required,
        schema=REQUIRE_SECRETS_ENCRYPTION,
    ),
    _policy(
        "gke-private-nodes",
        "GKE nodes should have no external IP addresses.",
        gke_private_nodes,
        EnforcementLevel.ADVISORY,
    ),
    _policy(
        "gke-private-nodes-required",
        "GKE nodes have no external IP addresses (when requirePrivateNodes is set).",
        gke_private_nodes_required,
        schema=REQUIRE_PRIVATE_NODES,
    ),
    _policy("pinned-images", "Container images are pinned to a release tag or digest, never latest.", pinned_images),
    _policy(
        "container-resource-requests",
        "Every container sets resources.requests.",
        container_resource_requests,
    ),
    _policy(
        "no-privileged-containers",
        "No container is privileged or allowed to escalate privileges.",
        no_privileged_containers,
    ),
    _policy(
        "production-safeguards",
        "Production stacks keep deletion protection on clusters and protect on buckets.",
        production_safeguards,
        schema=PRODUCTION_STACKS,
    ),
    StackValidationPolicy(
        name="production-not-spot-alone",
        description="Production stacks serve from more than Spot TPU capacity in every cluster.",
        enforcement_level=EnforcementLevel.MANDATORY,
        validate=production_not_spot_alone,
        config_schema=PolicyConfigSchema(properties=dict(PRODUCTION_STACKS)),
    ),
]
