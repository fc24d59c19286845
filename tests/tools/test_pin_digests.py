"""Images by digest: every image a stack runs is pinned by digest next to its tag, or listed with the reason it is
not (tools/unpinned_images.txt); the resolver asks the registry as the distribution spec says."""

from __future__ import annotations

import datetime
import io
import json
import re
import urllib.error
from email.message import Message

import pytest

from inference.common import images
from inference.istio.config import ISTIO_VERSIONS
from inference.istio.plane import IstioInferenceGateway, IstioInferenceGatewayArgs
from inference.models import facts as models_facts
from inference.models.body_router import BodyRouter, BodyRouterArgs
from tests.conftest import components, plan_of
from tools import charts, engine, pin_digests

STACKS = ("prod", "dev", "guarded", "istio", "migration", "models")
ACCEPTED = engine.ROOT / "tools" / "unpinned_images.txt"
DIGEST = "sha256:" + "ab" * 32


def accepted() -> dict[str, str]:
    rows = [line.split("\t") for line in ACCEPTED.read_text().splitlines() if line and not line.startswith("#")]
    return {image: why for image, why in rows}


def run_images(plan: engine.Plan) -> set[str]:
    """Every container image of the plan: Kubernetes workloads (the charts' included) and Cloud Run jobs."""
    found = set()
    for reg in plan.registrations:
        spec = (reg.inputs.get("spec") or {}).get("template", {}).get("spec") if reg.type.startswith("kube") else None
        if isinstance(spec, dict):
            found |= {c["image"] for c in [*(spec.get("initContainers") or []), *spec.get("containers", [])]}
        if reg.type == "gcp:cloudrunv2/job:Job":
            found |= {c["image"] for c in reg.inputs["template"]["template"]["containers"]}
    return found


def used_images() -> set[str]:
    return set().union(*(run_images(plan_of(s)) for s in STACKS)) | {images.CURL_IMAGE}


def test_every_image_is_pinned_by_digest_or_accepted_with_a_reason():
    listed = accepted()
    assert all(why.strip() for why in listed.values())
    unpinned = {i for i in used_images() if "@sha256:" not in i}
    assert unpinned - set(listed) == set(), "pin these by digest (python -m tools.pin_digests --write) or list them"
    assert set(listed) - unpinned == set(), "these are pinned or gone now: remove them from unpinned_images.txt"


def test_every_record_is_a_sha256_digest_with_its_source_and_day():
    assert images.RECORDS, "the digests found in public records (docs/security.md)"
    for image, record in images.RECORDS.items():
        assert set(record) == {"digest", "source", "recorded"}, image
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", record["digest"]), image
        assert record["source"].startswith("https://"), image
        datetime.date.fromisoformat(record["recorded"])


def test_the_plans_run_every_recorded_image_by_its_digest_and_never_by_its_tag_alone():
    used = used_images()
    assert set(images.RECORDS) <= set(pin_digests.tagged())  # an image the program pins
    for image, digest in images.DIGESTS.items():
        assert f"{image}@{digest}" in used, f"no stack runs {image} by its recorded digest"
        assert image not in used, f"a stack still runs {image} by its tag alone"


def test_a_recorded_digest_goes_next_to_the_tag(monkeypatch):
    monkeypatch.setitem(images.DIGESTS, "busybox:1.36.1", DIGEST)
    assert images.pinned("busybox:1.36.1") == f"busybox:1.36.1@{DIGEST}"
    assert images.pinned("busybox:1.35.0") == "busybox:1.35.0"
    assert images.chart_tag(f"registry.k8s.io/x/epp:v1.5.0@{DIGEST}") == f"v1.5.0@{DIGEST}"
    assert images.chart_tag("localhost:5000/epp:v1.5.0") == "v1.5.0"


def test_the_registry_corrects_a_recorded_digest_and_confirms_a_current_one():
    today = datetime.date(2027, 1, 2)
    known = {"busybox:1.37.0": {"digest": DIGEST, "source": "https://example.org/record", "recorded": "2026-12-07"}}
    assert pin_digests.record("busybox:1.37.0", DIGEST, known, today) == known["busybox:1.37.0"]
    newer = "sha256:" + "cd" * 32
    assert pin_digests.record("busybox:1.37.0", newer, known, today) == {
        "digest": newer,
        "source": "https://registry-1.docker.io/v2/library/busybox/manifests/1.37.0",
        "recorded": "2027-01-02",
    }


class _Answer(io.BytesIO):
    def __init__(self, body: bytes = b"", headers: dict | None = None):
        super().__init__(body)
        self.headers = headers or {}


def test_the_resolver_takes_an_anonymous_token_when_the_registry_asks_for_one():
    asked = []

    def opener(request):
        asked.append((request.get_method(), request.full_url, request.headers.get("Authorization")))
        if "auth.example" in request.full_url:
            return _Answer(json.dumps({"token": "t0k"}).encode())
        if request.headers.get("Authorization") != "Bearer t0k":
            headers = Message()
            headers["WWW-Authenticate"] = 'Bearer realm="https://auth.example/token",service="reg",scope="repo:pull"'
            raise urllib.error.HTTPError(request.full_url, 401, "Unauthorized", headers, None)
        return _Answer(headers={"Docker-Content-Digest": DIGEST})

    assert pin_digests.registry_digest("busybox:1.37.0", opener) == DIGEST
    manifest = "https://registry-1.docker.io/v2/library/busybox/manifests/1.37.0"  # Docker Hub's official images
    assert asked == [
        ("HEAD", manifest, None),
        ("GET", "https://auth.example/token?service=reg&scope=repo%3Apull", None),
        ("HEAD", manifest, "Bearer t0k"),
    ]


def test_the_resolver_refuses_an_answer_without_a_digest():
    with pytest.raises(ValueError, match="no sha256 digest"):
        pin_digests.registry_digest("ghcr.io/llm-d/llm-d-inference-sim:v0.7.1", lambda r: _Answer(headers={}))
    assert "vllm/vllm-tpu:v0.12.0" in pin_digests.tagged()


def _rendered_images(plan: engine.Plan, chart: str) -> set[str]:
    """The images of the Deployments the chart named `chart` renders (tools/charts.py, as the offline plan does)."""
    objects = charts.expand(plan.one(charts.CHART, chart), engine.ROOT)
    return {
        c["image"]
        for o in objects
        if o.type == "kubernetes:apps/v1:Deployment"
        for c in o.inputs["spec"]["template"]["spec"]["containers"]
    }


def test_the_chart_rendered_images_are_resolved_and_each_matches_its_vendored_chart():
    tagged = pin_digests.tagged()
    assert "registry.k8s.io/gateway-api-inference-extension/bbr:v1.5.0" in tagged
    assert "docker.io/istio/pilot:1.29.6" in tagged
    assert images.BODY_ROUTER_IMAGE.split("@")[0].endswith(f":{models_facts.BODY_ROUTER_CHART_VERSION}")
    assert set(images.ISTIOD_IMAGES) == set(ISTIO_VERSIONS)  # one per vendored istiod chart


def test_a_recorded_digest_reaches_the_body_routers_chart(monkeypatch):
    """The chart builds `registry/repository:tag`: the digest rides in the tag value; without one the chart's
    values stay as they were (no change to a deployed stack's chart)."""
    tag_only = images.BODY_ROUTER_IMAGE

    def build():
        BodyRouter("r", BodyRouterArgs(namespace="ns", gateway_name="gw"))

    plain = components(build)
    assert "image" not in plain.one(charts.CHART, "r-chart").inputs["values"]["bbr"]
    assert _rendered_images(plain, "r-chart") == {tag_only}
    monkeypatch.setattr(images, "BODY_ROUTER_IMAGE", f"{tag_only}@{DIGEST}")
    assert _rendered_images(components(build), "r-chart") == {f"{tag_only}@{DIGEST}"}


def test_a_recorded_digest_reaches_istiod_whole(monkeypatch):
    """The istiod chart takes `pilot.image` as it is when it contains '/', else builds hub/pilot:tag."""
    version = ISTIO_VERSIONS[0]
    args = IstioInferenceGatewayArgs(version, install_istio=True, install_crds=False, scorers=[("queue-scorer", 1)])

    def build():
        IstioInferenceGateway("i", args)

    plain = components(build)
    assert "image" not in plain.one(charts.CHART, "i-istiod").inputs["values"]["pilot"]
    assert _rendered_images(plain, "i-istiod") == {f"docker.io/istio/pilot:{version}"}
    monkeypatch.setitem(images.ISTIOD_IMAGES, version, f"docker.io/istio/pilot:{version}@{DIGEST}")
    assert _rendered_images(components(build), "i-istiod") == {f"docker.io/istio/pilot:{version}@{DIGEST}"}
