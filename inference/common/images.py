"""Every container image the program runs, pinned to a release tag: one definition each, so a bump is one line
and a reviewer sees every pin in one place (the policy pack refuses unpinned images)."""

from __future__ import annotations

VLLM_TPU_IMAGE = "vllm/vllm-tpu:v0.12.0"  # the model servers on TPU, and the weights download job
SIMULATOR_IMAGE = "ghcr.io/llm-d/llm-d-inference-sim:v0.7.1"  # the simulator backend and Istio mode
# The init container that waits for the weights' marker on the read-only FUSE mount.
WEIGHTS_WAIT_IMAGE = "busybox:1.37.0"
# The Custom Metrics Stackdriver Adapter at the version Google's guide to GKE Inference Gateway pins.
ADAPTER_IMAGE = "gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.15.2-gke.1"
# Istio mode's endpoint picker: the guide runs a staging build (epp:v20251119-2aaf2a6); the release matching
# the Inference Extension CRDs the mode installs (v1.1.0) is pinned instead.
ISTIO_EPP_IMAGE = "registry.k8s.io/gateway-api-inference-extension/epp:v1.1.0"
# The throwaway pod that sends the test requests from inside the VPC (a Gateway's internal address).
CURL_IMAGE = "curlimages/curl:8.11.1"
