"""Typed configuration of one stack, validated before any resource is registered.

`parse` turns the raw key/value pairs of the stack's config into frozen dataclasses and raises one
`ConfigError` that lists every problem as `key: value — why — fix`. It is a pure function so tests can
feed it bad input directly; `load` reads the real Pulumi config. Each section is read by the feature that
owns it (its package's `config.py`); this module reads the project-wide keys, calls the sections in a fixed
order and runs the checks that span sections.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

import pulumi

from inference.autoscaling import config as autoscaling
from inference.capacity import config as capacity
from inference.common import credentials
from inference.common.modes import ISTIO, SINGLE_CLUSTER
from inference.common.reader import NOT_SET, ConfigError, Problem, Reader, did_you_mean
from inference.configuration.gateway import gateway
from inference.configuration.platform import PROVIDER_NAMESPACES, PlatformConfig
from inference.core.config import compute, model, names, network, security
from inference.existing_cluster.config import ExistingClusterConfig, existing_cluster, kubeconfig_fix
from inference.guards import config as guards
from inference.istio import config as istio
from inference.migration import config as migration
from inference.models import config as models_config
from inference.multi_cluster import config as multi_cluster
from inference.observability import config as observability
from inference.serving import config as serving
from inference.single_cluster import config as single_cluster

PROJECT = "inference-platform"  # the project's config namespace (Pulumi.yaml `name`)
_PROJECT_ID = re.compile(r"[a-z][-a-z0-9]{4,28}[a-z0-9]")
_PREFIX = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_HF_FIX = "run `pulumi config set --secret hfToken <token>` (a Hugging Face token with access to the model)"
_NO_KUBECONFIG = {
    "kubeconfig": "remove it, and rotate the credentials it holds: a stack that creates its GKE clusters reads none"
}
_NO_WEIGHTS = "remove it, or use backend: vllm-tpu with an accelerator"


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


def _project(top: Reader, fields: dict[str, Any]) -> None:
    fields["project"] = top.string(
        "project",
        pattern=_PROJECT_ID,
        why="is not a Google Cloud project ID",
        fix="use your Google Cloud project ID (6-30 lowercase letters, digits, hyphens)",
        required_fix="run `pulumi config set project <your-project-id>`",
        longest=30,
    )
    fields["prefix"] = top.string(
        "prefix",
        "tpu-gke-dranet",
        pattern=_PREFIX,
        why="is not the start of a GCP name",
        fix="use lowercase letters, digits and hyphens, starting with a letter",
        longest=63,
    )


def _regions(top: Reader, fields: dict[str, Any]) -> list[tuple[int, network.Region]]:
    """The regions, the config region among them, the MTU and the serving port."""
    indexed = network.regions(top)
    regions = [r for _, r in indexed]
    region_names = [r.name for r in regions]
    config_region = top.string("configRegion", region_names[0] if region_names else None, longest=64)
    listed = top.raw.get("regions") if isinstance(top.raw.get("regions"), list) else []
    # When a region is refused, the config region may well be that region: its problem says enough.
    if config_region and region_names and len(region_names) == len(listed) and config_region not in region_names:
        top.problem(
            "configRegion", config_region, "is not one of the regions", f"choose one of {', '.join(region_names)}"
        )
    fields["regions"] = tuple(regions)
    fields["config_region"] = config_region
    fields["mtu"] = network.mtu(top)
    fields["serving_port"] = top.integer(
        "servingPort", 8000, low=1024, high=65535, fix="use an unprivileged port; vLLM listens on 8000"
    )
    return indexed


def _compute(top: Reader, indexed: list[tuple[int, network.Region]], fields: dict[str, Any]) -> None:
    accelerator = compute.accelerator(top)
    if accelerator:
        network.check_tpu_zones(top, indexed, accelerator)
    fields["capacity"] = capacity.capacity(top, indexed, accelerator, fields.get("project"))
    system_pool = compute.system_pool(top)
    release_channel = top.choice("releaseChannel", "RAPID", compute.RELEASE_CHANNELS)
    fields["accelerator"] = accelerator
    fields["system_pool"] = system_pool
    fields["release_channel"] = release_channel
    fields["gke_version"] = compute.gke_version(top, release_channel, needs_dranet=accelerator is not None)


def _range_sizes(top: Reader, indexed: list[tuple[int, network.Region]], fields: dict[str, Any]) -> None:
    """Every node of a cluster fits its ranges: the system pool's, the TPU pool's (or a ladder's) and the pools of
    models with their own shape."""
    system_pool, ladder = fields["system_pool"], fields["capacity"]
    if None in (system_pool.machine_type, system_pool.node_count):
        return
    rungs = max((len(rs) for rs in ladder.ladders.values()), default=1) if ladder else 1
    own = [m.accelerator for m in fields["models"] if m.accelerator]
    nodes = network.nodes_per_cluster(system_pool, fields["accelerator"], rungs - 1, own)
    network.check_range_sizes(top, indexed, nodes)


def _unused_without_weights(top: Reader, fields: dict[str, Any]) -> None:
    """Keys that only matter where weights are downloaded and sharded: refused with the simulator."""
    server = fields["model_server"]
    if server is None or server.backend != "simulator":
        return
    keys = (("model", "tensorParallelSize"), ("model", "revision"), ("model", "billionParameters"))
    for section, key in (*keys, ("modelStore", "downloadAttempt")):
        given = top.raw.get(section)
        if isinstance(given, Mapping) and key in given:
            why = (
                "does nothing with backend simulator: nothing is sharded across TPU chips"
                if key in ("tensorParallelSize", "billionParameters")
                else "does nothing with backend simulator: no weights are downloaded"
            )
            top.problem(f"{section}.{key}", given[key], why, _NO_WEIGHTS)


def _serving(top: Reader, fields: dict[str, Any]) -> None:
    accelerator = fields["accelerator"]
    several = top.given("models") and not top.given("model")  # `models`: the first entry is the stack's model
    fields["model"] = None if several else model.model(top, accelerator)
    fields["model_store"] = model.model_store(top)
    fields["model_server"] = serving.model_server(top, accelerator)
    _unused_without_weights(top, fields)
    fields["inference_pool"] = pool = serving.inference_pool(top)
    server = fields["model_server"]
    if server and server.namespace and pool.name:
        serving.check_chart_names(top, server, pool)
    fields["models"] = models_config.models(top, accelerator, server, pool)
    if several:
        fields["model"] = fields["models"][0].model if fields["models"] else None


def _modes(top: Reader, fields: dict[str, Any]) -> None:
    """The gateway section, what each mode requires or refuses, and the add-ons that depend on the mode."""
    raw, system_pool, pool = top.raw, fields["system_pool"], fields["inference_pool"]
    gw = fields["gateway"] = gateway(top)
    # Istio mode deploys its own endpoint picker, not the chart's (inference/istio/).
    if fields["model_server"] and system_pool.machine_type and pool.name and gw.mode != ISTIO:
        serving.check_system_pool_fit(top, system_pool, pool)
    if gw.mode == SINGLE_CLUSTER:
        single_cluster.check(top, raw, [r.name for r in fields["regions"]])
    fields["migration"] = migration.migration(top, gw, pool.name)
    fields["observability"] = observability.observability(top)
    accelerator, server = fields["accelerator"], fields["model_server"]
    tpu_slices = accelerator.max_nodes if accelerator and server and server.backend == "vllm-tpu" else None
    scaling = fields["autoscaling"] = autoscaling.autoscaling(top, fields["observability"].epp_metrics, tpu_slices)
    fields["istio"] = None
    if gw.mode == ISTIO:
        fields["istio"] = istio.istio(top, on_gke=True)
        istio.check_gke_serving(top, raw, server, scaling)
    elif top.given("istio"):
        top.get("istio")
        top.problem(
            "istio", raw["istio"], "does nothing unless gateway.mode is istio", "set gateway.mode: istio, or remove it"
        )
    fields["model_routing"] = models_config.model_routing(top, fields["models"], gw.mode, gw.class_name)
    models_config.check(top, fields["models"], fields)
    replicas_given = isinstance(raw.get("modelServer"), Mapping) and "replicas" in raw["modelServer"]
    if scaling and replicas_given and not any(p.key == "modelServer.replicas" for p in top.problems):
        top.problem(
            "modelServer.replicas",
            raw["modelServer"]["replicas"],
            "is owned by the HorizontalPodAutoscaler when autoscaling is on",
            "remove modelServer.replicas, and set autoscaling.minReplicas and maxReplicas instead",
        )


def _weights(top: Reader, fields: dict[str, Any]) -> bool:
    """The Hugging Face token and where each bucket's download runs; True when weights are downloaded."""
    server = fields["model_server"]
    tpu_serving = server is not None and server.backend == "vllm-tpu"
    hf_token = top.get("hfToken", NOT_SET)
    if tpu_serving and hf_token is NOT_SET:
        top.problem("hfToken", NOT_SET, "is required to download the weights for the vllm-tpu backend", _HF_FIX)
    top.known.add("kubeconfig")  # an operator secret of stacks on an existing cluster: ignored here
    store, region_names = fields["model_store"], [r.name for r in fields["regions"]]
    fields["download_regions"] = {}
    if tpu_serving and store.layout and region_names and fields["config_region"] in region_names:
        fields["download_regions"] = model.download_regions(top, region_names, fields["config_region"], store)
    return tpu_serving


def _operations(top: Reader, fields: dict[str, Any]) -> None:
    """Labels, production, private nodes, secrets encryption, the fleet and the guards."""
    region_names = [r.name for r in fields["regions"]]
    fields["labels"] = names.labels(top)
    fields["deletion_protection"], fields["production"] = security.production(top, fields["model_store"])
    fields["private_nodes"] = network.private_nodes(top)
    fields["secrets_encryption_keys"] = security.encryption_keys(top, region_names)
    fields["cluster_controls"] = security.cluster_controls(top)
    fields["fleet"] = multi_cluster.fleet(top)
    prefix, server, served = fields["prefix"], fields["model_server"], fields["model"]
    fields["guards"] = guards.guards(
        top,
        project=fields["project"],
        base=f"{prefix}-{fields['stack']}" if prefix else "",
        gateway_class=fields["gateway"].class_name,
        served_names=[n for m in fields["models"] for n in m.served_names]
        if fields["models"]
        else [served.served_name]
        if served
        else [],
        production=bool(fields["production"]),
        regions=fields["regions"],
        namespace=server.namespace if server else None,
        gateway_name=fields["gateway"].name,
    )


def _derived_names(top: Reader, fields: dict[str, Any], download: bool) -> None:
    """Every GCP name built from `<prefix>-<stack>` fits its API's rule (once the rest is valid)."""
    store, region_names = fields["model_store"], [r.name for r in fields["regions"]]
    locations = [store.location] if store.layout == "single" else region_names
    names.check_names(
        top,
        names.Names(f"{fields['prefix']}-{fields['stack']}"),
        region_names,
        locations,
        fields["private_nodes"].enabled,
        download=download,
    )


def parse(
    raw: Mapping[str, Any],
    stack: str,
    *,
    hf_token_output: Any = None,
    other_namespaces: Mapping[str, Any] | None = None,
    project_name: str = PROJECT,
    kubeconfig_output: Any = None,
    secret_keys: Collection[str] | None = None,
) -> PlatformConfig | ExistingClusterConfig:
    """Validates the project's config namespace (key -> parsed value) for `stack`; `other_namespaces`
    holds the stack's keys of every other namespace (`ns:key` -> value).

    `secret_keys` are the keys set with `--secret` (bare in the project's namespace, `ns:key` in another; None:
    every credential is, as the tests hand them over): a credential outside it is refused, in every mode
    (inference/common/credentials.py), and no error shows a secret's value. The Hugging Face token's value is never
    inspected: `hf_token_output` is the secret Output handed on to the model servers; the same goes for the
    kubeconfig of a stack on an existing cluster (`existingCluster`), which creates no GCP resource.
    """
    problems: list[Problem] = []
    top = Reader(raw, "", problems)
    cluster = raw.get("existingCluster")
    context = cluster.get("kubeContext") if isinstance(cluster, Mapping) else None
    fixes = {"kubeconfig": kubeconfig_fix(context if isinstance(context, str) else None)} if cluster else _NO_KUBECONFIG
    problems += credentials.plain_text(raw, other_namespaces or {}, secret_keys, fixes)
    try:
        return _parse(top, stack, other_namespaces or {}, project_name, hf_token_output, kubeconfig_output)
    except ConfigError as e:
        raise ConfigError(stack, credentials.masked(e.problems, secret_keys, raw)) from None


def _parse(
    top: Reader, stack: str, other: Mapping[str, Any], project_name: str, hf_token: Any, kubeconfig: Any
) -> PlatformConfig | ExistingClusterConfig:
    if "existingCluster" in top.raw:
        _other_namespaces(top, other, project_name)
        return existing_cluster(top, stack, kubeconfig_output=kubeconfig)
    fields: dict[str, Any] = {"stack": stack}
    _project(top, fields)
    indexed = _regions(top, fields)
    _compute(top, indexed, fields)
    _serving(top, fields)
    _range_sizes(top, indexed, fields)
    _modes(top, fields)
    download = _weights(top, fields)
    _operations(top, fields)
    top.finish()
    _other_namespaces(top, other, project_name)
    if fields["prefix"] and not top.problems:
        _derived_names(top, fields, download)
    if top.problems:
        raise ConfigError(stack, top.problems)
    fields["hf_token"] = hf_token if download else None
    return PlatformConfig(**fields)


def _decode(value: Any) -> Any:
    """Pulumi hands objects and lists to the program as JSON text; scalars stay text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def split(
    everything: Mapping[str, str], namespace: str, is_secret: Callable[[str], bool]
) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """The config Pulumi hands the program (`ns:key` -> text) as `parse` takes it: the project's keys, every other
    namespace's, and which of them are secret."""
    raw, other, secret = {}, {}, set()
    for full_key, value in everything.items():
        ns, _, key = full_key.partition(":")
        if ns == namespace:
            raw[key] = _decode(value)
        else:
            other[full_key] = _decode(value)
        if is_secret(full_key):
            secret.add(key if ns == namespace else full_key)
    return raw, other, secret


def load() -> PlatformConfig | ExistingClusterConfig:
    """Reads every key of every config namespace: the project's are parsed, keys of a namespace nothing
    reads are reported."""
    namespace = pulumi.get_project()
    everything = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    raw, other, secret = split(everything, namespace, pulumi.runtime.is_config_secret)
    return parse(
        raw,
        pulumi.get_stack(),
        hf_token_output=pulumi.Config().get_secret("hfToken"),
        other_namespaces=other,
        project_name=namespace,
        kubeconfig_output=pulumi.Config().get_secret("kubeconfig"),
        secret_keys=secret,
    )
