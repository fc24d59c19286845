"""Helm charts expanded the way the Kubernetes provider expands them, for the offline engine.

In a real preview, `kubernetes:helm.sh/v4:Chart` is a component the provider constructs: it runs
`helm template` on the chart and registers every object as a child resource. Under Pulumi's mocks the
chart is one opaque registration, so the engine does the provider's part here with a real Helm binary
(tools/helm.py): same chart, release name, namespace and values, every object a `Registration` with the
type token, name, parent and provider the provider would give it. Source of each rule:
pulumi/pulumi-kubernetes `provider/pkg/provider/helm/v4/chart.go` (Construct) and
`provider/pkg/provider/yaml/v2/yaml.go` (Normalize, Register), whose dependency graph also honours the
`config.kubernetes.io/depends-on` annotation between a chart's own objects (`provider/pkg/gen/examples/overlays/
chartV4.md`, "Resource Ordering"); a `postRenderer` runs on Helm's output first (chart.go, helm's
`postrender.NewExec`: the manifests on stdin, the result on stdout, in the provider's working directory, the
program's).
"""

from __future__ import annotations

import copy
import functools
import json
import subprocess
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import yaml

from tools import engine, helm, kube_api, mocks

CHART = "kubernetes:helm.sh/v4:Chart"
# Offline there is no API server to ask: the oldest minor the clusters can run (every release channel
# offered 1.35 or later by GKE's release notes of 2026-04-09; inference/core/facts/versions.py CHANNEL_VERSIONS).
KUBE_VERSION = "1.35"
# Chart inputs the provider understands that this renderer does not: refuse rather than mis-render.
UNSUPPORTED = ("valueYamlFiles", "dependencyUpdate", "repositoryOpts", "devel", "verify", "keyring")
# Built-in namespaced kinds, from pulumi-kubernetes `provider/pkg/kinds/kinds.go` (Kind.Namespaced):
# the provider puts the chart's namespace on these when the template left it out.
NAMESPACED = {
    "Binding", "ConfigMap", "ControllerRevision", "CronJob", "CSIStorageCapacity", "DaemonSet", "Deployment",
    "Endpoints", "EndpointSlice", "Event", "HorizontalPodAutoscaler", "Ingress", "Job", "Lease", "LimitRange",
    "NetworkPolicy", "PersistentVolumeClaim", "Pod", "PodDisruptionBudget", "PodTemplate", "ReplicaSet",
    "ReplicationController", "ResourceQuota", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount",
    "StatefulSet",
}  # fmt: skip
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEPENDS_ON = "config.kubernetes.io/depends-on"
# Two threads rendering the same release at once (prod's two regions) wait for one Helm run, not two: a lock
# per stripe of the cache's keys, so different releases still render side by side.
_RENDERING = tuple(threading.Lock() for _ in range(16))


class ChartRenderError(RuntimeError):
    pass


@functools.lru_cache(maxsize=64)
def _render(
    chart: str, release: str, namespace: str, values: str, include_crds: bool, post_render: tuple[str, ...], cwd: str
) -> tuple[dict, ...]:
    """`helm template` as the provider runs it (chart.go: IncludeCRDs = !skipCrds, DisableHooks = true), piped
    through the post-renderer `post_render` (command and arguments, run in `cwd`, the project root), parsed.
    Cached by path, not content: plans with the same chart and values (every plan of a test session) render once."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        file.write(values)
        file.flush()
        cmd = [str(helm.binary()), "template", release, chart, "--namespace", namespace, "--values", file.name]
        cmd += ["--kube-version", KUBE_VERSION, "--no-hooks", *(["--include-crds"] if include_crds else [])]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    if done.returncode != 0:
        raise ChartRenderError(f"helm template of {chart} (release {release}) failed:\n{done.stderr.strip()}")
    if post_render:
        done = subprocess.run(
            list(post_render), input=done.stdout, capture_output=True, text=True, check=False, timeout=60, cwd=cwd
        )
        if done.returncode != 0:
            raise ChartRenderError(f"post-renderer {' '.join(post_render)} failed:\n{done.stderr.strip()}")
    docs = [d for d in yaml.load_all(done.stdout, Loader=_Loader) if d]
    # yaml/v2 Normalize: a List expands to its items.
    return tuple(item for d in docs for item in (d.get("items") or [] if d.get("kind", "").endswith("List") else [d]))


def render(
    chart: Path,
    release: str,
    namespace: str,
    values: dict,
    include_crds: bool = True,
    post_render: tuple[str, ...] = (),
    root: Path | None = None,
) -> list[dict]:
    """The objects of one chart release, each a fresh copy the caller may change."""
    key = (str(chart), release, namespace, json.dumps(values, sort_keys=True), include_crds, post_render)
    key += (str(root or engine.ROOT),)
    with _RENDERING[hash(key) % len(_RENDERING)]:
        objs = _render(*key)
    return copy.deepcopy(list(objs))


def type_token(api_version: str, kind: str) -> str:
    """The SDK's token for a kind: the core group is `core` (sdk/go/kubernetes/yaml/v2/kinds.go)."""
    return f"kubernetes:{api_version if '/' in api_version else 'core/' + api_version}:{kind}"


def child_urn(parent: str, type_: str, name: str) -> str:
    """The URN the engine gives a child: the parent's qualified type, `$`, the child's type
    (pulumi/pulumi `sdk/go/common/resource/urn.go` NewURN; the chart is never the root stack)."""
    stack, project, qualified, _ = parent.split("::")
    return "::".join([stack, project, f"{qualified}${type_}", name])


def _namespaced(obj: dict, crds: dict[tuple[str, str], dict]) -> bool:
    """clients.IsNamespacedKind: a CRD in the same chart decides, else the table of built-in kinds.
    Other custom kinds the provider asks the API server about; offline they stay as rendered."""
    crd = crds.get((obj["apiVersion"].rpartition("/")[0], obj["kind"]))
    return crd["spec"].get("scope") == "Namespaced" if crd else obj["kind"] in NAMESPACED


def _chart_path(chart: engine.Registration, root: Path) -> Path:
    """The local chart a Chart resource names; anything the offline engine cannot render is an error."""
    inputs, where = chart.inputs, f"chart {chart.name}"
    unsupported = [k for k in UNSUPPORTED if inputs.get(k)]
    if unsupported:
        raise ChartRenderError(f"{where}: the offline engine does not render {', '.join(unsupported)}")
    source = str(inputs.get("chart", ""))
    if "://" in source or not source:
        raise ChartRenderError(f"{where}: {source!r} is not a local chart; vendor it under components/charts/")
    path = Path(source) if Path(source).is_absolute() else root / source
    if not (path / "Chart.yaml").is_file():
        raise ChartRenderError(f"{where}: no chart at {source} (looked for {path / 'Chart.yaml'})")
    return path


def _registration(
    chart: engine.Registration, obj: dict, name: str, waits: list[str | None], secret: bool
) -> engine.Registration:
    """One rendered object as the provider registers it under the chart."""
    type_ = type_token(obj["apiVersion"], obj["kind"])
    kube_api.check(obj, f"{obj['kind']} {name} of chart {chart.name}")
    meta = obj["metadata"]
    # yaml.go marks a Secret's data secret; secret values may be anywhere in what they rendered.
    hidden = [k for k in obj if k not in ("apiVersion", "kind", "metadata")] if secret else []
    hidden += [k for k in ("data", "stringData") if obj["kind"] == "Secret" and k in obj and k not in hidden]
    for key in hidden:
        obj[key] = engine.Secret(obj[key])
    keep = (meta.get("annotations") or {}).get("helm.sh/resource-policy") == "keep"  # chart.go preregister
    return engine.Registration(
        urn=child_urn(chart.urn, type_, name),
        type=type_,
        name=name,
        parent=chart.urn,
        custom=True,
        remote=False,
        inputs=obj,
        outputs={**obj, **mocks.kubernetes_object(None, obj, name)},
        provider=chart.provider,
        # The provider constructs the chart once its dependencies exist, so its objects wait for them.
        dependencies=sorted({*chart.dependencies, *filter(None, waits)}),
        property_dependencies={},
        options={"retainOnDelete": True} if keep else {},
        rendered_by=chart.urn,
    )


def expand(chart: engine.Registration, root: Path) -> list[engine.Registration]:
    """The registrations the provider would make for `chart`'s objects."""
    inputs = chart.inputs
    path = _chart_path(chart, root)
    values = inputs.get("values") or {}
    secret = engine.to_json(values) != engine.to_json(values, reveal=True)
    release = inputs.get("name") or chart.name  # chart.go: the release name defaults to the resource name
    namespace = inputs.get("namespace") or "default"  # ... and the namespace to the provider's, "default"
    prefix = inputs.get("resourcePrefix", chart.name)
    post = inputs.get("postRenderer") or {}
    post_render = (post["command"], *(post.get("args") or [])) if post else ()
    try:
        revealed = engine.to_json(values, reveal=True)
        objs = render(path, release, namespace, revealed, not inputs.get("skipCrds"), post_render, root)
    except ChartRenderError as e:
        raise ChartRenderError(f"chart {chart.name}: {e}") from None
    crds = {
        (o["spec"]["group"], o["spec"]["names"]["kind"]): o for o in objs if o["kind"] == "CustomResourceDefinition"
    }
    first: dict[tuple, str] = {}  # the chart's CRDs and namespaces, which the provider registers first
    regs: list[engine.Registration] = []
    for obj in objs:  # Helm's install order: namespaces and CRDs come before what they hold
        meta = obj.setdefault("metadata", {})
        if not meta.get("namespace") and _namespaced(obj, crds):
            meta["namespace"] = namespace
        name = f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
        name = f"{prefix}:{name}" if prefix else name
        # yaml.go Register: a dependency graph orders a CRD before its objects, a namespace before its own.
        waits = [
            first.get(("crd", obj["apiVersion"].rpartition("/")[0], obj["kind"])),
            first.get(("ns", meta.get("namespace"))),
        ]
        reg = _registration(chart, obj, name, waits, secret)
        if obj["kind"] == "CustomResourceDefinition":
            first[("crd", obj["spec"]["group"], obj["spec"]["names"]["kind"])] = reg.urn
        if obj["kind"] == "Namespace":
            first[("ns", meta["name"])] = reg.urn
        regs.append(reg)
    _explicit_dependencies(chart, regs)
    return regs


def object_reference(obj: dict) -> str:
    """The reference a `config.kubernetes.io/depends-on` annotation names an object by: `<group>/namespaces/
    <namespace>/<kind>/<name>`, or `<group>/<kind>/<name>` when cluster-scoped; the core group is empty."""
    group = obj["apiVersion"].rpartition("/")[0]
    group = "" if group == "core" else group
    meta = obj["metadata"]
    where = f"namespaces/{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{group}/{where}{obj['kind']}/{meta['name']}"


def _explicit_dependencies(chart: engine.Registration, regs: list[engine.Registration]) -> None:
    """yaml.go Register: an object waits for every object of the chart its depends-on annotation lists. The
    provider ignores a reference to an object outside the chart ("references to resources outside the Chart
    aren't supported"); offline it is an error, since the order it asks for would not happen."""
    by_reference = {object_reference(r.inputs): r.urn for r in regs}
    for reg in regs:
        listed = ((reg.inputs["metadata"].get("annotations") or {}).get(DEPENDS_ON) or "").split(",")
        wanted = [ref.strip() for ref in listed if ref.strip()]
        missing = [ref for ref in wanted if ref not in by_reference]
        if missing:
            raise ChartRenderError(
                f"chart {chart.name}: {object_reference(reg.inputs)} depends on {', '.join(missing)}, "
                "which the chart does not render"
            )
        reg.dependencies = sorted({*reg.dependencies, *(by_reference[ref] for ref in wanted)})


class Expansion:
    """The charts of one run of the program, each expanded from the moment the program registers it: Helm and
    the post-renderer are processes of their own, so they render on the other core while the program goes on
    registering (tools/plan.py `render` hands `registered` to the engine)."""

    def __init__(self, root: Path):
        self.root = root
        self._pool = ThreadPoolExecutor(max_workers=4)
        self._charts: dict[str, Future] = {}

    def registered(self, reg: engine.Registration) -> None:
        if reg.type == CHART:
            self._charts[reg.urn] = self._pool.submit(expand, reg, self.root)

    def registrations(self, registrations: list[engine.Registration]) -> list[engine.Registration]:
        """The objects of every chart in `registrations`, chart by chart in their order there."""
        futures = [
            self._charts.get(r.urn) or self._pool.submit(expand, r, self.root) for r in registrations if r.type == CHART
        ]
        return [child for future in futures for child in future.result()]

    def __enter__(self) -> Expansion:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)  # after a failed run, renders not started yet
