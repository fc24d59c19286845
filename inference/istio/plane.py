"""IstioInferenceGateway: seed 003's routing plane on any Kubernetes cluster — the Gateway API and Inference
Extension CRDs, Istio from its `base` and `istiod` charts with the inference extension switched on, the
vLLM simulator, an explicitly deployed endpoint picker (EPP) with weighted scorers, and an Istio Gateway
routing /v1/completions to the InferencePool.

Names and values are the Istio guide's (components/manifests/istio-gateway-api-inference-extension.*), so its
test request and cleanup commands work unchanged. What the guide lacks and the project requires (requests and
limits, hardened security contexts, a released EPP image) is added and listed in docs/istio.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from inference.common import vendored

CRDS = vendored.CRDS
# The CRDs the seed installs with `kubectl kustomize .../config/crd`: Gateway API v1.4.0 (the six files its
# `config/crd/kustomization.yaml` lists, all of `config/crd/standard/`) and the Inference Extension's
# `config/crd/kustomization.yaml` at the EPP's release (v1.1.0: both InferencePools and InferenceObjective).
CRD_FILES = (
    "gateway-api-v1.4.0/gateway.networking.k8s.io_gatewayclasses.yaml",
    "gateway-api-v1.4.0/gateway.networking.k8s.io_gateways.yaml",
    "gateway-api-v1.4.0/gateway.networking.k8s.io_grpcroutes.yaml",
    "gateway-api-v1.4.0/gateway.networking.k8s.io_httproutes.yaml",
    "gateway-api-v1.4.0/gateway.networking.k8s.io_referencegrants.yaml",
    "gateway-api-v1.4.0/gateway.networking.k8s.io_backendtlspolicies.yaml",
    "gateway-api-inference-extension-v1.1.0/inference.networking.k8s.io_inferencepools.yaml",
    "gateway-api-inference-extension-v1.1.0/inference.networking.x-k8s.io_inferencepools.yaml",
    "gateway-api-inference-extension-v1.1.0/inference.networking.x-k8s.io_inferenceobjectives.yaml",
)
# EPP v1.1.0 always starts an InferenceObjective reconciler (pkg/epp/server/runserver.go SetupWithManager), and
# GKE installs only the GA CRDs: on GKE the program installs this one from the same vendored file.
OBJECTIVE_CRD_FILE = "gateway-api-inference-extension-v1.1.0/inference.networking.x-k8s.io_inferenceobjectives.yaml"
# The GatewayClasses istiod 1.29.6 creates when they are missing (pilot/pkg/config/kube/gateway/gatewayclass.go,
# classes and descriptions from deploymentcontroller.go getBuiltinClasses/getClassInfos; `istio-remote` because
# PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API defaults to true in pilot/pkg/features/pilot.go). Declared before
# istiod starts, so Pulumi owns them and `pulumi destroy` deletes them; istiod leaves an existing class alone.
GATEWAY_CLASSES = {
    "istio": ("istio.io/gateway-controller", "The default Istio GatewayClass"),
    "istio-remote": ("istio.io/unmanaged-gateway", "Remote to this cluster. Does not deploy or affect configuration."),
}
# istiod copies a Gateway's spec.infrastructure.annotations onto the Service it generates (istio 1.29.6
# pilot/pkg/config/kube/gateway/deploymentcontroller.go extractInfrastructureMetadata; the Service's
# annotations in manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml); on GKE this one makes
# it an internal passthrough Network Load Balancer
# (https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters).
INTERNAL_LOAD_BALANCER = {"networking.gke.io/load-balancer-type": "Internal"}
ISTIO_NAMESPACE = "istio-system"
INGRESS_NAMESPACE = "istio-ingress"
NAMESPACE = "inference-model-server"
SERVER = "inference-model-server-deployment"
SERVER_LABELS = {"app": "inference-model-server"}
POOL = "inference-model-server-pool"
EPP = "inference-endpoint-picker"  # the Deployment's name and its own ServiceAccount's
EPP_LABELS = {"app": "inference-epp"}
EPP_SERVICE = "endpoint-picker-svc"
EPP_PORT = 9002
EPP_HEALTH_PORT = 9003
PLUGINS_CONFIG = "plugins-config"
PLUGINS_FILE = "default-plugins.yaml"
GATEWAY = "gateway"
ROUTE = "httproute-for-inferencepool"
SERVING_PORT = 8000
SIMULATOR_IMAGE = "ghcr.io/llm-d/llm-d-inference-sim:v0.7.1"  # the seed's pin
# The seed runs a staging build (epp:v20251119-2aaf2a6); the release matching the CRDs above is pinned instead.
EPP_IMAGE = "registry.k8s.io/gateway-api-inference-extension/epp:v1.1.0"
ISTIO_HUB = "docker.io/istio"  # where istio/release-builder points the released charts' `hub`
BASE_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
ADAPTER = "reviews-1"
# Both switches of the seed's `istioctl install`; istiod 1.29.6 reads ENABLE_GATEWAY_API_INFERENCE_EXTENSION
# (pilot/pkg/features/experimental.go) and nothing reads the SUPPORT_ one, which is kept as the seed sets it.
PILOT_ENV = {"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true", "SUPPORT_GATEWAY_API_INFERENCE_EXTENSION": "true"}
NONROOT_UID = 65532  # the simulator's image (USER 65532) and the EPP's base, distroless/static:nonroot


def chart_path(chart: str, version: str) -> str:
    """A vendored Istio chart (docs/istio.md); relative to the project root like the inferencepool chart."""
    return vendored.chart(f"{chart}-{version}")


def istiod_values(version: str) -> dict:
    """The seed's `istioctl install --set profile=minimal --set values.pilot.env...`: `minimal` is the
    default profile without an ingress gateway (manifests/profiles/minimal.yaml), i.e. just the base and
    istiod charts, which have no `minimal` profile file of their own; `pilot.env` is the chart's env."""
    return {"global": {"hub": ISTIO_HUB, "tag": version}, "pilot": {"env": dict(PILOT_ENV)}}


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


def test_request(kube_context: str | None) -> dict:
    """The seed's check: a completion for the LoRA adapter through the Gateway, answered by Envoy."""
    body = json.dumps(
        {
            "model": ADAPTER,
            "prompt": "What do reviewers think about The Comedy of Errors?",
            "max_tokens": 100,
            "temperature": 0,
        }
    )
    kubectl = f"kubectl --context {kube_context}" if kube_context else "kubectl"
    return {
        "model": ADAPTER,
        "expectedHeader": "server: istio-envoy",
        "wait": f"{kubectl} wait -n {INGRESS_NAMESPACE} --for=condition=programmed "
        f"gateways.gateway.networking.k8s.io {GATEWAY}",
        "ingressHost": f"export INGRESS_HOST=$({kubectl} get gateways.gateway.networking.k8s.io {GATEWAY} "
        f"-n {INGRESS_NAMESPACE} -ojsonpath='{{.status.addresses[0].value}}')",
        "command": f"curl -s -i \"http://$INGRESS_HOST/v1/completions\" -d '{body}'",
    }


def _restricted() -> k8s.core.v1.SecurityContextArgs:
    return k8s.core.v1.SecurityContextArgs(
        allow_privilege_escalation=False, capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"])
    )


def _pod_security() -> k8s.core.v1.PodSecurityContextArgs:
    return k8s.core.v1.PodSecurityContextArgs(
        run_as_non_root=True,
        run_as_user=NONROOT_UID,
        run_as_group=NONROOT_UID,
        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
    )


def _field_env(*pairs: tuple[str, str]) -> list[k8s.core.v1.EnvVarArgs]:
    return [
        k8s.core.v1.EnvVarArgs(
            name=var,
            value_from=k8s.core.v1.EnvVarSourceArgs(field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path=path)),
        )
        for var, path in pairs
    ]


@dataclass(frozen=True)
class IstioInferenceGatewayArgs:
    istio_version: str
    install_istio: bool  # False: Istio with the inference extension is already on the cluster
    install_crds: bool  # False: the cluster manages the Gateway API and InferencePool CRDs (GKE)
    scorers: Sequence[tuple[str, int]]  # (EPP scorer plugin, weight)
    nodes: Sequence[pulumi.Resource] = ()  # what pods need first (a GKE cluster's node pool); objects don't
    install_objective_crd: bool = False  # without install_crds: the picker's InferenceObjective CRD (GKE lacks it)
    internal_load_balancer: bool = False  # GKE: the Gateway's Service becomes an internal load balancer


class IstioInferenceGateway(pulumi.ComponentResource):
    """One cluster's whole inference routing plane, with Istio as the Gateway implementation."""

    def __init__(self, name: str, args: IstioInferenceGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:istio:IstioInferenceGateway", name, None, opts)
        nodes = list(args.nodes)
        self.crds: dict[str, k8s.apiextensions.v1.CustomResourceDefinition] = {}
        crd_files = CRD_FILES if args.install_crds else (OBJECTIVE_CRD_FILE,) if args.install_objective_crd else ()
        for file in crd_files:
            crd = yaml.safe_load((CRDS / file).read_text())
            self.crds[f"{crd['spec']['group']}/{crd['spec']['names']['kind']}"] = (
                k8s.apiextensions.v1.CustomResourceDefinition(
                    f"{name}-crd-{crd['metadata']['name']}",
                    metadata=crd["metadata"],
                    spec=crd["spec"],
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )

        def crd(group: str, kind: str) -> list[pulumi.Resource]:
            """A custom resource waits for its CRD, or preview cannot tell whether the kind is namespaced."""
            return [self.crds[f"{group}/{kind}"]] if f"{group}/{kind}" in self.crds else []

        def namespace(ns: str, labels: dict | None = None) -> k8s.core.v1.Namespace:
            return k8s.core.v1.Namespace(
                f"{name}-{ns}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels=labels),
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.istio_base = self.istiod = None
        self.gateway_classes: dict[str, k8s.apiextensions.CustomResource] = {}
        if args.install_istio:
            for class_name, (controller, description) in GATEWAY_CLASSES.items():
                self.gateway_classes[class_name] = k8s.apiextensions.CustomResource(
                    f"{name}-gateway-class-{class_name}",
                    api_version="gateway.networking.k8s.io/v1",
                    kind="GatewayClass",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=class_name),
                    spec={"controllerName": controller, "description": description},
                    opts=pulumi.ResourceOptions(
                        parent=self, depends_on=crd("gateway.networking.k8s.io", "GatewayClass")
                    ),
                )
            istio_ns = namespace(ISTIO_NAMESPACE)
            self.istio_base = k8s.helm.v4.Chart(
                f"{name}-istio-base",
                chart=chart_path("istio-base", args.istio_version),
                name="istio-base",
                namespace=ISTIO_NAMESPACE,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[istio_ns]),
            )
            self.istiod = k8s.helm.v4.Chart(
                f"{name}-istiod",
                chart=chart_path("istiod", args.istio_version),
                name="istiod",
                namespace=ISTIO_NAMESPACE,
                values=istiod_values(args.istio_version),
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[istio_ns, self.istio_base, *self.gateway_classes.values(), *nodes]
                ),
            )
        istio = [c for c in (self.istio_base, self.istiod) if c]
        ingress_ns = namespace(INGRESS_NAMESPACE)
        # Every pod here runs as non-root with no capabilities: the restricted Pod Security level holds.
        serving_ns = namespace(NAMESPACE, {"pod-security.kubernetes.io/enforce": "restricted"})
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[serving_ns])
        meta = lambda n, labels=None: k8s.meta.v1.ObjectMetaArgs(name=n, namespace=NAMESPACE, labels=labels)  # noqa: E731

        self.model_server = k8s.apps.v1.Deployment(
            f"{name}-model-server",
            metadata=meta(SERVER, SERVER_LABELS),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=3,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=SERVER_LABELS),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=SERVER_LABELS),
                    spec=k8s.core.v1.PodSpecArgs(
                        # The simulator calls no Kubernetes API: no token in its pods.
                        automount_service_account_token=False,
                        security_context=_pod_security(),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="vllm-sim",
                                image=SIMULATOR_IMAGE,
                                image_pull_policy="Always",
                                args=[
                                    "--model",
                                    BASE_MODEL,
                                    "--port",
                                    str(SERVING_PORT),
                                    "--max-loras",
                                    "2",
                                    "--lora-modules",
                                    json.dumps({"name": ADAPTER}),
                                ],  # fmt: skip
                                ports=[
                                    k8s.core.v1.ContainerPortArgs(
                                        container_port=SERVING_PORT, name="http", protocol="TCP"
                                    )
                                ],
                                env=_field_env(
                                    ("POD_NAME", "metadata.name"),
                                    ("NAMESPACE", "metadata.namespace"),
                                    ("POD_IP", "status.podIP"),
                                ),
                                # The seed's 20m CPU request; memory as the project's other simulator pods.
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "20m", "memory": "128Mi"}, limits={"memory": "512Mi"}
                                ),
                                security_context=_restricted(),
                            )
                        ],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[serving_ns, *nodes]),
        )

        self.gateway = k8s.apiextensions.CustomResource(
            f"{name}-gateway",
            api_version="gateway.networking.k8s.io/v1",
            kind="Gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=GATEWAY, namespace=INGRESS_NAMESPACE),
            spec={
                "gatewayClassName": "istio",
                **({"infrastructure": {"annotations": INTERNAL_LOAD_BALANCER}} if args.internal_load_balancer else {}),
                "listeners": [
                    {
                        "name": "http",
                        "port": 80,
                        "protocol": "HTTP",
                        "allowedRoutes": {
                            "namespaces": {"from": "All"},
                            "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                        },
                    }
                ],
            },
            # istiod programs the Gateway of the `istio` class.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    ingress_ns,
                    *istio,
                    *self.gateway_classes.values(),
                    *crd("gateway.networking.k8s.io", "Gateway"),
                ],
            ),
        )
        self.route = k8s.apiextensions.CustomResource(
            f"{name}-route",
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata=meta(ROUTE),
            spec={
                "parentRefs": [
                    {
                        "group": "gateway.networking.k8s.io",
                        "kind": "Gateway",
                        "name": GATEWAY,
                        "namespace": INGRESS_NAMESPACE,
                        "sectionName": "http",
                    }
                ],
                "rules": [
                    {
                        "backendRefs": [
                            {"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": POOL}
                        ],
                        "matches": [{"path": {"type": "PathPrefix", "value": "/v1/completions"}}],
                    }
                ],
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[serving_ns, self.gateway, *crd("gateway.networking.k8s.io", "HTTPRoute")],
            ),
        )

        self.plugins = k8s.core.v1.ConfigMap(
            f"{name}-plugins-config",
            metadata=meta(PLUGINS_CONFIG),
            data={PLUGINS_FILE: plugins_config(args.scorers)},
            opts=in_ns,
        )
        self.epp_service = k8s.core.v1.Service(
            f"{name}-epp-service",
            metadata=meta(EPP_SERVICE),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=EPP_LABELS,
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
            metadata=meta("endpoint-picker-tls"),
            spec={"host": EPP_SERVICE, "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": True}}},
            # Istio's CRDs come with its base chart: a v4 Chart in depends_on is waited for until its objects are
            # installed (pulumi/pulumi-kubernetes#1833, the maintainers' answer of 2024-06-06).
            opts=pulumi.ResourceOptions(parent=self, depends_on=[serving_ns, *istio]),
        )
        self.pool = k8s.apiextensions.CustomResource(
            f"{name}-pool",
            api_version="inference.networking.k8s.io/v1",
            kind="InferencePool",
            metadata=meta(POOL),
            spec={
                "selector": {"matchLabels": SERVER_LABELS},
                "targetPorts": [{"number": SERVING_PORT}],
                "endpointPickerRef": {"name": EPP_SERVICE, "port": {"number": EPP_PORT}},
            },
            # The pool names the picker's Service, which exists before any picker pod: Pulumi's Service await then
            # finds no endpoint pending and completes (pulumi-kubernetes provider/pkg/await/service.go,
            # checkAndLogStatus, v4.32.0).
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[serving_ns, self.epp_service, *crd("inference.networking.k8s.io", "InferencePool")],
            ),
        )
        self.role = k8s.rbac.v1.Role(
            f"{name}-epp-role",
            metadata=meta("inference-model-reader"),
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
        # The picker's own identity, as the v1.1.0 chart gives it (templates/rbac.yaml): the seed binds the Role
        # to `default`, which the simulator's pods would share.
        self.service_account = k8s.core.v1.ServiceAccount(f"{name}-epp-service-account", metadata=meta(EPP), opts=in_ns)
        self.role_binding = k8s.rbac.v1.RoleBinding(
            f"{name}-epp-role-binding",
            metadata=meta("epp-to-inference-model-reader"),
            subjects=[
                k8s.rbac.v1.SubjectArgs(
                    kind="ServiceAccount", name=self.service_account.metadata.name, namespace=NAMESPACE
                )
            ],
            role_ref=k8s.rbac.v1.RoleRefArgs(
                kind="Role", name="inference-model-reader", api_group="rbac.authorization.k8s.io"
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[serving_ns, self.role]),
        )
        self.epp = k8s.apps.v1.Deployment(
            f"{name}-epp",
            metadata=meta(EPP, EPP_LABELS),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=EPP_LABELS),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=EPP_LABELS),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=self.service_account.metadata.name,
                        security_context=_pod_security(),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="epp",
                                image=EPP_IMAGE,
                                image_pull_policy="Always",
                                args=[
                                    "--pool-name",
                                    POOL,
                                    "--pool-namespace",
                                    NAMESPACE,
                                    "--v",
                                    "4",
                                    "--zap-encoder",
                                    "json",
                                    "--config-file",
                                    f"/config/{PLUGINS_FILE}",
                                    # The seed grants no token or access reviews, which the metrics endpoint's
                                    # auth needs; the v1.1.0 chart turns it off the same way without Prometheus.
                                    "--metrics-endpoint-auth=false",
                                    # v1.1.0 traces by default to a console exporter (runner.go `tracing`,
                                    # pkg/common/telemetry.go); `=` because a Go bool flag takes no separate
                                    # value, as upstream's chart passes it since #1777.
                                    "--tracing=false",
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
                                security_context=_restricted(),
                                volume_mounts=[
                                    k8s.core.v1.VolumeMountArgs(name="plugins-config-volume", mount_path="/config")
                                ],
                            )
                        ],
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
                parent=self,
                depends_on=[
                    serving_ns,
                    self.plugins,
                    self.pool,
                    self.role_binding,
                    self.service_account,
                    *crd("inference.networking.x-k8s.io", "InferenceObjective"),
                    *nodes,
                ],
            ),
        )
        self.register_outputs({"gateway": GATEWAY, "pool": POOL})


def _grpc_probe() -> k8s.core.v1.ProbeArgs:
    return k8s.core.v1.ProbeArgs(
        grpc=k8s.core.v1.GRPCActionArgs(port=EPP_HEALTH_PORT, service="inference-extension"),
        initial_delay_seconds=5,
        period_seconds=10,
    )
