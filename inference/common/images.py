"""Every container image the program runs, pinned to a release tag: one definition each, so a bump is one line
and a reviewer sees every pin in one place (the policy pack refuses unpinned images). Next to its tag, an image
carries the digest image_digests.json records for it (`tag@sha256:...`): what `python -m tools.pin_digests --write`
resolves from the registries when run online, or a digest an upstream release pins. An image without one is
listed, with the reason, in tools/unpinned_images.txt, which tests/tools/test_pin_digests.py holds the plans to."""

from __future__ import annotations

import json
from pathlib import Path

DIGESTS_FILE = Path(__file__).with_name("image_digests.json")
DIGESTS: dict[str, str] = json.loads(DIGESTS_FILE.read_text())  # "repository:tag" -> "sha256:..."


def pinned(image: str) -> str:
    """`image` (repository:tag) with its recorded digest, when there is one."""
    return f"{image}@{DIGESTS[image]}" if image in DIGESTS else image


VLLM_TPU_IMAGE = pinned("vllm/vllm-tpu:v0.12.0")  # the model servers on TPU, and the weights download job
SIMULATOR_IMAGE = pinned("ghcr.io/llm-d/llm-d-inference-sim:v0.7.1")  # the simulator backend and Istio mode
# The init container that waits for the weights' marker on the read-only FUSE mount.
WEIGHTS_WAIT_IMAGE = pinned("busybox:1.37.0")
# The Custom Metrics Stackdriver Adapter at the version Google's guide to GKE Inference Gateway pins.
ADAPTER_IMAGE = pinned("gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.15.2-gke.1")
# Istio mode's endpoint picker: the guide runs a staging build (epp:v20251119-2aaf2a6); the release matching
# the Inference Extension CRDs the mode installs (v1.1.0) is pinned instead.
ISTIO_EPP_IMAGE = pinned("registry.k8s.io/gateway-api-inference-extension/epp:v1.1.0")
# The throwaway pod that sends the test requests from inside the VPC (a Gateway's internal address).
CURL_IMAGE = pinned("curlimages/curl:8.11.1")
