"""The v1alpha2 -> v1 migration of a single-cluster Gateway's pool: the gate that refuses a step the runbook
does not allow, the alpha side while the phase keeps it, and the route's backends and weights."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from inference.configuration.platform import PlatformConfig
from inference.core.cluster import InferenceCluster
from inference.migration.gate import MigrationGate
from inference.migration.legacy_pool import ALPHA_GROUP, LegacyInferencePool, LegacyInferencePoolArgs, LegacyModel
from inference.serving.wiring import Serving
from inference.single_cluster.gateway import RouteBackend
from inference.single_cluster.wiring import Route


def gate(cfg: PlatformConfig) -> MigrationGate | None:
    """Registered before anything else: a step the runbook does not allow fails the preview first."""
    mig = cfg.migration
    if mig is None:
        return None
    return MigrationGate("migration-gate", mig.phase, mig.path, mig.alpha_weight, mig.v1_weight, mig.legacy_managed)


def outputs(cfg: PlatformConfig, context: str) -> dict[str, Any]:
    """The phase, the route's weights, and the migration guide's detection commands: `kubectl get` of the
    alpha InferencePools and InferenceModels ("No resources found" from both: nothing left on the alpha API),
    and of the v1 pools by their full resource name, unambiguous while both CRDs are installed."""
    mig = cfg.migration
    kubectl = f"kubectl --context {context}"
    return {
        "phase": mig.phase,
        "path": mig.path,
        "weights": {"alpha": mig.alpha_weight if mig.legacy_present else None, "v1": mig.v1_weight},
        "legacyPool": mig.legacy_pool,
        "legacyManagedByStack": mig.legacy_managed,
        "detectAlphaResources": [
            f"{kubectl} get inferencepools.inference.networking.x-k8s.io --all-namespaces",
            f"{kubectl} get inferencemodels.inference.networking.x-k8s.io --all-namespaces",
        ],
        "v1Pools": f"{kubectl} get inferencepools.inference.networking.k8s.io --all-namespaces",
        "gatewayStatus": f"{kubectl} -n {cfg.model_server.namespace} get gateway -o wide",
    }


@dataclass(frozen=True)
class MigrationRouting:
    """The single-cluster route in this phase (inference/single_cluster/wiring.py Routing)."""

    gate: MigrationGate
    with_pools: bool  # the v1 pool exists from side-by-side on
    objectives: Mapping[str, int]  # each alpha model's InferenceObjective on the v1 pool

    def _legacy(self, cfg: PlatformConfig, cluster: InferenceCluster, serving: Serving, region: str):
        mig, ms = cfg.migration, cfg.model_server
        return LegacyInferencePool(
            "legacy-pool",
            LegacyInferencePoolArgs(
                namespace=ms.namespace,
                pool_name=mig.legacy_pool,
                match_labels=ms.labels,
                serving_port=cfg.serving_port,
                models=[LegacyModel(m.name, m.model_name, m.criticality) for m in mig.models],
                requires=serving.namespace(region),
                nodes=[cluster.system_pool],
                **_picker(cfg),
            ),
            opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
        )

    def route(self, cfg: PlatformConfig, cluster: InferenceCluster, serving: Serving, region: str) -> Route:
        """The route names a pool only in phases where it exists, and waits for the pools it names and their
        objectives (the alpha pool's InferenceModels); the v1 pool first, so at clean-up the route only drops its
        last backendRef, the alpha pool's."""
        mig = cfg.migration
        legacy = self._legacy(cfg, cluster, serving, region) if mig.legacy_managed and mig.legacy_present else None
        backends, pools = [], []
        if region in serving.pools:
            backends.append(RouteBackend(cfg.inference_pool.name, weight=mig.v1_weight))
            pools += serving.pools[region].routable()
        if mig.legacy_present:
            backends.append(RouteBackend(mig.legacy_pool, ALPHA_GROUP, mig.alpha_weight))
            pools += [legacy.chart, *legacy.models] if legacy else []
        return Route(backends, pools, [self.gate], {"migration": outputs(cfg, cluster.kube_context)})


def routing(cfg: PlatformConfig) -> MigrationRouting | None:
    """The gate and the routing of the configured phase; None without a migration."""
    mig = cfg.migration
    if mig is None:
        return None
    return MigrationRouting(gate(cfg), mig.v1_present, {m.name: m.priority for m in mig.models})


def _picker(cfg: PlatformConfig) -> dict:
    """The legacy endpoint picker's resources: the stack's, as the v1 pool's (inferencePool.endpointPicker)."""
    epp = cfg.inference_pool.endpoint_picker
    if not epp:
        return {}
    return {
        "picker_requests": {"cpu": epp.cpu_request, "memory": epp.memory_request},
        "picker_limits": {"memory": epp.memory_limit},
    }
