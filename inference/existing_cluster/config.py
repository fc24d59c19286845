"""A stack on a cluster the user already has: `existingCluster` plus the operator's `kubeconfig` secret,
where the program creates only Kubernetes objects (Istio mode) and reads none of the GCP platform's keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inference.common import modes
from inference.common.reader import NOT_SET, ConfigError, Reader
from inference.istio.config import Istio, istio

# Keys Pulumi.yaml declares with a default: the CLI puts them into every stack, an existing cluster's too.
PROJECT_DEFAULTS = ("prefix", "servingPort", "releaseChannel", "deletionProtection", "production")


def kubeconfig_fix(context: str | None) -> str:
    """The command that stores the kubeconfig of exactly the configured context (as the README sets it)."""
    return (
        'run `pulumi config set --secret kubeconfig "$(kubectl config view --minify --flatten --context '
        f'{context or "<existingCluster.kubeContext>"})"`'
    )


@dataclass(frozen=True)
class ExistingClusterConfig:
    """A stack that targets a cluster the user already has: Kubernetes objects only."""

    stack: str
    kube_context: str
    istio: Istio
    kubeconfig: Any  # pulumi.Output[str], secret


def existing_cluster(top: Reader, stack: str, *, kubeconfig_output: Any) -> ExistingClusterConfig:
    """A stack with `existingCluster`: its context, the secret kubeconfig, Istio mode and nothing of GCP.
    `top` reads the project's keys and may already hold problems."""
    raw = top.raw
    c = top.mapping("existingCluster")
    context = c.string(
        "kubeContext",
        required_fix="set existingCluster.kubeContext to a context of the kubeconfig (`kubectl config get-contexts`)",
        longest=253,
    )
    c.finish()
    kubeconfig = top.get("kubeconfig", NOT_SET)
    if kubeconfig is NOT_SET:  # in plain text, it was refused before (inference/common/credentials.py)
        top.problem("kubeconfig", NOT_SET, "is required to reach an existing cluster", kubeconfig_fix(context))
    g = top.mapping("gateway")
    mode = g.get("mode", NOT_SET)
    if mode != modes.ISTIO:
        g.problem(
            "mode",
            mode,
            "must be istio on an existing cluster: the other modes use GKE's gateway controller",
            "set gateway.mode: istio, or remove existingCluster to create the GCP platform",
        )
    g.finish()
    settings = istio(top, on_gke=False)
    top.known.update(PROJECT_DEFAULTS)
    top.known.add("hfToken")  # an operator secret of the vllm-tpu backend, which this stack does not run
    for key in raw:
        if key not in top.known:
            top.problem(
                str(key),
                raw[key],
                "does nothing on an existing cluster: the program creates only Kubernetes objects there",
                "remove it, or remove existingCluster to create the GCP platform",
            )
    if top.problems:
        raise ConfigError(stack, top.problems)
    return ExistingClusterConfig(stack=stack, kube_context=context, istio=settings, kubeconfig=kubeconfig_output)
