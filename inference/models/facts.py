"""Facts serving several models behind one Gateway relies on, each with its source, read 2026-12-07."""

from __future__ import annotations

from inference.common import vendored

# Body-based routing (BBR): an ext_proc server that copies the OpenAI body's `model` into the request header
# X-Gateway-Model-Name, which HTTPRoute rules match to pick a model's InferencePool. GKE "Configure Body-Based
# Routing" (https://cloud.google.com/kubernetes-engine/docs/how-to/configure-body-based-routing) installs it with
# the Gateway API Inference Extension's `body-based-routing` chart, provider gke, which attaches it to the
# Gateway as a GCPRoutingExtension (chart templates/gke.yaml), vendored at the inferencepool chart's release.
BODY_ROUTER_CHART_VERSION = "v1.5.0"
BODY_ROUTER_CHART = vendored.chart(f"body-based-routing-{BODY_ROUTER_CHART_VERSION}")
# The chart's `bbr.plugins` default: body-field-to-header writes the body's `model` into this header
# (gateway-api-inference-extension v1.5.0 config/charts/body-based-routing/values.yaml).
MODEL_HEADER = "X-Gateway-Model-Name"
# The router's pod label (values.yaml `bbr.name`, templates/bbr.yaml `app:`), its ext_proc port (`bbr.port`)
# and gRPC health port (`bbr.healthCheckPort`; cmd/bbr/runner/health.go answers SERVING for any service), v1.5.0.
BODY_ROUTER_APP, BODY_ROUTER_PORT, BODY_ROUTER_HEALTH_PORT = "body-based-router", 9004, 9005
# GCPRoutingExtension is supported on gke-l7-rilb and gke-l7-regional-external-managed only; the global and the
# multi-cluster classes are not in GKE's table of classes that support it ("Google Cloud Service Extension
# compatibility with GatewayClasses", https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gke-service-extensions).
ROUTING_EXTENSION_CLASSES = ("gke-l7-regional-external-managed", "gke-l7-rilb")
ROUTING_EXTENSION_SOURCE = "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gke-service-extensions"
BODY, HEADER = "body", "header"  # modelRouting: BBR sets the model header, or the client does
MODEL_ROUTINGS = (BODY, HEADER)

# vLLM's LoRA flags (https://docs.vllm.ai/en/latest/features/lora.html): --enable-lora, --lora-modules
# name=path, --max-loras (adapters in one batch, default 1) and --max-lora-rank, one of these values
# (vllm-project/vllm vllm/config/lora.py `MaxLoRARanks`; default 16).
LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
DEFAULT_LORA_RANK = 16
# LoRA on vllm/vllm-tpu:v0.12.0 = vllm-project/tpu-inference tag v0.12.0 (bcb35b7d; its docker/Dockerfile checks
# out vLLM v0.12.0). LoRA layers exist on the torchax path only (models/common/model_loader.py), which
# MODEL_IMPL_TYPE=vllm selects (tpu_inference/envs.py), tested offline (.buildkite/features/LoRA_Torch.yml). vLLM's
# server loads every --lora-modules adapter through engine add_lora (vllm/entrypoints/openai/serving_models.py
# init_static_loras -> load_lora_adapter, read at 075e9ba8), and the TPU worker's add_lora raises "LoRA is not
# supported by the JAX worker yet." (tpu_inference/worker/tpu_worker.py; tests/worker/tpu_worker_test.py), also at
# v0.13.2; tpu-inference#2707 (bbc32beff, first in tag v0.25.0) implements it. Details: docs/models.md.
# The image's tag names the release pair (tpu-inference's tag v0.12.0 pairs with vLLM v0.12.0 and is what
# vllm/vllm-tpu:v0.12.0 carries), so a vllm/vllm-tpu tag below v0.25.0, on whichever Docker Hub host it is written,
# has the worker without add_lora; a tag that is no version (nightly, latest) is the stack's to vouch for.
SERVER_LORA_REPOSITORY = ("docker.io", "vllm/vllm-tpu")
SERVER_LORA_SINCE = (0, 25, 0)
LORA_TPU_ENV = (("MODEL_IMPL_TYPE", "vllm"),)
# llm-d-inference-sim v0.7.1 (README "Command line parameters"): --lora-modules takes space-separated JSON
# strings {"name", "path", "base_model_name"}, --max-loras the adapters in one batch.
# An HTTPRoute holds at most 16 rules (one per model) of at most 64 matches (a model's name and its adapters'),
# and at most 128 matches across its rules (kubernetes-sigs/gateway-api v1.4.0 config/crd/standard/
# gateway.networking.k8s.io_httproutes.yaml: maxItems, and the CEL rule on spec.rules; vendored in
# components/crds/gateway-api-v1.4.0, where tests/schemas.py reads the limit back).
MOST_MODELS, MOST_NAMES_PER_MODEL, MOST_ROUTE_MATCHES = 16, 64, 128
# A request picks its InferenceObjective (and so its priority) with this header, valued the objective's name; the
# endpoint picker reads it (gateway-api-inference-extension v1.5.0 pkg/epp/metadata/consts.go `ObjectiveKey`;
# site-src/api-types/inferenceobjective.md). The test requests send it for each model and adapter.
OBJECTIVE_HEADER = "x-gateway-inference-objective"
