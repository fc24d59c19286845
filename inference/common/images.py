"""Every container image the program runs, pinned to a release tag: one definition each, so a bump is one line
and a reviewer sees every pin in one place (the policy pack refuses unpinned images). Next to its tag, an image
carries the digest image_digests.json records for it (`tag@sha256:...`): what `python -m tools.pin_digests --write`
resolves from the registries when run online, or the digest an authoritative public record states for the tag
(each record names its source and the day it was read; docs/security.md, "Images by digest"). An image without
one is listed, with the reason, in tools/unpinned_images.txt, which tests/tools/test_pin_digests.py holds the plans
to."""

from __future__ import annotations

import json
from pathlib import Path

DIGESTS_FILE = Path(__file__).with_name("image_digests.json")
# "repository:tag" -> {"digest": "sha256:...", "source": where it was read, "recorded": "YYYY-MM-DD"}
RECORDS: dict[str, dict[str, str]] = json.loads(DIGESTS_FILE.read_text())
DIGESTS: dict[str, str] = {image: record["digest"] for image, record in RECORDS.items()}


def pinned(image: str) -> str:
    """`image` (repository:tag) with its recorded digest, when there is one."""
    return f"{image}@{DIGESTS[image]}" if image in DIGESTS else image


def has_digest(image: str) -> bool:
    """Whether `image` carries a recorded digest: a chart's image values change only then, so a stack whose
    images have none renders its charts from unchanged values."""
    return "@sha256:" in image


def chart_tag(image: str) -> str:
    """What a chart's `image.tag` value takes so it renders `image`: the tag, and the digest when there is one."""
    return image.rsplit("/", 1)[-1].split(":", 1)[1]


VLLM_TPU_IMAGE = pinned("vllm/vllm-tpu:v0.12.0")  # the model servers on TPU, and the weights download job
SIMULATOR_IMAGE = pinned("ghcr.io/llm-d/llm-d-inference-sim:v0.7.1")  # the simulator backend and Istio mode
# The init container that waits for the weights' marker on the read-only FUSE mount.
WEIGHTS_WAIT_IMAGE = pinned("busybox:1.37.0")
# The Custom Metrics Stackdriver Adapter at the version Google's guide to GKE Inference Gateway pins.
ADAPTER_IMAGE = pinned("gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.15.2-gke.1")
# The endpoint picker of each vendored `inferencepool` chart, whose image tag is the chart's version; the charts
# render it from their `inferenceExtension.image.tag` value (chart_tag).
PICKER_IMAGES = {
    version: pinned(f"registry.k8s.io/gateway-api-inference-extension/epp:{version}")
    for version in ("v0.5.1", "v1.1.0", "v1.5.0")
}
# The body-based router the vendored body-based-routing chart renders from `bbr.image` (registry/repository:tag,
# templates/bbr.yaml), at the chart's version: the digest goes into its tag value (chart_tag).
BODY_ROUTER_IMAGE = pinned("registry.k8s.io/gateway-api-inference-extension/bbr:v1.5.0")
# istiod of each vendored istiod chart, at the chart's version. The chart takes `pilot.image` whole when it
# contains '/' (templates/deployment.yaml), and builds hub/image:tag from it otherwise.
ISTIOD_IMAGES = {version: pinned(f"docker.io/istio/pilot:{version}") for version in ("1.29.6",)}
# Istio mode's endpoint picker: the guide runs a staging build (epp:v20251119-2aaf2a6); the release matching
# the Inference Extension CRDs the mode installs (v1.1.0) is pinned instead.
ISTIO_EPP_IMAGE = PICKER_IMAGES["v1.1.0"]
# The throwaway pod that sends the test requests from inside the VPC (a Gateway's internal address).
CURL_IMAGE = pinned("curlimages/curl:8.11.1")
