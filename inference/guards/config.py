"""`guards` (the customisation guide): Model Armor screening and Apigee API management in front of the model, each off
by default. The checks that make an extension attach: a Gateway class that takes traffic extensions, a
location where Model Armor runs, an Apigee organization and environment to use or to create
(inference/guards/apigee_config.py), and metadata that fits the GCPTrafficExtension CRD."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from inference.common.reader import Reader, name_problem
from inference.core.config.network import Region
from inference.guards import facts as guard_facts
from inference.guards.apigee_config import ApigeeCreate, apigee_create
from inference.single_cluster import facts as single_cluster_facts


@dataclass(frozen=True)
class ModelArmor:
    location: str  # a Model Armor region: the template and the callout's regional endpoint
    template_id: str


@dataclass(frozen=True)
class Apigee:
    organization: str  # the Apigee organization (its name is a project ID)
    environment: str  # its environment, attached to an instance in the Gateway's region
    chart_version: str  # of both APIM operator charts
    create: ApigeeCreate | None = None  # None: the organization and environment exist already


@dataclass(frozen=True)
class Guards:
    """Service Extensions on the Gateway: Apigee first, then Model Armor, in one chain when both are on."""

    model_armor: ModelArmor | None
    apigee: Apigee | None
    # The Service Extensions agent's project roles are project-wide: one stack per project makes them.
    manage_project_grants: bool = True


# Model Armor template ids and Apigee environment names: the conservative common form (lowercase letters,
# digits and hyphens, starting with a letter) that both APIs accept; the guide's `llm` is one, and so is the
# default `<prefix>-<stack>`. Model Armor's rule: letters, digits and hyphens, at most 63 characters, no spaces,
# not starting with a hyphen (https://cloud.google.com/security-command-center/docs/configure-model-armor,
# "Create a Model Armor template", read 2026-11-25).
_ID = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
_PROJECT_ID = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]")  # an Apigee organization is named after its project
_CHART_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
# The CRD's pattern and length for a metadata value (`spec.extensionChains[].extensions[].metadata`).
_METADATA_VALUE = re.compile(r"""([A-Za-z0-9/\-._~%!$&'()*+,;=:"\s\[\]{}])*""")
METADATA_LONGEST = 1023
OPERATOR_ACCOUNT = "apim"  # the operator's Google service account: <prefix>-<stack>-apim
# Names derived from gateway.name: the extension, its chain, the ApigeeBackendService. The chain's name is the
# tightest: the GCPTrafficExtension CRD's `extensionChains[].name` is `^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`.
EXTENSION_SUFFIX, BACKEND_SUFFIX = "-guard", "-apigee"
CHAIN_SUFFIX = f"{EXTENSION_SUFFIX}-chain"
_CHAIN_NAME = re.compile(r"[a-z]([a-z0-9-]{0,61}[a-z0-9])?")


def template_path(project: str, armor: ModelArmor) -> str:
    return f"projects/{project}/locations/{armor.location}/templates/{armor.template_id}"


def model_armor_settings(project: str, armor: ModelArmor, served_names: Sequence[str]) -> str:
    """The guide's `model_armor_settings` metadata: every name a request may send (each model's and adapter's: an
    entry is per model name), screened with the template both ways."""
    template = template_path(project, armor)
    return json.dumps(
        [
            {"model": name, "model_response_template_id": template, "user_prompt_template_id": template}
            for name in served_names
        ],
        separators=(",", ":"),
    )


def _model_armor(g: Reader, base: str) -> ModelArmor | None:
    m = g.mapping("modelArmor")
    if not m.boolean("enabled", False):
        m.finish()
        return None
    locations = ", ".join(guard_facts.MODEL_ARMOR_LOCATIONS)
    location = m.string("location", required_fix=f"set guards.modelArmor.location to one of {locations}", longest=64)
    if location and location not in guard_facts.MODEL_ARMOR_LOCATIONS:
        multi = location.lower() in guard_facts.MODEL_ARMOR_MULTI_REGIONS
        why = (
            "is a multi-region of Model Armor, and the Gateway's callout names a regional endpoint (docs/guards.md)"
            if multi
            else f"is not a region where Model Armor runs ({guard_facts.MODEL_ARMOR_LOCATIONS_SOURCE})"
        )
        m.problem("location", location, why, f"choose one of {locations}")
        location = None
    # `<prefix>-<stack>` by default: two guarded stacks in one project and location never share a template.
    template_id = m.string(
        "templateId",
        base or None,
        pattern=_ID,
        why="is not a template id",
        fix="use lowercase letters, digits and hyphens",
    )
    m.finish()
    return ModelArmor(location, template_id) if location and template_id else None


def _apigee(g: Reader, *, project: str | None, production: bool, regions: Sequence[Region]) -> Apigee | None:
    a = g.mapping("apigee")
    if not a.boolean("enabled", False):
        a.finish()
        return None
    create = apigee_create(a, project=project, production=production, regions=regions)
    creating = a.given("create")
    organization = a.string(
        "organization",
        **({"default": project} if creating else {}),  # a created organization is the project's
        pattern=_PROJECT_ID,
        why="is not an Apigee organization name (the ID of the project that holds it)",
        fix="write the project ID of your Apigee organization",
        required_fix="set guards.apigee.organization to an existing Apigee organization (its project ID), or "
        "add guards.apigee.create to have the stack create one (slow and billed: docs/guards.md)",
    )
    environment = a.string(
        "environment",
        pattern=_ID,
        why="is not an Apigee environment name",
        fix="use lowercase letters, digits and hyphens",
        required_fix="set guards.apigee.environment to an Intermediate or Comprehensive environment attached to "
        "an instance in the Gateway's region (the customisation guide's prerequisites), or the one "
        "guards.apigee.create makes",
        longest=32,
    )
    version = a.string(
        "chartVersion",
        guard_facts.APIGEE_CHART_VERSION,
        pattern=_CHART_VERSION,
        why="is not a pinned chart version",
        fix=f"write a release such as {guard_facts.APIGEE_CHART_VERSION}",
    )
    if creating and organization and project and organization != project:
        a.problem(
            "organization",
            organization,
            f"is not this stack's project ({project}): an Apigee organization is named after the project that holds "
            "it, and the program creates it in the stack's project",
            "remove guards.apigee.organization, or remove guards.apigee.create to use that existing organization",
        )
        organization = None
    a.finish()
    if not (organization and environment and version) or (creating and create is None):
        return None
    return Apigee(organization, environment, version, create)


def guards(
    top: Reader,
    *,
    project: str | None,
    base: str,
    gateway_class: str | None,
    served_names: Sequence[str] = (),
    production: bool = False,
    regions: Sequence[Region] = (),
    namespace: str | None = None,
    gateway_name: str | None = None,
) -> Guards | None:
    """The guards of the stack's Gateway, or None when both are off. `gateway_class` is the Gateway's class,
    `base` the `<prefix>-<stack>` every name derives from, `namespace` the Gateway's (modelServer.namespace),
    `served_names` every model name requests may send."""
    g = top.mapping("guards")
    armor = _model_armor(g, base)
    apigee = _apigee(g, project=project, production=production, regions=regions)
    project_grants = g.boolean("manageProjectGrants", True)
    if g.given("manageProjectGrants") and armor is None and project_grants is not None:
        g.problem(
            "manageProjectGrants",
            project_grants,
            "decides who grants the Service Extensions agent its project roles, which only Model Armor needs",
            "remove guards.manageProjectGrants, or turn guards.modelArmor on",
        )
    g.finish()
    _check_attachment(g, armor, apigee, gateway_class)
    if armor and project and served_names:
        _check_metadata(g, armor, project, served_names)
    if apigee and base:
        why = name_problem(f"{base}-{OPERATOR_ACCOUNT}", "service-account")
        if why:
            top.problem("prefix", base, f"{why} (the Apigee operator's service account)", "shorten the prefix")
    attachable = not gateway_class or gateway_class in guard_facts.TRAFFIC_EXTENSION_CLASSES  # else refused above
    if apigee and attachable and namespace and namespace != guard_facts.APIGEE_GATEWAY_NAMESPACE:
        _refuse_apigee_namespace(g, namespace)
    if (armor or apigee) and attachable and gateway_name:
        _derived_names(top, gateway_name)
    if armor is None and apigee is None:
        return None
    return Guards(armor, apigee, manage_project_grants=project_grants is not False)


def _check_attachment(g: Reader, armor: ModelArmor | None, apigee: Apigee | None, gateway_class: str | None) -> None:
    """A guard needs a Gateway class whose load balancer runs traffic extensions."""
    extension_classes = guard_facts.TRAFFIC_EXTENSION_CLASSES
    for key, on in (("modelArmor", armor), ("apigee", apigee)):
        if on and gateway_class and gateway_class not in extension_classes:
            g.problem(
                f"{key}.enabled",
                True,
                f"needs a GCPTrafficExtension on the Gateway, and a {gateway_class} Gateway's load balancer runs "
                f"traffic extensions in Preview at most ({guard_facts.SERVICE_EXTENSIONS_LBS_SOURCE}; docs/guards.md)",
                "set gateway.mode: single-cluster with gateway.className one of "
                f"{', '.join(c for c in single_cluster_facts.GATEWAY_CLASSES if c in extension_classes)}"
                ", or turn this guard off",
            )


def _check_metadata(g: Reader, armor: ModelArmor, project: str, served_names: Sequence[str]) -> None:
    settings = model_armor_settings(project, armor, served_names)
    if len(settings) > METADATA_LONGEST or not _METADATA_VALUE.fullmatch(settings):
        g.problem(
            "modelArmor.templateId",
            armor.template_id,
            f"makes the extension's model_armor_settings metadata {len(settings)} characters (the "
            f"GCPTrafficExtension CRD allows {METADATA_LONGEST} of [A-Za-z0-9/-._~%!$&'()*+,;=:\"] and spaces)",
            "shorten the template id, or model.servedName"
            if len(served_names) == 1
            else "shorten the template id, or serve fewer or shorter model and adapter names",
        )


def _refuse_apigee_namespace(g: Reader, namespace: str) -> None:
    """The operator's overview, "Limitations": with an ApigeeBackendService, "deploy all gateway resources in
    the default namespace" (guard_facts.APIGEE_DEFAULT_NAMESPACE_SOURCE)."""
    g.problem(
        "apigee.enabled",
        True,
        f"needs the Gateway and its extension in the {guard_facts.APIGEE_GATEWAY_NAMESPACE} namespace, and "
        f"modelServer.namespace is {namespace!r} (the Apigee operator's known limitation: "
        f"{guard_facts.APIGEE_DEFAULT_NAMESPACE_SOURCE})",
        f"set modelServer.namespace: {guard_facts.APIGEE_GATEWAY_NAMESPACE}, or turn Apigee off",
    )


def _derived_names(top: Reader, gateway: str) -> None:
    """The extension, its chain and the ApigeeBackendService are named after the Gateway; the chain's name
    must be an RFC 1035 label of at most 63 characters, so the Gateway's name must leave room for its suffix."""
    longest = 63 - len(CHAIN_SUFFIX)
    chain = f"{gateway}{CHAIN_SUFFIX}"
    if not _CHAIN_NAME.fullmatch(chain) or len(gateway) > longest:
        top.problem(
            "gateway.name",
            gateway,
            f"names the guards' traffic extension chain {chain!r}, which must be a lowercase RFC 1035 label of at "
            f"most 63 characters (the GCPTrafficExtension CRD's extensionChains[].name)",
            f"use lowercase letters, digits and hyphens, starting with a letter, at most {longest} characters",
        )
