"""Guards in front of the model (the customisation guide): Model Armor screens prompts and responses, Apigee
checks API keys and applies quotas, both as Service Extensions the Gateway's load balancer calls.

A forwarding rule takes one traffic extension, so the Gateway gets one GCPTrafficExtension with one chain:
Apigee first (a request without a key is refused before anything is screened or served), then Model Armor.
`ServiceExtensionsAccess` holds the project-wide grants of the Service Extensions service agent, made once per
project by the one stack that says it owns them (`guards.manageProjectGrants`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from inference.guards import facts as guard_facts

CONFIDENCE = "MEDIUM_AND_ABOVE"  # the guide's level for every filter
RAI_FILTERS = ("HATE_SPEECH", "DANGEROUS", "HARASSMENT", "SEXUALLY_EXPLICIT")  # the guide's `--rai-settings-filters`
AGENT_ROLES = tuple(g.role for g in guard_facts.PERMISSIONS if g.identity == "service-extensions-agent")
OPERATOR_ROLES = tuple(g.role for g in guard_facts.PERMISSIONS if g.identity == "apigee-operator")
# The guide's extensions: every event of the exchange for Model Armor, the headers and the response body for
# Apigee; a one-second timeout per message; fail closed (a failed callout answers 500, nothing passes unscreened).
ARMOR_EVENTS = (
    "RequestHeaders",
    "RequestBody",
    "RequestTrailers",
    "ResponseHeaders",
    "ResponseBody",
    "ResponseTrailers",
)
APIGEE_EVENTS = ("RequestHeaders", "ResponseHeaders", "ResponseBody")
TIMEOUT = "1s"
APIGEE_PORT = 443
# The customisation guide's readiness checks (`kubectl wait --for=jsonpath=...`), as pulumi-kubernetes
# `waitFor` annotations.
BACKEND_CREATED = "jsonpath={.status.currentState}=CREATED"
PROGRAMMED = 'jsonpath={.status.ancestors[0].conditions[?(@.type=="Programmed")].status}=True'


def agent_member(service_agent_email: str) -> str:
    """The Service Extensions agent of the project whose number another service agent's address holds
    (`service-PROJECT_NUMBER@gcp-sa-<service>.iam.gserviceaccount.com`)."""
    number = re.fullmatch(r"service-([0-9]+)@[a-z0-9-]+\.iam\.gserviceaccount\.com", service_agent_email)
    if not number:
        raise ValueError(f"{service_agent_email!r} is not a service agent's address")
    return f"serviceAccount:service-{number.group(1)}@{guard_facts.SERVICE_EXTENSIONS_AGENT}.iam.gserviceaccount.com"


@dataclass(frozen=True)
class ServiceExtensionsAccessArgs:
    project: str
    depends_on: Sequence[pulumi.Resource] = ()  # the Model Armor, Resource Manager and Network Services APIs


class ServiceExtensionsAccess(pulumi.ComponentResource):
    """The guide's four project roles for the Service Extensions service agent, as non-authoritative members.
    The agent's address holds the project number: it is read from Model Armor's own service identity
    (`service-PROJECT_NUMBER@gcp-sa-modelarmor...`, which Service Usage returns when it creates that agent),
    never guessed from the project ID; the plan calls no provider function. Network Services' service identity
    is created first, as public setups do; whether that provisions the non-primary `gcp-sa-dep` agent is not
    documented (docs/guards.md § The project number: the failure mode and the recovery)."""

    def __init__(self, name: str, args: ServiceExtensionsAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:guard:ServiceExtensionsAccess", name, None, opts)
        after_apis = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.model_armor_identity = gcp.projects.ServiceIdentity(
            f"{name}-modelarmor-identity", project=args.project, service="modelarmor.googleapis.com", opts=after_apis
        )
        # Network Services' identity before the agent's roles, as `gcloud beta services identity create
        # --service=networkservices.googleapis.com` in public setups; it may not be the `gcp-sa-dep` agent
        # (a non-primary agent of that API), so its address is not used (docs/guards.md).
        self.agent_identity = gcp.projects.ServiceIdentity(
            f"{name}-agent-identity", project=args.project, service=guard_facts.SERVICE_EXTENSIONS_API, opts=after_apis
        )
        self.member = self.model_armor_identity.email.apply(agent_member)
        self.grants = [
            gcp.projects.IAMMember(
                f"{name}-{role.split('/')[1].replace('.', '-').lower()}",
                project=args.project,
                role=role,
                member=self.member,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, self.agent_identity]),
            )
            for role in AGENT_ROLES
        ]
        self.register_outputs({"member": self.member})


@dataclass(frozen=True)
class ModelArmorArgs:
    location: str
    template_id: str
    settings: str  # the extension's `model_armor_settings` metadata (inference/guards/config.py)
    access: pulumi.Resource | None  # the agent's grants; None: another stack in the project owns them
    depends_on: Sequence[pulumi.Resource] = ()  # the Model Armor API


@dataclass(frozen=True)
class ApigeeLocation:
    network: pulumi.Input[str]  # projects/P/global/networks/N
    subnetwork: pulumi.Input[str]  # projects/P/regions/R/subnetworks/S


@dataclass(frozen=True)
class ApigeeArgs:
    organization: str
    environment: str
    chart_version: str
    operator_account_id: str
    backend_service: str  # the ApigeeBackendService's name, also the extension's `apigee-extension-processor`
    locations: Mapping[str, ApigeeLocation]  # every region the Gateway serves
    workload_pool: pulumi.Input[str]  # PROJECT.svc.id.goog, from the cluster
    depends_on: Sequence[pulumi.Resource] = ()  # the Apigee, IAM and Resource Manager APIs


@dataclass(frozen=True)
class GatewayGuardArgs:
    project: str
    namespace: str  # the Gateway's: the extension and its backend sit next to it
    gateway_name: str
    extension_name: str
    chain_name: str  # of the extension's one chain
    gateway: pulumi.Resource  # the extension attaches to it once it exists
    namespace_resource: pulumi.Resource | None  # the Gateway's namespace when the program creates it
    model_armor: ModelArmorArgs | None
    apigee: ApigeeArgs | None
    ready_timeout_minutes: int = 20  # how long `pulumi up` waits for the backend service and the extension
    labels: Mapping[str, str] = field(default_factory=dict)


def armor_filters() -> gcp.modelarmor.TemplateFilterConfigArgs:
    """The guide's template: prompt injection and jailbreak detection enforced, and the four Responsible AI
    filters, all at MEDIUM_AND_ABOVE."""
    return gcp.modelarmor.TemplateFilterConfigArgs(
        pi_and_jailbreak_filter_settings=gcp.modelarmor.TemplateFilterConfigPiAndJailbreakFilterSettingsArgs(
            filter_enforcement="ENABLED", confidence_level=CONFIDENCE
        ),
        rai_settings=gcp.modelarmor.TemplateFilterConfigRaiSettingsArgs(
            rai_filters=[
                gcp.modelarmor.TemplateFilterConfigRaiSettingsRaiFilterArgs(filter_type=f, confidence_level=CONFIDENCE)
                for f in RAI_FILTERS
            ]
        ),
    )


def apigee_extension(backend_service: str) -> dict:
    return {
        "name": "apigee",
        "metadata": {"apigee-extension-processor": backend_service},  # must name the ApigeeBackendService
        "failOpen": False,
        "timeout": TIMEOUT,
        "supportedEvents": list(APIGEE_EVENTS),
        "backendRef": {
            "group": "apim.googleapis.com",
            "kind": "ApigeeBackendService",
            "name": backend_service,
            "port": APIGEE_PORT,
        },
    }


def armor_extension(location: str, settings: str) -> dict:
    return {
        "name": "model-armor",
        "supportedEvents": list(ARMOR_EVENTS),
        "timeout": TIMEOUT,
        "failOpen": False,
        "googleAPIServiceName": f"modelarmor.{location}.rep.googleapis.com",
        "metadata": {"model_armor_settings": settings},
    }


def extension_spec(args: GatewayGuardArgs) -> dict:
    """One chain for every path, Apigee before Model Armor."""
    extensions = []
    if args.apigee:
        extensions.append(apigee_extension(args.apigee.backend_service))
    if args.model_armor:
        extensions.append(armor_extension(args.model_armor.location, args.model_armor.settings))
    return {
        "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": args.gateway_name}],
        "extensionChains": [
            {
                "name": args.chain_name,
                "matchCondition": {"celExpressions": [{"celMatcher": 'request.path.startsWith("/")'}]},
                "extensions": extensions,
            }
        ],
    }


class GatewayGuard(pulumi.ComponentResource):
    """The Model Armor template, the Apigee operator with its identity and backend service, and the Gateway's
    one traffic extension. Give it the Gateway's cluster as its `kubernetes` provider."""

    def __init__(self, name: str, args: GatewayGuardArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:guard:GatewayGuard", name, None, opts)
        before_extension: list[pulumi.Resource] = [args.gateway, *self._namespace(args)]
        self.template = None
        if armor := args.model_armor:
            self.template = gcp.modelarmor.Template(
                f"{name}-template",
                project=args.project,
                location=armor.location,
                template_id=armor.template_id,
                filter_config=armor_filters(),
                template_metadata=gcp.modelarmor.TemplateTemplateMetadataArgs(
                    log_sanitize_operations=True, log_template_operations=True
                ),
                labels=dict(args.labels),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(armor.depends_on)),
            )
            before_extension += [self.template, *([armor.access] if armor.access else [])]
        self.backend_service = None
        if apigee := args.apigee:
            self.backend_service = self._apigee(name, args, apigee)
            before_extension.append(self.backend_service)
        self.extension = k8s.apiextensions.CustomResource(
            f"{name}-extension",
            api_version="networking.gke.io/v1",
            kind="GCPTrafficExtension",
            # The guide's `kubectl wait`: Pulumi waits until the load balancer runs the extension.
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.extension_name,
                namespace=args.namespace,
                annotations={"pulumi.com/waitFor": PROGRAMMED},
            ),
            spec=extension_spec(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=before_extension, custom_timeouts=self._timeouts(args)),
        )
        self.register_outputs({"extension": args.extension_name})

    @staticmethod
    def _namespace(args: GatewayGuardArgs) -> list[pulumi.Resource]:
        return [args.namespace_resource] if args.namespace_resource else []

    @staticmethod
    def _timeouts(args: GatewayGuardArgs) -> pulumi.CustomTimeouts:
        return pulumi.CustomTimeouts(create=f"{args.ready_timeout_minutes}m", update=f"{args.ready_timeout_minutes}m")

    def _apigee(self, name: str, args: GatewayGuardArgs, apigee: ApigeeArgs) -> pulumi.Resource:
        """The APIM operator (install guide: its Google service account and roles, Workload Identity for the
        `apim/apim-ksa` Kubernetes service account its chart creates, the CRD chart, the operator chart) and
        the ApigeeBackendService the extension calls, in every region the Gateway serves."""
        grants = self._operator_identity(name, args, apigee)
        # OCI charts in Google's Artifact Registry, not vendored: their sources are not public (README § Guards).
        crds = k8s.helm.v3.Release(
            f"{name}-apim-crds",
            name="apigee-apim-crds",
            chart=f"{guard_facts.APIGEE_CHART_REPOSITORY}/apigee-apim-operator-crds",
            version=apigee.chart_version,
            namespace=guard_facts.APIGEE_NAMESPACE,
            create_namespace=True,
            atomic=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        operator = k8s.helm.v3.Release(
            f"{name}-apim-operator",
            name="apigee-apim-operator",
            chart=f"{guard_facts.APIGEE_CHART_REPOSITORY}/apigee-apim-operator-helm",
            version=apigee.chart_version,
            namespace=guard_facts.APIGEE_NAMESPACE,
            atomic=True,
            # The install guide warns Workload Identity may take 7 minutes or longer to reach the operator.
            timeout=guard_facts.APIGEE_OPERATOR_TIMEOUT_SECONDS,
            values={
                "projectId": args.project,
                "serviceAccount": self.operator_account.email,
                "apigeeOrg": apigee.organization,
                # The guide's string form (`--set generateEnv=FALSE`): the environment is the stack's, named in config.
                "generateEnv": guard_facts.APIGEE_GENERATE_ENV,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[crds, *grants]),
        )
        return self._backend_service(name, args, apigee, [crds, operator])

    def _backend_service(
        self, name: str, args: GatewayGuardArgs, apigee: ApigeeArgs, operator: list[pulumi.Resource]
    ) -> pulumi.Resource:
        """What the extension calls; the operator turns it into an Apigee extension processor."""
        return k8s.apiextensions.CustomResource(
            f"{name}-apigee-backend",
            api_version="apim.googleapis.com/v1",
            kind="ApigeeBackendService",
            # The guide's `kubectl wait`: the operator has made the Apigee extension processor.
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=apigee.backend_service,
                namespace=args.namespace,
                annotations={"pulumi.com/waitFor": BACKEND_CREATED},
            ),
            # `locations` as a list of full resource names, one per region, as the operator's users write it
            # (the guide writes one mapping of short names); no public CRD exists to check it against.
            spec={
                "apigeeEnv": apigee.environment,
                "defaultSecurityEnabled": True,
                "locations": [
                    {"name": region, "network": where.network, "subnetwork": where.subnetwork}
                    for region, where in apigee.locations.items()
                ],
            },
            # The operator turns it into an Apigee extension processor; its CRD comes with the CRD chart.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*operator, *self._namespace(args)],
                custom_timeouts=self._timeouts(args),
            ),
        )

    def _operator_identity(self, name: str, args: GatewayGuardArgs, apigee: ApigeeArgs) -> list[pulumi.Resource]:
        """The operator's Google service account, its project roles, and its Kubernetes account acting as it."""
        child = pulumi.ResourceOptions(parent=self, depends_on=list(apigee.depends_on))
        self.operator_account = gcp.serviceaccount.Account(
            f"{name}-apim",
            project=args.project,
            account_id=apigee.operator_account_id,
            display_name="Apigee APIM operator",
            opts=child,
        )
        grants: list[pulumi.Resource] = [
            gcp.projects.IAMMember(
                f"{name}-apim-{role.split('/')[1].replace('.', '-').lower()}",
                project=args.project,
                role=role,
                member=self.operator_account.member,
                opts=child,
            )
            for role in OPERATOR_ROLES
        ]
        ksa = f"[{guard_facts.APIGEE_NAMESPACE}/{guard_facts.APIGEE_KSA}]"
        grants.append(
            gcp.serviceaccount.IAMMember(
                f"{name}-apim-workload-identity",
                service_account_id=self.operator_account.name,
                role="roles/iam.workloadIdentityUser",
                member=pulumi.Output.concat("serviceAccount:", apigee.workload_pool, ksa),
                opts=pulumi.ResourceOptions(parent=self),
            )
        )
        return grants
