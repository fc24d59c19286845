"""Typed configuration of one stack, validated before any resource is registered.

`parse` turns the raw key/value pairs of the project's config namespace into frozen dataclasses
and raises one `ConfigError` that lists every problem as `key: value — why — fix`. It is a pure
function so tests can feed it bad input directly; `load` reads the real Pulumi config.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from stacks import facts

# ct6e machine type -> (topology, chips). Every v6e shape GKE offers for serving is single-host.
TPU_V6E_SHAPES: Mapping[str, tuple[str, int]] = {
    "ct6e-standard-1t": ("1x1", 1),
    "ct6e-standard-4t": ("2x2", 4),
    "ct6e-standard-8t": ("2x4", 8),
}
RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")
GKE_VERSION = "1.35"  # a minor alias past every feature minimum in stacks/facts.py
BACKENDS = ("vllm-tpu", "simulator")
# inferencepool chart releases whose InferenceObjective CRD ships with the program (components/crds/).
CHART_VERSIONS = ("v1.5.0", "v1.1.0")
EPP_RESOURCE_CHARTS = ("v1.5.0",)  # chart versions with an `inferenceExtension.resources` value
VLLM_TPU_IMAGE = "vllm/vllm-tpu:v0.12.0"
SIMULATOR_IMAGE = "ghcr.io/llm-d/llm-d-inference-sim:v0.7.1"
MODEL_STORE_LAYOUTS = ("per-region", "single")
MTU_RANGE = (1300, 8896)  # what a GCP VPC accepts
# Secrets an operator sets with `pulumi config set --secret` and that no checked-in stack file holds.
OPERATOR_SECRETS = ("hfToken",)

_GKE_VERSION = re.compile(r"^1\.[0-9]{1,3}(\.[0-9]{1,3}-gke\.[0-9]{1,12})?$")
_GCE_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]+$")
_MODEL_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_KMS_KEY = re.compile(r"^projects/[a-z][a-z0-9-]+/locations/([a-z0-9-]+)/keyRings/[\w-]+/cryptoKeys/[\w-]+$")
_LABEL_VALUE_K8S = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
# registry/repository:tag, optionally @sha256:digest; a tag or a digest is required.
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$")
# Kubernetes quantities, in the forms the program accepts: cores or millicores; bytes with a suffix.
_CPU_QUANTITY = re.compile(r"^([1-9][0-9]*m|[0-9]+(\.[0-9]{1,3})?)$")
_MEMORY_QUANTITY = re.compile(r"^[1-9][0-9]*(Ki|Mi|Gi|Ti)$")
_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_BUCKET_SUFFIX_HEX = 8  # random.RandomId(byte_length=4).hex


def cpu_cores(quantity: str) -> float:
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory_bytes(quantity: str) -> int:
    return int(quantity[:-2]) * _MEMORY_UNITS[quantity[-2:]]


@dataclass(frozen=True)
class Region:
    name: str
    zone: str
    node_cidr: str
    proxy_cidr: str
    pod_cidr: str | None = None
    service_cidr: str | None = None


@dataclass(frozen=True)
class Accelerator:
    machine_type: str
    topology: str
    nodes_per_pool: int
    spot: bool
    reservation: str | None

    @property
    def chips(self) -> int:
        return TPU_V6E_SHAPES[self.machine_type][1]


@dataclass(frozen=True)
class SystemPool:
    machine_type: str
    node_count: int
    disk_size_gb: int


@dataclass(frozen=True)
class Model:
    id: str
    served_name: str
    tensor_parallel_size: int


@dataclass(frozen=True)
class ModelStore:
    layout: str  # "per-region": a bucket in each region; "single": one bucket at `location`
    location: str
    force_destroy: bool
    protect: bool


@dataclass(frozen=True)
class ModelServer:
    namespace: str
    service_account: str
    downloader_service_account: str
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


@dataclass(frozen=True)
class HealthCheck:
    interval_sec: int
    timeout_sec: int
    healthy_threshold: int
    unhealthy_threshold: int

    @property
    def detection_seconds(self) -> int:
        """Worst case from a backend failing to the load balancer marking it unhealthy."""
        return self.unhealthy_threshold * self.interval_sec + self.timeout_sec


@dataclass(frozen=True)
class Gateway:
    name: str
    route_name: str
    health_check: HealthCheck
    max_utilization_percent: int
    dry_run: bool
    timeout_sec: int
    programmed_timeout_minutes: int


@dataclass(frozen=True)
class Fleet:
    manage_features: bool


@dataclass(frozen=True)
class PrivateNodes:
    enabled: bool
    master_authorized_networks: tuple[str, ...]  # CIDRs that may reach the control plane; () leaves it open


@dataclass(frozen=True)
class Names:
    """Every GCP name the stack creates, derived from `<prefix>-<stack>` so stacks never collide."""

    base: str

    @property
    def network(self) -> str:
        return f"{self.base}-vpc"

    def node_subnet(self, region: str) -> str:
        return f"{self.base}-node-{region}"

    def proxy_subnet(self, region: str) -> str:
        return f"{self.base}-proxy-{region}"

    def gateway_address(self, region: str) -> str:
        return f"{self.base}-gateway-ip-{region}"

    def firewall(self, purpose: str) -> str:
        return f"{self.base}-allow-{purpose}"

    def cluster(self, region: str) -> str:
        return f"{self.base}-{region}"

    def membership(self, region: str) -> str:
        return self.cluster(region)

    def bucket_stem(self, location: str) -> str:
        """Bucket names are global: the ModelStore appends a random hex suffix to this stem."""
        return f"{self.base}-weights-{location.lower()}"

    def service_account(self, purpose: str) -> str:
        return f"{self.base}-{purpose}"


@dataclass(frozen=True)
class PlatformConfig:
    project: str
    stack: str
    prefix: str
    regions: tuple[Region, ...]
    config_region: str
    mtu: int
    serving_port: int
    accelerator: Accelerator | None
    system_pool: SystemPool
    release_channel: str
    gke_version: str  # the clusters' minimum version (`min_master_version`)
    model: Model
    model_store: ModelStore
    model_server: ModelServer
    inference_pool: InferencePool
    gateway: Gateway
    labels: Mapping[str, str]
    deletion_protection: bool
    fleet: Fleet
    production: bool
    private_nodes: PrivateNodes
    secrets_encryption_keys: Mapping[str, str]  # region -> Cloud KMS key in that region; {} = Google-managed
    hf_token: Any = None  # pulumi.Output[str], secret; None for the simulator backend

    @property
    def names(self) -> Names:
        return Names(f"{self.prefix}-{self.stack}")

    def kube_context(self, region: Region) -> str:
        """The context name `gcloud container clusters get-credentials` writes (the codelab's CTX_*)."""
        return f"gke_{self.project}_{region.zone}_{self.names.cluster(region.name)}"

    def bucket_locations(self) -> dict[str, str]:
        """Region -> location of the bucket that serves it."""
        if self.model_store.layout == "single":
            return {r.name: self.model_store.location for r in self.regions}
        return {r.name: r.name for r in self.regions}


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    why: str
    fix: str

    def __str__(self) -> str:
        return f"{self.key}: {json.dumps(self.value, default=str)} — {self.why} — {self.fix}"


class ConfigError(pulumi.RunError):
    """Raised with every problem at once; Pulumi prints it without a traceback."""

    def __init__(self, stack: str, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"stack '{stack}' has {len(problems)} configuration problem(s):\n{lines}")

    def missing_secrets(self) -> list[str]:
        """The operator secrets this error asks for, when it asks for nothing else."""
        keys = [p.key for p in self.problems if p.key in OPERATOR_SECRETS and p.value is None]
        return keys if len(keys) == len(self.problems) else []


_MISSING = object()


class _Reader:
    """Reads one mapping of raw values, records problems, and knows which keys were read."""

    def __init__(self, raw: Mapping[str, Any], path: str, problems: list[Problem]):
        self.raw = raw
        self.path = path
        self.problems = problems
        self.known: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def problem(self, name: str, value: Any, why: str, fix: str) -> None:
        self.problems.append(Problem(self.key(name), value, why, fix))

    def get(self, name: str, default: Any = _MISSING, *, required_fix: str = "") -> Any:
        self.known.add(name)
        value = self.raw.get(name)
        if value is None:
            if default is _MISSING:
                self.problem(name, None, "is required", required_fix or f"set {self.key(name)}")
            return None if default is _MISSING else default
        return value

    def string(
        self,
        name: str,
        default: Any = _MISSING,
        *,
        pattern: re.Pattern | None = None,
        fix: str = "",
        required_fix: str = "",
    ) -> str | None:
        value = self.get(name, default, required_fix=required_fix)
        if value is None:
            return None
        if not isinstance(value, str) or value == "":
            self.problem(name, value, "must be a non-empty string", fix or f"set {self.key(name)} to text")
            return None
        if pattern and not pattern.match(value):
            self.problem(name, value, f"does not match {pattern.pattern}", fix)
            return None
        return value

    def integer(self, name: str, default: Any = _MISSING, *, low: int, high: int, fix: str = "") -> int | None:
        value = self.get(name, default)
        if value is None:
            return None
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(name, value, "must be a whole number", fix or f"set a number in {low}..{high}")
            return None
        if not low <= value <= high:
            self.problem(name, value, f"must be in {low}..{high}", fix or f"set a number in {low}..{high}")
            return None
        return value

    def boolean(self, name: str, default: Any = _MISSING) -> bool | None:
        value = self.get(name, default)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if value is not None and not isinstance(value, bool):
            self.problem(name, value, "must be true or false", f"set {self.key(name)} to true or false")
            return None
        return value

    def choice(self, name: str, default: Any, options: tuple[str, ...]) -> str | None:
        value = self.get(name, default)
        if value not in options:
            self.problem(name, value, f"is not one of {', '.join(options)}", f"choose one of {', '.join(options)}")
            return None
        return value

    def mapping(self, name: str, *, optional: bool = False) -> _Reader | None:
        value = self.get(name, None if optional else {})
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.problem(name, value, "must be an object", f"write {self.key(name)} as a YAML mapping")
            return _Reader({}, self.key(name), self.problems)
        return _Reader(value, self.key(name), self.problems)

    def finish(self) -> None:
        """Reports keys nobody read: a typo would otherwise be silently ignored."""
        for name in self.raw:
            if name in self.known:
                continue
            close = difflib.get_close_matches(name, sorted(self.known), n=1)
            hint = (
                f"did you mean '{self.key(close[0])}'?"
                if close
                else (f"remove it; known keys: {', '.join(sorted(self.known))}")
            )
            self.problem(name, self.raw[name], "is not a known key", hint)


def _network(value: str | None, reader: _Reader, name: str) -> ipaddress.IPv4Network | None:
    if value is None:
        return None
    try:
        net = ipaddress.IPv4Network(value)
    except ValueError:
        try:
            net = ipaddress.IPv4Network(value, strict=False)
        except ValueError:
            reader.problem(name, value, "is not an IPv4 CIDR range", "write it like 10.0.1.0/24")
            return None
        reader.problem(name, value, "has host bits set", f"use the network address {net}")
        return None
    if not net.is_private:
        reader.problem(
            name,
            value,
            "is not a private (RFC 1918) range",
            "use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
        )
        return None
    return net


def _regions(top: _Reader) -> list[Region]:
    raw = top.get("regions", required_fix="list at least one region with name, zone, nodeCidr and proxyCidr")
    regions: list[Region] = []
    ranges: list[tuple[str, Any, ipaddress.IPv4Network]] = []
    if raw is None:
        return regions
    if not isinstance(raw, list) or not raw:
        top.problem(
            "regions",
            raw,
            "must be a non-empty list",
            "list at least one region with name, zone, nodeCidr and proxyCidr",
        )
        return regions
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            top.problem(f"regions[{i}]", item, "must be an object", "give name, zone, nodeCidr and proxyCidr")
            continue
        r = _Reader(item, f"regions[{i}]", top.problems)
        name = r.string("name", pattern=_REGION, fix="use a Compute Engine region such as us-east5")
        zone = r.string("zone", required_fix="set the zone that has TPU v6e capacity, e.g. us-east5-b")
        if name and name in seen:
            r.problem("name", name, "appears twice", "list each region once")
        seen.add(name or "")
        if name and zone and not re.fullmatch(rf"{re.escape(name)}-[a-z]", zone):
            r.problem("zone", zone, f"is not a zone of region {name}", f"use a zone such as {name}-a")
            zone = None
        cidrs = {}
        for key, optional in (("nodeCidr", False), ("proxyCidr", False), ("podCidr", True), ("serviceCidr", True)):
            value = r.string(
                key, None if optional else _MISSING, required_fix=f"set a private CIDR range for {r.key(key)}"
            )
            net = _network(value, r, key)
            if net is not None:
                ranges.append((r.key(key), value, net))
            cidrs[key] = value if net is not None else None
        proxy = cidrs["proxyCidr"]
        if proxy and ipaddress.IPv4Network(proxy).prefixlen > 26:
            r.problem(
                "proxyCidr",
                proxy,
                "is smaller than /26, the minimum for a proxy-only subnet",
                "use a /26 or larger (Google recommends /23)",
            )
        r.finish()
        if name and zone and cidrs["nodeCidr"] and cidrs["proxyCidr"]:
            regions.append(
                Region(name, zone, cidrs["nodeCidr"], cidrs["proxyCidr"], cidrs["podCidr"], cidrs["serviceCidr"])
            )
    for a in range(len(ranges)):
        for b in range(a + 1, len(ranges)):
            (ka, va, na), (kb, _, nb) = ranges[a], ranges[b]
            if na.overlaps(nb):
                top.problems.append(
                    Problem(
                        ka,
                        va,
                        f"overlaps {kb} ({nb})",
                        "give every node, proxy, pod and service range its own addresses",
                    )
                )
    return regions


def _accelerator(top: _Reader) -> Accelerator | None:
    r = top.mapping("accelerator", optional=True)
    if r is None:
        return None
    before = len(top.problems)
    machine = r.choice("machineType", "ct6e-standard-4t", tuple(TPU_V6E_SHAPES))
    expected = TPU_V6E_SHAPES[machine][0] if machine else None
    topology = r.string("topology", expected)  # unknown machine type: reported once, above
    if expected and topology and topology != expected:
        r.problem(
            "topology",
            topology,
            f"{machine} is a {expected} slice",
            f"set topology {expected}, or pick the ct6e machine type whose slice is {topology}",
        )
    # A pool with a TPU topology is one atomic slice, and every v6e serving shape is one host.
    nodes = r.integer("nodesPerPool", 1, low=1, high=1000)
    if nodes is not None and nodes != 1:
        r.problem(
            "nodesPerPool",
            nodes,
            f"a {expected or topology} v6e slice is a single host, so its pool has exactly one node",
            "set nodesPerPool to 1; add regions for more serving capacity",
        )
    spot = r.boolean("spot", False)
    reservation = r.string(
        "reservation", None, pattern=_GCE_NAME, fix="name an existing specific reservation in the zone"
    )
    if spot and reservation:
        r.problem(
            "reservation",
            reservation,
            "cannot be combined with spot: true",
            "use either Spot capacity or a reservation",
        )
    r.finish()
    if len(top.problems) > before:
        return None
    return Accelerator(machine, topology, nodes, spot, reservation)


def _gke_version(top: _Reader, channel: str | None, needs_dranet: bool) -> str | None:
    """The cluster's minimum GKE version: a minor alias (GKE picks that minor's newest patch in the
    channel) or an exact version, at least what the stack's features need (stacks/facts.py)."""
    needed = [facts.MULTI_CLUSTER_INFERENCE_MINIMUM] + ([facts.DRANET_MINIMUM] if needs_dranet else [])
    floor = max(needed, key=lambda m: facts.version_key(m.version))
    version = top.string(
        "gkeVersion",
        GKE_VERSION,
        pattern=_GKE_VERSION,
        fix=f"write a minor version such as {GKE_VERSION} or an exact one such as {floor.version}",
    )
    if version and facts.version_key(version) < facts.version_key(floor.version):
        top.problem(
            "gkeVersion",
            version,
            f"is older than {floor.version}, the first version with {floor.feature} ({floor.source})",
            f"use {GKE_VERSION}, or an exact version from {floor.version} on",
        )
        return None
    offered = facts.CHANNEL_VERSIONS.get(channel or "")
    if offered and facts.version_key(offered) < facts.version_key(floor.version):
        top.problem(
            "releaseChannel",
            channel,
            f"offered {offered} on {facts.CHANNEL_VERSIONS_READ_ON}, older than {floor.version} ({floor.feature})",
            f"use a channel that offers {floor.version} or later, e.g. RAPID",
        )
    return version


def _check_names(names: Names, regions: list[Region], top: _Reader) -> None:
    """Blames `prefix` when a derived name breaks a GCP naming rule; the fix is a shorter prefix."""
    rules = [(names.network, 63, "VPC")] + [(names.firewall("internal"), 63, "firewall rule")]
    for region in regions:
        rules += [
            (names.node_subnet(region.name), 63, "subnet"),
            (names.proxy_subnet(region.name), 63, "subnet"),
            (names.gateway_address(region.name), 63, "address"),
            (names.cluster(region.name), 40, "GKE cluster"),
            (names.bucket_stem(region.name) + "-" + "0" * _BUCKET_SUFFIX_HEX, 63, "bucket"),
        ]
    rules += [(names.service_account(p), 30, "service account") for p in ("fuse", "dl", "node")]
    for name, limit, kind in rules:
        if not _GCE_NAME.match(name):
            top.problem(
                "prefix",
                names.base,
                f"{kind} name '{name}' must use lowercase letters, digits and hyphens",
                "use a lowercase stack name and prefix",
            )
            return
        if len(name) > limit:
            room = limit - (len(name) - len(names.base))
            top.problem(
                "prefix",
                names.base,
                f"{kind} name '{name}' is {len(name)} characters, GCP allows {limit}",
                f"shorten the prefix so that '<prefix>-<stack>' has at most {room} characters",
            )
            return


def _image(r: _Reader, name: str, default: str) -> str | None:
    value = r.string(name, default)
    if value is None:
        return None
    tag = value.rsplit("/", 1)[-1].partition("@")[0].partition(":")[2]
    if not _IMAGE.match(value) or (not tag and "@sha256:" not in value) or tag == "latest":
        r.problem(name, value, "is not pinned to a release tag or digest", f"pin a release, e.g. {default}")
        return None
    return value


def _model_server(top: _Reader, accelerator: Accelerator | None) -> ModelServer | None:
    r = top.mapping("modelServer")
    before = len(top.problems)
    k8s_fix = "use a Kubernetes name: lowercase letters, digits and hyphens"
    backend = r.choice("backend", "vllm-tpu", BACKENDS)
    if backend == "vllm-tpu" and accelerator is None and "accelerator" not in top.raw:
        r.problem(
            "backend",
            backend,
            "serves from TPU but no accelerator is configured",
            "add an accelerator (e.g. machineType ct6e-standard-4t) or use backend: simulator",
        )
    if backend == "simulator" and "accelerator" in top.raw and top.raw["accelerator"] is not None:
        top.problem(
            "accelerator",
            top.raw["accelerator"],
            "would create TPU pools the simulator backend never uses",
            "remove accelerator, or use backend: vllm-tpu",
        )
    slots = accelerator.nodes_per_pool if accelerator else 100
    image = _image(r, "image", VLLM_TPU_IMAGE)
    server = ModelServer(
        namespace=r.string("namespace", "default", pattern=_K8S_NAME, fix=k8s_fix),
        service_account=r.string("serviceAccount", "gemma-ksa", pattern=_K8S_NAME, fix=k8s_fix),
        downloader_service_account=r.string(
            "downloaderServiceAccount", "gemma-downloader", pattern=_K8S_NAME, fix=k8s_fix
        ),
        backend=backend,
        name=r.string("name", "vllm-gemma", pattern=_K8S_NAME, fix=k8s_fix),
        app_label=r.string("appLabel", "gemma-server", pattern=_LABEL_VALUE_K8S, fix="use a Kubernetes label value"),
        replicas=r.integer(
            "replicas",
            1,
            low=0,
            high=slots,
            fix=f"each replica takes a whole TPU slice: use 0..{slots} (accelerator.nodesPerPool)"
            if accelerator
            else "use 0..100",
        ),
        max_model_len=r.integer("maxModelLen", 8192, low=256, high=131072),
        image=image,
        simulator_image=_image(r, "simulatorImage", SIMULATOR_IMAGE),
        # The vLLM image already carries huggingface_hub, so the download needs no install at run time.
        downloader_image=_image(r, "downloaderImage", image or VLLM_TPU_IMAGE),
        download_timeout_minutes=r.integer("downloadTimeoutMinutes", 90, low=5, high=1440),
        load_timeout_minutes=r.integer("loadTimeoutMinutes", 40, low=5, high=240),
    )
    r.finish()
    return server if len(top.problems) == before else None


def _endpoint_picker(pool: _Reader, chart_version: str | None) -> EndpointPicker | None:
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
    r = r or _Reader({}, pool.key("endpointPicker"), pool.problems)
    cpu = r.string("cpuRequest", "4", pattern=_CPU_QUANTITY, fix='write CPU as cores or millicores, e.g. "1" or "500m"')
    memory_fix = 'write memory with a binary suffix, e.g. "2Gi" or "512Mi"'
    memory = r.string("memoryRequest", "8Gi", pattern=_MEMORY_QUANTITY, fix=memory_fix)
    limit = r.string("memoryLimit", "16Gi", pattern=_MEMORY_QUANTITY, fix=memory_fix)
    if memory and limit and memory_bytes(limit) < memory_bytes(memory):
        r.problem("memoryLimit", limit, f"is below memoryRequest ({memory})", "set memoryLimit >= memoryRequest")
    r.finish()
    return EndpointPicker(cpu, memory, limit) if cpu and memory and limit else None


def _inference_pool(top: _Reader) -> InferencePool:
    r = top.mapping("inferencePool")
    k8s_fix = "use a Kubernetes name: lowercase letters, digits and hyphens"
    chart_version = r.choice("chartVersion", CHART_VERSIONS[0], CHART_VERSIONS)
    pool = InferencePool(
        name=r.string("name", "gemma-pool", pattern=_K8S_NAME, fix=k8s_fix),
        chart_version=chart_version,
        objective_name=r.string("objectiveName", "gemma-objective", pattern=_K8S_NAME, fix=k8s_fix),
        priority=r.integer("priority", 10, low=-1000, high=1000),
        metric_export_name=r.string("metricExportName", "tpu-cache", pattern=_K8S_NAME, fix=k8s_fix),
        endpoint_picker=_endpoint_picker(r, chart_version),
    )
    r.finish()
    return pool


def _private_nodes(top: _Reader) -> PrivateNodes:
    r = top.mapping("privateNodes")
    enabled = r.boolean("enabled", False)
    networks = r.get("masterAuthorizedNetworks", [])
    if not isinstance(networks, list):
        r.problem("masterAuthorizedNetworks", networks, "must be a list of CIDR ranges", "write e.g. [203.0.113.0/24]")
        networks = []
    for i, cidr in enumerate(networks):
        try:
            ipaddress.IPv4Network(cidr)
        except (ValueError, TypeError):
            r.problem(
                f"masterAuthorizedNetworks[{i}]", cidr, "is not an IPv4 CIDR range", "write it like 203.0.113.0/24"
            )
    r.finish()
    return PrivateNodes(bool(enabled), tuple(networks))


def _encryption_keys(top: _Reader, regions: list[str]) -> dict[str, str]:
    """Application-layer secrets encryption: one Cloud KMS key per cluster, in the cluster's region."""
    keys = top.get("secretsEncryptionKeys", {})
    if not isinstance(keys, Mapping):
        top.problem(
            "secretsEncryptionKeys",
            keys,
            "must map each region to a Cloud KMS key",
            "write region: projects/P/locations/REGION/keyRings/R/cryptoKeys/K",
        )
        return {}
    for region, key in keys.items():
        match = _KMS_KEY.match(str(key))
        if region not in regions:
            top.problem(
                f"secretsEncryptionKeys.{region}", key, "is not one of the regions", f"use one of {', '.join(regions)}"
            )
        elif not match:
            top.problem(
                f"secretsEncryptionKeys.{region}",
                key,
                "is not a Cloud KMS key id",
                "write projects/P/locations/REGION/keyRings/R/cryptoKeys/K",
            )
        elif match.group(1) != region:
            top.problem(
                f"secretsEncryptionKeys.{region}",
                key,
                f"is in {match.group(1)}, not in {region}",
                "GKE needs a key in the cluster's own region",
            )
    if keys:
        for region in regions:
            if region not in keys:
                top.problem(
                    "secretsEncryptionKeys",
                    sorted(keys),
                    f"has no key for {region}",
                    "give every region a key, or none to use Google-managed encryption",
                )
    return dict(keys)


def _gateway(top: _Reader) -> Gateway:
    r = top.mapping("gateway")
    k8s_fix = "use a Kubernetes name: lowercase letters, digits and hyphens"
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
    gateway = Gateway(
        name=r.string("name", "cross-region-gateway", pattern=_K8S_NAME, fix=k8s_fix),
        route_name=r.string("routeName", "gemma-route", pattern=_K8S_NAME, fix=k8s_fix),
        health_check=health,
        max_utilization_percent=r.integer(
            "maxUtilizationPercent", 60, low=1, high=100, fix="a percentage of KV-cache use: 1..100"
        ),
        dry_run=r.boolean("dryRun", False),
        timeout_sec=r.integer("timeoutSec", 100, low=1, high=86400),
        programmed_timeout_minutes=r.integer("programmedTimeoutMinutes", 20, low=1, high=120),
    )
    r.finish()
    return gateway


def parse(
    raw: Mapping[str, Any], stack: str, *, hf_token_is_secret: bool = True, hf_token_output: Any = None
) -> PlatformConfig:
    """Validates the project's config namespace (key -> parsed value) for `stack`.

    The Hugging Face token's value is never inspected or printed: `hf_token_is_secret` says how it
    is stored and `hf_token_output` is the secret Output handed on to the model servers.
    """
    problems: list[Problem] = []
    top = _Reader(raw, "", problems)

    project = top.string(
        "project",
        pattern=_PROJECT_ID,
        fix="use your Google Cloud project ID (6-30 lowercase letters, digits, hyphens)",
        required_fix="run `pulumi config set project <your-project-id>`",
    )
    prefix = top.string(
        "prefix",
        "tpu-gke-dranet",
        pattern=_GCE_NAME,
        fix="use lowercase letters, digits and hyphens, starting with a letter",
    )
    regions = _regions(top)
    region_names = [r.name for r in regions]
    config_region = top.string("configRegion", region_names[0] if region_names else None)
    if config_region and region_names and config_region not in region_names:
        top.problem(
            "configRegion", config_region, "is not one of the regions", f"choose one of {', '.join(region_names)}"
        )

    net = top.mapping("network")
    mtu = net.integer(
        "mtu",
        8896,
        low=MTU_RANGE[0],
        high=MTU_RANGE[1],
        fix="GCP VPCs accept an MTU from 1300 to 8896; the codelab uses 8896",
    )
    net.finish()
    serving_port = top.integer(
        "servingPort", 8000, low=1024, high=65535, fix="use an unprivileged port; vLLM listens on 8000"
    )

    accelerator = _accelerator(top)

    pool = top.mapping("systemPool")
    system_pool = SystemPool(
        pool.string(
            "machineType",
            "e2-standard-16",
            pattern=_MACHINE_TYPE,
            fix="use a Compute Engine machine type such as e2-standard-16",
        ),
        pool.integer("nodeCount", 1, low=1, high=100),
        pool.integer("diskSizeGb", 100, low=10, high=65536),
    )
    pool.finish()
    release_channel = top.choice("releaseChannel", "RAPID", RELEASE_CHANNELS)
    gke_version = _gke_version(top, release_channel, needs_dranet=accelerator is not None)

    m = top.mapping("model")
    model_id = m.string(
        "id",
        "google/gemma-3-27b-it",
        pattern=_MODEL_ID,
        fix="use a Hugging Face repository id such as google/gemma-3-27b-it",
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
    model = Model(model_id, m.string("servedName", None) or model_id, tp)
    m.finish()

    s = top.mapping("modelStore")
    layout = s.choice("layout", "per-region", MODEL_STORE_LAYOUTS)
    location = s.string(
        "location", "US", pattern=re.compile(r"^[A-Za-z0-9-]+$"), fix="use a bucket location such as US or us-east5"
    )
    model_store = ModelStore(
        layout, (location or "").upper(), s.boolean("forceDestroy", False), s.boolean("protect", True)
    )
    s.finish()

    model_server = _model_server(top, accelerator)
    inference_pool = _inference_pool(top)
    gateway = _gateway(top)
    hf_fix = "run `pulumi config set --secret hfToken <token>` (a Hugging Face token with access to the model)"
    hf_token = top.get("hfToken", None)
    if model_server and model_server.backend == "vllm-tpu":
        if hf_token is None:
            top.problem("hfToken", None, "is required to download the weights for the vllm-tpu backend", hf_fix)
        elif not hf_token_is_secret:
            top.problem("hfToken", "[not shown]", "is stored in plain text in the stack file", hf_fix)

    labels = top.get("labels", {})
    if not isinstance(labels, Mapping):
        top.problem("labels", labels, "must be an object of key: value", "write labels as a YAML mapping")
        labels = {}
    for k, v in labels.items():
        if not _LABEL_KEY.match(str(k)) or not isinstance(v, str) or not _LABEL_VALUE.match(v):
            top.problem(
                f"labels.{k}",
                v,
                "is not a valid GCP label",
                "use lowercase letters, digits, _ and - (keys start with a letter), at most 63 characters",
            )

    deletion_protection = top.boolean("deletionProtection", True)
    production = top.boolean("production", False)
    if production and deletion_protection is False:
        top.problem(
            "deletionProtection",
            False,
            "is off in a production stack",
            "keep it on; to tear the stack down, set production to false first",
        )
    if production and model_store.protect is False:
        top.problem(
            "modelStore.protect",
            False,
            "is off in a production stack",
            "keep the weights protected; to tear the stack down, set production to false first",
        )
    private_nodes = _private_nodes(top)
    encryption_keys = _encryption_keys(top, [r.name for r in regions])
    f = top.mapping("fleet")
    fleet = Fleet(f.boolean("manageFeatures", True))
    f.finish()
    top.finish()

    if prefix and not problems:
        _check_names(Names(f"{prefix}-{stack}"), regions, top)
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
        labels=dict(labels),
        deletion_protection=deletion_protection,
        fleet=fleet,
        production=production,
        private_nodes=private_nodes,
        secrets_encryption_keys=encryption_keys,
        hf_token=hf_token_output if model_server.backend == "vllm-tpu" else None,
    )


def _decode(value: Any) -> Any:
    """Pulumi hands objects and lists to the program as JSON text; scalars stay text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def load() -> PlatformConfig:
    """Reads every key of this project's config namespace, so unknown keys are reported too."""
    namespace = pulumi.get_project()
    everything = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    raw = {}
    for full_key, value in everything.items():
        ns, _, key = full_key.partition(":")
        if ns == namespace:
            raw[key] = _decode(value)
    return parse(
        raw,
        pulumi.get_stack(),
        hf_token_is_secret=pulumi.runtime.is_config_secret(f"{namespace}:hfToken"),
        hf_token_output=pulumi.Config().get_secret("hfToken"),
    )
