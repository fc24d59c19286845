"""What GKE accepts for each rung of a TPU v6e capacity ladder and what each rung costs, each with its source and
the date it was read. Data only."""

from __future__ import annotations

from dataclasses import dataclass

CAPACITY_LADDER_READ_ON = "2026-12-07"

# --- Custom compute classes --------------------------------------------------------------------------------
# A ComputeClass lists `priorities`; on Standard a priority may name manually created node pools (`nodepools`),
# which must carry the label and the NoSchedule taint cloud.google.com/compute-class=<class>; Pods select the
# class with a nodeSelector on that label. `whenUnsatisfiable: DoNotScaleUp` leaves Pods pending rather than
# creating nodes outside the priorities; `nodePoolAutoCreation` stays off because the program creates the pools
# (their DRANET network profile and image cache disk are node pool settings a class cannot give).
COMPUTE_CLASSES = "https://cloud.google.com/kubernetes-engine/docs/concepts/about-custom-compute-classes"
COMPUTE_CLASS_CRD = "https://cloud.google.com/kubernetes-engine/docs/reference/crds/computeclass"
COMPUTE_CLASS_API_VERSION = "cloud.google.com/v1"
COMPUTE_CLASS_KIND = "ComputeClass"
COMPUTE_CLASS_LABEL = "cloud.google.com/compute-class"
# GKE 1.30.3-gke.1451000 or later runs custom compute classes (COMPUTE_CLASSES, "Overview"), and TPU flex-start
# needs 1.33.0-gke.1712000 (FLEX_START_SOURCE below): the TPU pools already need 1.34.1-gke.1829001 for managed
# DRANET (inference/core/facts/versions.py DRANET_MINIMUM, which the configuration enforces), past both.
COMPUTE_CLASS_MINIMUM = "1.30.3-gke.1451000"
# Google's reference platform ladders TPU v6e the same way (specific reservation, on-demand, flex-start, Spot):
# GoogleCloudPlatform/accelerated-platforms platforms/gke/base/core/custom_compute_class/templates/manifests/tpu/
# v6e/custom-compute-tpu-v6e-2x2.yaml @1e9748e.
REFERENCE_LADDER = (
    "GoogleCloudPlatform/accelerated-platforms platforms/gke/base/core/custom_compute_class/templates/manifests/"
    "tpu/v6e/custom-compute-tpu-v6e-2x2.yaml @1e9748e"
)
# The ComputeClass schema the tests validate the class against: GKE's CRD as a GKE cluster serves it, in
# JSON Schema (components/crds/gke-computeclass/, datreeio/CRDs-catalog cloud.google.com/computeclass_v1.json
# @7b1e26e). Its rule "Nodepool field cannot be set along with other fields" keeps a `nodepools` priority bare.
COMPUTE_CLASS_SCHEMA = "crds/gke-computeclass/computeclass_v1.json"
# Fallback between priorities: when a priority cannot get nodes (a stockout, a quota), the autoscaler tries the
# next one with "no waiting period ... except when using TPUs or the Flex Start provisioning model, which support a
# configurable delay" (https://cloud.google.com/kubernetes-engine/docs/troubleshooting/custom-computeclass,
# "Analyze autoscaler fallback behavior"; read as Google's own skill quotes it, https://www.skills.sh/google/skills/
# gke-capacity-triage, which adds that the failed pool is retried after the autoscaler's backoff; the page is in the
# library only as a Hebrew mirror cut short before that section). Every rung is a TPU pool, so there is a wait, of
# no published length: costs.py makes every rung below the first a lower bound. The delay is a priority's
# capacityCheckWaitTimeSeconds, which the schema allows only beside flexStart or tpu, not on a `nodepools` priority.
COMPUTE_CLASS_FALLBACK = "https://cloud.google.com/kubernetes-engine/docs/troubleshooting/custom-computeclass"

# --- Rungs -----------------------------------------------------------------------------------------------
RESERVATION = "reservation"
ON_DEMAND = "on-demand"
FLEX_START = "flex-start"
SPOT = "spot"
KINDS = (RESERVATION, ON_DEMAND, FLEX_START, SPOT)

# Reservations: a node pool consumes a specific reservation (its name, or projects/P/reservations/NAME when
# another project shares it) or any matching reservation with automatic consumption
# (https://cloud.google.com/kubernetes-engine/docs/how-to/consuming-reservations).
RESERVATIONS = "https://cloud.google.com/kubernetes-engine/docs/how-to/consuming-reservations"
SPECIFIC = "specific"
ANY = "any"
AFFINITIES = {SPECIFIC: "SPECIFIC_RESERVATION", ANY: "ANY_RESERVATION"}
RESERVATION_NAME_KEY = "compute.googleapis.com/reservation-name"
# A node pool without reservationAffinity gets Compute Engine's default, ANY_RESERVATION
# (https://cloud.google.com/compute/docs/reference/rest/v1/ReservationAffinity, consumeReservationType): an
# on-demand rung would silently take a matching reservation held for another rung or workload. So every rung says
# which it consumes; on-demand and Spot rungs NO_RESERVATION (Spot VMs cannot consume one anyway:
# https://cloud.google.com/compute/docs/instances/reservations-consume, "Limitations").
RESERVATION_AFFINITY_DEFAULT = "https://cloud.google.com/compute/docs/reference/rest/v1/ReservationAffinity"
NO_RESERVATION = "NO_RESERVATION"

# Flex-start (Dynamic Workload Scheduler): nodes run for at most seven days (maxRunDurationSeconds, default seven
# days), come from a pool that needs no reservation (the pool's reservation affinity is none), and are created
# only for pending Pods: the pool autoscales from zero. TPUs need GKE 1.33.0-gke.1712000 or later; TPU v6e
# flex-start runs in asia-northeast1-b, us-east5-a and us-east5-b (https://cloud.google.com/kubernetes-engine/docs/
# concepts/dws, "Requirements", read again 2026-12-07). The Cloud TPU page https://cloud.google.com/tpu/docs/
# request-using-flex-start lists asia-northeast1-b and us-east5-a only, for the queued resources API, which this
# program does not use; no second source for us-east5-b was found, so it rests on GKE's page for GKE node pools.
# How long a flex-start request waits is not published: GKE takes it that "the workload can wait for an
# indeterminate amount of time" (same page, "How flex-start provisioning mode works").
FLEX_START_SOURCE = "https://cloud.google.com/kubernetes-engine/docs/concepts/dws"
# A flex-start TPU pool is created autoscaled from zero nodes with no reservation: `--flex-start
# --reservation-affinity=none --enable-autoscaling --num-nodes=0 --min-nodes=0 --max-nodes=N`, and nothing turns
# auto-repair or auto-upgrade off (GKE's how-to for TPU flex-start, "Create a node pool", as the project's review
# quotes it: the page is not in the research library, and no GKE page that is says a flex-start pool refuses
# either). The ANY location policy is xpk's (AI-Hypercomputer/xpk src/xpk/core/capacity.py @446cfe1,
# CapacityType.FLEX_START): a zonal pool has one zone either way.
FLEX_START_POOL = "https://cloud.google.com/kubernetes-engine/docs/how-to/dws-flex-start-training-tpu"
FLEX_START_MAX_RUN_HOURS = 7 * 24
FLEX_START_V6E_ZONES = ("asia-northeast1-b", "us-east5-a", "us-east5-b")
FLEX_START_TPU_MINIMUM = "1.33.0-gke.1712000"

# Spot: Compute Engine may preempt a Spot VM at any time with a 30 s notice; GKE's graceful node shutdown gives
# non-system Pods up to 15 s of it (https://cloud.google.com/kubernetes-engine/docs/concepts/spot-vms,
# "Termination and graceful shutdown of Spot VMs"). A Spot rung names no reservation: a reservation is its own
# rung, so a ladder never asks GKE for Spot VMs from a reservation (accelerator.spot with accelerator.reservation
# is refused the same way).
SPOT_SOURCE = "https://cloud.google.com/kubernetes-engine/docs/concepts/spot-vms"
SPOT_NOTICE_SECONDS = 30
SPOT_POD_GRACE_SECONDS = 15


# --- What a rung costs -------------------------------------------------------------------------------------
# Flex-start is billed at Dynamic Workload Scheduler prices, with discounts of up to 53% on vCPUs, GPUs and TPUs
# (FLEX_START_SOURCE, "Flex-start pricing"); Spot VMs are priced lower than standard VMs and promise no
# availability (SPOT_SOURCE, "Overview of Spot VMs in GKE"). No page read gives TPU v6e's own Spot discount.
FLEX_START_DISCOUNT = "up to 53%"


@dataclass(frozen=True)
class RungCost:
    """What a rung costs the service: how long a new slice takes to appear, and how a running one goes away."""

    provisioning: str
    loss: str
    use_when: str


COSTS = {
    RESERVATION: RungCost(
        "a node from the capacity held for you, as fast as GKE creates one",
        "never preempted; maintenance events only",
        "a steady base load you pay for whether or not it serves",
    ),
    ON_DEMAND: RungCost(
        "a node when the zone has free v6e; on a stockout the autoscaler tries the next rung, after a wait GKE does "
        "not publish for TPU pools",
        "never preempted",
        "the default: no commitment, no preemption, no guarantee of capacity",
    ),
    FLEX_START: RungCost(
        "queued until Dynamic Workload Scheduler finds capacity, for a time GKE does not publish",
        f"the node ends after its maximum run duration (at most {FLEX_START_MAX_RUN_HOURS} h) and a new one queues",
        "burst capacity that can wait, without a reservation, at Dynamic Workload Scheduler prices "
        f"({FLEX_START_DISCOUNT} off)",
    ),
    SPOT: RungCost(
        "a node when Spot capacity is free",
        f"preempted at any time with {SPOT_NOTICE_SECONDS} s notice ({SPOT_POD_GRACE_SECONDS} s for the Pods)",
        "burst capacity priced below on-demand, as the last rung; never the rung that holds production's standing "
        "slices",
    ),
}
# affinity: any is ANY_RESERVATION, "Consume any allocation available", which is also the default of every
# ordinary VM (RESERVATION_AFFINITY_DEFAULT): with no free matching reservation the node is an on-demand VM like
# any other, so the rung holds no capacity for the pool.
ANY_RESERVATION_COST = RungCost(
    "a node from a matching reservation if one is free, else an on-demand node when the zone has free v6e",
    "never preempted",
    "picking up reservations made for the machine type without naming them; an on-demand rung right after it adds "
    "nothing",
)
