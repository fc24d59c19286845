"""CapacityLadder: one TPU v6e node pool per rung of a cluster's capacity ladder, and the GKE ComputeClass that
tells the cluster autoscaler to grow them in the ladder's order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

from inference.capacity import facts
from inference.core.cluster import (
    DRANET_LABEL,
    MANAGEMENT,
    _image_cache,
    _image_streaming,
    _pool_node_config,
    _private_pool,
)


@dataclass(frozen=True)
class LadderRung:
    pool_name: str  # the GKE node pool's name
    kind: str  # facts.KINDS
    min_nodes: int  # the first rung holds accelerator.nodesPerPool slices; the others start empty
    max_nodes: int
    reservation: str | None = None  # SPECIFIC_RESERVATION: the reservation's name or projects/P/reservations/NAME
    affinity: str | None = None  # reservation rungs: SPECIFIC_RESERVATION or ANY_RESERVATION
    max_run_seconds: int | None = None  # flex-start rungs


@dataclass(frozen=True)
class CapacityLadderArgs:
    project: str
    zone: str
    cluster_name: pulumi.Input[str]  # the cluster's name output: the pools wait for the cluster
    class_name: str  # the ComputeClass the model servers select
    machine_type: str
    rungs: Sequence[LadderRung]
    # What every node of the cluster shares (core/cluster.py's node settings read these two).
    node_service_account: pulumi.Input[str]
    labels: Mapping[str, str] = field(default_factory=dict)
    image_cache_disk_image: str | None = None
    image_streaming: bool = False
    private_nodes: bool = False  # each pool sets its own switch, as the single TPU pool does (core/cluster.py)
    protect: bool = False  # production: a replaced slice may not come back


def _reservation_affinity(rung: LadderRung) -> gcp.container.NodePoolNodeConfigReservationAffinityArgs:
    if rung.kind == facts.RESERVATION and rung.affinity == facts.AFFINITIES[facts.SPECIFIC]:
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(
            consume_reservation_type=rung.affinity, key=facts.RESERVATION_NAME_KEY, values=[rung.reservation]
        )
    if rung.kind == facts.RESERVATION:
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(consume_reservation_type=rung.affinity)
    # Flex-start capacity comes from no reservation (facts.FLEX_START_SOURCE); on-demand and Spot rungs say so too,
    # or they would consume any matching reservation by default (facts.RESERVATION_AFFINITY_DEFAULT).
    return gcp.container.NodePoolNodeConfigReservationAffinityArgs(consume_reservation_type=facts.NO_RESERVATION)


def node_config(args: CapacityLadderArgs, rung: LadderRung) -> gcp.container.NodePoolNodeConfigArgs:
    """The TPU pool's node settings, plus the class's label and taint: GKE places a class's Pods only on pools
    that carry both (facts.COMPUTE_CLASSES, "manually created node pools")."""
    flex = rung.kind == facts.FLEX_START
    return _pool_node_config(
        args,
        machine_type=args.machine_type,
        labels={DRANET_LABEL: "true", facts.COMPUTE_CLASS_LABEL: args.class_name},
        taints=[
            gcp.container.NodePoolNodeConfigTaintArgs(
                key=facts.COMPUTE_CLASS_LABEL, value=args.class_name, effect="NO_SCHEDULE"
            )
        ],
        spot=rung.kind == facts.SPOT,
        flex_start=True if flex else None,
        max_run_duration=f"{rung.max_run_seconds}s" if flex and rung.max_run_seconds else None,
        reservation_affinity=_reservation_affinity(rung),
        **(_image_cache(args.image_cache_disk_image) if args.image_cache_disk_image else {}),
        **(_image_streaming() if args.image_streaming else {}),
    )


def class_spec(args: CapacityLadderArgs) -> dict:
    """The rungs' pools in order; no pool outside them and no auto-created pool (facts.COMPUTE_CLASS_CRD)."""
    return {
        "priorities": [{"nodepools": [rung.pool_name]} for rung in args.rungs],
        "nodePoolAutoCreation": {"enabled": False},
        "whenUnsatisfiable": "DoNotScaleUp",
    }


class CapacityLadder(pulumi.ComponentResource):
    """A pool per rung (each a single-host v6e slice per node, autoscaled, like the single TPU pool it replaces)
    and the ComputeClass over them, applied with the cluster's Kubernetes provider."""

    def __init__(self, name: str, args: CapacityLadderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:capacity:CapacityLadder", name, None, opts)
        self.class_name = args.class_name
        self.pools = [self._pool(name, i, args, rung) for i, rung in enumerate(args.rungs)]
        self.compute_class = k8s.apiextensions.CustomResource(
            f"{name}-class",
            api_version=facts.COMPUTE_CLASS_API_VERSION,
            kind=facts.COMPUTE_CLASS_KIND,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.class_name),
            spec=class_spec(args),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"class_name": self.class_name, "pools": [r.pool_name for r in args.rungs]})

    def _pool(self, name: str, index: int, args: CapacityLadderArgs, rung: LadderRung) -> gcp.container.NodePool:
        flex = rung.kind == facts.FLEX_START
        return gcp.container.NodePool(
            f"{name}-{index}-{rung.kind}",
            project=args.project,
            name=rung.pool_name,
            cluster=args.cluster_name,
            location=args.zone,
            node_count=rung.min_nodes,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                min_node_count=rung.min_nodes,
                max_node_count=rung.max_nodes,
                location_policy="ANY" if flex else None,  # flex-start takes capacity where it finds it
            ),
            # Managed DRANET and private nodes, as on the single TPU pool (inference/core/cluster.py).
            network_config=gcp.container.NodePoolNetworkConfigArgs(
                accelerator_network_profile="auto", **_private_pool(args)
            ),
            node_config=node_config(args, rung),
            # Auto-repair and auto-upgrade on every rung: GKE's TPU flex-start pools keep both (facts.FLEX_START_POOL).
            management=MANAGEMENT,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                # GKE adds its TPU labels; the autoscaler owns the node count.
                ignore_changes=["nodeConfig.labels", "nodeCount"],
                custom_timeouts=pulumi.CustomTimeouts(create="60m", update="60m"),
            ),
        )
