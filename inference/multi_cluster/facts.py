"""Facts the multi-cluster Gateway relies on: its GatewayClass, the proxy-only subnets it needs, and what the
fleet's agents need (Multi Cluster Ingress, the MCS importer), each with its source, read 2026-11-25."""

from __future__ import annotations

from inference.common.permissions import Grant
from inference.core.facts.ranges import GLOBAL_PROXY_PURPOSE

# The multi-cluster inference gateway's class: a cross-region internal Application Load Balancer across
# the fleet (https://cloud.google.com/kubernetes-engine/docs/how-to/setup-multicluster-inference-gateway).
GATEWAY_CLASS = "gke-l7-cross-regional-internal-managed-mc"
# A cross-region internal load balancer: its proxies run in GLOBAL_MANAGED_PROXY subnets.
PROXY_SUBNET_PURPOSE = GLOBAL_PROXY_PURPOSE

# The health check of the imported pool, as the inferencepool chart checks its own pool: every 2 s with a 2 s
# timeout, "more aggressive ... than the default 5s for faster switch over" (chart v1.1.0 templates/gke.yaml;
# components/charts/inferencepool-v1.1.0), and GKE's default thresholds of 2 (the HealthCheckPolicy CRD,
# components/crds/gke-gateway-api/networking.gke.io_healthcheckpolicies.yaml). The CRD takes 1..300 s for the
# interval and the timeout, 1..10 for each threshold, and refuses a timeout above the interval (its CEL rule
# "timeOutSec cannot exceed checkIntervalSec").
HEALTH_CHECK_INTERVAL_SEC = 2
HEALTH_CHECK_TIMEOUT_SEC = 2
HEALTH_CHECK_THRESHOLD = 2
HEALTH_CHECK_SECONDS_RANGE = (1, 300)
HEALTH_CHECK_THRESHOLD_RANGE = (1, 10)

# The APIs each fleet feature calls beyond GKE Hub. Multi-cluster Services "configures Cloud DNS zones and records
# for each exported Service in your fleet clusters" and uses Cloud Service Mesh (Traffic Director) "as a control
# plane to keep track of endpoints and their health across clusters"
# (https://cloud.google.com/kubernetes-engine/docs/how-to/multi-cluster-services, "Google Cloud resources managed by
# MCS"): its controller manages Cloud DNS in the fleet's project, which needs the Cloud DNS API on. Multi Cluster
# Ingress (the multi-cluster Gateway controller) runs on the Network Services API
# (https://cloud.google.com/kubernetes-engine/docs/how-to/enabling-multi-cluster-gateways).
MCS_APIS = ("multiclusterservicediscovery.googleapis.com", "trafficdirector.googleapis.com", "dns.googleapis.com")
MCI_APIS = ("multiclusteringress.googleapis.com", "networkservices.googleapis.com")
FEATURE_APIS = {"multiclusterservicediscovery": MCS_APIS, "multiclusteringress": MCI_APIS}

IDENTITIES = {
    "mci-agent": "service-PROJECT_NUMBER@gcp-sa-multiclusteringress.iam.gserviceaccount.com",
    "mcs-importer": "PROJECT.svc.id.goog[gke-mcs/gke-mcs-importer], through Workload Identity",
}
PERMISSIONS = (
    Grant(
        "mci-agent",
        "roles/container.admin",
        "project",
        "the multi-cluster Gateway controller programs load balancers from every member cluster",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/enabling-multi-cluster-gateways",
        when="features",
    ),
    Grant(
        "mcs-importer",
        "roles/compute.networkViewer",
        "project",
        "the multi-cluster Services importer reads the VPC to build the imported services' NEGs",
        "https://cloud.google.com/kubernetes-engine/docs/how-to/multi-cluster-services#enabling "
        "(the MCS setup's IAM step; operators report MCS unhealthy without it even with Workload Identity)",
        when="features",
    ),
)
