"""`istio`: Istio as the inference gateway, on the program's GKE cluster or on an existing cluster
(inference/existing_cluster/), and what the GKE modes' keys do with it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inference.common.reader import Reader, did_you_mean

# Istio releases whose `base` and `istiod` charts ship with the program (components/charts/, docs/istio.md).
ISTIO_VERSIONS = ("1.29.6",)
_EXACT_RELEASE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")
# The scorer plugins the endpoint picker release the program runs (EPP v1.1.0) registers:
# kubernetes-sigs/gateway-api-inference-extension v1.1.0 cmd/epp/runner/runner.go L383-390.
SCORERS = ("queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer", "lora-affinity-scorer")
# The guide's EndpointPickerConfig weights.
GUIDE_WEIGHTS = {"queue-scorer": 2, "kv-cache-utilization-scorer": 2, "prefix-cache-scorer": 3}
MAX_WEIGHT = 1000

# How the Istio Gateway's Service is exposed on the program's GKE: GKE makes an internal passthrough Network
# Load Balancer for the annotation `networking.gke.io/load-balancer-type: "Internal"` and an external one
# without it (https://cloud.google.com/kubernetes-engine/docs/concepts/service-load-balancer-parameters);
# `none`: a ClusterIP Service (inference/istio/facts.py CLUSTER_IP_SERVICE), on any cluster.
LOAD_BALANCERS = ("internal", "external", "none")
EXISTING_CLUSTER_LOAD_BALANCERS = ("none",)


@dataclass(frozen=True)
class Istio:
    version: str  # an exact Istio release whose charts are vendored
    install: bool  # False: Istio (with the inference extension switched on) is already on the cluster
    install_crds: bool  # the Gateway API and Inference Extension CRDs; GKE manages its own
    scorers: tuple[tuple[str, int], ...]  # (EPP scorer plugin, weight), in the order written
    # internal, external (GKE) or none (a ClusterIP Service); None on an existing cluster: the guide's LoadBalancer
    load_balancer: str | None = None


def istio(top: Reader, *, on_gke: bool) -> Istio:
    r = top.mapping("istio")
    version = r.string("version", ISTIO_VERSIONS[0], longest=64)
    if version and not _EXACT_RELEASE.fullmatch(version):
        r.problem(
            "version",
            version,
            "is not an exact Istio release (a range, a channel or `latest` installs whatever is newest)",
            f"pin a release such as {ISTIO_VERSIONS[0]}",
        )
        version = None
    elif version and version not in ISTIO_VERSIONS:
        r.problem(
            "version",
            version,
            "has no vendored charts in components/charts/",
            f"use {', '.join(ISTIO_VERSIONS)}, or vendor istio-base-{version} and istiod-{version} (docs/istio.md)",
        )
        version = None
    install = r.boolean("install", True)
    # "GKE automatically installs all GA CRDs for Gateway API and Gateway API Inference Extension on GKE
    # versions 1.34.0-gke.1626000 or later" (llm-d's GKE guide, https://llm-d.ai/docs/resources/gateway/gke);
    # the program's clusters run later versions (inference/core/facts/versions.py).
    install_crds = r.boolean("installCrds", not on_gke)
    if on_gke and install_crds:
        r.problem(
            "installCrds",
            True,
            "GKE manages the Gateway API and InferencePool CRDs on its clusters",
            "remove istio.installCrds on a GKE cluster of this program",
        )
    scorers = _scorers(r)
    load_balancer = None
    if on_gke:
        load_balancer = r.choice("loadBalancer", "internal", LOAD_BALANCERS)
    elif r.given("loadBalancer") and r.get("loadBalancer") not in EXISTING_CLUSTER_LOAD_BALANCERS:
        r.problem(
            "loadBalancer",
            r.get("loadBalancer"),
            "chooses a GKE load balancer; on an existing cluster the Gateway's Service is the guide's LoadBalancer",
            "remove istio.loadBalancer, or set it to none for a ClusterIP Service (a cluster without a load-balancer "
            "implementation, such as kind)",
        )
    elif r.given("loadBalancer"):
        load_balancer = r.choice("loadBalancer", None, EXISTING_CLUSTER_LOAD_BALANCERS)
    r.finish()
    return Istio(
        version=version, install=install, install_crds=install_crds, scorers=scorers, load_balancer=load_balancer
    )


# What the GKE gateway modes build and Istio mode on GKE does not: keys that would do nothing there.
_GKE_MODES_ONLY = {
    "gateway": ("name", "routeName", "healthCheck", "maxUtilizationPercent", "dryRun", "timeoutSec",
                "programmedTimeoutMinutes"),
    "": ("modelStore", "inferencePool", "fleet", "observability"),
}  # fmt: skip


def check_gke_serving(top: Reader, raw: Mapping[str, Any], model_server: Any, autoscaling: Any) -> None:
    """On the program's own GKE, Istio mode serves the guide's simulator in the config cluster: the TPU
    model servers, their weights, pools, fleet, HPA and the GKE Gateway belong to the GKE gateway modes."""
    for section, keys in _GKE_MODES_ONLY.items():
        given = raw.get(section, {}) if section else raw
        for key in keys:
            if isinstance(given, Mapping) and key in given:
                where = f"{section}.{key}" if section else key
                top.problem(
                    where,
                    given[key],
                    "configures a piece of the GKE gateway modes, which gateway mode istio does not build",
                    f"remove {where}, or use gateway.mode: multi-cluster",
                )
    if model_server and model_server.backend != "simulator":
        top.problem(
            "modelServer.backend",
            model_server.backend,
            "is not served in gateway mode istio, which runs the guide's vLLM simulator",
            "set modelServer.backend: simulator, or use gateway.mode: multi-cluster",
        )
    if autoscaling:
        top.problem(
            "autoscaling.enabled",
            True,
            "scales the GKE pools' model servers, which gateway mode istio does not create",
            "remove autoscaling, or use gateway.mode: multi-cluster",
        )


def _scorers(r: Reader) -> tuple[tuple[str, int], ...]:
    s = r.mapping("scorers", optional=True)
    if s is None:
        return tuple(GUIDE_WEIGHTS.items())
    if not s.raw:
        r.problem("scorers", {}, "has no scorer: the endpoint picker would pick at random", "list at least one")
    result = []
    for name in list(s.raw):
        if name not in SCORERS:
            close = did_you_mean(name, SCORERS)
            s.problem(
                str(name),
                s.raw[name],
                "is not a scorer the endpoint picker (v1.1.0) registers",
                (f"did you mean '{close}'? " if close else "") + f"choose from {', '.join(SCORERS)}",
            )
            s.known.add(name)
            continue
        weight = s.integer(
            name, low=1, high=MAX_WEIGHT, fix=f"a positive whole weight (1..{MAX_WEIGHT}); remove a scorer to drop it"
        )
        if weight is not None:
            result.append((name, weight))
    s.finish()
    return tuple(result)
