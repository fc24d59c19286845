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
from inference.common.images import ISTIOD_IMAGES, has_digest
from inference.common.network_policy import namespace_ingress
from inference.istio.facts import (
    ADAPTER,
    CLUSTER_IP_SERVICE,
    CRD_FILES,
    CRDS,
    EPP_HEALTH_PORT,
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
    SERVING_PORT,
)
from inference.istio.models import GUIDE_MODEL, IstioModel, route_rule
from inference.istio.network_policy import ingress_namespace_args, istio_namespace_args
from inference.istio.serving import ModelServing
from inference.models.body_router import ISTIO_PROVIDER, BodyRouter, BodyRouterArgs
from inference.serving.network_policy import Peer, ServingNetworkPolicies, ServingNetworkPoliciesArgs


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


def test_request(kube_context: str | None, model: str = ADAPTER, headers: Sequence[tuple[str, str]] = ()) -> dict:
    """The guide's check: a completion through the Gateway, answered by Envoy; by default for its LoRA adapter.
    `headers`: what else the request sends (the model header where the client sets it, the objective)."""
    body = json.dumps(
        {
            "model": model,
            "prompt": "What do reviewers think about The Comedy of Errors?",
            "max_tokens": 100,
            "temperature": 0,
        }
    )
    kubectl = f"kubectl --context {kube_context}" if kube_context else "kubectl"
    sent = "".join(f"-H '{name}: {value}' " for name, value in headers)
    return {
        "model": model,
        "expectedHeader": "server: istio-envoy",
        "wait": f"{kubectl} wait -n {INGRESS_NAMESPACE} --for=condition=programmed "
        f"gateways.gateway.networking.k8s.io {GATEWAY}",
        "ingressHost": f"export INGRESS_HOST=$({kubectl} get gateways.gateway.networking.k8s.io {GATEWAY} "
        f"-n {INGRESS_NAMESPACE} -ojsonpath='{{.status.addresses[0].value}}')",
        "command": f"curl -s -i \"http://$INGRESS_HOST/v1/completions\" {sent}-d '{body}'",
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
    models: Sequence[IstioModel] = (GUIDE_MODEL,)  # the first keeps the guide's names (inference/istio/models.py)
    body_routing: bool = False  # several models: the body-based router sets the model header on the Gateway


def _policies(models: Sequence[IstioModel], namespace: pulumi.Resource) -> ServingNetworkPoliciesArgs:
    """Only the Gateway's proxies reach the servers and pickers, the pickers the servers, and Managed
    Prometheus the metrics; with several models, every model's servers and pickers by their `app` labels."""
    several = len(models) > 1
    return ServingNetworkPoliciesArgs(
        namespace=NAMESPACE,
        serving_port=SERVING_PORT,
        model_server_labels=models[0].names.server_labels,
        model_server_apps=[m.names.server_labels["app"] for m in models] if several else [],
        picker_labels={} if several else models[0].names.epp_labels,
        picker_apps=[m.names.epp_labels["app"] for m in models] if several else [],
        picker_ports=(EPP_PORT, EPP_HEALTH_PORT),
        picker_metrics_port=EPP_METRICS_PORT,
        gateway_peers=[Peer(GATEWAY_POD_LABELS, INGRESS_NAMESPACE)],
        scraper_namespaces=[GMP_NAMESPACE],
        requires=[namespace],
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


def route_spec(models: Sequence[IstioModel]) -> dict:
    """The guide's route on its Gateway's listener: a rule per model (one, the guide's, without `models`)."""
    parent = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": GATEWAY, "namespace": INGRESS_NAMESPACE}
    return {"parentRefs": [{**parent, "sectionName": "http"}], "rules": [route_rule(m) for m in models]}


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
        self.models = [
            ModelServing(
                name,
                self,
                m,
                namespace=serving_ns,
                istio=istio,
                crd=self._crd,
                nodes=nodes,
                scorers=args.scorers,
            )
            for m in args.models
        ]
        self.model_server, self.picker = self.models[0].model_server, self.models[0].picker
        self.body_router = self._body_router(name, args, ingress_ns, istio, nodes)
        self._routing(name, args, ingress_ns, serving_ns, istio)
        self.network_policies = ServingNetworkPolicies(
            f"{name}-network-policies", _policies(args.models, serving_ns), opts=pulumi.ResourceOptions(parent=self)
        )
        self._system_network_policies(name, ingress_ns)
        self.register_outputs({"gateway": GATEWAY, "pool": POOL})

    def _body_router(
        self,
        name: str,
        args: IstioInferenceGatewayArgs,
        ingress_ns: pulumi.Resource,
        istio: list[pulumi.Resource],
        nodes: list[pulumi.Resource],
    ) -> BodyRouter | None:
        """Upstream's router for Istio (the body-based-routing chart, provider istio) in the Gateway's namespace:
        the chart's EnvoyFilter targets the Gateway by name in the release namespace, and its DestinationRule
        gives the Gateway TLS to the router's Service there. Only the Gateway's pods call it."""
        if not args.body_routing:
            return None
        return BodyRouter(
            f"{name}-body-router",
            BodyRouterArgs(
                namespace=INGRESS_NAMESPACE,
                gateway_name=GATEWAY,
                provider=ISTIO_PROVIDER,
                requires=[ingress_ns, *istio],  # Istio's CRDs come with its base chart
                nodes=nodes,
                gateway_peers=[Peer(GATEWAY_POD_LABELS)],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

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
            spec=route_spec(args.models),
            # After the pools it names, their running pickers and objectives, and the router that sets the model
            # header: a request routed earlier finds no pool, no picker, or no header.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    serving_ns,
                    self.gateway,
                    *(r for m in self.models for r in m.routable()),
                    *([self.body_router.chart] if self.body_router else []),
                    *self._crd("gateway.networking.k8s.io", "HTTPRoute"),
                ],
            ),
        )
