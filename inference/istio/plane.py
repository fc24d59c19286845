"""IstioInferenceGateway: Istio mode's routing plane on any Kubernetes cluster — the Gateway API and Inference
Extension CRDs, Istio from its `base` and `istiod` charts with the inference extension switched on, the
vLLM simulator, an explicitly deployed endpoint picker with weighted scorers (inference/istio/picker.py),
and an Istio Gateway routing /v1/completions to the InferencePool.

Names and values are the Istio guide's (inference/istio/facts.py); what the guide lacks and the project
requires (requests and limits, hardened security contexts, a released EPP image) is listed in docs/istio.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from inference.common import vendored
from inference.common.images import ISTIOD_IMAGES, SIMULATOR_IMAGE, has_digest
from inference.common.kubernetes import NONROOT_UID, POD_IDENTITY, field_env, nonroot_pod, restricted
from inference.common.network_policy import namespace_ingress
from inference.istio.facts import (
    ADAPTER,
    BASE_MODEL,
    CLUSTER_IP_SERVICE,
    CRD_FILES,
    CRDS,
    EPP_HEALTH_PORT,
    EPP_LABELS,
    EPP_METRICS_PORT,
    EPP_PORT,
    GATEWAY,
    GATEWAY_CLASS,
    GATEWAY_CLASSES,
    GATEWAY_POD_LABELS,
    GMP_NAMESPACE,
    INGRESS_NAMESPACE,
    INTERNAL_LOAD_BALANCER,
    ISTIO_HUB,
    ISTIO_NAMESPACE,
    LISTENER_PORT,
    NAMESPACE,
    OBJECTIVE_CRD_FILE,
    PILOT_ENV,
    POOL,
    PROGRAMMED,
    PROGRAMMED_TIMEOUT,
    ROUTE,
    SERVER,
    SERVER_LABELS,
    SERVING_PORT,
)
from inference.istio.network_policy import ingress_namespace_args, istio_namespace_args
from inference.istio.picker import EndpointPicker
from inference.serving.network_policy import Peer, ServingNetworkPolicies, ServingNetworkPoliciesArgs
from inference.serving.pods import probes


def chart_path(chart: str, version: str) -> str:
    """A vendored Istio chart (docs/istio.md); relative to the project root like the inferencepool chart."""
    return vendored.chart(f"{chart}-{version}")


# Hardening the guide leaves out (docs/security.md): the runtime's seccomp profile for istiod and the proxies it
# injects and deploys (the chart's `pilot.seccompProfile` and `global.proxy.seccompProfile`, empty by default), and
# a memory limit on istiod above the chart's request (values.yaml `pilot.resources`).
RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
ISTIOD_RESOURCES = {"requests": {"cpu": "500m", "memory": "2048Mi"}, "limits": {"memory": "4096Mi"}}


def istiod_values(version: str) -> dict:
    """The guide's `istioctl install --set profile=minimal --set values.pilot.env...`: `minimal` is the
    default profile without an ingress gateway (manifests/profiles/minimal.yaml), i.e. just the base and
    istiod charts, which have no `minimal` profile file of their own; `pilot.env` is the chart's env; and the
    hardening above; once a digest is recorded for istiod's image, `pilot.image` as the whole pinned reference."""
    image = ISTIOD_IMAGES[version]
    return {
        "global": {"hub": ISTIO_HUB, "tag": version, "proxy": {"seccompProfile": RUNTIME_DEFAULT}},
        "pilot": {
            "env": dict(PILOT_ENV),
            "seccompProfile": RUNTIME_DEFAULT,
            "resources": ISTIOD_RESOURCES,
            **({"image": image} if has_digest(image) else {}),
        },
    }


def test_request(kube_context: str | None) -> dict:
    """The guide's check: a completion for the LoRA adapter through the Gateway, answered by Envoy."""
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


@dataclass(frozen=True)
class IstioInferenceGatewayArgs:
    istio_version: str
    install_istio: bool  # False: Istio with the inference extension is already on the cluster
    install_crds: bool  # False: the cluster manages the Gateway API and InferencePool CRDs (GKE)
    scorers: Sequence[tuple[str, int]]  # (EPP scorer plugin, weight)
    nodes: Sequence[pulumi.Resource] = ()  # what pods need first (a GKE cluster's node pool); objects don't
    install_objective_crd: bool = False  # without install_crds: the picker's InferenceObjective CRD (GKE lacks it)
    internal_load_balancer: bool = False  # GKE: the Gateway's Service becomes an internal load balancer
    cluster_ip: bool = False  # the Gateway's Service is a ClusterIP one: no load balancer is needed or made


def _simulator_pod() -> k8s.core.v1.PodTemplateSpecArgs:
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels=SERVER_LABELS),
        spec=k8s.core.v1.PodSpecArgs(
            # The simulator calls no Kubernetes API: no token in its pods.
            automount_service_account_token=False,
            security_context=nonroot_pod(NONROOT_UID, NONROOT_UID),
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
                    ports=[k8s.core.v1.ContainerPortArgs(container_port=SERVING_PORT, name="http", protocol="TCP")],
                    env=field_env(*POD_IDENTITY),
                    # The guide's 20m CPU request; memory as the project's other simulator pods.
                    resources=k8s.core.v1.ResourceRequirementsArgs(
                        requests={"cpu": "20m", "memory": "128Mi"}, limits={"memory": "512Mi"}
                    ),
                    # Not in the guide: the probes the program's own simulator has (inference/serving/pods.py).
                    **probes(SERVING_PORT, startup_period=5, startup_failures=24),
                    security_context=restricted(read_only_root=True),
                )
            ],
        ),
    )


def _gateway_annotations(cluster_ip: bool) -> dict:
    """`pulumi up` waits until istiod has programmed the Gateway (the guide's `kubectl wait`), so its printed test
    request can be sent as soon as it ends; the Service type istiod reads from the Gateway's own annotations."""
    return {"pulumi.com/waitFor": PROGRAMMED, **(CLUSTER_IP_SERVICE if cluster_ip else {})}


def _gateway_spec(internal_load_balancer: bool) -> dict:
    return {
        "gatewayClassName": GATEWAY_CLASS,
        **({"infrastructure": {"annotations": INTERNAL_LOAD_BALANCER}} if internal_load_balancer else {}),
        "listeners": [
            {
                "name": "http",
                "port": LISTENER_PORT,
                "protocol": "HTTP",
                "allowedRoutes": {
                    "namespaces": {"from": "All"},
                    "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                },
            }
        ],
    }


ROUTE_SPEC = {
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
            "backendRefs": [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": POOL}],
            "matches": [{"path": {"type": "PathPrefix", "value": "/v1/completions"}}],
        }
    ],
}


class IstioInferenceGateway(pulumi.ComponentResource):
    """One cluster's whole inference routing plane, with Istio as the Gateway implementation."""

    def __init__(self, name: str, args: IstioInferenceGatewayArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:istio:IstioInferenceGateway", name, None, opts)
        nodes = list(args.nodes)
        self.crds = self._crds(name, args)
        istio = self._istio(name, args, nodes)
        ingress_ns = self._namespace(name, INGRESS_NAMESPACE)
        # Every pod here runs as non-root with no capabilities: the restricted Pod Security level holds.
        serving_ns = self._namespace(name, NAMESPACE, {"pod-security.kubernetes.io/enforce": "restricted"})
        self.model_server = k8s.apps.v1.Deployment(
            f"{name}-model-server",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVER, namespace=NAMESPACE, labels=SERVER_LABELS),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=3,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=SERVER_LABELS),
                template=_simulator_pod(),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[serving_ns, *nodes]),
        )
        self.picker = EndpointPicker(
            name, self, namespace=serving_ns, istio=istio, crd=self._crd, nodes=nodes, scorers=args.scorers
        )
        self._routing(name, args, ingress_ns, serving_ns, istio)
        self.network_policies = ServingNetworkPolicies(
            f"{name}-network-policies",
            ServingNetworkPoliciesArgs(
                namespace=NAMESPACE,
                serving_port=SERVING_PORT,
                model_server_labels=SERVER_LABELS,
                picker_labels=EPP_LABELS,
                picker_ports=(EPP_PORT, EPP_HEALTH_PORT),
                picker_metrics_port=EPP_METRICS_PORT,
                gateway_peers=[Peer(GATEWAY_POD_LABELS, INGRESS_NAMESPACE)],
                scraper_namespaces=[GMP_NAMESPACE],
                requires=[serving_ns],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._system_network_policies(name, ingress_ns)
        self.register_outputs({"gateway": GATEWAY, "pool": POOL})

    def _system_network_policies(self, name: str, ingress_ns: pulumi.Resource) -> None:
        """Istio's namespaces deny ingress too (inference/istio/network_policy.py); istio-system only where the
        program installs Istio, else it is not the program's."""
        in_self = pulumi.ResourceOptions(parent=self)
        args = ingress_namespace_args([ingress_ns])
        self.ingress_network_policies = namespace_ingress(f"{name}-ingress-network-policies", args, in_self)
        self.istio_network_policies = []
        if self.istio_namespace:
            args = istio_namespace_args([self.istio_namespace])
            self.istio_network_policies = namespace_ingress(f"{name}-istio-network-policies", args, in_self)

    def _crds(
        self, name: str, args: IstioInferenceGatewayArgs
    ) -> dict[str, k8s.apiextensions.v1.CustomResourceDefinition]:
        crds = {}
        files = CRD_FILES if args.install_crds else (OBJECTIVE_CRD_FILE,) if args.install_objective_crd else ()
        for file in files:
            crd = yaml.safe_load((CRDS / file).read_text())
            crds[f"{crd['spec']['group']}/{crd['spec']['names']['kind']}"] = (
                k8s.apiextensions.v1.CustomResourceDefinition(
                    f"{name}-crd-{crd['metadata']['name']}",
                    metadata=crd["metadata"],
                    spec=crd["spec"],
                    opts=pulumi.ResourceOptions(parent=self),
                )
            )
        return crds

    def _crd(self, group: str, kind: str) -> list[pulumi.Resource]:
        """A custom resource waits for its CRD, or preview cannot tell whether the kind is namespaced."""
        return [self.crds[f"{group}/{kind}"]] if f"{group}/{kind}" in self.crds else []

    def _namespace(self, name: str, ns: str, labels: dict | None = None) -> k8s.core.v1.Namespace:
        return k8s.core.v1.Namespace(
            f"{name}-{ns}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ns, labels=labels),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _istio(self, name: str, args: IstioInferenceGatewayArgs, nodes: list[pulumi.Resource]) -> list[pulumi.Resource]:
        """The GatewayClasses istiod would make, then Istio's base and istiod charts; [] when Istio is there."""
        self.istio_base = self.istiod = self.istio_namespace = None
        self.gateway_classes: dict[str, k8s.apiextensions.CustomResource] = {}
        if not args.install_istio:
            return []
        for class_name, (controller, description) in GATEWAY_CLASSES.items():
            self.gateway_classes[class_name] = k8s.apiextensions.CustomResource(
                f"{name}-gateway-class-{class_name}",
                api_version="gateway.networking.k8s.io/v1",
                kind="GatewayClass",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=class_name),
                spec={"controllerName": controller, "description": description},
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=self._crd("gateway.networking.k8s.io", "GatewayClass")
                ),
            )
        istio_ns = self.istio_namespace = self._namespace(name, ISTIO_NAMESPACE)
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
        return [self.istio_base, self.istiod]

    def _routing(
        self,
        name: str,
        args: IstioInferenceGatewayArgs,
        ingress_ns: pulumi.Resource,
        serving_ns: pulumi.Resource,
        istio: list[pulumi.Resource],
    ) -> None:
        """The Gateway of the `istio` class, made once istiod runs and awaited until istiod has programmed it, and
        the route to the pool."""
        self.gateway = k8s.apiextensions.CustomResource(
            f"{name}-gateway",
            api_version="gateway.networking.k8s.io/v1",
            kind="Gateway",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=GATEWAY, namespace=INGRESS_NAMESPACE, annotations=_gateway_annotations(args.cluster_ip)
            ),
            spec=_gateway_spec(args.internal_load_balancer),
            opts=pulumi.ResourceOptions(
                parent=self,
                custom_timeouts=pulumi.CustomTimeouts(create=PROGRAMMED_TIMEOUT, update=PROGRAMMED_TIMEOUT),
                depends_on=[
                    ingress_ns,
                    *istio,
                    *self.gateway_classes.values(),
                    *self._crd("gateway.networking.k8s.io", "Gateway"),
                ],
            ),
        )
        self.route = k8s.apiextensions.CustomResource(
            f"{name}-route",
            api_version="gateway.networking.k8s.io/v1",
            kind="HTTPRoute",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=ROUTE, namespace=NAMESPACE),
            spec=ROUTE_SPEC,
            # After the pool it names and its running picker: a request routed earlier finds no pool, or no picker.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    serving_ns,
                    self.gateway,
                    self.picker.pool,
                    self.picker.deployment,
                    *self._crd("gateway.networking.k8s.io", "HTTPRoute"),
                ],
            ),
        )
