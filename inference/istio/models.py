"""One model's part of Istio mode's plane: its names, the simulator that serves it, and the typed arguments the
plane gets per model. The first model keeps the guide's names (inference/istio/facts.py), so a stack without
`models` plans exactly the guide's objects; every other model adds `-<key>` to each name (docs/models.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi_kubernetes as k8s

from inference.common.images import SIMULATOR_IMAGE
from inference.common.kubernetes import NONROOT_UID, POD_IDENTITY, field_env, nonroot_pod, restricted
from inference.istio.facts import (
    ADAPTER,
    BASE_MODEL,
    EPP,
    EPP_LABELS,
    EPP_SERVICE,
    NAMESPACE,
    PLUGINS_CONFIG,
    POOL,
    SERVER,
    SERVER_LABELS,
    SERVING_PORT,
)
from inference.models.facts import MODEL_HEADER
from inference.serving.pods import probes

READER_ROLE = "inference-model-reader"
READER_BINDING = "epp-to-inference-model-reader"
EPP_TLS = "endpoint-picker-tls"
# The cluster-wide rights the metrics endpoint's authentication needs, named like the v1.1.0 chart's (templates/
# rbac.yaml: `<namespace>-<release>-epp`, here the picker's own name): controller-runtime's
# filters.WithAuthenticationAndAuthorization checks each scrape's bearer token with a TokenReview and its right
# to GET /metrics with a SubjectAccessReview (cmd/epp/runner/runner.go, `metrics-endpoint-auth`, default true).
METRICS_AUTH_ROLE = f"{NAMESPACE}-{EPP}-metrics-auth"
GUIDE_REPLICAS = 3  # the guide's simulator Deployment
GUIDE_MAX_LORAS = 2  # the guide's `--max-loras 2`, beside its one adapter


@dataclass(frozen=True)
class ModelNames:
    """The Kubernetes and Pulumi names of one model's objects: the guide's, or the guide's with `-<key>`."""

    key: str = ""  # "": the first model

    def of(self, base: str) -> str:
        return f"{base}-{self.key}" if self.key else base

    def resource(self, plane: str) -> str:
        """The prefix of the model's resource names inside the plane named `plane`."""
        return self.of(plane)

    @property
    def server(self) -> str:
        return self.of(SERVER)

    @property
    def server_labels(self) -> dict[str, str]:
        return {"app": self.of(SERVER_LABELS["app"])}

    @property
    def pool(self) -> str:
        return self.of(POOL)

    @property
    def epp(self) -> str:
        return self.of(EPP)

    @property
    def epp_labels(self) -> dict[str, str]:
        return {"app": self.of(EPP_LABELS["app"])}

    @property
    def epp_service(self) -> str:
        return self.of(EPP_SERVICE)

    @property
    def plugins_config(self) -> str:
        return self.of(PLUGINS_CONFIG)


@dataclass(frozen=True)
class IstioModel:
    """What the plane serves for one model: the simulator's model and adapters, and the pool's objectives."""

    names: ModelNames = field(default_factory=ModelNames)
    served_name: str = BASE_MODEL
    # JSON LoRA modules as llm-d-inference-sim reads them (inference/serving/pods.py lora_modules)
    lora_modules: tuple[str, ...] = (json.dumps({"name": ADAPTER}),)
    max_loras: int = GUIDE_MAX_LORAS
    replicas: int = GUIDE_REPLICAS
    objectives: Mapping[str, int] = field(default_factory=dict)  # InferenceObjective -> priority; {}: the guide's none
    # Several models: every name a request may send to reach this model (its own, its adapters'); (): all requests
    routed_names: tuple[str, ...] = ()


GUIDE_MODEL = IstioModel()  # the guide's Llama-3.1-8B-Instruct with its adapter reviews-1


def simulator_args(model: IstioModel) -> list[str]:
    lora = ["--max-loras", str(model.max_loras), "--lora-modules", *model.lora_modules] if model.lora_modules else []
    return ["--model", model.served_name, "--port", str(SERVING_PORT), *lora]


def simulator_pod(model: IstioModel) -> k8s.core.v1.PodTemplateSpecArgs:
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels=model.names.server_labels),
        spec=k8s.core.v1.PodSpecArgs(
            # The simulator calls no Kubernetes API: no token in its pods.
            automount_service_account_token=False,
            security_context=nonroot_pod(NONROOT_UID, NONROOT_UID),
            containers=[
                k8s.core.v1.ContainerArgs(
                    name="vllm-sim",
                    image=SIMULATOR_IMAGE,
                    image_pull_policy="Always",
                    args=simulator_args(model),
                    ports=[k8s.core.v1.ContainerPortArgs(container_port=SERVING_PORT, name="http", protocol="TCP")],
                    env=field_env(*POD_IDENTITY),
                    # The guide's 20m CPU request; memory as the project's other simulator pods.
                    resources=k8s.core.v1.ResourceRequirementsArgs(
                        requests={"cpu": "20m", "memory": "128Mi"}, limits={"memory": "512Mi"}
                    ),
                    # Not in the guide: the probes the program's own simulator has (inference/serving/pods.py).
                    **probes(SERVING_PORT, startup_period=5, startup_failures=24),
                    security_context=restricted(read_only_root=True),
                )
            ],
        ),
    )


def objective_spec(names: ModelNames, priority: int) -> dict:
    """An InferenceObjective on the model's pool (v1alpha2, the v1.1.0 CRD the picker watches)."""
    return {"priority": priority, "poolRef": {"name": names.pool, "group": "inference.networking.k8s.io"}}


def route_rule(model: IstioModel) -> dict:
    """The guide's rule on /v1/completions to the model's pool; with several models, one match per name the
    model answers to, on the model header (set by body-based routing, or by the client)."""
    path = {"path": {"type": "PathPrefix", "value": "/v1/completions"}}
    header = [{"type": "Exact", "name": MODEL_HEADER, "value": n} for n in model.routed_names]
    return {
        "backendRefs": [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": model.names.pool}],
        "matches": [{**path, "headers": [h]} for h in header] or [path],
    }
