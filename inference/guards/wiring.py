"""The guards: Model Armor and Apigee as the Gateway's one traffic extension, in the Gateway's cluster, and
the Apigee organization when the stack creates it."""

from __future__ import annotations

from typing import Any

import pulumi

from inference.configuration.platform import PlatformConfig
from inference.core.wiring import Platform
from inference.guards import config
from inference.guards.apigee_organization import ApigeeOrganization, ApigeeOrganizationArgs, ApigeePeering
from inference.guards.guard import (
    ApigeeArgs,
    ApigeeLocation,
    GatewayGuard,
    GatewayGuardArgs,
    ModelArmorArgs,
    ServiceExtensionsAccess,
    ServiceExtensionsAccessArgs,
)
from inference.models.facts import HEADER, MODEL_HEADER
from inference.serving.wiring import Served
from inference.single_cluster import requests


def _peering_apis(cfg: PlatformConfig) -> tuple[str, ...]:
    """Service Networking, for an Apigee organization the stack creates peered with its VPC."""
    apigee = cfg.guards.apigee if cfg.guards else None
    return ("servicenetworking.googleapis.com",) if apigee and apigee.create and apigee.create.peering_range else ()


def apis(cfg: PlatformConfig) -> tuple[str, ...]:
    """The APIs of the guards that are on (Network Services, which runs the extensions, is always on)."""
    g = cfg.guards
    return (
        (("modelarmor.googleapis.com",) if g and g.model_armor else ())
        + (("apigee.googleapis.com",) if g and g.apigee else ())
        + _peering_apis(cfg)
    )


def _organization(cfg: PlatformConfig, platform: Platform) -> ApigeeOrganization | None:
    apigee = cfg.guards.apigee
    if not (apigee and apigee.create):
        return None
    create = apigee.create
    return ApigeeOrganization(
        "apigee",
        ApigeeOrganizationArgs(
            project=cfg.project,
            analytics_region=create.analytics_region,
            billing_type=create.billing_type,
            instance_location=create.instance_location,
            environment=apigee.environment,
            environment_type=create.environment_type,
            hostnames=create.hostnames,
            protect=create.protect,
            depends_on=platform.apis.of("apigee.googleapis.com", *_peering_apis(cfg)),
            peering=ApigeePeering(platform.network.vpc.id, f"{cfg.names.base}-apigee", create.peering_range)
            if create.peering_range
            else None,
        ),
    )


def _access(cfg: PlatformConfig, platform: Platform) -> ServiceExtensionsAccess | None:
    """The agent's grants are project-wide: made once, by the stack that says it owns them."""
    if not (cfg.guards.model_armor and cfg.guards.manage_project_grants):
        return None
    return ServiceExtensionsAccess(
        "service-extensions",
        ServiceExtensionsAccessArgs(
            cfg.project,
            depends_on=platform.apis.of(
                "modelarmor.googleapis.com", "cloudresourcemanager.googleapis.com", "networkservices.googleapis.com"
            ),
        ),
    )


def _model_armor(cfg: PlatformConfig, platform: Platform) -> ModelArmorArgs | None:
    armor = cfg.guards.model_armor
    if not armor:
        return None
    names = [n for m in cfg.served_models for n in m.served_names]  # every model's and adapter's: one entry each
    return ModelArmorArgs(
        location=armor.location,
        template_id=armor.template_id,
        settings=config.model_armor_settings(cfg.project, armor, names),
        access=_access(cfg, platform),
        depends_on=platform.apis.of("modelarmor.googleapis.com"),
    )


def _apigee(cfg: PlatformConfig, platform: Platform, served: Served) -> ApigeeArgs | None:
    apigee = cfg.guards.apigee
    if not apigee:
        return None
    created = _organization(cfg, platform)
    network = platform.network
    return ApigeeArgs(
        organization=apigee.organization,
        environment=apigee.environment,
        chart_version=apigee.chart_version,
        operator_account_id=cfg.names.service_account(config.OPERATOR_ACCOUNT),
        backend_service=f"{cfg.gateway.name}{config.BACKEND_SUFFIX}",
        locations={r: ApigeeLocation(network.vpc.id, network.node_subnets[r].id) for r in platform.clusters},
        workload_pool=served.cluster.workload_pool,
        depends_on=platform.apis.of(
            "apigee.googleapis.com", "iam.googleapis.com", "cloudresourcemanager.googleapis.com"
        )
        + (created.ready if created else []),
    )


def apigee_requests(cfg: PlatformConfig, context: str) -> dict[str, str]:
    """The guide's two checks of Apigee: without a key the request is refused (Apigee's RaiseFault), with an
    API key made in the Apigee UI (`export API_KEY=...` first) it is served; the key goes to curl on its
    standard input (inference/single_cluster/requests.py)."""
    body = {
        "model": cfg.model.served_name,
        "prompt": "Write as if you were a critic: San Francisco",
        "max_tokens": 100,
        "temperature": 0,
    }
    gw = cfg.gateway
    ask = {"context": context, "namespace": cfg.model_server.namespace, "gateway": gw.name, "class_name": gw.class_name}
    ask["model_header"] = MODEL_HEADER if cfg.model_routing == HEADER else None  # the route matches it (docs/models.md)
    return {
        "unauthenticated": requests.completion(**ask, body=body, pod="curl-apigee"),
        "withApiKey": requests.completion(**ask, body=body, pod="curl-apigee", api_key=True),
    }


def wire(cfg: PlatformConfig, platform: Platform, served: Served) -> dict[str, Any]:
    """The Gateway's traffic extension with the guards that are on, and their outputs."""
    g, gw = cfg.guards, cfg.gateway
    if g is None:
        return {}
    armor, apigee = g.model_armor, g.apigee
    namespace = served.serving.namespace(served.region)
    GatewayGuard(
        "guard",
        GatewayGuardArgs(
            project=cfg.project,
            namespace=cfg.model_server.namespace,
            gateway_name=gw.name,
            extension_name=f"{gw.name}{config.EXTENSION_SUFFIX}",
            chain_name=f"{gw.name}{config.CHAIN_SUFFIX}",
            gateway=served.gateway,
            namespace_resource=namespace[0] if namespace else None,
            model_armor=_model_armor(cfg, platform),
            apigee=_apigee(cfg, platform, served),
            ready_timeout_minutes=gw.programmed_timeout_minutes,
            labels=cfg.resource_labels,
        ),
        opts=pulumi.ResourceOptions(providers={"kubernetes": served.cluster.provider}),
    )
    outputs: dict[str, Any] = {
        "guards": {
            "extension": f"{gw.name}{config.EXTENSION_SUFFIX}",
            "chain": [name for name, on in (("apigee", apigee), ("model-armor", armor)) if on],
            **({"modelArmorTemplate": config.template_path(cfg.project, armor)} if armor else {}),
        }
    }
    if apigee:
        outputs["apigeeTestRequests"] = apigee_requests(cfg, served.cluster.kube_context)
    return outputs
