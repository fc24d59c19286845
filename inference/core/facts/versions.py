"""The GKE versions the platform's features need, and what each release channel offers."""

from __future__ import annotations

from dataclasses import dataclass

# ======================================================================================================
# GKE versions the features need (used by the configuration), read 2026-11-25
# ======================================================================================================

VERSIONS_READ_ON = "2026-11-25"


@dataclass(frozen=True)
class MinimumVersion:
    feature: str
    version: str  # the oldest GKE version that has the feature on a Standard cluster
    source: str


DRANET_MINIMUM = MinimumVersion(
    "managed DRANET (the TPU pool's network devices)",
    "1.34.1-gke.1829001",
    "https://cloud.google.com/kubernetes-engine/docs/how-to/allocate-network-resources-dra "
    '("Standard: 1.34.1-gke.1829001 or later")',
)
MULTI_CLUSTER_INFERENCE_MINIMUM = MinimumVersion(
    "the multi-cluster inference gateway",
    "1.34.1-gke.1127000",
    "https://cloud.google.com/kubernetes-engine/docs/how-to/setup-multicluster-inference-gateway "
    '("Use GKE version 1.34.1-gke.1127000 or later")',
)
# What each release channel offered (GKE release notes, 2026-R14 of 2026-04-09, the newest entry read):
# every channel is past both minimums, and 1.34.1-gke.1829001 itself left Rapid on 2025-11-14, so an
# exact old patch is no longer creatable: the program asks for a minor version (an alias GKE resolves
# to that minor's newest patch in the channel) and checks that minor against the minimums.
# Source: https://cloud.google.com/kubernetes-engine/docs/release-notes
CHANNEL_VERSIONS = {
    "RAPID": "1.35.3-gke.1234000",
    "REGULAR": "1.35.2-gke.1842000",
    "STABLE": "1.35.2-gke.1269001",
    "EXTENDED": "1.35.2-gke.1842000",
}
CHANNEL_VERSIONS_READ_ON = "2026-04-09"


def version_key(version: str) -> tuple[int, ...]:
    """1.34.1-gke.1829001 -> (1, 34, 1, 1829001); an alias 1.35 or 1.35.2 -> its oldest build (0s)."""
    numbers = [int(n) for n in version.replace("-gke.", ".").split(".")]
    return tuple(numbers + [0] * (4 - len(numbers)))
