"""A Helm post-renderer that orders every service-account token Secret of a chart after the ServiceAccount it
names, with the `config.kubernetes.io/depends-on` annotation the Kubernetes provider's Chart v4 honours.

Pulumi registers a chart's objects in parallel unless something orders them; the token controller deletes a
`kubernetes.io/service-account-token` Secret whose ServiceAccount does not exist yet (kubernetes/kubernetes#111556),
which is why Helm installs ServiceAccounts before Secrets (helm/helm#7355). The chart's Secret and ServiceAccount
stay as upstream renders them; this adds only the annotation (docs/charts.md).

The provider runs it as Helm runs a post-renderer: the rendered manifests on stdin, the result on stdout, in the
program's directory (`COMMAND`, `SCRIPT`). It needs only the standard library and PyYAML, which the program's
virtualenv has; every document it does not annotate passes through byte for byte.
"""

from __future__ import annotations

import re
import sys

import yaml

# The program's virtualenv (Pulumi.yaml `runtime.options.virtualenv: venv`) and this file, both relative to the
# directory Pulumi runs the program and its providers in.
COMMAND = "venv/bin/python"
SCRIPT = "inference/common/post_render.py"
DEPENDS_ON = "config.kubernetes.io/depends-on"
TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_ANNOTATION = "kubernetes.io/service-account.name"
_SEPARATOR = re.compile(r"(?m)^---[ \t]*\n")


def _service_accounts(objs: list[object]) -> set[tuple[str | None, str]]:
    return {
        ((o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name"))
        for o in objs
        if isinstance(o, dict) and o.get("apiVersion") == "v1" and o.get("kind") == "ServiceAccount"
    }


def _account_of(obj: object) -> tuple[str, str] | None:
    """(namespace, service account) of a token Secret in a namespace; None for anything else."""
    if not (isinstance(obj, dict) and obj.get("kind") == "Secret" and obj.get("type") == TOKEN_TYPE):
        return None
    meta = obj.get("metadata") or {}
    account = (meta.get("annotations") or {}).get(SA_ANNOTATION)
    return (meta["namespace"], account) if account and meta.get("namespace") else None


def _annotated(chunk: str, obj: dict, namespace: str, account: str) -> str:
    """The document with the dependency added; its leading comments (Helm's `# Source:` line) kept."""
    reference = f"/namespaces/{namespace}/ServiceAccount/{account}"
    annotations = obj["metadata"].setdefault("annotations", {})
    listed = [r.strip() for r in (annotations.get(DEPENDS_ON) or "").split(",") if r.strip()]
    if reference in listed:
        return chunk
    annotations[DEPENDS_ON] = ",".join([*listed, reference])
    comments = "".join(line + "\n" for line in chunk.splitlines() if line.startswith("#") and line.strip())
    return comments + yaml.safe_dump(obj, sort_keys=False)


def order_token_secrets(text: str) -> str:
    """`text` (a stream of YAML documents) with each token Secret depending on its ServiceAccount, when the
    same stream renders that ServiceAccount in the Secret's namespace or in none."""
    chunks = _SEPARATOR.split(text)
    objs = [yaml.safe_load(chunk) for chunk in chunks]
    accounts = _service_accounts(objs)
    out = []
    for chunk, obj in zip(chunks, objs, strict=True):
        found = _account_of(obj)
        if found and ({found, (None, found[1])} & accounts):
            chunk = _annotated(chunk, obj, *found)
        out.append(chunk)
    return "---\n".join(out)


def main() -> int:
    sys.stdout.write(order_token_secrets(sys.stdin.read()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
