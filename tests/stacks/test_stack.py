"""Whole stacks: prod is the walkthrough's sections 3-4, dev and prod coexist, N regions build, order is right."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import closure, run
from tools import engine
from tools.benchmark import regions

# The resources of walkthrough sections 3-8 (network.tf, fuse.tf, gke.tf, fleet.tf, then the kubectl and
# helm steps) and what prod has for each: same count, except the deliberate departures noted.
PROD_RESOURCES = Counter(
    {
        # base_apis + fleet_apis, plus IAM, Network Services, Autoscaling, ..., and Cloud Run and Secret
        # Manager for the weights download, and the Container File System API for image streaming on the TPU pools
        "gcp:projects/service:Service": 17,
        "gcp:compute/network:Network": 1,  # vpc
        "gcp:compute/subnetwork:Subnetwork": 4,  # subnets + proxy_subnets
        "gcp:compute/address:Address": 2,  # gateway_ips
        "gcp:compute/firewall:Firewall": 3,  # allow_internal + allow_hc, and the proxies' own rule
        "random:index/randomId:RandomId": 3,  # globally unique bucket names; each download job's execution token
        "gcp:storage/bucket:Bucket": 2,  # model_bucket: one per region instead of one US bucket
        "gcp:serviceaccount/account:Account": 3,  # gcs_fuse_sa, plus the downloader and the node identity
        # objectAdmin split into read (serving) / write (the download job), and the serving identity's write
        # on the compilation cache's prefix only (an IAM condition), per bucket
        "gcp:storage/bucketIAMMember:BucketIAMMember": 6,
        # workload_identity_binding, as a member on the serving SA; the download job runs on Cloud Run as its
        # own service account and needs none
        "gcp:serviceaccount/iAMMember:IAMMember": 1,
        # mci_sa_admin, the MCS importer's network viewer, the node identity's four roles, the customisation guide's
        # metrics adapter's monitoring viewer
        "gcp:projects/iAMMember:IAMMember": 7,
        "gcp:container/cluster:Cluster": 2,  # clusters
        "gcp:container/nodePool:NodePool": 4,  # tpu_pools + the system pools replacing the default pool
        "pulumi:providers:kubernetes": 2,  # the walkthrough's kubectl contexts
        "gcp:projects/serviceIdentity:ServiceIdentity": 1,  # mci_sa
        # wait_for_apis (IAM propagation), and each download job's wait for its own grants
        "time:index/sleep:Sleep": 3,
        "gcp:gkehub/membership:Membership": 2,  # memberships
        "gcp:gkehub/feature:Feature": 2,  # mcs + ingress
        "pulumi-python:dynamic:Resource": 1,  # the cleanup script's firewall-rule hunt, run by destroy
        # Sections 5-8, per cluster unless noted (each cluster fills its own bucket).
        "kubernetes:core/v1:Namespace": 2,  # a non-default namespace instead of `default`
        "kubernetes:core/v1:ServiceAccount": 2,  # gemma-ksa
        # The download Job and its hf-secret become a Cloud Run job per regional bucket, run by `pulumi up`
        # as soon as the bucket exists, and one Secret Manager secret that only the job's account can read.
        "gcp:cloudrunv2/job:Job": 2,
        "gcp:secretmanager/secret:Secret": 1,
        "gcp:secretmanager/secretVersion:SecretVersion": 1,
        "gcp:secretmanager/secretIamMember:SecretIamMember": 1,
        "kubernetes:resource.k8s.io/v1:ResourceClaimTemplate": 2,  # all-netdev
        "kubernetes:apps/v1:Deployment": 2,  # vllm-gemma
        "kubernetes:policy/v1:PodDisruptionBudget": 2,  # architecture § 12.10, not in the walkthrough
        "kubernetes:core/v1:Service": 2,  # vllm-gemma-service
        "kubernetes:monitoring.googleapis.com/v1:PodMonitoring": 2,  # vllm-gemma-monitoring
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": 2,  # the InferenceObjective CRD
        "kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceObjective": 2,  # gemma-objective
        "kubernetes:autoscaling.gke.io/v1beta1:AutoscalingMetric": 2,  # tpu-cache
        "kubernetes:helm.sh/v4:Chart": 2,  # helm install gemma-pool
        "kubernetes:inference.networking.k8s.io/v1:InferencePoolPatch": 2,  # kubectl annotate ... export
        "kubernetes:gateway.networking.k8s.io/v1:Gateway": 1,  # cross-region-gateway, config cluster
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 1,  # gemma-route
        "kubernetes:networking.gke.io/v1:HealthCheckPolicy": 1,  # gemma-health-check
        "kubernetes:networking.gke.io/v1:GCPBackendPolicy": 1,  # gemma-backend-policy
        # Not in the walkthrough: per cluster, the serving namespace's default deny and what its model servers and
        # endpoint picker admit, and the metrics adapter namespace's deny and its API port (docs/security.md).
        "kubernetes:networking.k8s.io/v1:NetworkPolicy": 10,
        # Safe by default: Cloud NAT for the private nodes (a router per region), the weights' Data Access logs.
        "gcp:compute/router:Router": 2,
        "gcp:compute/routerNat:RouterNat": 2,
        "gcp:projects/iAMAuditConfig:IAMAuditConfig": 1,
    }
) + Counter(
    {
        # The customisation guide: the alert rules, the error metric and a dashboard per stack; in each cluster the
        # custom metrics adapter (namespace, account, RBAC, Deployment, Service, three APIServices) and
        # one HorizontalPodAutoscaler per pool.
        "gcp:monitoring/alertPolicy:AlertPolicy": 4,
        "gcp:logging/metric:Metric": 1,
        "gcp:monitoring/dashboard:Dashboard": 1,
        "kubernetes:core/v1:Namespace": 2,
        "kubernetes:core/v1:ServiceAccount": 2,
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": 4,
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": 6,
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": 2,
        "kubernetes:apps/v1:Deployment": 2,
        "kubernetes:core/v1:Service": 2,
        "kubernetes:apiregistration.k8s.io/v1:APIService": 6,
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": 2,
    }
)

REQUIRED_APIS = {
    "gcp:compute/network:Network": ["compute"],
    "gcp:compute/subnetwork:Subnetwork": ["compute"],
    "gcp:compute/address:Address": ["compute"],
    "gcp:compute/firewall:Firewall": ["compute"],
    "gcp:storage/bucket:Bucket": ["storage"],
    "gcp:storage/bucketIAMMember:BucketIAMMember": ["storage", "iam"],
    "gcp:serviceaccount/account:Account": ["iam"],
    "gcp:serviceaccount/iAMMember:IAMMember": ["iam", "container"],
    "gcp:projects/iAMMember:IAMMember": ["cloudresourcemanager"],
    "gcp:container/cluster:Cluster": ["container", "compute", "monitoring", "logging", "autoscaling"],
    "gcp:container/nodePool:NodePool": ["container"],
    "gcp:gkehub/membership:Membership": ["gkehub", "container"],
    "gcp:projects/serviceIdentity:ServiceIdentity": ["multiclusteringress"],
    "gcp:gkehub/feature:Feature": ["gkehub"],
    "gcp:monitoring/alertPolicy:AlertPolicy": ["monitoring"],
    "gcp:monitoring/dashboard:Dashboard": ["monitoring"],
    "gcp:logging/metric:Metric": ["logging"],
    "gcp:cloudrunv2/job:Job": ["run", "secretmanager", "storage", "iam"],
    "gcp:secretmanager/secret:Secret": ["secretmanager"],
    "gcp:secretmanager/secretVersion:SecretVersion": ["secretmanager"],
    "gcp:secretmanager/secretIamMember:SecretIamMember": ["secretmanager", "iam"],
}


def test_prod_has_exactly_the_walkthrough_resources(prod):
    """What the program declares; the objects its charts render are counted in test_charts.py."""
    assert Counter(r.type for r in prod.registrations if (r.custom or r.remote) and not r.rendered_by) == PROD_RESOURCES


def test_components_and_their_type_tokens(prod):
    components = Counter(r.type for r in prod.registrations if not r.custom)
    assert components == Counter(
        {
            "inference:apis:ProjectApis": 1,
            "inference:network:Network": 1,
            "inference:identity:NodeIdentity": 1,
            "inference:cluster:InferenceCluster": 2,
            "inference:storage:ModelStore": 1,
            "inference:storage:WeightsDownload": 1,
            "inference:fleet:Fleet": 1,
            "inference:serving:ModelServer": 2,
            "inference:serving:InferencePool": 2,
            "inference:serving:ServingNetworkPolicies": 2,
            "inference:gateway:MultiClusterGateway": 1,
            "inference:observability:Observability": 1,
            "inference:autoscaling:AdapterAccess": 1,
            "inference:autoscaling:PoolAutoscaling": 2,
            "kubernetes:helm.sh/v4:Chart": 2,  # a remote component: one registration in the plan
        }
    )
    for reg in prod.registrations:
        if reg.custom and not reg.rendered_by:  # a chart's objects are its children
            assert reg.parent.split("::")[-2].startswith("pulumi:pulumi:Stack$inference:"), reg.urn


def test_every_gcp_resource_sets_the_project_from_config(prod, dev):
    for plan, project in ((prod, "tpu-inference-prod"), (dev, "tpu-inference-dev")):
        for reg in plan.registrations:
            if reg.type.startswith("gcp:") and "project" in _project_scoped(reg):
                assert reg.inputs["project"] == project, reg.name


def _project_scoped(reg: engine.Registration) -> set[str]:
    # IAM members on a bucket or service account are scoped by that resource, not the project.
    return (
        set()
        if reg.type
        in (
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            "gcp:serviceaccount/iAMMember:IAMMember",
            "gcp:secretmanager/secretVersion:SecretVersion",  # scoped by its secret
        )
        else {"project"}
    )


def test_every_gcp_name_starts_with_prefix_and_stack(prod, dev):
    for plan in (prod, dev):
        base = f"tpu-gke-dranet-{plan.stack}"
        for reg in plan.registrations:
            name = _gcp_name(reg)
            if name and _is_gcp(reg) and reg.type not in _FIXED_NAMES:
                assert name.startswith(base), (reg.type, name)


# Project-wide things two stacks may both declare: enabling an API (never disabled on destroy) and
# the fleet features, which a second stack in the project turns off with fleet.manageFeatures: false.
_SHARED_SINGLETONS = {"gcp:projects/service:Service", "gcp:projects/serviceIdentity:ServiceIdentity"}
# Named by the API, not by the program (their ids are generated): nothing to collide on.
_UNNAMED = {"gcp:monitoring/alertPolicy:AlertPolicy", "gcp:monitoring/dashboard:Dashboard"}


# Names GCP fixes (APIs, fleet features) or scopes to the cluster (node pools, Kubernetes objects).
_FIXED_NAMES = _SHARED_SINGLETONS | {"gcp:gkehub/feature:Feature", "gcp:container/nodePool:NodePool"}


def _is_gcp(reg: engine.Registration) -> bool:
    return reg.type.startswith("gcp:")


def _gcp_name(reg: engine.Registration) -> str | None:
    i = reg.inputs
    for key in ("name", "accountId", "membershipId"):
        if isinstance(i.get(key), str):
            return i[key]
    return None


def _identity(reg: engine.Registration) -> tuple | None:
    """What makes a resource unique inside one project, or None if it has no name of its own."""
    i = reg.inputs
    if reg.type in _SHARED_SINGLETONS | _UNNAMED or not reg.type.startswith("gcp:"):
        return None
    if reg.type.endswith("IAMMember"):
        return (reg.type, i.get("project") or i.get("bucket") or i.get("serviceAccountId"), i["role"], i["member"])
    if reg.type == "gcp:container/nodePool:NodePool":
        return (reg.type, i["location"], i["cluster"], i["name"])
    return (reg.type, i.get("region") or i.get("location", "global").lower(), _gcp_name(reg))


def test_dev_and_prod_coexist_in_one_project():
    shared = {"project": "tpu-inference-shared"}
    prod = run("prod", overrides=shared)
    dev = run("dev", overrides=shared | {"fleet": {"manageFeatures": False}})
    ids = [_identity(r) for plan in (prod, dev) for r in plan.registrations]
    ids = [i for i in ids if i is not None]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert len(ids) > 60 and duplicates == []


def test_two_stacks_owning_the_fleet_features_would_collide():
    """Why fleet.manageFeatures exists: the MCS/MCI features and their agents' grants are one per project."""
    shared = {"project": "tpu-inference-shared"}
    ids = [_identity(r) for s in ("prod", "dev") for r in run(s, overrides=shared).registrations]
    duplicates = sorted({i[2] for i, n in Counter(i for i in ids if i).items() if n > 1})
    assert duplicates == [
        "multiclusteringress",
        "multiclusterservicediscovery",
        "roles/compute.networkViewer",
        "roles/container.admin",
        "roles/monitoring.viewer",
    ]


@pytest.mark.parametrize("n", [1, 2, 4])
def test_n_regions_build(n):
    config_region = "us-east5" if n > 1 else "europe-west4"
    plan = run("prod", overrides={"regions": regions(n), "configRegion": config_region})
    types = Counter(r.type for r in plan.registrations if r.custom)
    assert types["gcp:container/cluster:Cluster"] == n
    assert types["gcp:container/nodePool:NodePool"] == 2 * n
    assert types["gcp:compute/subnetwork:Subnetwork"] == 2 * n
    assert types["gcp:compute/address:Address"] == n
    assert types["gcp:storage/bucket:Bucket"] == n
    assert types["gcp:gkehub/membership:Membership"] == n
    assert types["pulumi:providers:kubernetes"] == n
    assert types["gcp:compute/network:Network"] == 1 and types["gcp:gkehub/feature:Feature"] == 2
    assert len(plan.outputs["kubeContexts"]) == n
    proxies = plan.one("gcp:compute/firewall:Firewall", "network-allow-proxies").inputs["sourceRanges"]
    assert proxies == sorted(r["proxyCidr"] for r in regions(n))


def test_every_resource_waits_for_the_apis_it_uses(prod):
    apis = {r.inputs["service"].split(".")[0]: r.urn for r in prod.by_type("gcp:projects/service:Service")}
    checked = 0
    for reg in prod.registrations:
        for api in REQUIRED_APIS.get(reg.type, []):
            assert apis[api] in closure(prod, reg.urn), f"{reg.name} does not wait for the {api} API"
            checked += 1
    assert checked == sum(PROD_RESOURCES[t] * len(a) for t, a in REQUIRED_APIS.items())  # nothing skipped


def test_fleet_order_memberships_then_features_and_sleep_between_identity_and_role(prod):
    memberships = {m.urn for m in prod.by_type("gcp:gkehub/membership:Membership")}
    for feature in prod.by_type("gcp:gkehub/feature:Feature"):
        assert memberships <= set(feature.dependencies), feature.name
    identity = prod.one("gcp:projects/serviceIdentity:ServiceIdentity", "fleet-mci-identity")
    sleep = prod.one("time:index/sleep:Sleep", "fleet-mci-iam-propagation")
    role = prod.one("gcp:projects/iAMMember:IAMMember", "fleet-mci-container-admin")
    mci = prod.one("gcp:gkehub/feature:Feature", "fleet-mci")
    assert sleep.dependencies == [identity.urn]
    assert sleep.urn in role.dependencies and identity.urn in role.property_dependencies["member"]
    assert role.urn in mci.dependencies


def test_clusters_in_different_regions_do_not_wait_for_each_other(prod):
    eu = prod.one("gcp:container/cluster:Cluster", "cluster-europe-west4-gke")
    us = prod.one("gcp:container/cluster:Cluster", "cluster-us-east5-gke")
    assert eu.urn not in closure(prod, us.urn) and us.urn not in closure(prod, eu.urn)


def test_stack_outputs(prod):
    assert sorted(prod.outputs) == sorted(
        [
            "network",
            "subnets",
            "gatewayAddresses",
            "buckets",
            "fuseServiceAccount",
            "downloaderServiceAccount",
            "nodeServiceAccount",
            "clusters",
            "kubeContexts",
            "controlPlaneAccess",
            "memberships",
            "configMembership",
            "modelServer",
            "inferencePool",
            "gateway",
            "failoverDetectionSeconds",
            "testRequests",
            "dashboardUrl",
            "autoscaling",
        ]
    )
    assert prod.outputs["modelServer"] == {
        "backend": "vllm-tpu",
        "namespace": "inference",
        "deployment": "vllm-gemma",
        "service": "vllm-gemma-service",
        "servedModel": "google/gemma-3-27b-it",
    }
    assert prod.outputs["inferencePool"] == "gemma-pool"
    assert prod.outputs["network"] == "tpu-gke-dranet-prod-vpc"
    assert prod.outputs["subnets"]["us-east5"] == {
        "node": "tpu-gke-dranet-prod-node-us-east5",
        "proxy": "tpu-gke-dranet-prod-proxy-us-east5",
    }


def test_apis_are_never_disabled_on_destroy(prod):
    services = prod.by_type("gcp:projects/service:Service")
    assert sorted(s.inputs["service"] for s in services) == sorted(
        f"{api}.googleapis.com"
        for api in (
            "compute",
            "container",
            "storage",
            "cloudresourcemanager",
            "iam",
            "gkehub",
            "multiclusterservicediscovery",
            "multiclusteringress",
            "trafficdirector",
            "dns",  # multi-cluster Services manage Cloud DNS zones (inference/multi_cluster/facts.py MCS_APIS)
            "networkservices",
            "autoscaling",
            "monitoring",
            "logging",
            "run",  # the weights download, vllm-tpu only
            "secretmanager",
            "containerfilesystem",  # image streaming on the TPU pools
        )
    )
    assert {(s.inputs["disableOnDestroy"], s.inputs["disableDependentServices"]) for s in services} == {(False, False)}
