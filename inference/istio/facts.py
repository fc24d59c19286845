"""Istio mode's facts: the CRDs and GatewayClasses it installs, istiod's switches, the released images, and the
names and values of Istio's guide "Kubernetes Gateway API Inference Extension" (components/manifests/
istio-gateway-api-inference-extension.*), kept so that the guide's test request and clean-up work unchanged."""

from __future__ import annotations

from inference.common import vendored

CRDS = vendored.CRDS
# istioctl's profiles at the vendored release (components/manifests/): what the guide's `--set profile=minimal`
# means, against which the tests compare the two charts the program installs (docs/istio.md).
PROFILES = vendored.MANIFESTS / "istio-profiles-1.29.6"
# The CRDs the guide installs with `kubectl kustomize .../config/crd`: Gateway API v1.4.0 (the six files its
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
GATEWAY_CLASS = "istio"  # the class the program's Gateway uses
GATEWAY_CLASSES = {
    GATEWAY_CLASS: ("istio.io/gateway-controller", "The default Istio GatewayClass"),
    "istio-remote": ("istio.io/unmanaged-gateway", "Remote to this cluster. Does not deploy or affect configuration."),
}
# istiod copies a Gateway's spec.infrastructure.annotations onto the Service it generates (istio 1.29.6
# pilot/pkg/config/kube/gateway/deploymentcontroller.go extractInfrastructureMetadata; the Service's
# annotations in manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml); on GKE this one makes
# it an internal passthrough Network Load Balancer
# (https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters).
INTERNAL_LOAD_BALANCER = {"networking.gke.io/load-balancer-type": "Internal"}
# A Gateway annotation istiod 1.29.6 reads for the type of the Service it generates (deploymentcontroller.go
# L516-518, `annotation.NetworkingServiceType`; its testdata/deployment/cluster-ip.yaml): a ClusterIP Service needs
# no load-balancer implementation, which kind lacks.
CLUSTER_IP_SERVICE = {"networking.istio.io/service-type": "ClusterIP"}
# istiod sets Programmed once the generated Service has endpoints and, for a LoadBalancer Service, an address
# (conversion.go setProgrammedCondition, context.go ResolveGatewayInstances: "address pending" otherwise); the
# provider's default wait is 10 minutes (pulumi-kubernetes provider/pkg/await/await.go), stated here.
PROGRAMMED = "condition=Programmed"
PROGRAMMED_TIMEOUT = "10m"
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
# EPP v1.1.0 traces by default (cmd/epp/runner/runner.go `flag.Bool("tracing", true, ...)`) and, without
# OTEL_TRACES_EXPORTER, exports every span pretty-printed to its log (pkg/common/telemetry.go initTraceExporter:
# "console"); Istio mode runs no collector. Upstream's own chart turns tracing off unless asked (v1.1.0 values.yaml
# `inferenceExtension.tracing.enabled: false`), so the picker runs with `--tracing=false`, the form a Go bool flag
# takes (the chart's separate "false" argument would end flag parsing; fixed upstream after v1.1.0, #1777).
TRACING_OFF = "--tracing=false"
GATEWAY = "gateway"
# Istio's automated deployment of a Gateway labels its proxies' pods with the Gateway's name
# (https://istio.io/latest/docs/tasks/traffic-management/ingress/gateway-api/#automated-deployment): the pods the
# serving namespace's network policies admit (inference/serving/network_policy.py).
GATEWAY_POD_LABELS = {"gateway.networking.k8s.io/gateway-name": GATEWAY}
EPP_METRICS_PORT = 9090
# The Gateway's one listener (inference/istio/plane.py): istiod's generated Service has no targetPort, so the
# proxies' pods serve the listener's port itself (istio 1.29.6 manifests/charts/istio-control/istio-discovery/
# files/kube-gateway.yaml: Service `port: {{ $val.Port }}`, and the pods may bind it through
# `net.ipv4.ip_unprivileged_port_start: 0`).
LISTENER_PORT = 80
# istiod's pods and the two ports something calls (the vendored chart's templates/deployment.yaml and
# service.yaml): 15017 the API server's webhooks (Service port 443), 15012 xDS and certificates over TLS, the
# mesh's `discoveryAddress` (templates/configmap.yaml `istiod.<namespace>.svc:15012`) the Gateway's proxies
# use. Its plaintext xDS (15010), debug (8080) and monitoring (15014) ports have no caller here.
ISTIOD_LABELS = {"app": "istiod"}
ISTIOD_WEBHOOK_PORT = 15017
ISTIOD_XDS_PORT = 15012
GMP_NAMESPACE = "gmp-system"  # Managed Prometheus's collectors (inference/serving/facts.py), on GKE
ROUTE = "httproute-for-inferencepool"
SERVING_PORT = 8000
ISTIO_HUB = "docker.io/istio"  # where istio/release-builder points the released charts' `hub`
BASE_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
ADAPTER = "reviews-1"
# Both switches of the guide's `istioctl install`; istiod 1.29.6 reads ENABLE_GATEWAY_API_INFERENCE_EXTENSION
# (pilot/pkg/features/experimental.go) and nothing reads the SUPPORT_ one, which is kept as the guide sets it.
PILOT_ENV = {"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true", "SUPPORT_GATEWAY_API_INFERENCE_EXTENSION": "true"}
