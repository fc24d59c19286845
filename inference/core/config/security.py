"""`secretsEncryptionKeys`, `deletionProtection` and `production`: protections, and the settings that
would contradict them; `intranodeVisibility` and `binaryAuthorization`: the clusters' optional controls."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from inference.common.reader import Reader
from inference.core.config.model import ModelStore

_KMS_KEY = re.compile(
    r"projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/locations/([a-z0-9-]{1,64})/keyRings/[A-Za-z0-9_-]{1,63}"
    r"/cryptoKeys/[A-Za-z0-9_-]{1,63}"
)


def encryption_keys(top: Reader, regions: list[str]) -> dict[str, str]:
    """Application-layer secrets encryption: one Cloud KMS key per cluster, in the cluster's region."""
    keys = top.get("secretsEncryptionKeys", {})
    if keys is None:
        return {}
    if not isinstance(keys, Mapping):
        top.problem(
            "secretsEncryptionKeys",
            keys,
            "must map each region to a Cloud KMS key",
            "write region: projects/P/locations/REGION/keyRings/R/cryptoKeys/K",
        )
        return {}
    for region, key in keys.items():
        match = _KMS_KEY.fullmatch(key) if isinstance(key, str) else None
        if region not in regions:
            top.problem(
                f"secretsEncryptionKeys.{region}", key, "is not one of the regions", f"use one of {', '.join(regions)}"
            )
        elif not match:
            top.problem(
                f"secretsEncryptionKeys.{region}",
                key,
                "is not a Cloud KMS key id",
                "write projects/P/locations/REGION/keyRings/R/cryptoKeys/K",
            )
        elif match.group(1) != region:
            top.problem(
                f"secretsEncryptionKeys.{region}",
                key,
                f"is in {match.group(1)}, not in {region}",
                "GKE needs a key in the cluster's own region",
            )
    if keys:
        for region in regions:
            if region not in keys:
                top.problem(
                    "secretsEncryptionKeys",
                    sorted(keys),
                    f"has no key for {region}",
                    "give every region a key, or none to use Google-managed encryption",
                )
    return dict(keys)


def production(top: Reader, store: ModelStore) -> tuple[bool | None, bool | None]:
    """(deletionProtection, production): a production stack keeps its protections on."""
    deletion_protection = top.boolean("deletionProtection", True)
    is_production = top.boolean("production", False)
    if is_production and deletion_protection is False:
        top.problem(
            "deletionProtection",
            False,
            "is off in a production stack",
            "keep it on; to tear the stack down, set production to false first",
        )
    if is_production and store.protect is False:
        top.problem(
            "modelStore.protect",
            False,
            "is off in a production stack",
            "keep the weights protected; to tear the stack down, set production to false first",
        )
    if is_production and store.force_destroy:
        top.problem(
            "modelStore.forceDestroy",
            True,
            "would let `pulumi destroy` delete the buckets with the weights in a production stack",
            "set it to false; to tear the stack down, set production to false first",
        )
    return deletion_protection, is_production


# The cluster's Binary Authorization evaluation modes (the provider's `binary_authorization.evaluation_mode`,
# https://cloud.google.com/binary-authorization/docs/setting-up-binauthz-gke): the project's singleton policy
# enforced at admission, or off.
BINARY_AUTHORIZATION_MODES = ("PROJECT_SINGLETON_POLICY_ENFORCE", "DISABLED")


@dataclass(frozen=True)
class ClusterControls:
    # Same-node pod traffic through the VPC, where flow logs and firewalls see it; None (unset) leaves the cluster's
    # setting as it is, and false is sent as false, so turning it off turns it off (the field is optional+computed).
    intranode_visibility: bool | None = None
    binary_authorization: str | None = None  # an evaluation mode; None leaves the cluster's setting unset


def cluster_controls(top: Reader) -> ClusterControls:
    return ClusterControls(
        top.boolean("intranodeVisibility", None),
        top.choice("binaryAuthorization", None, BINARY_AUTHORIZATION_MODES),
    )
