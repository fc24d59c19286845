"""Typed configuration of one stack, validated before any resource is registered.

`parse` turns the raw key/value pairs of the stack's config into frozen dataclasses and raises one
`ConfigError` that lists every problem as `key: value — why — fix`. It is a pure function so tests can
feed it bad input directly; `load` reads the real Pulumi config. Each section of the config has its own
module; the facts the checks rely on (regions, zones, machine types, ranges, naming rules, versions) are in
stacks/facts.py with their sources and the date they were read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pulumi

from stacks.config import (
    compute,
    download,
    gateway_mode,
    guards,
    istio,
    migration,
    names,
    network,
    operations,
    security,
    serving,
)
from stacks.config.model import (
    BACKENDS,
    CHART_VERSIONS,
    EPP_RESOURCE_CHARTS,
    GKE_VERSION_EXAMPLE,
    MODEL_STORE_LAYOUTS,
    MTU_RANGE,
    OPERATOR_SECRETS,
    PROVIDER_NAMESPACES,
    RELEASE_CHANNELS,
    SIMULATOR_IMAGE,
    TPU_V6E_SHAPES,
    VLLM_TPU_IMAGE,
    Accelerator,
    EndpointPicker,
    Fleet,
    Gateway,
    HealthCheck,
    InferencePool,
    Model,
    ModelServer,
    ModelStore,
    Names,
    PlatformConfig,
    PrivateNodes,
    Region,
    SystemPool,
    cpu_cores,
    memory_bytes,
)
from stacks.config.reader import NOT_SET, ConfigError, Problem, Reader, did_you_mean, shown

__all__ = [
    "BACKENDS",
    "CHART_VERSIONS",
    "EPP_RESOURCE_CHARTS",
    "GKE_VERSION_EXAMPLE",
    "MODEL_STORE_LAYOUTS",
    "MTU_RANGE",
    "NOT_SET",
    "OPERATOR_SECRETS",
    "PROVIDER_NAMESPACES",
    "RELEASE_CHANNELS",
    "SIMULATOR_IMAGE",
    "TPU_V6E_SHAPES",
    "VLLM_TPU_IMAGE",
    "Accelerator",
    "ConfigError",
    "EndpointPicker",
    "Fleet",
    "Gateway",
    "HealthCheck",
    "InferencePool",
    "Model",
    "ModelServer",
    "ModelStore",
    "Names",
    "PlatformConfig",
    "PrivateNodes",
    "Problem",
    "Region",
    "SystemPool",
    "cpu_cores",
    "load",
    "memory_bytes",
    "parse",
    "shown",
]

PROJECT = "inference-platform"  # the project's config namespace (Pulumi.yaml `name`)
_PROJECT_ID = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]")
_PREFIX = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


def _other_namespaces(top: Reader, other: Mapping[str, Any], project: str) -> None:
    """A key in a namespace that neither the project nor a provider the program uses reads does nothing
    (`inference_platform:regions` is silently ignored by the CLI and the program alike)."""
    for full_key, value in other.items():
        ns, _, key = str(full_key).partition(":")
        if ns in PROVIDER_NAMESPACES:
            continue
        close = did_you_mean(ns, [project, *PROVIDER_NAMESPACES])
        top.problems.append(
            Problem(
                str(full_key),
                value,
                f"is in namespace '{ns}', which neither this project ({project}) nor a provider the program uses "
                f"({', '.join(PROVIDER_NAMESPACES)}) reads, so it does nothing",
                f"did you mean '{close}:{key}'?" if close else f"remove it, or write it as {project}:{key}",
            )
        )


def parse(
    raw: Mapping[str, Any],
    stack: str,
    *,
    hf_token_is_secret: bool = True,
    hf_token_output: Any = None,
    other_namespaces: Mapping[str, Any] | None = None,
    project_name: str = PROJECT,
    kubeconfig_is_secret: bool = True,
    kubeconfig_output: Any = None,
) -> PlatformConfig | istio.ExistingClusterConfig:
    """Validates the project's config namespace (key -> parsed value) for `stack`; `other_namespaces`
    holds the stack's keys of every other namespace (`ns:key` -> value).

    The Hugging Face token's value is never inspected or printed: `hf_token_is_secret` says how it
    is stored and `hf_token_output` is the secret Output handed on to the model servers; the same goes
    for the kubeconfig of a stack on an existing cluster (`existingCluster`), which creates no GCP resource.
    """
    problems: list[Problem] = []
    top = Reader(raw, "", problems)
    if "existingCluster" in raw:
        _other_namespaces(top, other_namespaces or {}, project_name)
        return istio.existing_cluster(
            top, stack, kubeconfig_is_secret=kubeconfig_is_secret, kubeconfig_output=kubeconfig_output
        )

    project = top.string(
        "project",
        pattern=_PROJECT_ID,
        why="is not a Google Cloud project ID",
        fix="use your Google Cloud project ID (6-30 lowercase letters, digits, hyphens)",
        required_fix="run `pulumi config set project <your-project-id>`",
        longest=30,
    )
    prefix = top.string(
        "prefix",
        "tpu-gke-dranet",
        pattern=_PREFIX,
        why="is not the start of a GCP name",
        fix="use lowercase letters, digits and hyphens, starting with a letter",
        longest=63,
    )
    indexed = network.regions(top)
    regions = [r for _, r in indexed]
    region_names = [r.name for r in regions]
    config_region = top.string("configRegion", region_names[0] if region_names else None, longest=64)
    listed = raw.get("regions") if isinstance(raw.get("regions"), list) else []
    # When a region is refused, the config region may well be that region: its problem says enough.
    if config_region and region_names and len(region_names) == len(listed) and config_region not in region_names:
        top.problem(
            "configRegion", config_region, "is not one of the regions", f"choose one of {', '.join(region_names)}"
        )
    mtu = network.mtu(top)
    serving_port = top.integer(
        "servingPort", 8000, low=1024, high=65535, fix="use an unprivileged port; vLLM listens on 8000"
    )

    accelerator = compute.accelerator(top)
    if accelerator:
        network.check_tpu_zones(top, indexed, accelerator)
    system_pool = compute.system_pool(top)
    if None not in (system_pool.machine_type, system_pool.node_count):
        network.check_range_sizes(top, indexed, network.nodes_per_cluster(system_pool, accelerator))
    release_channel = top.choice("releaseChannel", "RAPID", RELEASE_CHANNELS)
    gke_version = compute.gke_version(top, release_channel, needs_dranet=accelerator is not None)

    model = serving.model(top, accelerator)
    model_store = serving.model_store(top)
    model_server = serving.model_server(top, accelerator)
    model_raw = raw.get("model")
    simulator = model_server is not None and model_server.backend == "simulator"
    if simulator and isinstance(model_raw, Mapping) and "tensorParallelSize" in model_raw:
        top.problem(
            "model.tensorParallelSize",
            model_raw["tensorParallelSize"],
            "does nothing with backend simulator: nothing is sharded across TPU chips",
            "remove it, or use backend: vllm-tpu with an accelerator",
        )
    if simulator and isinstance(model_raw, Mapping) and "revision" in model_raw:
        top.problem(
            "model.revision",
            model_raw["revision"],
            "does nothing with backend simulator: no weights are downloaded",
            "remove it, or use backend: vllm-tpu with an accelerator",
        )
    store_raw = raw.get("modelStore")
    if simulator and isinstance(store_raw, Mapping) and "downloadAttempt" in store_raw:
        top.problem(
            "modelStore.downloadAttempt",
            store_raw["downloadAttempt"],
            "does nothing with backend simulator: no weights are downloaded",
            "remove it, or use backend: vllm-tpu with an accelerator",
        )
    inference_pool = serving.inference_pool(top)
    gateway = serving.gateway(top)
    # Istio mode deploys its own endpoint picker, not the chart's (stacks/config/istio.py).
    if model_server and system_pool.machine_type and inference_pool.name and gateway.mode != gateway_mode.ISTIO:
        compute.check_system_pool_fit(top, system_pool, inference_pool)
    if gateway.mode == gateway_mode.SINGLE_CLUSTER:
        gateway_mode.check_single_cluster(top, raw, region_names)
    migrating = migration.migration(top, gateway, inference_pool.name)
    observability = operations.observability(top)
    tpu_slices = accelerator.max_nodes if accelerator and model_server and model_server.backend == "vllm-tpu" else None
    autoscaling = operations.autoscaling(top, observability.epp_metrics, tpu_slices)
    istio_settings = None
    if gateway.mode == gateway_mode.ISTIO:
        istio_settings = istio.istio(top, on_gke=True)
        istio.check_gke_serving(top, raw, model_server, autoscaling)
    elif top.given("istio"):
        top.get("istio")
        top.problem(
            "istio", raw["istio"], "does nothing unless gateway.mode is istio", "set gateway.mode: istio, or remove it"
        )
    replicas_given = isinstance(raw.get("modelServer"), Mapping) and "replicas" in raw["modelServer"]
    if autoscaling and replicas_given and not any(p.key == "modelServer.replicas" for p in problems):
        top.problem(
            "modelServer.replicas",
            raw["modelServer"]["replicas"],
            "is owned by the HorizontalPodAutoscaler when autoscaling is on",
            "remove modelServer.replicas, and set autoscaling.minReplicas and maxReplicas instead",
        )

    hf_fix = "run `pulumi config set --secret hfToken <token>` (a Hugging Face token with access to the model)"
    hf_token = top.get("hfToken", NOT_SET)
    if model_server and model_server.backend == "vllm-tpu":
        if hf_token is NOT_SET:
            top.problem("hfToken", NOT_SET, "is required to download the weights for the vllm-tpu backend", hf_fix)
        elif hf_token is not None and not hf_token_is_secret:
            top.problem("hfToken", "[not shown]", "is stored in plain text in the stack file", hf_fix)

    top.known.add("kubeconfig")  # an operator secret of stacks on an existing cluster: ignored here
    tpu_serving = model_server is not None and model_server.backend == "vllm-tpu"
    download_regions = {}
    if tpu_serving and model_store.layout and region_names and config_region in region_names:
        download_regions = download.download_regions(top, region_names, config_region, model_store)

    labels = names.labels(top)
    deletion_protection, production = security.production(top, model_store)
    private_nodes = network.private_nodes(top)
    encryption_keys = security.encryption_keys(top, region_names)
    f = top.mapping("fleet")
    fleet = Fleet(f.boolean("manageFeatures", True))
    f.finish()
    guarded = guards.guards(
        top,
        project=project,
        base=f"{prefix}-{stack}" if prefix else "",
        gateway_class=gateway.class_name,
        served_model=model.served_name if model else None,
        production=bool(production),
        regions=regions,
        namespace=model_server.namespace if model_server else None,
        gateway_name=gateway.name,
    )
    top.finish()
    _other_namespaces(top, other_namespaces or {}, project_name)

    if prefix and not problems:
        locations = [model_store.location] if model_store.layout == "single" else region_names
        names.check_names(
            top, Names(f"{prefix}-{stack}"), region_names, locations, private_nodes.enabled, download=tpu_serving
        )
    if problems:
        raise ConfigError(stack, problems)
    return PlatformConfig(
        project=project,
        stack=stack,
        prefix=prefix,
        regions=tuple(regions),
        config_region=config_region,
        mtu=mtu,
        serving_port=serving_port,
        accelerator=accelerator,
        system_pool=system_pool,
        release_channel=release_channel,
        gke_version=gke_version,
        model=model,
        model_store=model_store,
        model_server=model_server,
        inference_pool=inference_pool,
        gateway=gateway,
        observability=observability,
        autoscaling=autoscaling,
        labels=labels,
        deletion_protection=deletion_protection,
        fleet=fleet,
        production=production,
        private_nodes=private_nodes,
        secrets_encryption_keys=encryption_keys,
        hf_token=hf_token_output if model_server.backend == "vllm-tpu" else None,
        migration=migrating,
        istio=istio_settings,
        download_regions=download_regions,
        guards=guarded,
    )


def _decode(value: Any) -> Any:
    """Pulumi hands objects and lists to the program as JSON text; scalars stay text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def load() -> PlatformConfig | istio.ExistingClusterConfig:
    """Reads every key of every config namespace: the project's are parsed, keys of a namespace nothing
    reads are reported."""
    namespace = pulumi.get_project()
    everything = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    raw, other = {}, {}
    for full_key, value in everything.items():
        ns, _, key = full_key.partition(":")
        if ns == namespace:
            raw[key] = _decode(value)
        else:
            other[full_key] = _decode(value)
    return parse(
        raw,
        pulumi.get_stack(),
        hf_token_is_secret=pulumi.runtime.is_config_secret(f"{namespace}:hfToken"),
        hf_token_output=pulumi.Config().get_secret("hfToken"),
        other_namespaces=other,
        project_name=namespace,
        kubeconfig_is_secret=pulumi.runtime.is_config_secret(f"{namespace}:kubeconfig"),
        kubeconfig_output=pulumi.Config().get_secret("kubeconfig"),
    )
