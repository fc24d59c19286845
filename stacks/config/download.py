"""Where the weights download runs: a Cloud Run job next to the bucket it fills (stacks/facts.py places)."""

from __future__ import annotations

from stacks import facts
from stacks.config.model import ModelStore
from stacks.config.reader import Reader


def download_regions(top: Reader, regions: list[str], config_region: str, store: ModelStore) -> dict[str, str]:
    """Bucket location -> Cloud Run region of its download job. A regional bucket is filled from its own
    region (every TPU v6e region offers Cloud Run, tests/test_weights_download.py); a dual- or multi-region
    bucket from the first of the stack's regions inside it, the config region first, so the 50 GB never
    leave the bucket's location."""
    if store.layout == "per-region":
        return {r: r for r in regions}
    ordered = [config_region, *(r for r in regions if r != config_region)]
    inside = facts.regions_in_bucket_location(store.location)
    region = next((r for r in ordered if r in inside and r in facts.CLOUD_RUN_REGIONS), None)
    if region is None:
        around = next(
            (m for m in facts.GCS_MULTI_REGIONS if config_region in facts.regions_in_bucket_location(m)), None
        )
        top.problem(
            "modelStore.location",
            store.location,
            f"holds none of the stack's regions ({', '.join(regions)}), and the weights download runs as a Cloud Run "
            f"job in one of them inside the bucket's location ({facts.GCS_LOCATIONS_SOURCE}, "
            f"{facts.CLOUD_RUN_LOCATIONS_SOURCE})",
            f"use {around or config_region.upper()}, or modelStore.layout: per-region",
        )
        return {}
    return {store.location: region}
