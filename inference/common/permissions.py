"""An IAM grant a feature needs, with why and its source: each feature package lists its own
(`PERMISSIONS` in its facts); tests/stacks/test_permissions.py holds the plan to all of them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grant:
    identity: str  # who: a key of IDENTITIES below
    role: str
    scope: str  # where the member is granted: project, bucket, object-prefix (a bucket, with an IAM condition),
    # service-account, kms-key, secret
    why: str
    source: str
    when: str = "always"  # "always"; "features": the stack owns the fleet features; "kms": secretsEncryptionKeys;
    # "autoscaling": the HPAs are on; "tpu": the vllm-tpu backend (the weights download, the compilation cache);
    # "armor": Model Armor is on and the stack owns the project's singletons; "apigee": Apigee is on
