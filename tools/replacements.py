"""Which input changes make Pulumi replace a resource instead of updating it, by resource type.

Paths are the Pulumi (camelCase) input paths the engine records in `resources.json`; a change at or
under a path matches it, and `[*]` matches any list index. Each rule says where it comes from:

- GCP resources: pulumi-gcp bridges terraform-provider-google-beta, and the bridge replaces a resource
  when Terraform's plan "requires new": a `ForceNew: true` field, a `CustomizeDiff` that calls
  `ForceNew`/`ForceNewIfChange`, or a plugin-framework `RequiresReplace` plan modifier. The fields are
  read from the provider sources at the pinned commits; the table is tools/force_new.py.
- Kubernetes objects: pulumi-kubernetes' `forceNewProperties` (provider/pkg/provider/diff.go) plus the
  identity fields it always replaces on (provider.go, `Diff`); patch resources replace only on those.
- The Kubernetes provider: pulumi-kubernetes' `DiffConfig` (provider.go) replaces it when
  `clusterIdentifier` changes, and every resource using a replaced provider is replaced with it
  (pulumi/pulumi pkg/resource/deploy/step_generator.go, `providerChanged`).

`possible` lists changes that may force a replacement but could not be confirmed from the source, or
that force one only for some values; `when` lists fields that force one only if `when(old, new)`.
"""

from __future__ import annotations

import re
from typing import Any

from tools.force_new import GCP, K8S_SOURCE, Rule


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# pulumi-kubernetes provider/pkg/provider/diff.go `forceNew`, by "<group>/<version>:<Kind>" as in type tokens.
_SELECTOR = ("spec.selector",)  # labelSelectorForceNewProperties are all under it
_POD_SPEC = _words(
    "affinity automountServiceAccountToken dnsConfig dnsPolicy enableServiceLinks hostAliases hostIPC "
    "hostNetwork hostPID hostname imagePullSecrets nodeName nodeSelector overhead preemptionPolicy "
    "priority priorityClassName readinessGates restartPolicy runtimeClassName schedulerName "
    "securityContext serviceAccount serviceAccountName shareProcessNamespace subdomain "
    "terminationGracePeriodSeconds volumes"
)
_CONTAINER = _words(
    "args command env image imagePullPolicy lifecycle livenessProbe ports readinessProbe resources "
    "securityContext stdin stdinOnce terminationMessagePath terminationMessagePolicy tty volumeDevices "
    "volumeMounts workingDir"
)
_PV_SOURCES = _words(
    "awsElasticBlockStore azureDisk azureFile cephfs cinder csi fc flexVolume flocker gcePersistentDisk "
    "glusterfs hostPath iscsi local nfs photonPersistentDisk portworxVolume quobyte rbd scaleIO "
    "storageos vsphereVolume"
)
KUBERNETES: dict[str, tuple[str, ...]] = {
    **{f"apps/{v}:{k}": _SELECTOR for v in ("v1", "v1beta2") for k in ("Deployment", "DaemonSet")},
    **{
        f"apps/{v}:StatefulSet": (
            "spec.podManagementPolicy",
            "spec.revisionHistoryLimit",
            "spec.serviceName",
            "spec.volumeClaimTemplates",
            *_SELECTOR,
        )
        for v in ("v1", "v1beta1", "v1beta2")
    },
    **{
        f"batch/{v}:Job": ("spec.completions", "spec.parallelism", "spec.template", *_SELECTOR)
        for v in ("v1", "v1beta1", "v2alpha1")
    },
    "core/v1:PersistentVolume": tuple(f"spec.{s}" for s in _PV_SOURCES),
    "core/v1:PersistentVolumeClaim": ("spec.accessModes", "spec.storageClassName", "spec.volumeName", *_SELECTOR),
    "core/v1:Pod": (
        *(f"spec.{f}" for f in _POD_SPEC),
        *(f"spec.{c}[*].{f}" for c in ("containers", "initContainers") for f in _CONTAINER),
    ),
    "core/v1:ResourceQuota": ("spec.scopes",),
    "core/v1:Secret": ("type",),
    "core/v1:Service": ("spec.clusterIP",),
    "policy/v1beta1:PodDisruptionBudget": ("spec",),
    **{
        f"rbac.authorization.k8s.io/{v}:{k}": ("roleRef",)
        for v in ("v1", "v1beta1", "v1alpha1")
        for k in ("RoleBinding", "ClusterRoleBinding")
    },
    "storage.k8s.io/v1:StorageClass": ("parameters", "provisioner"),
}
# provider.go Diff: "Changing the identity of the resource always causes a replacement."
_IDENTITY = ("metadata.name", "metadata.namespace")


def _flag(provider: dict | None, key: str) -> bool:
    """A provider option; pulumi-kubernetes defaults enableSecretMutable and enableConfigMapMutable to false."""
    return str(((provider or {}).get("inputs") or {}).get(key, "false")).lower() == "true"


def kubernetes_rule(type_: str, inputs: dict, provider: dict | None = None) -> Rule:
    api = type_.split(":", 1)[1]
    source = f"{K8S_SOURCE}diff.go, {K8S_SOURCE}provider.go (Diff)"
    if api == "helm.sh/v4:Chart":
        # A component: its objects are planned one by one. Its release name and namespace usually
        # become the objects' names and namespace, which replaces them.
        return Rule(possible=("name", "namespace"), source=f"{source}; the chart's templates")
    if api == "helm.sh/v3:Release":
        return Rule(forces=("name", "namespace"), source=f"{K8S_SOURCE}helm_release.go (Diff)")
    if api.endswith("Patch"):  # patch resources update every other field in place
        return Rule(forces=_IDENTITY, source=source)
    forces = [*_IDENTITY, *KUBERNETES.get(api, ())]
    immutable = inputs.get("immutable") is True
    if api == "core/v1:Secret" and (immutable or not _flag(provider, "enableSecretMutable")):
        forces += ["stringData", "data"]
    if api == "core/v1:ConfigMap" and (immutable or not _flag(provider, "enableConfigMapMutable")):
        forces += ["binaryData", "data"]
    return Rule(forces=tuple(forces), source=source)


def rule_for(resource: dict, provider: dict | None = None) -> Rule | None:
    """The rule for a `resources.json` entry (its Kubernetes provider's entry for Kubernetes objects)."""
    type_ = resource["type"]
    if type_.startswith("kubernetes:"):
        return kubernetes_rule(type_, resource.get("inputs") or {}, provider)
    rule = GCP.get(type_)
    if rule and type_ == "pulumi:providers:kubernetes" and "clusterIdentifier" not in resource["inputs"]:
        return Rule(forces=rule.forces, possible=("kubeconfig", "context", "cluster"), source=rule.source)
    return rule


def under(path: str, prefix: str) -> bool:
    """`path` is `prefix` or inside it (`[*]` in the prefix matches any index)."""
    pattern = re.escape(prefix).replace(r"\[\*\]", r"\[\d+\]")
    return re.match(rf"{pattern}(?:$|[.\[])", path) is not None


def _lookup(inputs: dict, path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def classify(
    rule: Rule | None, changes: list[tuple[str, Any, Any]], old: dict, new: dict, options: dict | None = None
) -> tuple[list[str], list[str]]:
    """(paths that force a replacement, paths that may) among changed input paths `(path, old, new)`.
    `old`/`new` are the two input objects; `options` the head's resource options (ignoreChanges and
    replaceOnChanges count as Pulumi applies them)."""
    options = options or {}
    ignored = options.get("ignoreChanges") or []
    replace_on = options.get("replaceOnChanges") or []
    forced: set[str] = set()
    maybe: set[str] = set()
    for path, before, after in changes:
        if path.startswith("options.") or any(under(path, p) for p in ignored):
            continue
        forced.update(p for p in replace_on if p == "*" or under(path, p))
        if rule is None:
            continue
        forced.update(p for p in rule.forces if under(path, p))
        forced.update(
            b for b in rule.blocks if under(path, b) and (_lookup(old, b) is None) != (_lookup(new, b) is None)
        )
        forced.update(p for p, test in rule.when.items() if under(path, p) and test(before, after))
        maybe.update(p for p in rule.possible if under(path, p))
        maybe.update(p for p, test in rule.possible_when.items() if under(path, p) and test(before, after))
    return sorted(forced), sorted(maybe - forced)


def input_forces(rule: Rule | None, key: str) -> str | None:
    """Whether a new value of the top-level input `key` forces a replacement: "forces", "possible" or None.
    Used when a resource `key` takes a value from is replaced (its outputs are unknown until then)."""
    if rule is None:
        return None
    if any(under(key, p) for p in rule.forces):
        return "forces"
    if any(under(key, p) for p in (*rule.possible, *rule.when, *rule.possible_when)):
        return "possible"
    return None
