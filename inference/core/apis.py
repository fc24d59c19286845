"""ProjectApis: the Google APIs the platform needs, enabled once and never disabled on destroy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp


@dataclass(frozen=True)
class ProjectApisArgs:
    project: str
    services: Sequence[str]  # e.g. "container.googleapis.com"
    service_agents: Sequence[str] = ()  # services whose Google-managed service agent the stack grants roles to


class ProjectApis(pulumi.ComponentResource):
    """Each API is its own resource so that every user of an API can depend on exactly that API.

    `disable_on_destroy=False`: destroying one stack must not switch an API off under another stack
    or under anything else in the project.
    """

    def __init__(self, name: str, args: ProjectApisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:apis:ProjectApis", name, None, opts)
        self.services: dict[str, gcp.projects.Service] = {
            service: gcp.projects.Service(
                f"{name}-{service.split('.')[0]}",
                project=args.project,
                service=service,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for service in args.services
        }
        # Creating the identity makes the agent exist before anything grants it a role.
        self.agents: dict[str, gcp.projects.ServiceIdentity] = {
            service: gcp.projects.ServiceIdentity(
                f"{name}-{service.split('.')[0]}-agent",
                project=args.project,
                service=service,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.services[service]]),
            )
            for service in args.service_agents
        }
        self.register_outputs({"services": list(self.services)})

    def of(self, *services: str) -> list[gcp.projects.Service]:
        """The API resources a consumer depends on, by service name."""
        return [self.services[s] for s in services]
