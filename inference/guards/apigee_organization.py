"""The Apigee organization a guarded stack creates when it has none to use (`guards.apigee.create`): the
organization, reached through Private Service Connect or peered with the stack's VPC through a reserved range,
one runtime instance in the Gateway's region, the environment the APIM operator's ApigeeBackendService names,
attached to that instance, and an environment group holding it.

Slow and billed (docs/guards.md § Creating the Apigee organization): in production Pulumi refuses to delete
any of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from inference.guards import facts as guard_facts


@dataclass(frozen=True)
class ApigeeOrganizationArgs:
    project: str  # the organization is named after it
    analytics_region: str
    billing_type: str  # EVALUATION, PAYG or SUBSCRIPTION
    instance_location: str  # the Gateway's region
    environment: str
    environment_type: str | None  # PAYG only; None leaves it to the organization
    hostnames: Sequence[str]  # of the environment group
    protect: bool
    depends_on: Sequence[pulumi.Resource] = ()  # the Apigee API (and Service Networking's, when peered)
    peering: ApigeePeering | None = None  # None: Private Service Connect, no VPC peering


@dataclass(frozen=True)
class ApigeePeering:
    network: pulumi.Input[str]  # the stack's VPC, projects/P/global/networks/N
    range_name: str  # the reserved range's name
    cidr: str  # a /21 or larger, clear of the stack's subnets


class ApigeeOrganization(pulumi.ComponentResource):
    """`ready` lists what the APIM operator waits for: the environment attached to the instance and to its
    group, so an ApigeeBackendService naming the environment can be served in the Gateway's region."""

    def __init__(self, name: str, args: ApigeeOrganizationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:guard:ApigeeOrganization", name, None, opts)
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect)
        after_apis = pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=list(args.depends_on)))
        before_org = list(args.depends_on)
        if peering := args.peering:
            before_org.append(self._peering(name, args.project, peering, after_apis))
        self.organization = gcp.apigee.Organization(
            f"{name}-org",
            project_id=args.project,
            analytics_region=args.analytics_region,
            billing_type=args.billing_type,
            runtime_type="CLOUD",
            # Without peering, Private Service Connect: no range of the stack's VPC is given to Apigee.
            authorized_network=peering.network if peering else None,
            disable_vpc_peering=peering is None,
            # A paid organization is soft-deleted and kept (blocking a new one and the peering's deletion);
            # outside production keep it the shortest time (pulumi-gcp 10.2.0 `retention`: MINIMUM).
            retention=None if args.protect else "MINIMUM",
            opts=pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=before_org)),
        )
        self.ready = self._environment(name, args, kept)
        self.register_outputs({"organization": self.organization.id})

    def _environment(
        self, name: str, args: ApigeeOrganizationArgs, kept: pulumi.ResourceOptions
    ) -> list[pulumi.Resource]:
        """The instance in the Gateway's region, the environment and its group, both attached: what the
        operator needs of an environment it does not generate (install guide, "Create an Apigee environment")."""
        in_org = pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=[self.organization]))
        self.instance = gcp.apigee.Instance(
            f"{name}-instance",
            name=args.instance_location,
            location=args.instance_location,
            org_id=self.organization.id,
            opts=in_org,
        )
        self.environment = gcp.apigee.Environment(
            f"{name}-environment",
            name=args.environment,
            org_id=self.organization.id,
            type=args.environment_type,
            deployment_type=guard_facts.APIGEE_ENVIRONMENT_DEPLOYMENT_TYPE,
            api_proxy_type=guard_facts.APIGEE_ENVIRONMENT_PROXY_TYPE,
            properties=gcp.apigee.EnvironmentPropertiesArgs(
                properties=[
                    gcp.apigee.EnvironmentPropertiesPropertyArgs(name=k, value=v)
                    for k, v in guard_facts.APIGEE_ENVIRONMENT_PROPERTIES.items()
                ]
            ),
            opts=in_org,
        )
        self.group = gcp.apigee.EnvGroup(
            f"{name}-group",
            name=args.environment,
            org_id=self.organization.id,
            hostnames=list(args.hostnames),
            opts=in_org,
        )
        return [
            gcp.apigee.InstanceAttachment(
                f"{name}-instance-attachment",
                instance_id=self.instance.id,
                environment=self.environment.name,
                opts=pulumi.ResourceOptions(parent=self),
            ),
            gcp.apigee.EnvGroupAttachment(
                f"{name}-group-attachment",
                envgroup_id=self.group.id,
                environment=self.environment.name,
                opts=pulumi.ResourceOptions(parent=self),
            ),
        ]

    def _peering(
        self, name: str, project: str, peering: ApigeePeering, after_apis: pulumi.ResourceOptions
    ) -> pulumi.Resource:
        """Private services access: the range reserved for Apigee and the Service Networking connection that
        peers it with the stack's VPC (Apigee's "Configure service networking")."""
        address, prefix = peering.cidr.split("/")
        self.peering_range = gcp.compute.GlobalAddress(
            f"{name}-peering-range",
            project=project,
            name=peering.range_name,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=address,
            prefix_length=int(prefix),
            network=peering.network,
            opts=after_apis,
        )
        return gcp.servicenetworking.Connection(
            f"{name}-peering",
            network=peering.network,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[self.peering_range.name],
            # Service Networking refuses to delete a connection a producer still uses (the organization is
            # soft-deleted first): leave the peering on destroy instead of failing it (pulumi-gcp 10.2.0
            # `deletion_policy`; docs/guards.md § Tearing down).
            deletion_policy="ABANDON",
            opts=after_apis,
        )
