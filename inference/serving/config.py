"""`modelServer` and `inferencePool`: what the model servers and the inferencepool chart receive, checked against
the Kubernetes and Helm rules in inference/common/name_rules.py, and whether the endpoint picker fits the
system pool it runs on."""

from __future__ import annotations

from dataclasses import dataclass

from inference.common import name_rules
from inference.common.images import SIMULATOR_IMAGE, VLLM_TPU_IMAGE
from inference.common.quantities import cpu_millicores, memory_bytes
from inference.common.reader import NOT_SET, Reader, name_problem
from inference.common.validators import cpu, helm_release, image, image_problem, k8s_name, memory
from inference.core.config import compute
from inference.core.config.compute import Accelerator, SystemPool
from inference.core.facts import machines
from inference.serving import facts as serving_facts

BACKENDS = ("vllm-tpu", "simulator")


# inferencepool chart releases whose InferenceObjective CRD ships with the program (components/crds/).
CHART_VERSIONS = ("v1.5.0", "v1.1.0")


EPP_RESOURCE_CHARTS = ("v1.5.0",)  # chart versions with an `inferenceExtension.resources` value


@dataclass(frozen=True)
class ModelServer:
    namespace: str
    service_account: str
    backend: str  # "vllm-tpu" | "simulator"
    name: str  # Deployment name; Service and PodMonitoring names derive from it
    app_label: str  # value of the `app` label the pool selects
    replicas: int
    max_model_len: int
    image: str
    simulator_image: str
    downloader_image: str
    download_timeout_minutes: int
    load_timeout_minutes: int
    memory_limit: str | None = None  # the vLLM container's on the stack's `accelerator`; None with the simulator

    @property
    def labels(self) -> dict[str, str]:
        return {"app": self.app_label}


@dataclass(frozen=True)
class EndpointPicker:
    """Resources of the chart's endpoint picker (EPP) container, in Kubernetes quantities."""

    cpu_request: str
    memory_request: str
    memory_limit: str


@dataclass(frozen=True)
class InferencePool:
    name: str
    chart_version: str
    objective_name: str
    priority: int
    metric_export_name: str  # the AutoscalingMetric export the backend policy balances on
    endpoint_picker: EndpointPicker | None  # None: the chart version has no value for them (v1.1.0)


def _backend(top: Reader, r: Reader, accelerator: Accelerator | None) -> str | None:
    """The backend, and what it refuses: TPU without an accelerator, an accelerator the simulator would not use,
    and keys only the other backend reads (refused like a misspelt key)."""
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
    unused = ("image", "downloaderImage", "downloadTimeoutMinutes", "memoryLimit")
    unused = unused if backend == "simulator" else ("simulatorImage",)
    other = "vllm-tpu" if backend == "simulator" else "simulator"
    for name in unused:
        if r.raw.get(name) is not None:
            r.problem(
                name,
                r.raw[name],
                f"does nothing with backend {backend}",
                f"remove modelServer.{name}, or use backend: {other}",
            )
    return backend


def _namespace(r: Reader) -> str | None:
    namespace = k8s_name(r, "namespace", "default", "dns-1123-label")
    if namespace and (
        namespace in name_rules.K8S_INITIAL_NAMESPACES[1:]
        or namespace.startswith(name_rules.K8S_RESERVED_NAMESPACE_PREFIX)
    ):
        r.problem(
            "namespace",
            namespace,
            "is Kubernetes' own: every cluster has it, or its kube- prefix is reserved "
            "(https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/)",
            "use a namespace of your own, e.g. inference",
        )
        return None
    return namespace


def model_server(top: Reader, accelerator: Accelerator | None) -> ModelServer | None:
    r = top.mapping("modelServer")
    before = len(top.problems)
    backend = _backend(top, r, accelerator)
    namespace = _namespace(r)
    slots = accelerator.max_nodes if accelerator else 100
    replicas_fix = (
        f"each replica takes a whole TPU slice: use 0..{slots} (accelerator.maxNodes)" if accelerator else "use 0..100"
    )
    vllm_image = image(r, "image", VLLM_TPU_IMAGE)
    if backend != "vllm-tpu":
        r.known.add("memoryLimit")  # refused with the simulator (_backend)
    server = ModelServer(
        namespace=namespace,
        service_account=k8s_name(r, "serviceAccount", "gemma-ksa", "dns-1123-subdomain"),
        backend=backend,
        # The Service `<name>-service` is an RFC 1035 label: the strictest of the names derived from it.
        name=k8s_name(r, "name", "vllm-gemma", "dns-1035-label", derived="{}-service"),
        app_label=_label_value(r, "appLabel", "gemma-server"),
        replicas=r.integer("replicas", 1, low=0, high=slots, fix=replicas_fix),
        max_model_len=r.integer("maxModelLen", 8192, low=256, high=131072),
        image=vllm_image,
        simulator_image=image(r, "simulatorImage", SIMULATOR_IMAGE),
        # The vLLM image already carries huggingface_hub, so the download needs no install at run time.
        downloader_image=_downloader_image(r, vllm_image),
        download_timeout_minutes=r.integer("downloadTimeoutMinutes", 90, low=5, high=1440),
        load_timeout_minutes=r.integer("loadTimeoutMinutes", 40, low=5, high=240),
        memory_limit=vllm_memory_limit(r, "memoryLimit", accelerator) if backend == "vllm-tpu" else None,
    )
    r.finish()
    return server if len(top.problems) == before else None


def vllm_memory_limit(r: Reader, name: str, accelerator: Accelerator | None) -> str | None:
    """The vLLM container's memory limit on a TPU shape: at least its request, at most what one node of the shape
    leaves it; by default the shape's own (inference/serving/facts.py)."""
    if accelerator is None or accelerator.machine_type not in machines.MACHINE_TYPES:
        r.get(name, None)
        return None  # no shape, or one refused already: nothing to fit
    machine, fit = accelerator.machine_type, serving_facts.vllm_memory_limit(accelerator.machine_type)
    room = serving_facts.vllm_memory_room(machine)
    most = max(m.memory_gib for m in machines.MACHINE_TYPES.values()) * machines.GI
    value = memory(r, name, fit, least=machines.MI, most=most)
    if value is None or not r.given(name):
        return value
    request = serving_facts.VLLM_MEMORY_REQUEST_GI * machines.GI
    if memory_bytes(value) < request:
        why = f"is below the model server's memory request ({serving_facts.VLLM_MEMORY_REQUEST_GI}Gi)"
        r.problem(name, value, why, f"set {r.key(name)} to {serving_facts.VLLM_MEMORY_REQUEST_GI}Gi or more")
        return None
    if memory_bytes(value) > room:
        r.problem(
            name,
            value,
            f"is more than one {machine} node leaves the model server: {room / machines.GI:.1f} GiB (its "
            "allocatable memory less GKE's pods on every TPU node and the FUSE sidecar's request, "
            "inference/serving/facts.py)",
            f"set {r.key(name)} to at most {room // machines.GI}Gi (or remove it: {fit} on {machine}), or use a "
            "larger machineType",
        )
        return None
    return value


def _downloader_image(r: Reader, vllm_image: str | None) -> str | None:
    """The weights download's image: the vLLM image unless set, and Cloud Run must be able to import it."""
    if r.given("downloaderImage") or vllm_image is None:
        return image(r, "downloaderImage", vllm_image or VLLM_TPU_IMAGE, pulled_by_cloud_run=True)
    problem = image_problem(vllm_image, VLLM_TPU_IMAGE, pulled_by_cloud_run=True)
    if problem:  # modelServer.image suits GKE's nodes, and Cloud Run cannot import it
        why = f"takes modelServer.image, {vllm_image}, which {problem[0]}"
        fix = "set modelServer.downloaderImage to a copy of it in Artifact Registry, or in Docker Hub"
        r.problem("downloaderImage", NOT_SET, why, fix)
        return None
    return vllm_image


def _label_value(r: Reader, name: str, default: str) -> str | None:
    value = r.string(name, default, longest=253)
    if value is not None and (why := name_problem(value, "k8s-label-value")):
        rule = name_rules.NAME_RULES["k8s-label-value"]
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
    # It runs on the system pool: more than its largest machine type has is a slip (the fit check follows).
    largest = max((machines.MACHINE_TYPES[n] for n in compute.CPU_MACHINE_TYPES), key=lambda m: m.vcpus)
    most_memory = max(machines.MACHINE_TYPES[n].memory_gib for n in compute.CPU_MACHINE_TYPES) * machines.GI
    cpu_request = cpu(r, "cpuRequest", "4", most_cores=largest.vcpus)
    request = memory(r, "memoryRequest", "8Gi", least=machines.MI, most=most_memory)
    limit = memory(r, "memoryLimit", "16Gi", least=machines.MI, most=most_memory)
    if request and limit and memory_bytes(limit) < memory_bytes(request):
        r.problem("memoryLimit", limit, f"is below memoryRequest ({request})", "set memoryLimit >= memoryRequest")
    r.finish()
    return EndpointPicker(cpu_request, request, limit) if cpu_request and request and limit else None


def inference_pool(top: Reader) -> InferencePool:
    r = top.mapping("inferencePool")
    chart_version = r.choice("chartVersion", CHART_VERSIONS[0], CHART_VERSIONS)
    pool = InferencePool(
        # The Helm release name (53 characters at most); the chart names the endpoint picker's Service
        # `<name>-epp` (an RFC 1035 label: it must start with a letter) and the Gateway's policies
        # `<name>-health-check` and `<name>-backend-policy`.
        name=helm_release(r, "name", "gemma-pool", "the pool's name"),
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


def check_chart_names(top: Reader, server: ModelServer, pool: InferencePool) -> None:
    """The names the inferencepool chart builds from the release and the namespace together must render."""
    kept = name_rules.INFERENCEPOOL_RELEASE_KEPT
    name = f'"{pool.name[:kept]}-{server.namespace[:kept]}-epp"'
    longest = name_rules.INFERENCEPOOL_CLUSTER_RBAC_LONGEST
    if len(name) > longest:
        room = longest - len('"--epp"')
        top.problem(
            "inferencePool.name",
            pool.name,
            f"in modelServer.namespace {server.namespace!r} makes the chart's ClusterRole name {name} {len(name)} "
            f"characters with its quotes, and the chart cuts it at {longest}, breaking its own YAML "
            f"({name_rules.INFERENCEPOOL_CLUSTER_RBAC_SOURCE})",
            f"keep the first {kept} characters of inferencePool.name and of modelServer.namespace at most {room} "
            "together: shorten either",
        )


def _cpu(milli: int) -> str:
    return f"{milli / 1000:g}" if milli % 1000 == 0 else f"{milli}m"


def _gib(memory: int) -> str:
    return f"{memory / machines.GI:.1f}Gi"


def _smallest_fitting(cpu_milli: int, memory: int, like: str) -> str | None:
    """The smallest machine type whose node has room, of the same series as `like` if one does."""
    fits = [
        n
        for n in compute.CPU_MACHINE_TYPES
        if machines.node_room(machines.MACHINE_TYPES[n])["cpu"] >= cpu_milli
        and machines.node_room(machines.MACHINE_TYPES[n])["memory"] >= memory
    ]
    series = like.rsplit("-", 1)[0]
    return next((n for n in fits if n.rsplit("-", 1)[0] == series), fits[0] if fits else None)


def check_system_pool_fit(top: Reader, pool: SystemPool, inference_pool: InferencePool) -> None:
    """The endpoint picker runs on the system pool (the weights download runs on Cloud Run): it must fit
    one node after GKE's reservations and its per-node system pods (inference/core/facts/machines.py node_room, the same
    data tools/capacity.py packs with), or it stays Pending and `pulumi up` times out."""
    before = len(top.problems)
    machine = machines.MACHINE_TYPES[pool.machine_type]
    room = machines.node_room(machine)
    left = f"one {pool.machine_type} node leaves cpu {_cpu(room['cpu'])}, memory {_gib(room['memory'])}"
    left += " after GKE's reservations and its system pods (inference/core/facts/machines.py)"
    epp = inference_pool.endpoint_picker
    if epp is not None:
        cpu = cpu_millicores(epp.cpu_request)
        memory = memory_bytes(epp.memory_request)
        larger = _smallest_fitting(cpu, memory, pool.machine_type)
        bigger = f", or a systemPool.machineType such as {larger}" if larger else ""
        if cpu > room["cpu"]:
            top.problem(
                "inferencePool.endpointPicker.cpuRequest",
                epp.cpu_request,
                f"the endpoint picker would stay Pending: {left}",
                f"set inferencePool.endpointPicker.cpuRequest to at most {room['cpu']}m{bigger}",
            )
        elif memory > room["memory"]:
            top.problem(
                "inferencePool.endpointPicker.memoryRequest",
                epp.memory_request,
                f"the endpoint picker would stay Pending: {left}",
                f"set inferencePool.endpointPicker.memoryRequest to at most {room['memory'] // machines.MI}Mi{bigger}",
            )
    pods = [(s.cpu_milli, s.memory) for s in machines.CLUSTER_SYSTEM_PODS for _ in range(s.replicas)]
    if epp is not None:
        pods.append((cpu_millicores(epp.cpu_request), memory_bytes(epp.memory_request)))
    if pool.node_count and len(top.problems) == before and not machines.fits_on_nodes(pods, room, pool.node_count):
        top.problem(
            "systemPool.nodeCount",
            pool.node_count,
            f"the endpoint picker fits a {pool.machine_type} node but not together with GKE's cluster-wide system "
            f"pods on {pool.node_count} node(s) (first-fit per node, inference/core/facts/machines.py): a pod would "
            "stay Pending",
            "add a node, use a larger systemPool.machineType, or size inferencePool.endpointPicker down",
        )
