"""Facts the guards rely on (Model Armor's regions, the Gateway classes that take a traffic extension, the
Service Extensions agent, the Apigee operator's charts, creating an Apigee organization) and the grants of
their identities, each with its source and the date it was read."""

from __future__ import annotations

from inference.common.permissions import Grant
from inference.single_cluster import facts as single_cluster

# ======================================================================================================
# Guards in front of the model (the customisation guide): where Model Armor runs, which Gateway classes take a traffic
# extension, and the Apigee operator's charts (used by inference/guards/config.py), read 2026-11-25
# ======================================================================================================

GUARDS_READ_ON = "2026-11-25"

# Model Armor's regions (https://cloud.google.com/model-armor/locations, "Regions"), re-read 2026-11-25 from the
# newest of the stored copies: the one listing Asia Pacific, North America, South America and Europe (the
# stored copy dated "Last updated 2025-12-05" lists only the first ten below, which the data-residency page
# https://cloud.google.com/model-armor/data-residency also lists). The page also lists the multi-regions `us` and
# `eu`; the load balancer's callout names a regional endpoint (`<service>.<region>.rep.googleapis.com`, the
# GCPTrafficExtension CRD's googleAPIServiceName), so only regions are accepted (us-east5, the walkthrough's
# second region, is not one).
MODEL_ARMOR_LOCATIONS_SOURCE = "https://cloud.google.com/model-armor/locations"
MODEL_ARMOR_MULTI_REGIONS = ("us", "eu")  # listed on the same page; the traffic extension needs a region
MODEL_ARMOR_LOCATIONS: tuple[str, ...] = (
    "asia-southeast1",
    "asia-south1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-west1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    # listed by the newer copies of the page
    "asia-northeast1",
    "asia-northeast3",
    "australia-southeast2",
    "northamerica-northeast2",
    "southamerica-east1",
    "europe-southwest1",
    "europe-west9",
)

# GatewayClasses whose Gateways take a GCPTrafficExtension. Two sources, read 2026-11-25:
# - Service Extensions' "Supported Application Load Balancers" (SERVICE_EXTENSIONS_LBS_SOURCE): traffic
#   extensions run on the global external, regional external and regional internal Application Load
#   Balancers, and on the cross-region internal one in Preview only; not on the classic one.
# - GKE's "Customize GKE Gateway traffic using Service Extensions" (SERVICE_EXTENSIONS_SOURCE) has a table by
#   GatewayClass whose cells are icons: the stored copies (English, Japanese, Spanish, French, German) show
#   its header (GatewayClass | GCPRoutingExtension | GCPTrafficExtension) but no readable cell, and no
#   public repository read names a class with a working GCPTrafficExtension. So the set below is the
#   conservative one: the single-cluster classes of the load balancers where traffic extensions are GA,
#   each class mapped to its load balancer by GATEWAY_CLASS_LBS_SOURCE. The cross-region internal class
#   (this program's multi-cluster default) is refused: its load balancer has traffic extensions in Preview
#   only, and no source says GKE attaches one to a multi-cluster Gateway. docs/guards.md states the same.
SERVICE_EXTENSIONS_SOURCE = "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gke-service-extensions"
SERVICE_EXTENSIONS_LBS_SOURCE = "https://cloud.google.com/service-extensions/docs/lb-extensions-overview#supported-lbs"
GATEWAY_CLASS_LBS_SOURCE = "https://cloud.google.com/kubernetes-engine/docs/concepts/gateway-api#gatewayclass"
TRAFFIC_EXTENSION_CLASSES: tuple[str, ...] = (
    single_cluster.INTERNAL_CLASS,  # regional internal Application Load Balancer: GA
    single_cluster.EXTERNAL_CLASS,  # regional external Application Load Balancer: GA
    "gke-l7-global-external-managed",  # global external Application Load Balancer: GA
)
# The Service Extensions service agent, which makes the load balancer's callouts to Google services
# (Model Armor: https://cloud.google.com/model-armor/access-control/service-accounts, "Service Extensions
# service agent"). Google's service-agents page (https://cloud.google.com/iam/docs/service-agents) lists it
# as a non-primary agent of Network Services; `ServiceIdentity` creates a service's primary agent, and no
# resource is documented to create this one before its grants (one public deployment log saw it appear with
# the first extension). The program creates Network Services' identity first and documents the failure mode
# and the recovery (docs/guards.md § The project number).
SERVICE_EXTENSIONS_AGENT = "gcp-sa-dep"  # service-PROJECT_NUMBER@gcp-sa-dep.iam.gserviceaccount.com
SERVICE_EXTENSIONS_API = "networkservices.googleapis.com"
# A forwarding rule takes one traffic extension; a chain holds up to 3 extensions (the GCPTrafficExtension
# CRD, `extensions`: "Up to 3 Extensions can be defined for each ExtensionChain"), so with both guards on
# the program renders one extension with one chain of two.
EXTENSIONS_PER_CHAIN = 3

# The Apigee Operator for Kubernetes: two Helm charts in Google's Artifact Registry (OCI), their sources not
# public, the version of the install guide (_APIM_INSTALL below: `--version 1.1.1`), namespace `apim`, the
# Kubernetes service account `apim-ksa` the operator chart creates (docs/guards.md).
APIGEE_CHART_REPOSITORY = "oci://us-docker.pkg.dev/apigee-release/apigee-k8s-tooling-helm-charts"
APIGEE_CHART_VERSION = "1.1.1"
APIGEE_NAMESPACE = "apim"
APIGEE_KSA = "apim-ksa"
# "Known limitations" of the operator's overview (last updated 2026-04-10): "If using the ApigeeBackendService
# to implement the GKE traffic extensions, you must use GKE version 1.34.x or later and deploy all gateway
# resources in the default namespace." So Apigee is refused unless modelServer.namespace (the Gateway's
# namespace) is `default`.
APIGEE_GATEWAY_NAMESPACE = "default"
APIGEE_DEFAULT_NAMESPACE_SOURCE = (
    "https://cloud.google.com/apigee/docs/api-platform/apigee-kubernetes/apigee-apim-operator-overview"
)
# The install guide (_APIM_INSTALL, "Install ... Apigee Operator for Kubernetes", last updated 2026-04-10):
# `--set generateEnv=ENV_GENERATION_MODE`, TRUE or FALSE; "It may take a few minutes, potentially 7 minutes or
# longer, for the workload identity changes to propagate"; with generateEnv=FALSE the environment is created
# with `deploymentType: PROXY`, `apiProxyType: PROGRAMMABLE` and the property
# `apigee-service-extension-enabled: "true"` ("Create an Apigee environment").
APIGEE_GENERATE_ENV = "FALSE"
APIGEE_OPERATOR_TIMEOUT_SECONDS = 900
APIGEE_ENVIRONMENT_DEPLOYMENT_TYPE = "PROXY"
APIGEE_ENVIRONMENT_PROXY_TYPE = "PROGRAMMABLE"
APIGEE_ENVIRONMENT_PROPERTIES = {"apigee-service-extension-enabled": "true"}

# Creating the Apigee organization (guards.apigee.create), read 2026-11-25.
# - The API's billing types (organizations resource, `BillingType`): EVALUATION, SUBSCRIPTION, PAYG;
#   https://cloud.google.com/apigee/docs/reference/apis/apigee/rest/v1/organizations#BillingType.
# - An organization is named after its project (its `name` is the project ID: organizations.create takes
#   `parent=projects/PROJECT_ID`; the provisioning guides set ORG_NAME=$PROJECT_ID).
# - Without VPC peering (`disableVpcPeering: true`, required when no `authorizedNetwork` is given, valid only
#   for runtime type CLOUD): Private Service Connect carries the traffic and no IP range is reserved
#   (https://cloud.google.com/apigee/docs/api-platform/get-started/networking-options). The evaluation
#   guide has a non-peered variant (https://cloud.google.com/apigee/docs/api-platform/get-started/install-cli-non-peered-eval).
# - Evaluation organizations expire after 60 days (the same guide; "Compare evaluation and paid organizations").
# - Pay-as-you-go environment types Base, Intermediate, Comprehensive; a PAYG organization is provisioned with
#   an Intermediate environment (APIGEE_ENVIRONMENT_TYPES_SOURCE). The customisation guide needs Intermediate or
#   Comprehensive for the Extension Processor, so Base is not offered.
# - Networking (https://cloud.google.com/apigee/docs/api-platform/get-started/networking-options): `psc`, no
#   VPC peering (Private Service Connect), or `peering`: private services access from the stack's VPC through a
#   reserved range (`compute.GlobalAddress` with purpose VPC_PEERING and a Service Networking connection, as
#   pulumi-gcp's `apigee.Organization` example does) named by `authorizedNetwork`. "An Apigee instance
#   requires a non-overlapping /22 CIDR range" (APIGEE_PEERING_SOURCE, "Network sizing"), and Apigee's
#   "Configure service networking" step (APIGEE_SERVICE_NETWORKING_SOURCE, step 4; the stored copies show its
#   heading, not its commands) is followed by public provisioning scripts that reserve a second /28
#   (`google-managed-services-support-1`, "Peering range for supporting Apigee services") beside a /22 or a
#   /21. pulumi-gcp's own Apigee examples (`apigee.NatAddress`, `apigee.Organization`) reserve one /21
#   (`prefixLength: 21`) for the connection. The program reserves one range, so it asks for a /21 or larger:
#   room for the instance's /22 and the support /28 in it.
APIGEE_NETWORKING = ("psc", "peering")
APIGEE_PEERING_PREFIX = 21
APIGEE_SERVICE_NETWORKING_SOURCE = "https://cloud.google.com/apigee/docs/api-platform/get-started/install-cli"
APIGEE_PEERING_SOURCE = "https://cloud.google.com/apigee/docs/api-platform/system-administration/peering-ranges"
APIGEE_BILLING_TYPES = ("EVALUATION", "PAYG", "SUBSCRIPTION")
APIGEE_EXTENSION_ENVIRONMENT_TYPES = ("INTERMEDIATE", "COMPREHENSIVE")
APIGEE_EVALUATION_DAYS = 60
APIGEE_EVALUATION_SOURCE = "https://cloud.google.com/apigee/docs/api-platform/get-started/install-cli-non-peered-eval"
APIGEE_ENVIRONMENT_TYPES_SOURCE = (
    "https://cloud.google.com/apigee/docs/api-platform/reference/pay-as-you-go-environment-types"
)
APIGEE_LOCATIONS_SOURCE = "https://cloud.google.com/apigee/docs/locations"
# "Available Apigee runtime regions" (APIGEE_LOCATIONS_SOURCE), read 2026-11-25 from the stored copies: the
# Americas and Europe tables in full, the Asia Pacific one up to Tokyo (the Middle East and Africa not at all).
# The page's analytics table could not be read; an organization's analytics region is checked against the same
# runtime table, and only in the geographies read in full (APIGEE_REGIONS_READ_IN_FULL): elsewhere any Google
# Cloud region passes.
APIGEE_REGIONS: tuple[str, ...] = (
    "us-central1", "us-west1", "us-west2", "us-west3", "us-west4", "northamerica-northeast1",
    "northamerica-northeast2", "northamerica-south1", "us-east1", "us-east4", "us-east5", "us-south1",
    "southamerica-west1", "southamerica-east1",
    "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9",
    "europe-west10", "europe-west12", "europe-central2", "europe-southwest1", "europe-north1",
    "australia-southeast1", "australia-southeast2", "asia-south1", "asia-south2", "asia-southeast1",
    "asia-southeast2", "asia-northeast1",
)  # fmt: skip
APIGEE_REGIONS_READ_IN_FULL = ("us-", "northamerica-", "southamerica-", "europe-")
APIGEE_PRICING_SOURCE = "https://cloud.google.com/apigee/pricing"

# Guards in front of the model (the customisation guide): the Service Extensions service agent, which calls Model Armor
# for the load balancer, and the Apigee Operator for Kubernetes' Google service account.
IDENTITIES = {
    "service-extensions-agent": "service-PROJECT_NUMBER@gcp-sa-dep.iam.gserviceaccount.com",
    "apigee-operator": "the Apigee operator's Google service account (<prefix>-<stack>-apim)",
    "apigee-operator-ksa": "PROJECT.svc.id.goog[apim/apim-ksa]",
}
# The Service Extensions service agent, its address, and that callouts to Google services run as it:
SERVICE_EXTENSIONS_TO_GOOGLE = (
    "https://cloud.google.com/service-extensions/docs/configure-extensions-to-google-services"
)
_ARMOR_GUIDE = "the customisation guide (Mengonfigurasi pemeriksaan keamanan dan keselamatan AI, step 2)"
_APIM_INSTALL = "https://cloud.google.com/apigee/docs/api-platform/apigee-kubernetes/apigee-apim-operator-install"
PERMISSIONS = (
    tuple(
        Grant(
            "service-extensions-agent", role, "project", why, f"{_ARMOR_GUIDE}; {SERVICE_EXTENSIONS_TO_GOOGLE}", "armor"
        )
        for role, why in (
            ("roles/container.admin", "the guide grants it to the agent that programs the Gateway's extension"),
            ("roles/modelarmor.calloutUser", "the load balancer's callout to Model Armor"),
            ("roles/serviceusage.serviceUsageConsumer", "the callout is billed to and quota-checked in the project"),
            ("roles/modelarmor.user", "the callout screens with the stack's template"),
        )
    )
    + tuple(
        Grant(
            "apigee-operator", role, "project", why, f"{_APIM_INSTALL} (Retrieve and configure credentials)", "apigee"
        )
        for role, why in (
            ("roles/apigee.admin", "the operator creates the Apigee extension processor and its environment resources"),
            ("roles/networkservices.serviceExtensionsAdmin", "the operator manages the traffic extension's backend"),
            ("roles/compute.networkAdmin", "the operator manages access to Apigee through Service Extensions"),
            ("roles/compute.loadBalancerAdmin", "the operator connects network endpoint groups and backend services"),
        )
    )
    + (
        Grant(
            "apigee-operator-ksa",
            "roles/iam.workloadIdentityUser",
            "service-account",
            "the operator's Kubernetes service account (created by its chart) acts as its Google service account",
            f"{_APIM_INSTALL} (Create a workload identity)",
            "apigee",
        ),
    )
)
