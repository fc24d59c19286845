"""Every pod every stack runs, the charts' included, is hardened: the runtime's seccomp profile, no privilege
escalation, no capability, a read-only root filesystem, a memory limit on every container, and no service-account
token where the pod calls no Kubernetes API. The one container that keeps root says why (ROOT)."""

from __future__ import annotations

import pytest

from inference.common import quantities
from tests.conftest import plan_of
from tools import stack_file

STACKS = stack_file.stack_names()
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
# Containers that run as their image's root user, and why (docs/security.md, "Containers").
ROOT = {"vllm-tpu": "the TPU's device files belong to root; the image documents no other user"}
# Pods whose containers call the Kubernetes API, so keep a token: controllers, pickers, the metrics adapter, and the
# body-based router (it watches ConfigMaps: the body-based-routing chart's templates/rbac.yaml).
API_CLIENTS = ("epp", "discovery", "pod-custom-metrics-stackdriver-adapter", "bbr")


def pods(stack: str):
    for reg in plan_of(stack).registrations:
        kind = reg.type.rsplit(":", 1)[-1]
        if reg.type.startswith("kubernetes:") and kind in WORKLOADS:
            yield reg, reg.inputs["spec"]["template"]["spec"]


def containers(pod: dict) -> list[dict]:
    return [*(pod.get("initContainers") or []), *pod["containers"]]


@pytest.mark.parametrize("stack", STACKS)
def test_every_container_is_hardened(stack):
    seen = 0
    for reg, pod in pods(stack):
        pod_context = pod.get("securityContext") or {}
        for c in containers(pod):
            seen += 1
            where = f"{stack}: {reg.name} container {c['name']}"
            context = c.get("securityContext") or {}
            seccomp = (context.get("seccompProfile") or pod_context.get("seccompProfile") or {}).get("type")
            assert seccomp == "RuntimeDefault", where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert context.get("privileged") in (None, False), where
            assert context.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not context.get("capabilities", {}).get("add"), where
            assert context.get("readOnlyRootFilesystem") is True, where
            assert quantities.memory_bytes(c["resources"]["limits"]["memory"]) > 0, where
            non_root = context.get("runAsNonRoot", pod_context.get("runAsNonRoot"))
            assert non_root is True or c["name"] in ROOT, where
    assert seen


@pytest.mark.parametrize("stack", STACKS)
def test_only_pods_that_call_the_kubernetes_api_get_a_token(stack):
    for reg, pod in pods(stack):
        names = {c["name"] for c in pod["containers"]}
        if not names & set(API_CLIENTS):
            assert pod.get("automountServiceAccountToken") is False, f"{stack}: {reg.name}"
