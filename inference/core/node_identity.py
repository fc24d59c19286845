"""NodeIdentity: the dedicated, least-privilege service account every GKE node runs as."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

# What a node itself needs: write its logs, metrics (managed Prometheus included) and the resource
# metadata those carry, and write the AutoscalingMetric exports (`autoscaling.sites.writeMetrics`) the
# load balancer balances on; sources in inference/core/facts/permissions.py. Workloads never use this
# identity: they get their own through Workload Identity.
NODE_ROLES = (
    "roles/autoscaling.metricsWriter",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/stackdriver.resourceMetadata.writer",
)


@dataclass(frozen=True)
class NodeIdentityArgs:
    project: str
    account_id: str
    depends_on: Sequence[pulumi.Resource] = ()  # IAM and Resource Manager APIs


class NodeIdentity(pulumi.ComponentResource):
    """Replaces the Compute Engine default service account (project Editor) on every node pool."""

    def __init__(self, name: str, args: NodeIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:identity:NodeIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.account = gcp.serviceaccount.Account(
            f"{name}-sa",
            project=args.project,
            account_id=args.account_id,
            display_name="GKE nodes of the inference platform",
            opts=child,
        )
        # IAM *members*: additive, so nothing else in the project loses a role.
        self.roles = [
            gcp.projects.IAMMember(
                f"{name}-{role.split('/')[1].replace('.', '-')}",
                project=args.project,
                role=role,
                member=self.account.member,
                opts=child,
            )
            for role in NODE_ROLES
        ]
        self.email = self.account.email
        self.register_outputs({"email": self.email})
