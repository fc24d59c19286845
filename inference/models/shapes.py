"""`models[i].accelerator`: a model's own TPU v6e shape, read with the stack's `accelerator` keys
(inference/core/config/compute.py) and served from a node pool of its own in every cluster (docs/models.md)."""

from __future__ import annotations

from inference.common.reader import Reader
from inference.core.config import compute
from inference.core.config.compute import Accelerator

_FIRST = (
    "is not a shape of its own: the first model is served on the stack's accelerator (its TPU pool)",
    "move it to accelerator, or list this model after one served on the stack's shape",
)
_SIMULATOR = (
    "serves nothing from TPU: the simulator runs on the system pool",
    "remove it, or use backend: vllm-tpu with an accelerator",
)


def own_accelerator(
    r: Reader, index: int, stack: Accelerator | None, simulator: bool
) -> tuple[Accelerator | None, bool]:
    """The model's own shape, for a pool beside the stack's TPU pool (and outside a capacity ladder, whose pools
    only its ComputeClass's Pods tolerate). (None, True): the model shares the stack's shape; (None, False): refused,
    its problem reported."""
    if not r.given("accelerator"):
        return None, True
    if index == 0 or simulator or stack is None:
        value = r.get("accelerator")
        if index == 0 or simulator:
            r.problem("accelerator", value, *(_FIRST if index == 0 else _SIMULATOR))
        # else the stack's accelerator is refused (or missing, which vllm-tpu refuses): its problem says enough
        return None, False
    own = compute.accelerator(r)
    return own, own is not None
