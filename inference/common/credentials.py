"""Config keys that hold a credential, in every namespace the stack's config has: set without `--secret`, such a
key sits in plain text in `Pulumi.<stack>.yaml`, readable by whoever reads the repository. Every stack, in every
mode, refuses one, and no error message ever shows a secret's value."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from typing import Any

from inference.common.reader import NOT_SET, Problem

PLAIN_TEXT = "[not shown]"  # a credential in plain text is not repeated in the error either
SECRET = "[secret]"

_HF = "run `pulumi config set --secret hfToken <token>` (a Hugging Face token with access to the model)"
_ADC = "or remove it and sign in with `gcloud auth application-default login`"
# Key (bare: the project's namespace) -> how to set it as a secret. pulumi-gcp's credential keys (pulumi_gcp 10.2.0
# config/vars.py: credentials, accessToken, externalCredentials; "Using a service account",
# https://www.pulumi.com/registry/packages/gcp/service-account/); pulumi-kubernetes's `kubernetes:kubeconfig`
# (https://www.pulumi.com/registry/packages/kubernetes/installation-configuration/).
CREDENTIAL_KEYS: dict[str, str] = {
    "hfToken": _HF,
    "kubeconfig": 'run `pulumi config set --secret kubeconfig "$(kubectl config view --minify --flatten)"`',
    "gcp:credentials": f'run `pulumi config set --secret gcp:credentials "$(cat KEY.json)"`, {_ADC}',
    "gcp:accessToken": f"run `pulumi config set --secret gcp:accessToken <token>`, {_ADC}",
    "gcp:externalCredentials": f"run `pulumi config set --secret gcp:externalCredentials <config>`, {_ADC}",
    "kubernetes:kubeconfig": "remove it (every Kubernetes object here has its own provider), and rotate the "
    "credentials it holds: the stack file may be in the repository's history",
}
# Any other key whose name says it holds a credential is treated as one; these keys the program reads say so
# in their name but hold none (Cloud KMS key ids).
_CREDENTIAL_NAME = re.compile(r"token|passw|secret|credential|kubeconfig|api[-_]?key|private[-_]?key", re.I)
NOT_CREDENTIALS = ("secretsEncryptionKeys",)
# Values that are credentials whatever key holds them (a misspelt or nested key): the prefixes their issuers give
# them (Hugging Face hf_, Google OAuth ya29., API keys AIza, GitHub ghp_/github_pat_, GitLab glpat-, Slack xox),
# PEM private keys, a service-account key's JSON and a kubeconfig's client credentials.
_CREDENTIAL_VALUE = re.compile(
    r"^(hf_|ya29\.|AIza|ghp_|github_pat_|glpat-|xox[abprs]-)|-----BEGIN [A-Z ]*PRIVATE KEY|\"private_key\"\s*:"
    r"|client-key-data|client-certificate-data|^\s*token:",
    re.M,
)
_UNKNOWN_FIX = "remove it (the program reads no such key), and rotate the credential: the stack file may be in git"


def is_credential(key: str) -> bool:
    """`key` is bare for the project's namespace, `ns:key` for any other."""
    return key in CREDENTIAL_KEYS or (key not in NOT_CREDENTIALS and bool(_CREDENTIAL_NAME.search(key)))


def plain_text(
    raw: Mapping[str, Any], other: Mapping[str, Any], secret_keys: Collection[str] | None, fix: Mapping[str, str]
) -> list[Problem]:
    """A problem for each credential set without `--secret` (`secret_keys`; None: every credential is secret).
    `fix` overrides a key's fix (the kubeconfig's names the context the stack uses)."""
    if secret_keys is None:
        return []
    keys = [str(k) for k in (*raw, *other)]
    return [
        Problem(key, PLAIN_TEXT, "is stored in plain text in the stack file", fix.get(key) or _fix(key))
        for key in keys
        if is_credential(key) and key not in secret_keys
    ]


def _fix(key: str) -> str:
    return CREDENTIAL_KEYS.get(key, _UNKNOWN_FIX)


def masked(problems: list[Problem], secret_keys: Collection[str] | None, raw: Mapping[str, Any]) -> list[Problem]:
    """The problems, with the value of every secret (and of every credential when `secret_keys` is None) shown as
    [secret]: an error is printed to terminals and CI logs."""
    secret = set(secret_keys) if secret_keys is not None else {k for k in raw if is_credential(str(k))}
    out = []
    for p in problems:
        top = p.key if ":" in p.key.split(".", 1)[0] else re.split(r"[.\[]", p.key, maxsplit=1)[0]
        shown = p.value is not NOT_SET and p.value not in (PLAIN_TEXT, SECRET)
        if shown and top in secret:
            p = Problem(p.key, SECRET, p.why, p.fix)
        elif shown and (_names_a_credential(p.key) or holds_credential(p.value)):
            p = Problem(p.key, PLAIN_TEXT, p.why, f"{p.fix}, then rotate the credential: the stack file may be in git")
        out.append(p)
    return out


def _names_a_credential(key: str) -> bool:
    """A key path with a segment that is, or is a typo of, a credential's name (`hfTokne`, `apigee.clientSecret`)."""
    segments = [s for s in re.split(r"[.\[\]]", key) if s and not s.isdigit()]
    known = [k.split(":")[-1] for k in CREDENTIAL_KEYS]
    return any(is_credential(s) or difflib.get_close_matches(s, known, n=1, cutoff=0.8) for s in segments)


def holds_credential(value: Any, depth: int = 0) -> bool:
    """`value`, or anything inside it, looks like a credential by its form or by the key that holds it."""
    if depth > 16:
        return False
    if isinstance(value, str):
        return bool(_CREDENTIAL_VALUE.search(value[:100_000]))
    if isinstance(value, Mapping):
        return any(is_credential(str(k)) or holds_credential(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(holds_credential(v, depth + 1) for v in value)
    return False
