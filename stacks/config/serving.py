"""`model`, `modelStore`, `modelServer`, `inferencePool` and `gateway`: what the model servers, the chart
and the Gateway receive, checked against the Kubernetes, Helm and Hugging Face rules in stacks/facts.py."""

from __future__ import annotations

import re

from stacks import facts
from stacks.config import gateway_mode
from stacks.config.model import (
    BACKENDS,
    CHART_VERSIONS,
    EPP_RESOURCE_CHARTS,
    MODEL_STORE_LAYOUTS,
    SIMULATOR_IMAGE,
    VLLM_TPU_IMAGE,
    Accelerator,
    EndpointPicker,
    Gateway,
    HealthCheck,
    InferencePool,
    Model,
    ModelServer,
    ModelStore,
    memory_bytes,
)
from stacks.config.reader import Reader, did_you_mean, name_problem

_HF_PART = r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?"
_MODEL_ID = re.compile(rf"({_HF_PART}/)?{_HF_PART}")
# The name clients send (vLLM's --served-model-name; it also goes into the test request's shell command).
_SERVED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
# registry/repository:tag, optionally @sha256:digest; a tag or a digest is required.
_IMAGE = re.compile(r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?")
# Kubernetes quantities, in the forms the program accepts: cores or millicores; bytes with a suffix.
_CPU_QUANTITY = re.compile(r"[1-9][0-9]{0,6}m|[0-9]{1,4}(\.[0-9]{1,3})?")
_MEMORY_QUANTITY = re.compile(r"[1-9][0-9]{0,6}(Ki|Mi|Gi|Ti)")
_BUCKET_LOCATION = re.compile(r"[A-Za-z0-9-]{1,64}")
# A git ref or commit as huggingface_hub's `revision` takes it (it also names the download's marker).
_REVISION = re.compile(r"(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


def k8s_name(r: Reader, name: str, default: str, rule: str, *, derived: str = "{}") -> str | None:
    """A Kubernetes name; `derived` is the name the program builds from it (e.g. "{}-service"): that
    name must obey `rule`."""
    value = r.string(name, default, longest=253)
    if value is None:
        return None
    why = name_problem(derived.format(value), rule)
    if why:
        r.problem(name, value, f"{why} ({facts.NAME_RULES[rule].source})", _fix(rule, derived))
        return None
    return value


def _fix(rule: str, derived: str) -> str:
    r = facts.NAME_RULES[rule]
    room = r.longest - (len(derived) - 2)
    starts = "a letter" if r.pattern.startswith("[a-z]") else "a lowercase letter or digit"
    return f"use lowercase letters, digits and hyphens, starting with {starts}, at most {room} characters"


def model(top: Reader, accelerator: Accelerator | None) -> Model:
    m = top.mapping("model")
    model_id = m.string("id", "google/gemma-3-27b-it", longest=200)
    if model_id and (
        not _MODEL_ID.fullmatch(model_id)
        or len(model_id.rsplit("/", 1)[-1]) > facts.HF_REPO_NAME_LONGEST
        or "--" in model_id
        or ".." in model_id
        or model_id.endswith(".git")
    ):
        m.problem(
            "id",
            model_id,
            f"is not a Hugging Face repository id ({facts.HF_REPO_ID_SOURCE})",
            "use namespace/name in ASCII letters, digits, '-', '_' and '.', e.g. google/gemma-3-27b-it",
        )
        model_id = None
    served = m.string(
        "servedName",
        None,
        pattern=_SERVED_NAME,
        why="is not a model name clients can send",
        fix="use ASCII letters, digits and . _ : / -, at most 128 characters, e.g. gemma-3-27b",
    )
    chips = accelerator.chips if accelerator else 1
    tp = m.integer("tensorParallelSize", chips, low=1, high=256)
    if accelerator and tp is not None and tp != chips:
        m.problem(
            "tensorParallelSize",
            tp,
            f"{accelerator.machine_type} has {chips} chips and vLLM shards the model across all of them",
            f"set tensorParallelSize to {chips}",
        )
    revision = m.string(
        "revision",
        "main",
        pattern=_REVISION,
        why="is not a Hugging Face branch, tag or commit",
        fix="use a branch or tag name, or a 40-character commit hash, e.g. main",
        longest=100,
    )
    m.finish()
    return Model(model_id, served or model_id, tp, revision)


def model_store(top: Reader) -> ModelStore:
    s = top.mapping("modelStore")
    layout = s.choice("layout", "per-region", MODEL_STORE_LAYOUTS)
    location = None
    if layout == "per-region" and s.raw.get("location") is not None:
        s.known.add("location")
        s.problem(
            "location",
            s.raw["location"],
            "does nothing with layout per-region: each region gets a bucket in that region",
            "remove modelStore.location, or set modelStore.layout: single",
        )
    else:
        location = _bucket_location(s)
    store = ModelStore(
        layout,
        (location or "US").upper(),
        s.boolean("forceDestroy", False),
        s.boolean("protect", True),
        s.integer(
            "downloadAttempt",
            0,
            low=0,
            high=9999,
            fix="use 0..9999: raise it by one to run the weights download again",
        ),
    )
    s.finish()
    return store


def _bucket_location(s: Reader) -> str | None:
    location = s.string("location", "US", longest=64)
    known = (*facts.GCS_MULTI_REGIONS, *facts.GCS_DUAL_REGIONS, *facts.GCS_REGIONS)
    if location is None or (_BUCKET_LOCATION.fullmatch(location) and location.upper() in known):
        return location
    region = next((reg for reg in facts.REGION_ZONES if location.lower() in facts.zones_of(reg)), None)
    if region:
        why = "is a zone; a STANDARD bucket lives in a region, a dual-region or a multi-region"
        why += f" ({facts.GCS_LOCATIONS_SOURCE})"
        fix = f"use its region {region.upper()}"
    else:
        why = f"is not a Cloud Storage location ({facts.GCS_LOCATIONS_SOURCE}, read {facts.PLACES_READ_ON})"
        close = did_you_mean(location.upper(), known)
        fix = (
            f"did you mean '{close}'?"
            if close
            else "use a multi-region (US, EU, ASIA), a dual-region such as NAM4 or a region"
        )
    s.problem("location", location, why, fix)
    return None


def image(r: Reader, name: str, default: str) -> str | None:
    value = r.string(name, default, longest=512)
    if value is None:
        return None
    tag = value.rsplit("/", 1)[-1].partition("@")[0].partition(":")[2]
    if not _IMAGE.fullmatch(value) or (not tag and "@sha256:" not in value) or tag == "latest":
        r.problem(name, value, "is not pinned to a release tag or digest", f"pin a release, e.g. {default}")
        return None
    return value


def model_server(top: Reader, accelerator: Accelerator | None) -> ModelServer | None:
    r = top.mapping("modelServer")
    before = len(top.problems)
    backend = r.choice("backend", "vllm-tpu", BACKENDS)
    if backend == "vllm-tpu" and accelerator is None and "accelerator" not in top.raw:
        r.problem(
            "backend",
            backend,
            "serves from TPU but no accelerator is configured",
            "add an accelerator (e.g. machineType ct6e-standard-4t) or use backend: simulator",
        )
    if backend == "simulator" and top.raw.get("accelerator") not in (None, ""):
        top.problem(
            "accelerator",
            top.raw["accelerator"],
            "would create TPU pools the simulator backend never uses",
            "remove accelerator, or use backend: vllm-tpu",
        )
    # Keys only the other backend reads do nothing: refused, like a misspelt key.
    unused = ("image", "downloaderImage", "downloadTimeoutMinutes") if backend == "simulator" else ("simulatorImage",)
    for name in unused:
        if r.raw.get(name) is not None:
            r.problem(
                name,
                r.raw[name],
                f"does nothing with backend {backend}",
                f"remove modelServer.{name}, or use backend: {'vllm-tpu' if backend == 'simulator' else 'simulator'}",
            )
    namespace = k8s_name(r, "namespace", "default", "dns-1123-label")
    if namespace and (
        namespace in facts.K8S_INITIAL_NAMESPACES[1:] or namespace.startswith(facts.K8S_RESERVED_NAMESPACE_PREFIX)
    ):
        r.problem(
            "namespace",
            namespace,
            "is Kubernetes' own: every cluster has it, or its kube- prefix is reserved "
            "(https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/)",
            "use a namespace of your own, e.g. inference",
        )
        namespace = None
    slots = accelerator.max_nodes if accelerator else 100
    vllm_image = image(r, "image", VLLM_TPU_IMAGE)
    server = ModelServer(
        namespace=namespace,
        service_account=k8s_name(r, "serviceAccount", "gemma-ksa", "dns-1123-subdomain"),
        backend=backend,
        # The Service `<name>-service` is an RFC 1035 label: the strictest of the names derived from it.
        name=k8s_name(r, "name", "vllm-gemma", "dns-1035-label", derived="{}-service"),
        app_label=_label_value(r, "appLabel", "gemma-server"),
        replicas=r.integer(
            "replicas",
            1,
            low=0,
            high=slots,
            fix=f"each replica takes a whole TPU slice: use 0..{slots} (accelerator.maxNodes)"
            if accelerator
            else "use 0..100",
        ),
        max_model_len=r.integer("maxModelLen", 8192, low=256, high=131072),
        image=vllm_image,
        simulator_image=image(r, "simulatorImage", SIMULATOR_IMAGE),
        # The vLLM image already carries huggingface_hub, so the download needs no install at run time.
        downloader_image=image(r, "downloaderImage", vllm_image or VLLM_TPU_IMAGE),
        download_timeout_minutes=r.integer("downloadTimeoutMinutes", 90, low=5, high=1440),
        load_timeout_minutes=r.integer("loadTimeoutMinutes", 40, low=5, high=240),
    )
    r.finish()
    return server if len(top.problems) == before else None


def _label_value(r: Reader, name: str, default: str) -> str | None:
    value = r.string(name, default, longest=253)
    if value is not None and (why := name_problem(value, "k8s-label-value")):
        rule = facts.NAME_RULES["k8s-label-value"]
        r.problem(
            name,
            value,
            f"{why} ({rule.source})",
            "use ASCII letters, digits, '-', '_' and '.', starting and ending with a letter or digit, at most 63",
        )
        return None
    return value


def _endpoint_picker(pool: Reader, chart_version: str | None) -> EndpointPicker | None:
    """EPP requests and memory limit. The defaults are chart v1.5.0's own (`epplib/values.yaml`:
    requests cpu 4 / memory 8Gi, limit memory 16Gi, scale-tested at high QPS); a small system pool
    needs less, or the pod stays Pending. v1.1.0's chart has no value for them."""
    r = pool.mapping("endpointPicker", optional=True)
    if chart_version not in EPP_RESOURCE_CHARTS:
        if r is not None:
            pool.problem(
                "endpointPicker",
                pool.raw["endpointPicker"],
                f"chart {chart_version} has no value for the endpoint picker's resources",
                f"remove it, or use chartVersion {EPP_RESOURCE_CHARTS[0]}",
            )
        return None
    r = r or Reader({}, pool.key("endpointPicker"), pool.problems)
    cpu = r.string(
        "cpuRequest",
        "4",
        pattern=_CPU_QUANTITY,
        why="is not a CPU quantity",
        fix='write CPU as cores or millicores, e.g. "1" or "500m"',
        longest=16,
    )
    memory_fix = 'write memory with a binary suffix, e.g. "2Gi" or "512Mi"'
    why = "is not a memory quantity"
    memory = r.string("memoryRequest", "8Gi", pattern=_MEMORY_QUANTITY, why=why, fix=memory_fix, longest=16)
    limit = r.string("memoryLimit", "16Gi", pattern=_MEMORY_QUANTITY, why=why, fix=memory_fix, longest=16)
    if memory and limit and memory_bytes(limit) < memory_bytes(memory):
        r.problem("memoryLimit", limit, f"is below memoryRequest ({memory})", "set memoryLimit >= memoryRequest")
    r.finish()
    return EndpointPicker(cpu, memory, limit) if cpu and memory and limit else None


def inference_pool(top: Reader) -> InferencePool:
    r = top.mapping("inferencePool")
    chart_version = r.choice("chartVersion", CHART_VERSIONS[0], CHART_VERSIONS)
    pool = InferencePool(
        # The Helm release name (53 characters at most); the chart names the endpoint picker's Service
        # `<name>-epp` (an RFC 1035 label: it must start with a letter) and the Gateway's policies
        # `<name>-health-check` and `<name>-backend-policy`.
        name=_pool_name(r),
        chart_version=chart_version,
        objective_name=k8s_name(r, "objectiveName", "gemma-objective", "dns-1123-subdomain"),
        priority=r.integer("priority", 10, low=-1000, high=1000),
        metric_export_name=_export_name(r),
        endpoint_picker=_endpoint_picker(r, chart_version),
    )
    r.finish()
    return pool


# The backend policy names the metric `gke.named_metrics.<export name>`, a Compute backend custom metric
# name: at most 64 characters of `[a-z]([-_.a-z0-9]*[a-z0-9])?` (https://cloud.google.com/compute/docs/
# reference/rest/v1/backendServices: backends[].customMetrics[].name).
_METRIC_PREFIX = "gke.named_metrics."


def _export_name(r: Reader) -> str | None:
    value = k8s_name(r, "metricExportName", "tpu-cache", "dns-1123-label")
    if value and len(_METRIC_PREFIX + value) > 64:
        r.problem(
            "metricExportName",
            value,
            f"makes the backend custom metric '{_METRIC_PREFIX}{value}' {len(_METRIC_PREFIX + value)} characters "
            "long, and Compute allows 64",
            f"use at most {64 - len(_METRIC_PREFIX)} characters",
        )
        return None
    return value


def _pool_name(r: Reader) -> str | None:
    value = r.string("name", "gemma-pool", longest=253)
    if value is None:
        return None
    why = name_problem(value, "helm-release") or name_problem(f"{value[:40]}-epp", "dns-1035-label")
    if why:
        r.problem(
            "name",
            value,
            f"{why}: the pool's name is its Helm release name ({facts.NAME_RULES['helm-release'].source}) and names "
            "the endpoint picker's Service <name>-epp",
            "use lowercase letters, digits and hyphens, starting with a letter, at most 53 characters",
        )
        return None
    return value


def gateway(top: Reader) -> Gateway:
    r = top.mapping("gateway")
    h = r.mapping("healthCheck")
    health = HealthCheck(
        interval_sec=h.integer("intervalSec", 5, low=1, high=300),
        timeout_sec=h.integer("timeoutSec", 5, low=1, high=300),
        healthy_threshold=h.integer("healthyThreshold", 2, low=1, high=10),
        unhealthy_threshold=h.integer("unhealthyThreshold", 2, low=1, high=10),
    )
    if None not in (health.interval_sec, health.timeout_sec) and health.timeout_sec > health.interval_sec:
        h.problem(
            "timeoutSec",
            health.timeout_sec,
            f"is longer than intervalSec ({health.interval_sec})",
            "set timeoutSec <= intervalSec, as Google Cloud health checks require",
        )
    h.finish()
    mode, class_name = gateway_mode.mode_and_class(r)
    result = Gateway(
        name=k8s_name(r, "name", "cross-region-gateway", "dns-1123-subdomain"),
        route_name=k8s_name(r, "routeName", "gemma-route", "dns-1123-subdomain"),
        health_check=health,
        max_utilization_percent=r.integer(
            "maxUtilizationPercent", 60, low=1, high=100, fix="a percentage of KV-cache use: 1..100"
        ),
        dry_run=r.boolean("dryRun", False),
        timeout_sec=r.integer("timeoutSec", 100, low=1, high=86400),
        programmed_timeout_minutes=r.integer("programmedTimeoutMinutes", 20, low=1, high=120),
        mode=mode,
        class_name=class_name,
    )
    r.finish()
    return result
