"""The gateway modes (`gateway.mode`): which Gateway serves the pools. Each has its package; the composition
(inference/composition.py) picks one."""

from __future__ import annotations

MULTI_CLUSTER = "multi-cluster"  # the cross-region internal Gateway over a fleet (inference/multi_cluster/)
SINGLE_CLUSTER = "single-cluster"  # a regional Gateway in one cluster (inference/single_cluster/)
ISTIO = "istio"  # Istio's Gateway, class istio, on one cluster (inference/istio/)
GATEWAY_MODES = (MULTI_CLUSTER, SINGLE_CLUSTER, ISTIO)
