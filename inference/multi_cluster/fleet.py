"""Fleet: registers every cluster in the project's fleet and turns on multi-cluster services and ingress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumiverse_time as time

MCI_SERVICE = "multiclusteringress.googleapis.com"
MCS_IMPORTER = "gke-mcs/gke-mcs-importer"  # namespace/name of the importer's Kubernetes service account


@dataclass(frozen=True)
class FleetMember:
    membership_id: str
    cluster_id: pulumi.Input[str]  # projects/P/locations/ZONE/clusters/NAME


@dataclass(frozen=True)
class FleetArgs:
    project: str
    members: Mapping[str, FleetMember]  # region -> cluster
    config_region: str
    # The MCS and MCI features and the config membership exist once per project. False: another
    # stack in this project owns them, and this stack only registers its clusters.
    manage_features: bool
    iam_propagation: str = "60s"
    labels: Mapping[str, str] = field(default_factory=dict)
    hub_apis: Sequence[pulumi.Resource] = ()  # GKE Hub
    mcs_apis: Sequence[pulumi.Resource] = ()  # Multi-cluster Service Discovery, Traffic Director, Cloud DNS
    mci_apis: Sequence[pulumi.Resource] = ()  # Multi-cluster Ingress, Network Services
    iam_apis: Sequence[pulumi.Resource] = ()  # Resource Manager: project IAM
    # The project's Workload Identity pool (`PROJECT.svc.id.goog`), from a cluster: IAM refuses a member
    # of a pool that no cluster has created yet.
    workload_pool: pulumi.Input[str] = ""


class Fleet(pulumi.ComponentResource):
    """The Gateway controller in the config cluster programs load balancers for backends in every
    member cluster; this is what lets one Gateway fail over between regions."""

    def __init__(self, name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:fleet:Fleet", name, None, opts)

        self.memberships: dict[str, gcp.gkehub.Membership] = {
            region: gcp.gkehub.Membership(
                f"{name}-{region}",
                project=args.project,
                membership_id=member.membership_id,
                location="global",
                endpoint=gcp.gkehub.MembershipEndpointArgs(
                    gke_cluster=gcp.gkehub.MembershipEndpointGkeClusterArgs(
                        resource_link=pulumi.Output.concat("//container.googleapis.com/", member.cluster_id)
                    )
                ),
                # Fleet Workload Identity: the cluster's own OIDC issuer, as `--enable-workload-identity` sets it.
                authority=gcp.gkehub.MembershipAuthorityArgs(
                    issuer=pulumi.Output.concat("https://container.googleapis.com/v1/", member.cluster_id)
                ),
                labels=dict(args.labels),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.hub_apis)),
            )
            for region, member in args.members.items()
        }
        self.config_membership = self.memberships[args.config_region]
        self.features: dict[str, gcp.gkehub.Feature] = {}
        if not args.manage_features:
            self.register_outputs({"memberships": {r: m.id for r, m in self.memberships.items()}})
            return
        # Features depend on the memberships so that destroy removes them first: with the features
        # gone, GKE's controllers stop re-creating firewall rules and NEGs on the network.
        memberships = list(self.memberships.values())
        self.features["multiclusterservicediscovery"] = self._services(name, args, memberships)
        self.features["multiclusteringress"] = self._ingress(name, args, memberships)
        self.register_outputs(
            {
                "memberships": {r: m.id for r, m in self.memberships.items()},
                "config_membership": self.config_membership.id,
            }
        )

    def _services(self, name: str, args: FleetArgs, memberships: list) -> gcp.gkehub.Feature:
        """Multi-cluster services. The MCS importer reads the VPC to create the NEGs of imported services;
        GKE's MCS setup grants it `roles/compute.networkViewer` through Workload Identity
        (inference/multi_cluster/facts.py PERMISSIONS)."""
        self.mcs_importer_role = gcp.projects.IAMMember(
            f"{name}-mcs-importer-network-viewer",
            project=args.project,
            role="roles/compute.networkViewer",
            member=pulumi.Output.from_input(args.workload_pool).apply(
                lambda pool: f"serviceAccount:{pool}[{MCS_IMPORTER}]"
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.iam_apis)),
        )
        return gcp.gkehub.Feature(
            f"{name}-mcs",
            project=args.project,
            name="multiclusterservicediscovery",
            location="global",
            labels=dict(args.labels),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*args.hub_apis, *args.mcs_apis, *memberships, self.mcs_importer_role]
            ),
        )

    def _ingress(self, name: str, args: FleetArgs, memberships: list) -> gcp.gkehub.Feature:
        """Multi-cluster ingress, run from the config membership. Its service agent needs container.admin on
        the project (Google's documented requirement): the identity is created first, then IAM is given
        time to propagate before the grant is used."""
        self.mci_identity = gcp.projects.ServiceIdentity(
            f"{name}-mci-identity",
            project=args.project,
            service=MCI_SERVICE,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.mci_apis)),
        )
        propagation = time.Sleep(
            f"{name}-mci-iam-propagation",
            create_duration=args.iam_propagation,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.mci_identity]),
        )
        self.mci_role = gcp.projects.IAMMember(
            f"{name}-mci-container-admin",
            project=args.project,
            role="roles/container.admin",
            member=self.mci_identity.member,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[propagation, *args.iam_apis]),
        )
        return gcp.gkehub.Feature(
            f"{name}-mci",
            project=args.project,
            name="multiclusteringress",
            location="global",
            spec=gcp.gkehub.FeatureSpecArgs(
                multiclusteringress=gcp.gkehub.FeatureSpecMulticlusteringressArgs(
                    config_membership=self.config_membership.id
                )
            ),
            labels=dict(args.labels),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*args.hub_apis, *args.mci_apis, *memberships, self.mci_role]
            ),
        )
