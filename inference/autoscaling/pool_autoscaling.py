"""Autoscaling on KV-cache use (the customisation guide): the Custom Metrics Stackdriver Adapter of one cluster, and
one HorizontalPodAutoscaler per InferencePool that scales its model servers on the pool's average
KV-cache utilisation, which the endpoint picker exports to Managed Prometheus.

The adapter is upstream's manifest (GoogleCloudPlatform/k8s-stackdriver,
`custom-metrics-stackdriver-adapter/deploy/production/adapter_new_resource_model.yaml`, vendored in
components/manifests/) as typed objects, with the guide's image and resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from inference.common.images import ADAPTER_IMAGE
from inference.common.kubernetes import NONROOT_UID, nonroot_pod, restricted, scratch
from inference.common.network_policy import Allow, NamespaceIngressArgs, Rule, namespace_ingress
from inference.core.facts.api_server import API_SERVER_PEERS

ADAPTER_NAMESPACE = "custom-metrics"
ADAPTER = "custom-metrics-stackdriver-adapter"
ADAPTER_RESOURCES = {"cpu": "250m", "memory": "200Mi"}  # the guide's requests = limits
ADAPTER_LABELS = {"run": ADAPTER, "k8s-app": ADAPTER}
ADAPTER_PORT = 443  # the adapter's API server (upstream's Service targets it)
# The namespace admits only the API server's calls to the metrics APIs the adapter answers; nothing scrapes it.
ADAPTER_INGRESS = "metrics-adapter-ingress"
# The adapter's image is distroless/static (upstream's Dockerfile): it runs as distroless's non-root user, which
# may bind 443 because the pod lowers the first unprivileged port, a namespaced sysctl Kubernetes counts as safe
# (https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/#safe-and-unsafe-sysctls), instead of
# keeping NET_BIND_SERVICE as root. Its self-signed serving certificate goes to an emptyDir (`--cert-dir`, the
# API server library's flag) as its root filesystem is read-only.
UNPRIVILEGED_PORTS = k8s.core.v1.SysctlArgs(name="net.ipv4.ip_unprivileged_port_start", value=str(ADAPTER_PORT))
ADAPTER_CERT_DIR = "/tmp/certs"
# The External metric the adapter serves for a Managed Prometheus gauge: `prometheus.googleapis.com|<name>|gauge`.
KV_CACHE_METRIC = "prometheus.googleapis.com|inference_pool_average_kv_cache_utilization|gauge"
# apiregistration: the adapter answers the custom (v1beta1, v1beta2) and external (v1beta1) metrics APIs.
API_SERVICES = (
    ("custom.metrics.k8s.io", "v1beta1", 100),
    ("custom.metrics.k8s.io", "v1beta2", 200),
    ("external.metrics.k8s.io", "v1beta1", 100),
)


def _meta(name: str, **kw) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=ADAPTER_NAMESPACE, **kw)


def adapter_reader_member(workload_pool: str) -> str:
    """The adapter's Kubernetes service account as a Workload Identity member of the project."""
    return f"serviceAccount:{workload_pool}[{ADAPTER_NAMESPACE}/{ADAPTER}]"


@dataclass(frozen=True)
class AdapterAccessArgs:
    project: str
    workload_pool: pulumi.Input[str]  # from a cluster: IAM refuses a member of a pool no cluster created
    depends_on: Sequence[pulumi.Resource] = ()  # the Resource Manager API


class AdapterAccess(pulumi.ComponentResource):
    """`roles/monitoring.viewer` for every cluster's adapter: one Workload Identity principal per project
    (the guide's `gcloud projects add-iam-policy-binding`, as a non-authoritative member)."""

    def __init__(self, name: str, args: AdapterAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:autoscaling:AdapterAccess", name, None, opts)
        self.grant = gcp.projects.IAMMember(
            f"{name}-monitoring-viewer",
            project=args.project,
            role="roles/monitoring.viewer",
            member=pulumi.Output.from_input(args.workload_pool).apply(adapter_reader_member),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.register_outputs({})


@dataclass(frozen=True)
class MorePool:
    """Another model's pool in the same cluster (inference/models/config.py): its own HPA on its own metric."""

    pool_name: str
    deployment: str
    min_replicas: int
    max_replicas: int
    requires: Sequence[pulumi.Resource] = ()  # its model servers and its pool's chart


@dataclass(frozen=True)
class PoolAutoscalingArgs:
    cluster_name: str  # the metric's `resource.labels.cluster`
    namespace: str
    pool_name: str
    deployment: str  # the model servers the pool selects
    min_replicas: int
    max_replicas: int
    target_kv_cache: float  # a fraction of the KV cache, 0 < target <= 1
    system_pool: str  # where the adapter runs
    adapter_access: pulumi.Resource | None  # the adapter's project grant; None: another stack's
    nodes: Sequence[pulumi.Resource] = ()  # the system pool the adapter runs on
    requires: Sequence[pulumi.Resource] = ()  # what the HPA scales and reads: the model servers, the pool's chart
    more_pools: Sequence[MorePool] = ()  # the other models' pools, one HPA each on the same adapter


def hpa_spec(args: PoolAutoscalingArgs) -> k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs:
    """The guide's HPA, with two corrections: the target is a fraction (the metric is 0-1, not the
    guide's 0-100), and of type `Value`: the metric is already the pool's average, and `AverageValue`
    would divide it by the replica count again (desired = ceil(metric / target), at most ceil(1 / target)
    replicas), while `Value` scales the replicas by metric / target
    (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details)."""
    return k8s.autoscaling.v2.HorizontalPodAutoscalerSpecArgs(
        scale_target_ref=k8s.autoscaling.v2.CrossVersionObjectReferenceArgs(
            api_version="apps/v1", kind="Deployment", name=args.deployment
        ),
        min_replicas=args.min_replicas,
        max_replicas=args.max_replicas,
        metrics=[
            k8s.autoscaling.v2.MetricSpecArgs(
                type="External",
                external=k8s.autoscaling.v2.ExternalMetricSourceArgs(
                    metric=k8s.autoscaling.v2.MetricIdentifierArgs(
                        name=KV_CACHE_METRIC,
                        selector=k8s.meta.v1.LabelSelectorArgs(
                            match_labels={
                                "metric.labels.name": args.pool_name,
                                "resource.labels.cluster": args.cluster_name,
                                "resource.labels.namespace": args.namespace,
                            }
                        ),
                    ),
                    target=k8s.autoscaling.v2.MetricTargetArgs(
                        type="Value", value=f"{round(args.target_kv_cache * 1000)}m"
                    ),
                ),
            )
        ],
    )


def adapter_ingress() -> Allow:
    """The adapter's API port, from the API server (inference/core/facts/api_server.py: from every source)."""
    return Allow(ADAPTER_INGRESS, ADAPTER_LABELS, [Rule([ADAPTER_PORT], API_SERVER_PEERS)])


def _health(period: int, failures: int | None = None, delay: int | None = None) -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        http_get=k8s.core.v1.HTTPGetActionArgs(path="/healthz", port=ADAPTER_PORT, scheme="HTTPS"),
        period_seconds=period,
        failure_threshold=failures,
        initial_delay_seconds=delay,
    )


def _adapter_pod(system_pool: str) -> k8s.core.v1.PodTemplateSpecArgs:
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels={**ADAPTER_LABELS, "kubernetes.io/cluster-service": "true"}),
        spec=k8s.core.v1.PodSpecArgs(
            service_account_name=ADAPTER,
            node_selector={"cloud.google.com/gke-nodepool": system_pool},
            security_context=nonroot_pod(NONROOT_UID, NONROOT_UID, sysctls=[UNPRIVILEGED_PORTS]),
            volumes=scratch(("tmp", "/tmp"))[0],
            containers=[
                k8s.core.v1.ContainerArgs(
                    name=f"pod-{ADAPTER}",
                    image=ADAPTER_IMAGE,
                    image_pull_policy="IfNotPresent",
                    command=[
                        "/adapter",
                        "--use-new-resource-model=true",
                        "--fallback-for-container-metrics=true",
                        f"--cert-dir={ADAPTER_CERT_DIR}",
                    ],
                    resources=k8s.core.v1.ResourceRequirementsArgs(
                        requests=ADAPTER_RESOURCES, limits=ADAPTER_RESOURCES
                    ),
                    # Ready when its API server answers, so the APIServices wait for it (upstream's current
                    # adapter_new_resource_model.yaml probes the same endpoint).
                    readiness_probe=_health(period=10),
                    # Restarted when its API server stops answering for a minute.
                    liveness_probe=_health(period=20, failures=3, delay=30),
                    security_context=restricted(read_only_root=True),
                    volume_mounts=scratch(("tmp", "/tmp"))[1],
                )
            ],
        ),
    )


def _role_ref(kind: str, name: str) -> k8s.rbac.v1.RoleRefArgs:
    return k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind=kind, name=name)


class PoolAutoscaling(pulumi.ComponentResource):
    """The adapter in one cluster, and the pool's HPA, which owns the model servers' replica count."""

    def __init__(self, name: str, args: PoolAutoscalingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:autoscaling:PoolAutoscaling", name, None, opts)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ADAPTER_NAMESPACE),
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        account = k8s.core.v1.ServiceAccount(f"{name}-adapter-sa", metadata=_meta(ADAPTER), opts=in_namespace)
        bindings = self._adapter_rights(name, namespace, in_namespace)
        self.adapter = k8s.apps.v1.Deployment(
            f"{name}-adapter",
            metadata=_meta(ADAPTER, labels=ADAPTER_LABELS),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=ADAPTER_LABELS),
                template=_adapter_pod(args.system_pool),
            ),
            # It reads Cloud Monitoring as its Workload Identity principal: the grant goes first.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[account, *bindings, *([args.adapter_access] if args.adapter_access else []), *args.nodes],
            ),
        )
        self.api_services = self._api_services(name, in_namespace)
        self.network_policies = namespace_ingress(
            f"{name}-adapter-network-policies",
            NamespaceIngressArgs(ADAPTER_NAMESPACE, [adapter_ingress()], requires=[namespace]),
            pulumi.ResourceOptions(parent=self),
        )
        # Named after the pool, in the pool's namespace, as the guide does; it waits for the metrics API.
        self._hpa_reads_binding = self._hpa_reads(name)
        self.hpa = k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.pool_name, namespace=args.namespace),
            spec=hpa_spec(args),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*self.api_services, self._hpa_reads_binding, *args.requires]
            ),
        )
        self.more_hpas = [
            k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{name}-hpa-{more.pool_name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=more.pool_name, namespace=args.namespace),
                spec=hpa_spec(
                    replace(
                        args,
                        pool_name=more.pool_name,
                        deployment=more.deployment,
                        min_replicas=more.min_replicas,
                        max_replicas=more.max_replicas,
                    )
                ),
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[*self.api_services, self._hpa_reads_binding, *more.requires]
                ),
            )
            for more in args.more_pools
        ]
        self.register_outputs({"hpa": args.pool_name})

    def _adapter_rights(self, name: str, namespace, in_namespace) -> list[pulumi.Resource]:
        """Upstream's bindings: token reviews, the API server's authentication config, and reading pods and nodes."""
        subject = k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=ADAPTER, namespace=ADAPTER_NAMESPACE)
        bindings = [
            k8s.rbac.v1.ClusterRoleBinding(
                f"{name}-auth-delegator",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="custom-metrics:system:auth-delegator"),
                role_ref=_role_ref("ClusterRole", "system:auth-delegator"),
                subjects=[subject],
                opts=in_namespace,
            ),
            k8s.rbac.v1.RoleBinding(
                f"{name}-auth-reader",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="custom-metrics-auth-reader", namespace="kube-system"),
                role_ref=_role_ref("Role", "extension-apiserver-authentication-reader"),
                subjects=[subject],
                opts=in_namespace,
            ),
        ]
        reader = k8s.rbac.v1.ClusterRole(
            f"{name}-resource-reader",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="custom-metrics-resource-reader"),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=[""], resources=["pods", "nodes", "nodes/stats"], verbs=["get", "list", "watch"]
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        bindings.append(
            k8s.rbac.v1.ClusterRoleBinding(
                f"{name}-resource-reader-binding",
                metadata=k8s.meta.v1.ObjectMetaArgs(name="custom-metrics-resource-reader"),
                role_ref=_role_ref("ClusterRole", "custom-metrics-resource-reader"),
                subjects=[subject],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace, reader]),
            )
        )
        return bindings

    def _api_services(self, name: str, in_namespace) -> list[pulumi.Resource]:
        """The adapter's Service and the metrics APIs it answers, registered with the API server."""
        service = k8s.core.v1.Service(
            f"{name}-adapter-service",
            metadata=_meta(
                ADAPTER,
                labels={**ADAPTER_LABELS, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "Adapter"},
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                ports=[k8s.core.v1.ServicePortArgs(port=ADAPTER_PORT, protocol="TCP", target_port=ADAPTER_PORT)],
                selector=ADAPTER_LABELS,
                type="ClusterIP",
            ),
            opts=in_namespace,
        )
        return [
            k8s.apiregistration.v1.APIService(
                f"{name}-{version}-{group.split('.')[0]}-metrics",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{version}.{group}"),
                spec=k8s.apiregistration.v1.APIServiceSpecArgs(
                    insecure_skip_tls_verify=True,
                    group=group,
                    group_priority_minimum=100,
                    version_priority=priority,
                    service=k8s.apiregistration.v1.ServiceReferenceArgs(name=ADAPTER, namespace=ADAPTER_NAMESPACE),
                    version=version,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[service, self.adapter]),
            )
            for group, version, priority in API_SERVICES
        ]

    def _hpa_reads(self, name: str) -> pulumi.Resource:
        """The HPA controller may read the external metrics API."""
        external_reader = k8s.rbac.v1.ClusterRole(
            f"{name}-external-metrics-reader",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="external-metrics-reader"),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=["external.metrics.k8s.io"], resources=["*"], verbs=["list", "get", "watch"]
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-external-metrics-reader-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="external-metrics-reader"),
            role_ref=_role_ref("ClusterRole", "external-metrics-reader"),
            subjects=[
                k8s.rbac.v1.SubjectArgs(
                    kind="ServiceAccount", name="horizontal-pod-autoscaler", namespace="kube-system"
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[external_reader]),
        )
