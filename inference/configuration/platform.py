"""The whole validated configuration of one stack, as the composition receives it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inference.autoscaling.config import Autoscaling
from inference.capacity.config import Capacity
from inference.configuration.gateway import Gateway
from inference.core.config.compute import Accelerator, SystemPool
from inference.core.config.model import Model, ModelStore
from inference.core.config.names import Names, program_labels
from inference.core.config.network import PrivateNodes, Region
from inference.core.config.security import ClusterControls
from inference.guards.config import Guards
from inference.istio.config import Istio
from inference.migration.config import Migration
from inference.models.config import ServedModel, single
from inference.multi_cluster.config import Fleet
from inference.observability.config import Observability
from inference.serving.config import InferencePool, ModelServer

# Config namespaces something reads besides the project's own: the default Google Cloud provider
# (`gcp:project`, ...) and the engine (`pulumi:tags`, ...). Every Kubernetes object uses an explicit
# per-cluster provider, and random and time take no configuration, so `kubernetes:`, `random:` and `time:`
# keys would do nothing.
PROVIDER_NAMESPACES = ("gcp", "pulumi")


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
    migration: Migration | None = None  # None: no v1alpha2 -> v1 migration (inference/migration/)
    istio: Istio | None = None  # with gateway.mode istio (inference/istio/)
    # Bucket location -> the Cloud Run region its weights download runs in; {} for the simulator backend.
    download_regions: Mapping[str, str] = field(default_factory=dict)
    guards: Guards | None = None  # Model Armor and Apigee in front of the model; None: neither
    # Several models behind the Gateway (inference/models/config.py); (): the one `model`.
    models: tuple[ServedModel, ...] = ()
    model_routing: str | None = None  # "body" | "header" with several models
    capacity: Capacity | None = None  # the TPU capacity ladder (inference/capacity/); None: one TPU pool
    cluster_controls: ClusterControls = field(default_factory=ClusterControls)  # intranode visibility, binauthz

    @property
    def resource_labels(self) -> dict[str, str]:
        """The labels every labelled resource carries: the stack's own, and which stack manages it."""
        return {**self.labels, **program_labels(self.stack)}

    @property
    def served_models(self) -> tuple[ServedModel, ...]:
        """Every model the stack serves: the `models` list, or the one `model`."""
        return self.models or (single(self.model, self.model_server, self.inference_pool),)

    @property
    def names(self) -> Names:
        return Names(f"{self.prefix}-{self.stack}")

    def kube_context(self, region: Region) -> str:
        """The context name `gcloud container clusters get-credentials` writes (the walkthrough's CTX_*)."""
        return f"gke_{self.project}_{region.zone}_{self.names.cluster(region.name)}"

    def bucket_locations(self) -> dict[str, str]:
        """Region -> location of the bucket that serves it."""
        if self.model_store.layout == "single":
            return {r.name: self.model_store.location for r in self.regions}
        return {r.name: r.name for r in self.regions}
