"""The capacity ladder in every cluster: its pools and ComputeClass, built when `capacity` is set, and what each
rung costs as a stack output."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi

from inference.capacity import costs, facts
from inference.capacity.config import Rung
from inference.capacity.ladder import CapacityLadder, CapacityLadderArgs, LadderRung
from inference.common.modes import MULTI_CLUSTER
from inference.configuration.platform import PlatformConfig
from inference.core.wiring import Platform

CLASS_NAME = "tpu-v6e-ladder"  # one ComputeClass per cluster; the model servers select it


def pool_name(index: int, kind: str) -> str:
    """`tpu-v6e-<i>-<kind>`: at most 26 characters, within GKE's 40 for a node pool. By position on purpose: a
    new name replaces a GKE pool, so names by kind would replace every ladder pool already deployed
    (docs/capacity-ladder.md, "Pool names follow the rung's position"); appending a rung renames nothing."""
    return f"tpu-v6e-{index}-{kind}"


def _rung(cfg: PlatformConfig, index: int, rung: Rung) -> LadderRung:
    accel = cfg.accelerator
    return LadderRung(
        pool_name=pool_name(index, rung.kind),
        kind=rung.kind,
        min_nodes=accel.nodes_per_pool if index == 0 else 0,
        max_nodes=accel.max_nodes,
        reservation=rung.reservation,
        affinity=facts.AFFINITIES[rung.affinity] if rung.affinity else None,
        max_run_seconds=rung.max_run_hours * 3600 if rung.max_run_hours else None,
    )


def wire(cfg: PlatformConfig, platform: Platform) -> Platform:
    """The platform with a ladder in each cluster when `capacity` is set; unchanged otherwise (one TPU pool)."""
    if not cfg.capacity:
        return platform
    accel, ladders = cfg.accelerator, {}
    for region, cluster in platform.clusters.items():
        ladders[region] = CapacityLadder(
            f"capacity-{region}",
            CapacityLadderArgs(
                project=cfg.project,
                zone=cluster.location,
                cluster_name=cluster.cluster.name,
                class_name=CLASS_NAME,
                machine_type=accel.machine_type,
                rungs=tuple(_rung(cfg, i, r) for i, r in enumerate(cfg.capacity.ladders[region])),
                node_service_account=platform.nodes.email,
                labels=cfg.resource_labels,
                image_cache_disk_image=accel.image_cache_disk_image,
                image_streaming=accel.image_streaming,
                private_nodes=cfg.private_nodes.enabled,
                protect=cfg.production,
            ),
            opts=pulumi.ResourceOptions(providers={"kubernetes": cluster.provider}),
        )
    return dataclasses.replace(platform, ladders=ladders)


def outputs(cfg: PlatformConfig) -> dict[str, Any]:
    """Each region's rungs in order, with what a slice of each costs the service, in words and in seconds
    (inference/capacity/costs.py, docs/capacity-ladder.md)."""
    if not cfg.capacity:
        return {}
    # Only the multi-cluster Gateway moves traffic to another region.
    multi = cfg.gateway.mode == MULTI_CLUSTER
    detection = cfg.gateway.balancing.health_check.detection_seconds if multi else None
    return {
        "capacityLadder": {
            region: [
                {
                    "kind": rung.kind,
                    "pool": pool_name(i, rung.kind),
                    "provisioning": costs.words(rung.kind, rung.affinity).provisioning,
                    "loss": costs.words(rung.kind, rung.affinity).loss,
                    **costs.figures(
                        rung.kind, rung.max_run_hours, detection, tuple(r.kind for r in ladder[:i])
                    ).output(),
                }
                for i, rung in enumerate(ladder)
            ]
            for region, ladder in cfg.capacity.ladders.items()
        }
    }
