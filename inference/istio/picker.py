"""The explicitly deployed endpoint picker (EPP) of Istio mode and the InferencePool it serves: its
EndpointPickerConfig with the scorers' weights, its Service and TLS, its rights and its Deployment."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
import pulumi_kubernetes as k8s
import yaml

from inference.common.images import ISTIO_EPP_IMAGE
from inference.common.kubernetes import NONROOT_UID, nonroot_pod, restricted
from inference.istio.facts import EPP_HEALTH_PORT, EPP_PORT, NAMESPACE, PLUGINS_FILE, SERVING_PORT, TRACING_OFF
from inference.istio.models import EPP_TLS, METRICS_AUTH_ROLE, READER_BINDING, READER_ROLE, ModelNames

CrdDependency = Callable[[str, str], list[pulumi.Resource]]  # (group, kind) -> the CRD a custom resource waits for


def plugins_config(scorers: Sequence[tuple[str, int]]) -> str:
    """The EPP's EndpointPickerConfig (apiVersion inference.networking.x-k8s.io/v1alpha1) with the weights."""
    return yaml.safe_dump(
        {
            "apiVersion": "inference.networking.x-k8s.io/v1alpha1",
            "kind": "EndpointPickerConfig",
            "plugins": [{"type": name} for name, _ in scorers],
            "schedulingProfiles": [
                {"name": "default", "plugins": [{"pluginRef": name, "weight": weight} for name, weight in scorers]}
            ],
        },
        sort_keys=False,
    )


def _meta(name: str, labels: dict | None = None) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=NAMESPACE, labels=labels)


def _grpc_probe() -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        grpc=k8s.core.v1.GRPCActionArgs(port=EPP_HEALTH_PORT, service="inference-extension"),
        initial_delay_seconds=5,
        period_seconds=10,
    )


def _container(names: ModelNames) -> k8s.core.v1.ContainerArgs:
    return k8s.core.v1.ContainerArgs(
        name="epp",
        image=ISTIO_EPP_IMAGE,
        image_pull_policy="Always",
        args=[
            "--pool-name",
            names.pool,
            "--pool-namespace",
            NAMESPACE,
            "--v",
            "4",
            "--zap-encoder",
            "json",
            "--config-file",
            f"/config/{PLUGINS_FILE}",
            # The one upstream default turned off, for the reason in inference/istio/facts.py TRACING_OFF; the
            # metrics endpoint keeps its authentication and authorization on (upstream's default).
            TRACING_OFF,
        ],  # fmt: skip
        ports=[
            k8s.core.v1.ContainerPortArgs(container_port=EPP_PORT),
            k8s.core.v1.ContainerPortArgs(container_port=EPP_HEALTH_PORT),
            k8s.core.v1.ContainerPortArgs(name="metrics", container_port=9090),
        ],
        liveness_probe=_grpc_probe(),
        readiness_probe=_grpc_probe(),
        resources=k8s.core.v1.ResourceRequirementsArgs(
            requests={"cpu": "250m", "memory": "512Mi"}, limits={"memory": "1Gi"}
        ),
        security_context=restricted(read_only_root=True),  # it writes no file
        volume_mounts=[k8s.core.v1.VolumeMountArgs(name="plugins-config-volume", mount_path="/config")],
    )


class EndpointPicker:
    """One model's picker and pool, children of the plane `parent` (resource names start with `name`, objects'
    are `names`)."""

    def __init__(
        self,
        name: str,
        parent: pulumi.Resource,
        *,
        names: ModelNames,
        namespace: pulumi.Resource,
        istio: Sequence[pulumi.Resource],
        crd: CrdDependency,
        nodes: Sequence[pulumi.Resource],
        scorers: Sequence[tuple[str, int]],
    ):
        self.names = names
        in_ns = pulumi.ResourceOptions(parent=parent, depends_on=[namespace])
        self.plugins = k8s.core.v1.ConfigMap(
            f"{name}-plugins-config",
            metadata=_meta(names.plugins_config),
            data={PLUGINS_FILE: plugins_config(scorers)},
            opts=in_ns,
        )
        self.service = k8s.core.v1.Service(
            f"{name}-epp-service",
            metadata=_meta(names.epp_service),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=names.epp_labels,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        protocol="TCP", port=EPP_PORT, target_port=EPP_PORT, app_protocol="http2"
                    )
                ],
                type="ClusterIP",
            ),
            opts=in_ns,
        )
        # The EPP serves TLS with a self-signed certificate: the gateway's Envoy must speak TLS to it.
        self.destination_rule = k8s.apiextensions.CustomResource(
            f"{name}-epp-tls",
            api_version="networking.istio.io/v1",
            kind="DestinationRule",
            metadata=_meta(names.of(EPP_TLS)),
            spec={"host": names.epp_service, "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}}},
            # Istio's CRDs come with its base chart: a v4 Chart in depends_on is waited for until its objects are
            # installed (pulumi/pulumi-kubernetes#1833, the maintainers' answer of 2024-06-06).
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[namespace, *istio]),
        )
        self.pool = self._pool(name, parent, namespace, crd)
        self._rights(name, parent, namespace, in_ns)
        self.deployment = self._deployment(name, parent, namespace, crd, nodes)

    def _pool(self, name: str, parent: pulumi.Resource, namespace: pulumi.Resource, crd: CrdDependency):
        return k8s.apiextensions.CustomResource(
            f"{name}-pool",
            api_version="inference.networking.k8s.io/v1",
            kind="InferencePool",
            metadata=_meta(self.names.pool),
            spec={
                "selector": {"matchLabels": self.names.server_labels},
                "targetPorts": [{"number": SERVING_PORT}],
                "endpointPickerRef": {"name": self.names.epp_service, "port": {"number": EPP_PORT}},
            },
            # The pool names the picker's Service, which exists before any picker pod: Pulumi's Service await then
            # finds no endpoint pending and completes (pulumi-kubernetes provider/pkg/await/service.go,
            # checkAndLogStatus, v4.32.0).
            opts=pulumi.ResourceOptions(
                parent=parent,
                depends_on=[namespace, self.service, *crd("inference.networking.k8s.io", "InferencePool")],
            ),
        )

    def _rights(self, name: str, parent: pulumi.Resource, namespace: pulumi.Resource, in_ns) -> None:
        self.role = k8s.rbac.v1.Role(
            f"{name}-epp-role",
            metadata=_meta(self.names.of(READER_ROLE)),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=["inference.networking.k8s.io"],
                    resources=["inferencepools"],
                    verbs=["get", "list", "watch"],
                ),
                k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=["pods"], verbs=["get", "list", "watch"]),
                # EPP v1.1.0 also watches InferenceObjectives (its chart's templates/rbac.yaml grants the same).
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=["inference.networking.x-k8s.io"],
                    resources=["inferenceobjectives"],
                    verbs=["get", "list", "watch"],
                ),
            ],
            opts=in_ns,
        )
        # The picker's own identity, as the v1.1.0 chart gives it (templates/rbac.yaml): the guide binds the Role
        # to `default`, which the simulator's pods would share.
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-epp-service-account", metadata=_meta(self.names.epp), opts=in_ns
        )
        self._metrics_auth(name, parent, namespace)
        self.role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-epp-role-binding",
            metadata=_meta(self.names.of(READER_BINDING)),
            subjects=[
                k8s.rbac.v1.SubjectArgs(
                    kind="ServiceAccount", name=self.service_account.metadata.name, namespace=NAMESPACE
                )
            ],
            role_ref=k8s.rbac.v1.RoleRefArgs(
                kind="Role", name=self.names.of(READER_ROLE), api_group="rbac.authorization.k8s.io"
            ),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[namespace, self.role]),
        )

    def _metrics_auth(self, name: str, parent: pulumi.Resource, namespace: pulumi.Resource) -> None:
        """Token and access reviews for the picker's authenticated /metrics, as the v1.1.0 chart grants them."""
        self.metrics_auth_role = k8s.rbac.v1.ClusterRole(
            f"{name}-epp-metrics-auth",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self.names.of(METRICS_AUTH_ROLE)),
            rules=[
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=["authentication.k8s.io"], resources=["tokenreviews"], verbs=["create"]
                ),
                k8s.rbac.v1.PolicyRuleArgs(
                    api_groups=["authorization.k8s.io"], resources=["subjectaccessreviews"], verbs=["create"]
                ),
            ],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        self.metrics_auth_binding = k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-epp-metrics-auth-binding",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self.names.of(METRICS_AUTH_ROLE)),
            subjects=[
                k8s.rbac.v1.SubjectArgs(
                    kind="ServiceAccount", name=self.service_account.metadata.name, namespace=NAMESPACE
                )
            ],
            role_ref=k8s.rbac.v1.RoleRefArgs(
                kind="ClusterRole", name=self.names.of(METRICS_AUTH_ROLE), api_group="rbac.authorization.k8s.io"
            ),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[namespace, self.metrics_auth_role]),
        )

    def _deployment(
        self,
        name: str,
        parent: pulumi.Resource,
        namespace: pulumi.Resource,
        crd: CrdDependency,
        nodes: Sequence[pulumi.Resource],
    ) -> k8s.apps.v1.Deployment:
        return k8s.apps.v1.Deployment(
            f"{name}-epp",
            metadata=_meta(self.names.epp, self.names.epp_labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=self.names.epp_labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=self.names.epp_labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=self.service_account.metadata.name,
                        security_context=nonroot_pod(NONROOT_UID, NONROOT_UID),
                        containers=[_container(self.names)],
                        volumes=[
                            k8s.core.v1.VolumeArgs(
                                name="plugins-config-volume",
                                # The ConfigMap's name from the resource: the picker starts after its config exists.
                                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=self.plugins.metadata.name),
                            )
                        ],
                    ),
                ),
            ),
            # After its pool, its rights and the InferenceObjective CRD it watches: EPP v1.1.0 answers its health
            # checks NOT_SERVING until it has read the pool (cmd/epp/runner/health.go Check L46-55,
            # pkg/epp/datastore/datastore.go PoolHasSynced L150), and Pulumi waits for a Deployment's pods to be ready
            # (pulumi-kubernetes provider/pkg/await/deployment.go).
            opts=pulumi.ResourceOptions(
                parent=parent,
                depends_on=[
                    namespace,
                    self.plugins,
                    self.pool,
                    self.role_binding,
                    self.metrics_auth_binding,
                    self.service_account,
                    *crd("inference.networking.x-k8s.io", "InferenceObjective"),
                    *nodes,
                ],
            ),
        )
