"""Regions and zones, TPU v6e zones, Cloud Storage and Cloud Run locations: what the configuration checks
places against, each with its source and the date it was read."""

from __future__ import annotations

# ======================================================================================================
# Places: regions and zones, TPU v6e zones, Cloud Storage locations (used by the configuration), read 2026-11-25
# ======================================================================================================

PLACES_READ_ON = "2026-11-25"

# Every Compute Engine region and the suffixes of its standard zones. Source: "Available regions and
# zones", https://cloud.google.com/compute/docs/regions-zones#available, cross-checked against the
# region-and-zone list of https://cloud.google.com/memorystore/docs/memcached/regions and the region list
# of https://cloud.google.com/workload-manager/docs/evaluate/locations (both read the same day). A region
# Google opens after that date is refused until it is added here.
REGIONS_SOURCE = "https://cloud.google.com/compute/docs/regions-zones#available"
REGION_ZONES: dict[str, tuple[str, ...]] = {
    "africa-south1": ("a", "b", "c"),
    "asia-east1": ("a", "b", "c"),
    "asia-east2": ("a", "b", "c"),
    "asia-northeast1": ("a", "b", "c"),
    "asia-northeast2": ("a", "b", "c"),
    "asia-northeast3": ("a", "b", "c"),
    "asia-south1": ("a", "b", "c"),
    "asia-south2": ("a", "b", "c"),
    "asia-southeast1": ("a", "b", "c"),
    "asia-southeast2": ("a", "b", "c"),
    "australia-southeast1": ("a", "b", "c"),
    "australia-southeast2": ("a", "b", "c"),
    "europe-central2": ("a", "b", "c"),
    "europe-north1": ("a", "b", "c"),
    "europe-north2": ("a", "b", "c"),
    "europe-southwest1": ("a", "b", "c"),
    "europe-west1": ("b", "c", "d"),
    "europe-west2": ("a", "b", "c"),
    "europe-west3": ("a", "b", "c"),
    "europe-west4": ("a", "b", "c"),
    "europe-west6": ("a", "b", "c"),
    "europe-west8": ("a", "b", "c"),
    "europe-west9": ("a", "b", "c"),
    "europe-west10": ("a", "b", "c"),
    "europe-west12": ("a", "b", "c"),
    "me-central1": ("a", "b", "c"),
    "me-central2": ("a", "b", "c"),
    "me-west1": ("a", "b", "c"),
    "northamerica-northeast1": ("a", "b", "c"),
    "northamerica-northeast2": ("a", "b", "c"),
    "northamerica-south1": ("a", "b", "c"),
    "southamerica-east1": ("a", "b", "c"),
    "southamerica-west1": ("a", "b", "c"),
    "us-central1": ("a", "b", "c", "f"),
    "us-east1": ("b", "c", "d"),
    "us-east4": ("a", "b", "c"),
    "us-east5": ("a", "b", "c"),
    "us-south1": ("a", "b", "c"),
    "us-west1": ("a", "b", "c"),
    "us-west2": ("a", "b", "c"),
    "us-west3": ("a", "b", "c"),
    "us-west4": ("a", "b", "c"),
}
# AI zones: accelerator zones away from a region's standard zones, named after their parent zone
# (https://cloud.google.com/compute/docs/regions-zones/ai-zones: us-central1-ai1a, us-south1-ai1b).
AI_ZONES_SOURCE = "https://cloud.google.com/compute/docs/regions-zones/ai-zones"
AI_ZONES: dict[str, tuple[str, ...]] = {"us-central1": ("ai1a",), "us-south1": ("ai1b",)}


def ai_zones_of(region: str) -> tuple[str, ...]:
    return tuple(f"{region}-{s}" for s in AI_ZONES.get(region, ()))


def zones_of(region: str) -> tuple[str, ...]:
    """The zones of a region, standard and AI; () for a region not in the table."""
    return tuple(f"{region}-{s}" for s in (*REGION_ZONES.get(region, ()), *AI_ZONES.get(region, ())))


# Zones where TPU v6e (Trillium) can be created: the v6e rows of "TPU regions and zones". North America
# and Europe were read in full (us-central1-b, us-east1-d, us-east5-a, us-east5-b, the AI zones
# us-central1-ai1a and us-south1-ai1b; europe-west4-a). The stored copy read did not show the Asia Pacific
# and South America rows in full; asia-northeast1-b and southamerica-west1-a are the v6e zones reported
# for them (the researcher; vLLM's TPU CI ran its v6e workers in southamerica-west1-a,
# vllm-project/ci-infra). Single-tenant-only zones (us-east4-a/b, us-east5-c, us-west1-c on an older copy)
# are left out: they need a single-tenancy reservation, which the program does not ask for.
TPU_V6E_ZONES_SOURCE = "https://cloud.google.com/tpu/docs/regions-zones"
TPU_V6E_ZONES: tuple[str, ...] = (
    "us-central1-b",
    "us-central1-ai1a",
    "us-east1-d",
    "us-east5-a",
    "us-east5-b",
    "us-south1-ai1b",
    "europe-west4-a",
    "asia-northeast1-b",
    "southamerica-west1-a",
)

# Cloud Storage bucket locations (https://cloud.google.com/storage/docs/locations#available-locations):
# every Compute Engine region above is a bucket region (the Regions table; its North America part read in
# full, the rest matched against the list above); the predefined dual-regions and the multi-regions.
# Zonal locations exist only for the Rapid storage class; the program's buckets are STANDARD.
GCS_LOCATIONS_SOURCE = "https://cloud.google.com/storage/docs/locations#available-locations"
GCS_REGIONS: tuple[str, ...] = tuple(r.upper() for r in REGION_ZONES)
GCS_DUAL_REGIONS: dict[str, tuple[str, str]] = {
    "ASIA1": ("asia-northeast1", "asia-northeast2"),
    "EUR4": ("europe-north1", "europe-west4"),
    "EUR5": ("europe-west1", "europe-west2"),
    "EUR7": ("europe-west2", "europe-west3"),
    "EUR8": ("europe-west3", "europe-west6"),
    "NAM4": ("us-central1", "us-east1"),
}
GCS_MULTI_REGIONS: tuple[str, ...] = ("ASIA", "EU", "US")
# Which regions a multi-region's data centers are in, from the same page: "US" is data centers in the
# United States, "EU" in member states of the European Union, "ASIA" in Asia. Read as the regions named
# for those places (the country of each from https://cloud.google.com/run/docs/locations): London
# (europe-west2) and Zurich (europe-west6) are in Europe but not in the European Union.
GCS_MULTI_REGION_PREFIXES: dict[str, str] = {"US": "us-", "EU": "europe-", "ASIA": "asia-"}
GCS_MULTI_REGION_EXCLUDED: dict[str, tuple[str, ...]] = {"EU": ("europe-west2", "europe-west6")}


def regions_in_bucket_location(location: str) -> tuple[str, ...]:
    """The Compute Engine regions whose data centers a bucket location covers."""
    location = location.upper()
    if location in GCS_DUAL_REGIONS:
        return GCS_DUAL_REGIONS[location]
    if location in GCS_MULTI_REGION_PREFIXES:
        prefix, excluded = GCS_MULTI_REGION_PREFIXES[location], GCS_MULTI_REGION_EXCLUDED.get(location, ())
        return tuple(r for r in REGION_ZONES if r.startswith(prefix) and r not in excluded)
    return (location.lower(),) if location in GCS_REGIONS else ()


# Cloud Run services and jobs locations (Tier 1 and Tier 2), https://cloud.google.com/run/docs/locations,
# read 2026-11-25. The weights download runs as a Cloud Run job next to its bucket.
CLOUD_RUN_LOCATIONS_SOURCE = "https://cloud.google.com/run/docs/locations"
CLOUD_RUN_REGIONS: tuple[str, ...] = (
    "asia-east1",
    "asia-northeast1",
    "asia-northeast2",
    "europe-north1",
    "europe-southwest1",
    "europe-west1",
    "europe-west4",
    "europe-west8",
    "europe-west9",
    "me-west1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "africa-south1",
    "asia-east2",
    "asia-northeast3",
    "asia-southeast1",
    "asia-southeast2",
    "asia-south1",
    "asia-south2",
    "australia-southeast1",
    "australia-southeast2",
    "europe-central2",
    "europe-west10",
    "europe-west12",
    "europe-west2",
    "europe-west3",
    "europe-west6",
    "me-central1",
    "me-central2",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "southamerica-east1",
    "southamerica-west1",
    "us-west2",
    "us-west3",
    "us-west4",
)
