"""Every container image the program runs, pinned to a release tag: one definition each."""

from __future__ import annotations

VLLM_TPU_IMAGE = "vllm/vllm-tpu:v0.12.0"

SIMULATOR_IMAGE = "ghcr.io/llm-d/llm-d-inference-sim:v0.7.1"
# The throwaway pod that sends the test requests from inside the VPC (a Gateway's internal address).
CURL_IMAGE = "curlimages/curl:8.11.1"
