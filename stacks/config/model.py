"""The typed configuration: constants, and the frozen dataclasses `parse` returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stacks import facts

# ct6e machine type -> (topology, chips), from stacks/facts.py. Every v6e serving shape is single-host.
TPU_V6E_SHAPES: Mapping[str, tuple[str, int]] = {
    name: (m.tpu_topology, m.tpu_chips)
    for name, m in facts.MACHINE_TYPES.items()
    if m.tpu_accelerator == "tpu-v6e-slice"
}
RELEASE_CHANNELS = ("RAPID", "REGULAR", "STABLE", "EXTENDED")
GKE_VERSION_EXAMPLE = "1.35"  # a minor alias past every feature minimum in stacks/facts.py
BACKENDS = ("vllm-tpu", "simulator")
# inferencepool chart releases whose InferenceObjective CRD ships with the program (components/crds/).
CHART_VERSIONS = ("v1.5.0", "v1.1.0")
EPP_RESOURCE_CHARTS = ("v1.5.0",)  # chart versions with an `inferenceExtension.resources` value
VLLM_TPU_IMAGE = "vllm/vllm-tpu:v0.12.0"
SIMULATOR_IMAGE = "ghcr.io/llm-d/llm-d-inference-sim:v0.7.1"
MODEL_STORE_LAYOUTS = ("per-region", "single")
MTU_RANGE = (1300, 8896)  # what a GCP VPC accepts
# Secrets an operator sets with `pulumi config set --secret` and that no checked-in stack file holds.
OPERATOR_SECRETS = ("hfToken", "kubeconfig")
# Config namespaces something reads: the project's own, and those of the providers the program uses
# (pulumi-gcp, pulumi-kubernetes, pulumi-random, pulumiverse-time: its package is "time") and Pulumi's.
# Namespaces whose keys something reads: the default Google Cloud provider (`gcp:project`, ...) and the
# engine (`pulumi:tags`, ...). Every Kubernetes object uses an explicit per-cluster provider, and random and
# time take no configuration, so `kubernetes:`, `random:` and `time:` keys would do nothing.
PROVIDER_NAMESPACES = ("gcp", "pulumi")
_MEMORY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


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
    max_nodes: int  # above nodes_per_pool: the pool autoscales, a slice per node
    spot: bool
    reservation: str | None
    # A disk image with the vLLM TPU image preloaded, attached to each TPU node as a secondary boot disk.
    image_cache_disk_image: str | None = None
    image_streaming: bool = True  # GKE image streaming on the TPU pools

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
    revision: str = "main"  # Hugging Face branch, tag or commit the weights download fetches


@dataclass(frozen=True)
class ModelStore:
    layout: str  # "per-region": a bucket in each region; "single": one bucket at `location`
    location: str
    force_destroy: bool
    protect: bool
    download_attempt: int = 0  # mixed into the download's execution token: a new value runs it again


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
    mode: str  # "multi-cluster" | "single-cluster" | "istio" (stacks/config/gateway_mode.py)
    class_name: str  # the GatewayClass: the multi-cluster class in multi-cluster mode, "istio" in istio mode


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

    def router(self, region: str) -> str:
        """Cloud Router of a region with private nodes (components/network.py builds the same name)."""
        return f"{self.network}-router-{region}"

    def nat(self, region: str) -> str:
        return f"{self.network}-nat-{region}"

    def cluster(self, region: str) -> str:
        return f"{self.base}-{region}"

    def membership(self, region: str) -> str:
        return self.cluster(region)

    def bucket_stem(self, location: str) -> str:
        """Bucket names are global: the ModelStore appends a random hex suffix to this stem."""
        return f"{self.base}-weights-{location.lower()}"

    def service_account(self, purpose: str) -> str:
        return f"{self.base}-{purpose}"

    def download_job(self, location: str) -> str:
        """The Cloud Run job that fills the bucket at `location`."""
        return f"{self.base}-dl-{location.lower()}"

    @property
    def hf_token_secret(self) -> str:
        return f"{self.base}-hf-token"


@dataclass(frozen=True)
class Alerts:
    latency_p99_seconds: float
    error_rate: float
    queue_size: int
    kv_cache_utilization: float
    notification_channels: tuple[str, ...]


@dataclass(frozen=True)
class Observability:
    epp_metrics: bool  # the endpoint picker's metrics into Managed Prometheus, in every cluster
    alerts: Alerts | None  # None: no alert policies
    access_log_sample_rate: int | None  # per 1,000,000 requests; None: no access logging
    error_metric: bool
    dashboard: bool


@dataclass(frozen=True)
class Autoscaling:
    min_replicas: int
    max_replicas: int
    target_kv_cache: float  # a fraction: the metric is 0-1


@dataclass(frozen=True)
class ModelArmor:
    location: str  # a Model Armor region: the template and the callout's regional endpoint
    template_id: str


@dataclass(frozen=True)
class ApigeeCreate:
    """An Apigee organization with one instance, environment and environment group."""

    billing_type: str  # EVALUATION, PAYG or SUBSCRIPTION
    analytics_region: str
    instance_location: str  # the Gateway's region
    environment_type: str | None  # INTERMEDIATE or COMPREHENSIVE for PAYG; None: the organization decides
    hostnames: tuple[str, ...]  # of the environment group
    protect: bool  # production: Pulumi refuses to delete them
    peering_range: str | None = None  # VPC peering through this range of the stack's VPC; None: Private Service Connect


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
    gke_version: str | None  # the clusters' `min_master_version`; None: the release channel's default
    model: Model
    model_store: ModelStore
    model_server: ModelServer
    inference_pool: InferencePool
    gateway: Gateway
    observability: Observability
    autoscaling: Autoscaling | None  # None: the model servers keep modelServer.replicas
    labels: Mapping[str, str]
    deletion_protection: bool
    fleet: Fleet
    production: bool
    private_nodes: PrivateNodes
    secrets_encryption_keys: Mapping[str, str]  # region -> Cloud KMS key in that region; {} = Google-managed
    hf_token: Any = None  # pulumi.Output[str], secret; None for the simulator backend
    migration: Migration | None = None  # None: no v1alpha2 -> v1 migration (stacks/config/migration.py)
    istio: Any = None  # stacks.config.istio.Istio with gateway.mode istio
    # Bucket location -> the Cloud Run region its weights download runs in; {} for the simulator backend.
    download_regions: Mapping[str, str] = field(default_factory=dict)
    guards: Guards | None = None  # Model Armor and Apigee in front of the model; None: neither

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
class MigratedModel:
    """One model of the alpha API and what it becomes: an InferenceModel on the alpha pool (while the
    legacy side exists and the stack manages it) and an InferenceObjective on the v1 pool."""

    name: str
    model_name: str  # the InferenceModel's spec.modelName
    criticality: str  # Critical | Standard | Sheddable (v1alpha2 InferenceModel)
    priority: int  # the InferenceObjective's priority


@dataclass(frozen=True)
class Migration:
    """v1alpha2 -> v1 migration of a single-cluster Gateway's pool (seeds 000/001), one phase per `pulumi up`."""

    phase: str  # alpha | side-by-side | split | v1 | cleanup (stacks/config/migration.py PHASES)
    path: str  # zero-downtime | simple
    alpha_weight: int  # the route's weights in this phase
    v1_weight: int
    legacy_pool: str  # the v1alpha2 InferencePool's name
    legacy_managed: bool  # the stack installs the alpha chart, InferenceModels and CRDs; False: another tool did
    models: tuple[MigratedModel, ...]

    @property
    def legacy_present(self) -> bool:
        return self.phase != "cleanup"

    @property
    def v1_present(self) -> bool:
        return self.phase != "alpha"
