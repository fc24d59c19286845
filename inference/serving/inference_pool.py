"""InferencePool: the Gateway API Inference Extension objects of one cluster — the InferenceObjective
CRD and objective, the KV-cache metric export, the `inferencepool` chart and the pool's fleet export."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from inference.common import images, post_render, vendored

# The vendored `inferencepool` chart of each release (components/charts/, docs/charts.md): what the offline
# plan renders is what deploys. Relative to the project root, where Pulumi runs the program, so the
# chart input is the same on every machine and makes no diff.
CHARTS = {
    "v1.5.0": vendored.chart("inferencepool-v1.5.0"),
    "v1.1.0": vendored.chart("inferencepool-v1.1.0"),
}
CRDS = vendored.CRDS
KV_CACHE_METRIC = "vllm:kv_cache_usage_perc"
EXPORT_ANNOTATION = "networking.gke.io/export"


def objective_crd(chart_version: str) -> dict:
    """The InferenceObjective CRD from the same release as the chart."""
    folder = CRDS / f"gateway-api-inference-extension-{chart_version}"
    return vendored.parsed(folder / "inference.networking.x-k8s.io_inferenceobjectives.yaml")


@dataclass(frozen=True)
class EndpointPickerResources:
    cpu_request: str
    memory_request: str
    memory_limit: str


def chart_values(
    chart_version: str,
    match_labels: Mapping[str, str],
    serving_port: int,
    monitoring: bool,
    endpoint_picker: EndpointPickerResources | None,
) -> dict:
    """Values for the inferencepool chart, with only keys the chart version's templates read.

    Monitoring: `monitoring.prometheus.enabled` (with `.auth.enabled`, true by default) makes the GKE
    provider render the PodMonitoring and the metrics reader's token (v1.5.0 `epplib/templates/_gke.yaml`,
    v1.1.0 `templates/gke.yaml`); `monitoring.gke.enabled` is read by no v1.5.0 template.
    v1.1.0's endpoint picker still reads vLLM's deprecated `vllm:gpu_cache_usage_perc` unless told
    otherwise; later releases read the KV-cache metric. The picker's image is the program's pin of the chart's
    own tag, with its digest when one is recorded (inference/common/images.py).
    """
    extension: dict = {
        "image": {"tag": images.chart_tag(images.PICKER_IMAGES[chart_version])},
        "monitoring": {"prometheus": {"enabled": monitoring}},
    }
    if chart_version == "v1.1.0":
        extension["flags"] = [{"name": "kv-cache-usage-percentage-metric", "value": KV_CACHE_METRIC}]
    if endpoint_picker:
        extension["resources"] = {
            "requests": {"cpu": endpoint_picker.cpu_request, "memory": endpoint_picker.memory_request},
            "limits": {"memory": endpoint_picker.memory_limit},
        }
    return {
        "inferencePool": {
            "modelServers": {"matchLabels": dict(match_labels)},
            "targetPorts": [{"number": serving_port}],
        },
        "inferenceExtension": extension,
        "provider": {"name": "gke"},
    }


@dataclass(frozen=True)
class InferencePoolArgs:
    namespace: str
    pool_name: str
    chart_version: str
    match_labels: Mapping[str, str]
    serving_port: int
    objective_name: str
    priority: int
    metric_export_name: str
    epp_monitoring: bool  # the walkthrough turns on EPP monitoring in the config cluster only
    endpoint_picker: EndpointPickerResources | None  # None: the chart's own (v1.1.0 has none)
    requires: Sequence[pulumi.Resource] = ()  # the namespace
    nodes: Sequence[pulumi.Resource] = ()  # the pool the endpoint picker runs on
    # The export only takes effect once multi-cluster services run; on destroy it goes first.
    fleet_features: Sequence[pulumi.Resource] = ()
    export: bool = True  # False: a single-cluster Gateway routes to the pool itself, nothing imports it
    # The KV-cache metric export: only the multi-cluster Gateway's GCPBackendPolicy balances on it.
    kv_cache_metric: bool = True
    # Objective name -> priority, instead of the one objective above (a migration's models, the migration guide).
    objectives: Mapping[str, int] | None = None
    # More objectives beside the pool's own (its model's LoRA adapters'): objective name -> priority.
    adapter_objectives: Mapping[str, int] | None = None
    # The cluster's InferenceObjective CRD when another pool there installed it: a CRD is cluster-wide, so one
    # resource owns it (deleting a second copy would delete every objective).
    objective_crd: pulumi.Resource | None = None


def kv_cache_metric_spec(args: InferencePoolArgs) -> dict:
    """vLLM's KV-cache utilisation, exported to Cloud Monitoring under the pool's export name."""
    return {
        "selector": {"matchLabels": dict(args.match_labels)},
        "endpoints": [
            {
                "port": args.serving_port,
                "path": "/metrics",
                "metrics": [{"name": KV_CACHE_METRIC, "exportName": args.metric_export_name}],
            }
        ],
    }


class InferencePool(pulumi.ComponentResource):
    """Created the same way in every cluster, so the Gateway sees one pool that spans regions."""

    def __init__(self, name: str, args: InferencePoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:serving:InferencePool", name, None, opts)
        self._objectives(name, args)
        # Exports vLLM's KV-cache utilisation to Cloud Monitoring; the backend policy balances on it.
        self.metric = None
        if args.kv_cache_metric:
            self.metric = k8s.apiextensions.CustomResource(
                f"{name}-kv-cache-metric",
                api_version="autoscaling.gke.io/v1beta1",
                kind="AutoscalingMetric",
                metadata=self._meta(args, args.metric_export_name),
                spec=kv_cache_metric_spec(args),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.requires)),
            )
        self.chart = k8s.helm.v4.Chart(
            f"{name}-chart",
            chart=CHARTS[args.chart_version],  # a local chart: Helm ignores `version` for a path
            name=args.pool_name,  # the release name is the InferencePool's name
            namespace=args.namespace,
            values=chart_values(
                args.chart_version, args.match_labels, args.serving_port, args.epp_monitoring, args.endpoint_picker
            ),
            # The metrics reader's token Secret after its ServiceAccount (inference/common/post_render.py).
            post_renderer=k8s.helm.v4.PostRendererArgs(command=post_render.COMMAND, args=[post_render.SCRIPT]),
            # The picker looks for the InferenceObjective CRD once, at start: without it, it never watches
            # objectives (v1.5.0 pkg/epp/server/controller_config.go).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.requires, *args.nodes, self.objective_crd]),
        )
        # The chart has no value for the pool's annotations: a server-side-apply patch owns just this
        # one field, declaratively, so there is no drift and no perpetual diff.
        self.export = None
        if args.export:
            self.export = k8s.apiextensions.CustomResourcePatch(
                f"{name}-export",
                api_version="inference.networking.k8s.io/v1",
                kind="InferencePool",
                metadata=k8s.meta.v1.ObjectMetaPatchArgs(
                    name=args.pool_name, namespace=args.namespace, annotations={EXPORT_ANNOTATION: "True"}
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.chart, *args.fleet_features]),
            )
        self.pool_name = args.pool_name
        self.register_outputs({"pool": args.pool_name})

    def routable(self) -> list[pulumi.Resource]:
        """What a route naming this pool waits for: the pool (its chart) and every objective of it, so no request
        reaches the pool before its objectives exist."""
        return [self.chart, *self.objectives]

    @staticmethod
    def _meta(args: InferencePoolArgs, name: str) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace)

    def _objectives(self, name: str, args: InferencePoolArgs) -> None:
        """The InferenceObjective CRD of the chart's release, and the pool's objectives."""
        if args.objective_crd is not None:
            self.objective_crd = args.objective_crd
        else:
            crd = objective_crd(args.chart_version)
            self.objective_crd = k8s.apiextensions.v1.CustomResourceDefinition(
                f"{name}-objective-crd",
                metadata=crd["metadata"],
                spec=crd["spec"],
                opts=pulumi.ResourceOptions(parent=self),
            )
        # The CR depends on the CRD resource itself: preview must know the kind before it exists.
        self.objectives = [
            k8s.apiextensions.CustomResource(
                f"{name}-objective" if args.objectives is None else f"{name}-objective-{objective}",
                api_version="inference.networking.x-k8s.io/v1alpha2",
                kind="InferenceObjective",
                metadata=self._meta(args, objective),
                spec={
                    "priority": priority,
                    "poolRef": {"name": args.pool_name, "group": "inference.networking.k8s.io"},
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.objective_crd, *args.requires]),
            )
            for objective, priority in (args.objectives or {args.objective_name: args.priority}).items()
        ]
        self.objectives += [
            k8s.apiextensions.CustomResource(
                f"{name}-objective-{objective}",
                api_version="inference.networking.x-k8s.io/v1alpha2",
                kind="InferenceObjective",
                metadata=self._meta(args, objective),
                spec={
                    "priority": priority,
                    "poolRef": {"name": args.pool_name, "group": "inference.networking.k8s.io"},
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.objective_crd, *args.requires]),
            )
            for objective, priority in (args.adapter_objectives or {}).items()
        ]
