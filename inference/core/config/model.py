"""`model` and `modelStore`: what is served and where its weights live, and where the weights download runs (a
Cloud Run job next to the bucket it fills), checked against the Hugging Face rules and Google Cloud's
locations in inference/common/name_rules.py and inference/core/facts/places.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

from inference.common import name_rules
from inference.common.reader import NOT_SET, Reader, did_you_mean
from inference.common.validators import NUMBER, git_revision
from inference.core.config.compute import TPU_V6E_SHAPES as SHAPES
from inference.core.config.compute import Accelerator
from inference.core.facts import machines, models, places

_HF_PART = r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?"


_MODEL_ID = re.compile(rf"({_HF_PART}/)?{_HF_PART}")


# The name clients send (vLLM's --served-model-name; it also goes into the test request's shell command).
_SERVED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")


_BUCKET_LOCATION = re.compile(r"[A-Za-z0-9-]{1,64}")


MODEL_STORE_LAYOUTS = ("per-region", "single")
DEFAULT_ID = "google/gemma-3-27b-it"  # `model.id` when unset


@dataclass(frozen=True)
class Model:
    id: str
    served_name: str
    tensor_parallel_size: int
    revision: str = "main"  # Hugging Face branch, tag or commit the weights download fetches


@dataclass(frozen=True)
class ModelStore:
    layout: str  # "per-region": a bucket in each region; "single": one bucket at `location`
    location: str
    force_destroy: bool
    protect: bool
    download_attempt: int = 0  # mixed into the download's execution token: a new value runs it again
    audit_logs: bool = False  # Cloud Storage's Data Access audit logs in the project: who read the weights


def download_regions(top: Reader, regions: list[str], config_region: str, store: ModelStore) -> dict[str, str]:
    """Bucket location -> Cloud Run region of its download job. A regional bucket is filled from its own
    region (every TPU v6e region offers Cloud Run, tests/core/test_weights_download.py); a dual- or multi-region
    bucket from the first of the stack's regions inside it, the config region first, so the 50 GB never
    leave the bucket's location."""
    if store.layout == "per-region":
        return {r: r for r in regions}
    ordered = [config_region, *(r for r in regions if r != config_region)]
    inside = places.regions_in_bucket_location(store.location)
    region = next((r for r in ordered if r in inside and r in places.CLOUD_RUN_REGIONS), None)
    if region is None:
        around = next(
            (m for m in places.GCS_MULTI_REGIONS if config_region in places.regions_in_bucket_location(m)), None
        )
        top.problem(
            "modelStore.location",
            store.location,
            f"holds none of the stack's regions ({', '.join(regions)}), and the weights download runs as a Cloud Run "
            f"job in one of them inside the bucket's location ({places.GCS_LOCATIONS_SOURCE}, "
            f"{places.CLOUD_RUN_LOCATIONS_SOURCE})",
            f"use {around or config_region.upper()}, or modelStore.layout: per-region",
        )
        return {}
    return {store.location: region}


def model(top: Reader, accelerator: Accelerator | None) -> Model:
    m = top.mapping("model")
    result = read_model(m, accelerator)
    m.finish()
    return result


def read_model(
    m: Reader, accelerator: Accelerator | None, shape_key: str = "accelerator", default_id: object = DEFAULT_ID
) -> Model:
    """One model's keys (`model`, or an entry of `models`); the caller finishes the mapping. `shape_key`: where
    `accelerator` was set (a model of `models` may have its own), for the fix a too-large model is offered;
    `default_id` NOT_SET: `id` is required (an entry of `models` names its model)."""
    model_id = repo_id(
        m, "id", default_id, required_fix=f"set {m.key('id')} to the model's Hugging Face id, e.g. {DEFAULT_ID}"
    )
    served = served_name(m, "servedName", None)
    chips = accelerator.chips if accelerator else 1
    tp = m.integer("tensorParallelSize", chips, low=1, high=256)
    if accelerator and tp is not None and tp != chips:
        m.problem(
            "tensorParallelSize",
            tp,
            f"{accelerator.machine_type} has {chips} chips and vLLM shards the model across all of them",
            f"set tensorParallelSize to {chips}",
        )
    billions = _billion_parameters(m)
    if accelerator and model_id and tp == chips:
        _check_fits_hbm(m, model_id, accelerator, tp, billions, shape_key)
    # huggingface_hub's `revision`: a branch, a tag or a commit of the model's git repository.
    revision = git_revision(m, "revision", "main")
    return Model(model_id, served or model_id, tp, revision)


def repo_id(m: Reader, name: str, default: object, required_fix: str = "") -> str | None:
    """A Hugging Face repository id (a model's, or a LoRA adapter's); `default` NOT_SET: required."""
    if default is NOT_SET:
        model_id = m.string(name, longest=200, required_fix=required_fix)
    else:
        model_id = m.string(name, default, longest=200)
    if model_id and (
        not _MODEL_ID.fullmatch(model_id)
        or len(model_id.rsplit("/", 1)[-1]) > name_rules.HF_REPO_NAME_LONGEST
        or "--" in model_id
        or ".." in model_id
        or model_id.endswith(".git")
    ):
        m.problem(
            name,
            model_id,
            f"is not a Hugging Face repository id ({name_rules.HF_REPO_ID_SOURCE})",
            "use namespace/name in ASCII letters, digits, '-', '_' and '.', e.g. google/gemma-3-27b-it",
        )
        return None
    return model_id


def served_name(m: Reader, name: str, default: str | None) -> str | None:
    """A name clients send as the request's `model` (vLLM's --served-model-name, a LoRA module's name)."""
    return m.string(
        name,
        default,
        pattern=_SERVED_NAME,
        why="is not a model name clients can send",
        fix="use ASCII letters, digits and . _ : / -, at most 128 characters, e.g. gemma-3-27b",
    )


def _billion_parameters(m: Reader) -> float | None:
    """`model.billionParameters`: the model's size, for a model the table does not know and whose name does not say."""
    value = m.get("billionParameters", None)
    if value is None:
        return None
    if isinstance(value, str) and NUMBER.fullmatch(value):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 10_000:
        m.problem("billionParameters", value, "must be a number of billions in (0, 10000]", "write e.g. 27.4")
        return None
    return float(value)


def _check_fits_hbm(
    m: Reader, model_id: str, accelerator: Accelerator, tp: int, given: float | None, shape_key: str
) -> None:
    """vLLM shards the weights across the slice's `tp` chips, and the weights must fit the HBM it uses, with room
    left for the KV cache: refused, with the arithmetic, when they cannot."""
    known = (given, m.key("billionParameters")) if given is not None else models.billion_parameters(model_id)
    if known is None:
        if not models.QUANTIZED_NAME.search(model_id):  # a quantized checkpoint's bytes per parameter vary
            m.problem(
                "billionParameters",
                NOT_SET,
                f"is required for {model_id}: the checks know no size for it (inference/core/facts/models.py) and "
                f"its name states none, so whether its weights fit {accelerator.machine_type}'s HBM cannot be checked",
                f"set {m.key('billionParameters')} to its parameter count in billions, from its model card (e.g. 27.4)",
            )
        return
    billions, source = known
    weights = billions * 1e9 * models.BYTES_PER_PARAMETER
    per_chip = machines.TPU_V6E_HBM_BYTES_PER_CHIP
    hbm = tp * per_chip
    usable = hbm * models.VLLM_MEMORY_UTILIZATION
    if weights < usable:
        return
    room = {t: c * machines.TPU_V6E_HBM_BYTES_PER_CHIP * models.VLLM_MEMORY_UTILIZATION for t, (_, c) in SHAPES.items()}
    bigger = next((t for t in sorted(room, key=room.get) if weights < room[t]), None)
    m.problem(
        "id",
        model_id,
        f"has {billions:g}B parameters ({source}): at {models.BYTES_PER_PARAMETER} bytes each (bf16, as vLLM serves "
        f"it) its weights take {weights / machines.GI:.1f} GiB, and {accelerator.machine_type} shards them across "
        f"tensorParallelSize {tp} chip{'s' if tp > 1 else ''} x {per_chip // machines.GI} GiB HBM "
        f"({machines.TPU_V6E_HBM_SOURCE}) = {hbm / machines.GI:.0f} GiB, of which vLLM uses "
        f"{models.VLLM_MEMORY_UTILIZATION:g} ({models.VLLM_MEMORY_UTILIZATION_SOURCE}): {usable / machines.GI:.1f} "
        "GiB, with nothing left for the KV cache",
        f"use {shape_key}.machineType {bigger}, or a smaller model" if bigger else "serve a smaller model",
    )


def model_store(top: Reader) -> ModelStore:
    s = top.mapping("modelStore")
    layout = s.choice("layout", "per-region", MODEL_STORE_LAYOUTS)
    location = None
    if layout == "per-region" and s.raw.get("location") is not None:
        s.known.add("location")
        s.problem(
            "location",
            s.raw["location"],
            "does nothing with layout per-region: each region gets a bucket in that region",
            "remove modelStore.location, or set modelStore.layout: single",
        )
    else:
        location = _bucket_location(s)
    store = ModelStore(
        layout,
        (location or "US").upper(),
        s.boolean("forceDestroy", False),
        s.boolean("protect", True),
        s.integer(
            "downloadAttempt",
            0,
            low=0,
            high=9999,
            fix="use 0..9999: raise it by one to run the weights download again",
        ),
        bool(s.boolean("auditLogs", False)),
    )
    s.finish()
    return store


def _bucket_location(s: Reader) -> str | None:
    location = s.string("location", "US", longest=64)
    known = (*places.GCS_MULTI_REGIONS, *places.GCS_DUAL_REGIONS, *places.GCS_REGIONS)
    if location is None or (_BUCKET_LOCATION.fullmatch(location) and location.upper() in known):
        return location
    region = next((reg for reg in places.REGION_ZONES if location.lower() in places.zones_of(reg)), None)
    if region:
        why = "is a zone; a STANDARD bucket lives in a region, a dual-region or a multi-region"
        why += f" ({places.GCS_LOCATIONS_SOURCE})"
        fix = f"use its region {region.upper()}"
    else:
        why = f"is not a Cloud Storage location ({places.GCS_LOCATIONS_SOURCE}, read {places.PLACES_READ_ON})"
        close = did_you_mean(location.upper(), known)
        fix = (
            f"did you mean '{close}'?"
            if close
            else "use a multi-region (US, EU, ASIA), a dual-region such as NAM4 or a region"
        )
    s.problem("location", location, why, fix)
    return None
