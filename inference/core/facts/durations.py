"""Durations that both the time-to-serve model (tools/timing.py STEPS) and the capacity ladder's rung costs
(inference/capacity/costs.py) use, each with its source. Data only."""

from __future__ import annotations

WALKTHROUGH = "the walkthrough (docs/time-to-serve.md)"

# Creating a TPU v6e slice pool. The ladder reuses it as the time to add a node to an existing pool when a slice is
# lost (modelled: no figure for a new node alone is published).
TPU_NODE_POOL_SECONDS = 240
TPU_NODE_POOL_SOURCE = f"{WALKTHROUGH} §3: clusters and TPU pools in 10–15 min (capacity permitting)"

# vLLM on a new slice: weights from the FUSE mount, load and compilation, until the server is ready.
MODEL_LOAD_SECONDS = 450
MODEL_LOAD_SOURCE = f"{WALKTHROUGH} §6: vLLM rollout in both regions in 5–10 min"
