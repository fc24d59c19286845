"""LegacyInferencePool: the alpha side of the v1alpha2 -> v1 migration (the migration guide) when the stack manages
it: the v1alpha2 InferencePool and InferenceModel CRDs, the last alpha `inferencepool` chart (v0.5.1) and an
InferenceModel per model, all from kubernetes-sigs/gateway-api-inference-extension v0.5.1."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from inference.common import images, post_render, vendored

# Vendored like the v1 charts (docs/charts.md): the tag's config/charts/inferencepool, Chart.yaml stamped.
LEGACY_CHART = vendored.chart("inferencepool-v0.5.1")
LEGACY_CRDS = vendored.CRDS / "gateway-api-inference-extension-v0.5.1"
ALPHA_GROUP = "inference.networking.x-k8s.io"
ALPHA_API = f"{ALPHA_GROUP}/v1alpha2"
GMP_NAMESPACE = "gmp-system"  # Managed Prometheus's collectors on a Standard cluster (v1.5.0 epplib _gke.yaml)


def metrics_reader_secret(pool_name: str) -> str:
    """The token the ClusterPodMonitoring of the v0.5.1 chart reads (values `gke.monitoringSecret`)."""
    return f"{pool_name}-metrics-reader-secret"


def legacy_crd(kind: str) -> dict:
    """`inferencepools` or `inferencemodels`, config/crd/bases of v0.5.1."""
    return vendored.parsed(LEGACY_CRDS / f"{ALPHA_GROUP}_{kind}.yaml")


def legacy_chart_values(match_labels: Mapping[str, str], serving_port: int, namespace: str, pool_name: str) -> dict:
    """Only keys the v0.5.1 templates read: the pool selects the same model servers as the v1 pool
    (the migration guide: `inferencePool.modelServers.matchLabels.app`), on the serving port
    (`targetPortNumber`), and the GKE provider renders its HealthCheckPolicy, GCPBackendPolicy and a
    ClusterPodMonitoring of the endpoint picker that authenticates with the token in `gke.monitoringSecret`
    (templates/gke.yaml); the picker runs the program's pin of the chart's own image (images.PICKER_IMAGES)."""
    return {
        "inferencePool": {"modelServers": {"matchLabels": dict(match_labels)}, "targetPortNumber": serving_port},
        "inferenceExtension": {"image": {"tag": images.chart_tag(images.PICKER_IMAGES["v0.5.1"])}},
        "provider": {"name": "gke"},
        "gke": {"monitoringSecret": {"name": metrics_reader_secret(pool_name), "namespace": namespace}},
    }


def picker_resources(requests: Mapping[str, str] | None, limits: Mapping[str, str] | None) -> dict:
    """The v0.5.1 chart has no value for the endpoint picker's resources: the post-renderer gives it the stack's
    (`inferencePool.endpointPicker`, as the v1 pool's), or else the defaults of the v1 chart the migration
    moves to (its values.yaml `inferenceExtension.resources`)."""
    if requests:
        return {"requests": dict(requests), **({"limits": dict(limits)} if limits else {})}
    values = vendored.parsed(vendored.VENDORED / "charts" / "inferencepool-v1.5.0" / "values.yaml")
    return values["inferenceExtension"]["resources"]


@dataclass(frozen=True)
class LegacyModel:
    name: str
    model_name: str
    criticality: str


@dataclass(frozen=True)
class LegacyInferencePoolArgs:
    namespace: str
    pool_name: str
    match_labels: Mapping[str, str]
    serving_port: int
    models: Sequence[LegacyModel]
    requires: Sequence[pulumi.Resource] = ()  # the namespace
    nodes: Sequence[pulumi.Resource] = ()  # the pool the endpoint picker runs on
    picker_requests: Mapping[str, str] | None = None  # None: the v1 chart's defaults (picker_resources)
    picker_limits: Mapping[str, str] | None = None


class LegacyInferencePool(pulumi.ComponentResource):
    """Deleted as a whole at clean-up, after the route stopped naming the alpha pool: Pulumi deletes the
    InferenceModels and the chart before the CRDs they depend on (the guides' `helm uninstall`, then
    `kubectl delete` of the CRDs)."""

    def __init__(self, name: str, args: LegacyInferencePoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:migration:LegacyInferencePool", name, None, opts)
        self.crds = {
            kind: k8s.apiextensions.v1.CustomResourceDefinition(
                f"{name}-{kind}-crd",
                metadata=crd["metadata"],
                spec=crd["spec"],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for kind in ("inferencepools", "inferencemodels")
            for crd in [legacy_crd(kind)]
        }
        # The chart's InferencePool is of a kind this run may install, and its endpoint picker watches
        # InferenceModels (v0.5.1 templates/rbac.yaml): it waits for both CRDs.
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            chart=LEGACY_CHART,
            name=args.pool_name,  # the release name is the InferencePool's name
            namespace=args.namespace,
            values=legacy_chart_values(args.match_labels, args.serving_port, args.namespace, args.pool_name),
            # The picker hardened and given resources (inference/common/post_render.py).
            post_renderer=k8s.helm.v4.PostRendererArgs(
                command=post_render.COMMAND,
                args=[
                    post_render.SCRIPT,
                    "--resources",
                    json.dumps(picker_resources(args.picker_requests, args.picker_limits), sort_keys=True),
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.crds.values(), *args.requires, *args.nodes]),
        )
        self.metrics_reader = _metrics_reader(name, args.namespace, args.pool_name, self, args.requires)
        self.models = [
            k8s.apiextensions.CustomResource(
                f"{name}-model-{model.name}",
                api_version=ALPHA_API,
                kind="InferenceModel",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=model.name, namespace=args.namespace),
                spec={
                    "modelName": model.model_name,
                    "criticality": model.criticality,
                    "poolRef": {"group": ALPHA_GROUP, "kind": "InferencePool", "name": args.pool_name},
                },
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[self.crds["inferencemodels"], self.chart, *args.requires]
                ),
            )
            for model in args.models
        ]
        self.pool_name = args.pool_name
        self.register_outputs({"pool": args.pool_name})


def _metrics_reader(
    name: str, namespace: str, pool_name: str, parent: pulumi.Resource, requires: Sequence[pulumi.Resource]
) -> list[pulumi.Resource]:
    """What the v0.5.1 chart's ClusterPodMonitoring needs and the chart does not create, made the way the
    v1.5.0 chart does it for the v1 pool (epplib templates/_gke.yaml): a service account allowed to GET
    the endpoint picker's authenticated /metrics, its token Secret, and read access to that Secret for
    Managed Prometheus's collector."""
    reader, secret = f"{pool_name}-metrics-reader-sa", metrics_reader_secret(pool_name)
    metrics_role, secret_role = f"{namespace}-{pool_name}-metrics-reader", f"{pool_name}-metrics-reader-secret-read"
    opts = pulumi.ResourceOptions(parent=parent, depends_on=list(requires))
    meta = lambda n: k8s.meta.v1.ObjectMetaArgs(name=n, namespace=namespace)  # noqa: E731
    account = k8s.core.v1.ServiceAccount(f"{name}-metrics-reader", metadata=meta(reader), opts=opts)
    token = k8s.core.v1.Secret(
        f"{name}-metrics-reader-token",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=secret, namespace=namespace, annotations={"kubernetes.io/service-account.name": reader}
        ),
        type="kubernetes.io/service-account-token",
        # The token controller fills `data`: it stays a secret in the state.
        opts=pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=[account], additional_secret_outputs=["data"])
        ),
    )
    metrics = k8s.rbac.v1.ClusterRole(
        f"{name}-metrics-reader-role",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=metrics_role),
        rules=[k8s.rbac.v1.PolicyRuleArgs(non_resource_urls=["/metrics"], verbs=["get"])],
        opts=opts,
    )
    metrics_binding = k8s.rbac.v1.ClusterRoleBinding(
        f"{name}-metrics-reader-binding",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{metrics_role}-role-binding"),
        subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=reader, namespace=namespace)],
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=metrics_role),
        opts=opts,
    )
    secret_read = k8s.rbac.v1.Role(
        f"{name}-metrics-secret-read",
        metadata=meta(secret_role),
        rules=[
            k8s.rbac.v1.PolicyRuleArgs(
                api_groups=[""], resources=["secrets"], verbs=["get", "list", "watch"], resource_names=[secret]
            )
        ],
        opts=opts,
    )
    collector_binding = k8s.rbac.v1.RoleBinding(
        f"{name}-metrics-secret-collector",
        metadata=meta(f"{GMP_NAMESPACE}:collector:{namespace}-{pool_name}-metrics-reader-secret-read"),
        subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name="collector", namespace=GMP_NAMESPACE)],
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=secret_role),
        opts=opts,
    )
    return [account, token, metrics, metrics_binding, secret_read, collector_binding]
