"""Gateway mode istio (Istio's guide): the guide's objects and values on an existing cluster (Pulumi.istio.yaml)
and on dev's config cluster, their order, the absence of GKE gateway objects, and the upstream schemas."""

from __future__ import annotations

import copy
import functools
import hashlib
from collections import Counter

import jsonschema
import pytest
import yaml

from inference.common import images
from inference.configuration import stack as config
from inference.istio import facts as istio_facts
from inference.serving import inference_pool
from tests import schemas
from tests.conftest import closure, plan_of, run
from tests.stacks.test_policy import MANDATORY, analyze
from tools import capacity, charts, engine, replacements, stack_file, timing, upstream
from tools.plan import manifest

# The YAML of the Istio guide's `kubectl apply` steps (components/README.md).
GUIDE = engine.ROOT / "components" / "manifests" / "istio-gateway-api-inference-extension.yaml"
GUIDE_STEPS = GUIDE.with_suffix(".sh")  # its shell steps
ISTIO_ON_DEV = {"gateway": {"mode": "istio"}, "autoscaling": None, "inferencePool": None, "modelStore": None}
CONFIG_DOC = (engine.ROOT / "docs" / "configuration.md").read_text()


@functools.cache
def gke_plan() -> engine.Plan:
    return run("dev", overrides=ISTIO_ON_DEV)


@pytest.fixture(scope="module")
def byo() -> engine.Plan:
    return plan_of("istio")


@pytest.fixture(scope="module")
def gke() -> engine.Plan:
    return gke_plan()


def obj(plan: engine.Plan, kind: str, name: str) -> engine.Registration:
    """The program's own object (not one a chart rendered) of `kind` named `name`."""
    (reg,) = [
        r
        for r in plan.registrations
        if r.type.endswith(f":{kind}") and not r.rendered_by and (r.inputs.get("metadata") or {}).get("name") == name
    ]
    return reg


def guide_documents() -> dict[tuple[str, str], dict]:
    """The YAML documents of the guide's `kubectl apply` heredocs, by kind and name."""
    docs = [doc for doc in yaml.safe_load_all(GUIDE.read_text()) if doc]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def rendered(plan: engine.Plan, kind: str, name: str) -> engine.Registration:
    (reg,) = [
        r
        for r in plan.registrations
        if r.rendered_by and r.inputs["kind"] == kind and r.inputs["metadata"]["name"] == name
    ]
    return reg


# What Pulumi.istio.yaml plans: the guide's objects, one per `kubectl apply` document or install step.
ISTIO_RESOURCES = Counter(
    {
        "pulumi:providers:kubernetes": 1,  # the kubeconfig's context
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": 9,  # the two `kubectl kustomize` steps (6 + 3)
        "kubernetes:gateway.networking.k8s.io/v1:GatewayClass": 2,  # istiod's `istio` and `istio-remote`, owned here
        "kubernetes:helm.sh/v4:Chart": 2,  # `istioctl install --set profile=minimal`: base + istiod
        "kubernetes:core/v1:Namespace": 3,  # istio-system (istioctl's), istio-ingress, inference-model-server
        "kubernetes:apps/v1:Deployment": 2,  # the simulator and the endpoint picker
        "kubernetes:core/v1:Service": 1,  # endpoint-picker-svc
        "kubernetes:core/v1:ConfigMap": 1,  # plugins-config
        "kubernetes:core/v1:ServiceAccount": 1,  # the picker's own (the guide binds `default`)
        "kubernetes:gateway.networking.k8s.io/v1:Gateway": 1,
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": 1,
        "kubernetes:inference.networking.k8s.io/v1:InferencePool": 1,
        "kubernetes:networking.istio.io/v1:DestinationRule": 1,
        "kubernetes:rbac.authorization.k8s.io/v1:Role": 1,
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": 1,
        # the token and access reviews of the picker's authenticated /metrics, as the v1.1.0 chart grants them
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": 1,
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": 1,
        # not in the guide: the serving namespace's default deny and what its servers and picker admit, and
        # istio-ingress's and istio-system's default deny and what the Gateway's pods and istiod admit
        "kubernetes:networking.k8s.io/v1:NetworkPolicy": 7,
    }
)
# What the two Istio charts render (helm template, as the provider expands them).
ISTIO_RENDERED = Counter(
    {
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": 14,  # Istio's, DestinationRule included
        "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration": 1,
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration": 2,
        "kubernetes:apps/v1:Deployment": 1,  # istiod
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": 1,
        "kubernetes:core/v1:ConfigMap": 3,
        "kubernetes:core/v1:Service": 1,
        "kubernetes:core/v1:ServiceAccount": 2,
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": 3,
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": 3,
        "kubernetes:rbac.authorization.k8s.io/v1:Role": 1,
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": 1,
    }
)


def test_the_istio_stack_plans_the_guides_resources(byo):
    declared = Counter(r.type for r in byo.registrations if (r.custom or r.remote) and not r.rendered_by)
    assert declared == ISTIO_RESOURCES
    assert Counter(r.type for r in byo.registrations if r.rendered_by) == ISTIO_RENDERED


@pytest.mark.parametrize("plan_name", ["byo", "gke"])
def test_the_policy_pack_passes_and_every_pod_fits(plan_name, request):
    plan = request.getfixturevalue(plan_name)
    assert analyze(plan)[MANDATORY] == set()
    assert capacity.check(plan) == []


# ------------------------------------------------------------------------------------ existing cluster


def test_an_existing_cluster_gets_only_kubernetes_objects_through_one_provider(byo):
    providers = byo.by_type("pulumi:providers:kubernetes")
    assert [p.name for p in providers] == ["existing-cluster"]
    (provider,) = providers
    assert provider.inputs["context"] == "kind-inference" == provider.inputs["clusterIdentifier"]
    assert provider.inputs["kubeconfig"] == engine.Secret(stack_file.STAND_IN.format(key="kubeconfig"))
    others = [r for r in byo.registrations if r is not provider]
    assert {r.type.split(":")[0] for r in others} == {"kubernetes", "inference"}
    assert all(r.provider.startswith(provider.urn) for r in others if r.custom)
    assert byo.outputs["kubeContext"] == "kind-inference"


def test_rotated_credentials_replace_nothing_another_context_replaces_the_provider(byo):
    """clusterIdentifier is the context: a new kubeconfig for the same cluster updates the provider in place."""
    (provider,) = byo.by_type("pulumi:providers:kubernetes")
    rule = replacements.rule_for({"type": provider.type, "inputs": engine.to_json(provider.inputs)})
    assert "kubeconfig" not in (*rule.forces, *rule.possible, *rule.when)
    assert "clusterIdentifier" in rule.when


def test_the_stack_file_passes_the_cli_without_a_project_and_asks_for_the_kubeconfig():
    with pytest.raises(config.ConfigError) as err:
        engine.run("istio")  # the operator has not set the kubeconfig secret
    assert err.value.missing_secrets() == ["kubeconfig"]
    # The README's command, for the stack's own context.
    assert (
        'pulumi config set --secret kubeconfig "$(kubectl config view --minify --flatten --context kind-inference)"'
        in str(err.value)
    )
    assert err.value.registrations == []
    with pytest.raises(config.ConfigError) as err:
        engine.run("istio", overrides={"kubeconfig": "apiVersion: v1\nkind: Config"})
    (problem,) = err.value.problems
    assert (problem.key, problem.value) == ("kubeconfig", "[not shown]")
    assert "apiVersion" not in str(err.value)


# ------------------------------------------------------------------------------------ the guide's objects


def test_namespaces(byo):
    names = {r.inputs["metadata"]["name"]: r.inputs["metadata"] for r in byo.by_type("kubernetes:core/v1:Namespace")}
    assert set(names) == {"istio-system", "istio-ingress", "inference-model-server"}
    assert names["inference-model-server"]["labels"] == {"pod-security.kubernetes.io/enforce": "restricted"}


def _hardened(pod: dict) -> None:
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    (c,) = pod["containers"]
    assert c["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    }
    assert c["resources"]["requests"]["memory"] and c["resources"]["limits"]["memory"]
    assert not c["image"].endswith(":latest") and ":" in c["image"]


@pytest.mark.parametrize("plan_name", ["byo", "gke"])
def test_simulator_deployment_is_the_guides_plus_requests_limits_and_security(plan_name, request):
    plan = request.getfixturevalue(plan_name)
    guide = guide_documents()[("Deployment", "inference-model-server-deployment")]
    ours = manifest(obj(plan, "Deployment", "inference-model-server-deployment"))
    assert ours["metadata"] == {**guide["metadata"]}
    assert ours["spec"]["replicas"] == guide["spec"]["replicas"] == 3
    assert ours["spec"]["selector"] == guide["spec"]["selector"]
    pod, guide_pod = ours["spec"]["template"]["spec"], guide["spec"]["template"]["spec"]
    (c,), (s,) = pod["containers"], guide_pod["containers"]
    for key in ("name", "image", "imagePullPolicy", "args", "ports", "env"):
        assert c[key] == s[key], key
    assert c["resources"]["requests"]["cpu"] == s["resources"]["requests"]["cpu"] == "20m"
    assert pod["automountServiceAccountToken"] is False and "automountServiceAccountToken" not in guide_pod
    _hardened(pod)


def test_endpoint_picker_is_the_guides_with_a_released_image(byo):
    guide = guide_documents()[("Deployment", "inference-endpoint-picker")]
    ours = manifest(obj(byo, "Deployment", "inference-endpoint-picker"))
    assert ours["metadata"] == guide["metadata"]
    assert ours["spec"]["replicas"] == 1 and ours["spec"]["selector"] == guide["spec"]["selector"]
    pod, guide_pod = ours["spec"]["template"]["spec"], guide["spec"]["template"]["spec"]
    (c,), (s,) = pod["containers"], guide_pod["containers"]
    # Upstream's defaults but one: tracing, off as upstream's chart has it (inference/istio/facts.py TRACING_OFF).
    assert c["args"] == [*s["args"], "--tracing=false"]
    assert pod["serviceAccountName"] == "inference-endpoint-picker" and "serviceAccountName" not in guide_pod
    for key in ("name", "ports", "livenessProbe", "readinessProbe", "volumeMounts", "imagePullPolicy"):
        assert c[key] == s[key], key
    assert pod["volumes"] == guide_pod["volumes"]
    assert "automountServiceAccountToken" not in pod  # the picker reads pools, pods and objectives
    # The release matching the Inference Extension CRDs the program installs.
    assert c["image"] == "registry.k8s.io/gateway-api-inference-extension/epp:v1.1.0"
    tag = images.ISTIO_EPP_IMAGE.rsplit(":", 1)[1]
    assert f"gateway-api-inference-extension-{tag}" in {f.split("/")[0] for f in istio_facts.CRD_FILES}
    _hardened(pod)


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("Service", "endpoint-picker-svc"),
        ("ConfigMap", "plugins-config"),
        ("DestinationRule", "endpoint-picker-tls"),
        ("InferencePool", "inference-model-server-pool"),
        ("Gateway", "gateway"),
        ("HTTPRoute", "httproute-for-inferencepool"),
    ],
)
def test_objects_equal_the_guides(byo, kind, name):
    guide = guide_documents()[(kind, name)]
    ours = manifest(obj(byo, kind, name))
    if kind == "ConfigMap":  # the same EndpointPickerConfig, written from the configured weights
        assert ours["metadata"] == guide["metadata"]
        assert yaml.safe_load(ours["data"]["default-plugins.yaml"]) == yaml.safe_load(
            guide["data"]["default-plugins.yaml"]
        )
        return
    if kind == "Gateway":  # the guide's `kubectl wait --for=condition=programmed`, and kind's ClusterIP Service
        assert ours["metadata"].pop("annotations") == {
            "pulumi.com/waitFor": "condition=Programmed",
            "networking.istio.io/service-type": "ClusterIP",
        }
    assert ours == guide


def test_the_pickers_metrics_keep_upstreams_authentication_with_the_rights_it_needs(byo):
    """EPP v1.1.0 authenticates /metrics by default (runner.go `metrics-endpoint-auth`); the rights are the ones the
    v1.1.0 chart gives its picker for it (templates/rbac.yaml), bound to the picker's own ServiceAccount."""
    chart = charts.render(inference_pool.CHARTS["v1.1.0"], "pool", "ns", {"inferencePool": {"modelServers": {
        "matchLabels": {"app": "x"}}, "targetPorts": [{"number": 8000}]}})  # fmt: skip
    (upstream,) = [o for o in chart if o["kind"] == "ClusterRole"]
    role = manifest(obj(byo, "ClusterRole", "inference-model-server-inference-endpoint-picker-metrics-auth"))
    assert role["rules"] == [r for r in upstream["rules"] if "nonResourceURLs" not in r]
    binding = obj(byo, "ClusterRoleBinding", role["metadata"]["name"])
    assert binding.inputs["subjects"] == [
        {"kind": "ServiceAccount", "name": "inference-endpoint-picker", "namespace": "inference-model-server"}
    ]
    assert binding.urn in obj(byo, "Deployment", "inference-endpoint-picker").dependencies


def test_the_guides_role_binding_binds_the_pickers_own_service_account(byo):
    guide = guide_documents()[("RoleBinding", "epp-to-inference-model-reader")]
    ours = manifest(obj(byo, "RoleBinding", "epp-to-inference-model-reader"))
    assert guide["subjects"] == [{"kind": "ServiceAccount", "name": "default", "namespace": "inference-model-server"}]
    assert ours == {
        **guide,
        "subjects": [
            {"kind": "ServiceAccount", "name": "inference-endpoint-picker", "namespace": "inference-model-server"}
        ],
    }
    account = manifest(obj(byo, "ServiceAccount", "inference-endpoint-picker"))
    assert account["metadata"] == {"name": "inference-endpoint-picker", "namespace": "inference-model-server"}


def test_role_grants_the_guides_rules_and_the_objectives_epp_v1_1_watches(byo):
    guide = guide_documents()[("Role", "inference-model-reader")]
    ours = manifest(obj(byo, "Role", "inference-model-reader"))
    assert ours["metadata"] == guide["metadata"]
    assert ours["rules"][:2] == guide["rules"]
    assert ours["rules"][2:] == [
        {
            "apiGroups": ["inference.networking.x-k8s.io"],
            "resources": ["inferenceobjectives"],
            "verbs": ["get", "list", "watch"],
        }
    ]


def test_scorer_weights_come_from_config():
    plan = run("istio", overrides={"istio": {"scorers": {"prefix-cache-scorer": 5, "lora-affinity-scorer": 1}}})
    picker = yaml.safe_load(obj(plan, "ConfigMap", "plugins-config").inputs["data"]["default-plugins.yaml"])
    assert picker["plugins"] == [{"type": "prefix-cache-scorer"}, {"type": "lora-affinity-scorer"}]
    assert picker["schedulingProfiles"] == [
        {
            "name": "default",
            "plugins": [
                {"pluginRef": "prefix-cache-scorer", "weight": 5},
                {"pluginRef": "lora-affinity-scorer", "weight": 1},
            ],
        }
    ]


def test_the_guides_test_request_is_an_output(byo):
    request = byo.outputs["testRequest"]
    assert request["model"] == "reviews-1" and request["expectedHeader"] == "server: istio-envoy"
    # The guide's two steps before its curl, with the stack's context.
    assert request["wait"] == (
        "kubectl --context kind-inference wait -n istio-ingress --for=condition=programmed "
        "gateways.gateway.networking.k8s.io gateway"
    )
    assert request["ingressHost"] == (
        "export INGRESS_HOST=$(kubectl --context kind-inference get gateways.gateway.networking.k8s.io gateway "
        "-n istio-ingress -ojsonpath='{.status.addresses[0].value}')"
    )
    guide = GUIDE_STEPS.read_text()
    for step in ("wait -n istio-ingress --for=condition=programmed", "-ojsonpath='{.status.addresses[0].value}')"):
        assert step in guide and any(step in value for value in request.values()), step
    assert "What do reviewers think about The Comedy of Errors?" in request["command"]
    assert request["command"].startswith('curl -s -i "http://$INGRESS_HOST/v1/completions" -d ')


# ------------------------------------------------------------------------------------ Istio and the CRDs


def test_istio_comes_from_its_vendored_charts_with_the_guides_switches(byo):
    base = byo.one("kubernetes:helm.sh/v4:Chart", "istio-istio-base")
    istiod = byo.one("kubernetes:helm.sh/v4:Chart", "istio-istiod")
    assert (base.inputs["chart"], base.inputs["namespace"]) == ("./components/charts/istio-base-1.29.6", "istio-system")
    assert istiod.inputs["chart"] == "./components/charts/istiod-1.29.6"
    seccomp = {"seccompProfile": {"type": "RuntimeDefault"}}  # the hardening the guide leaves out
    assert istiod.inputs["values"] == {
        "global": {"hub": "docker.io/istio", "tag": "1.29.6", "proxy": seccomp},
        "pilot": {
            "env": {
                "ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true",
                "SUPPORT_GATEWAY_API_INFERENCE_EXTENSION": "true",
            },
            **seccomp,
            "resources": {"requests": {"cpu": "500m", "memory": "2048Mi"}, "limits": {"memory": "4096Mi"}},
        },
    }
    # Rendered: istiod runs the pinned image with both switches, and the minimal profile has no ingress gateway.
    pilot = rendered(byo, "Deployment", "istiod").inputs["spec"]["template"]["spec"]["containers"][0]
    assert pilot["image"] == "docker.io/istio/pilot:1.29.6"
    env = {e["name"]: e.get("value") for e in pilot["env"]}
    assert env["ENABLE_GATEWAY_API_INFERENCE_EXTENSION"] == env["SUPPORT_GATEWAY_API_INFERENCE_EXTENSION"] == "true"
    deployments = [r.inputs["metadata"]["name"] for r in byo.registrations if r.type.endswith(":Deployment")]
    assert sorted(deployments) == ["inference-endpoint-picker", "inference-model-server-deployment", "istiod"]
    assert rendered(byo, "CustomResourceDefinition", "destinationrules.networking.istio.io").rendered_by == base.urn


def _istioctl_merge(base: dict, top: dict) -> dict:
    """values.Map MergeFrom (istio operator/pkg/values): maps merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in top.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _istioctl_merge(out[key], value) if both else value
    return out


def istioctl_install(profile: str, version: str) -> tuple[dict, dict]:
    """(components, chart values) of the guide's `istioctl install --set profile=<profile> --set
    values.pilot.env...` with a released istioctl: istio 1.29.6 operator/pkg/render/manifest.go MergeInputs
    (readProfile: `default` first, the profile on top; hubTagOverlay: the release's hub and tag;
    translateIstioOperatorToHelm: `pilot.enabled`, `pilot.cni.enabled`), then the --set values. `spec.profile`
    itself never becomes a chart value: the charts' `profile` value (zzz_profile.yaml) stays unset."""
    read = lambda name: yaml.safe_load((istio_facts.PROFILES / f"{name}.yaml").read_text())  # noqa: E731
    merged = _istioctl_merge(read("default"), read(profile))["spec"]
    components = merged["components"]
    overlay = {
        "global": {"hub": istio_facts.ISTIO_HUB, "tag": version},
        "pilot": {
            "enabled": components["pilot"]["enabled"],
            "cni": {"enabled": bool((components.get("cni") or {}).get("enabled"))},
            "env": dict(istio_facts.PILOT_ENV),
        },
    }
    return components, _istioctl_merge(merged["values"], overlay)


RELEASE_LABELS = ("release", "app.kubernetes.io/instance")


def _release_neutral(value, release: str):
    """The objects with the Helm release's name in its two labels replaced: the one thing a release name changes."""
    if isinstance(value, dict):
        return {
            k: "<release>" if k in RELEASE_LABELS and v == release else _release_neutral(v, release)
            for k, v in value.items()
        }
    return [_release_neutral(v, release) for v in value] if isinstance(value, list) else value


def _keyed(objs: list[dict], release: str) -> dict[tuple[str, str], dict]:
    return {(o["kind"], o["metadata"]["name"]): _release_neutral(o, release) for o in objs}


def test_the_two_charts_with_the_programs_values_are_istioctls_minimal_profile(byo):
    """The guide installs with istioctl's `minimal` profile, which the Helm charts do not have as a file (their
    `profile` value is another thing: `--set profile=minimal` fails with "unknown profile"). istioctl's profile
    picks components and values; rendering both charts both ways shows what differs."""
    components, values = istioctl_install("minimal", "1.29.6")
    enabled = {name for name, c in components.items() if isinstance(c, dict) and c.get("enabled")}
    gateways = [g for c in components.values() if isinstance(c, list) for g in c if g.get("enabled")]
    assert (enabled, gateways) == ({"base", "pilot"}, [])  # operator/pkg/component: charts base, istio-discovery
    differences = {}
    for chart in ("istio-base", "istiod"):
        reg = byo.one("kubernetes:helm.sh/v4:Chart", f"istio-{chart}")
        path = engine.ROOT / reg.inputs["chart"]
        release = reg.inputs["name"]
        ours = _keyed(charts.render(path, release, "istio-system", reg.inputs.get("values") or {}), release)
        # istioctl renders every chart as release `istio` (helm.Render("istio", ...) in manifest.go).
        theirs = _keyed(charts.render(path, "istio", "istio-system", values), "istio")
        differences[chart] = sorted(
            {*(ours.keys() ^ theirs.keys()), *(k for k in ours.keys() & theirs.keys() if ours[k] != theirs[k])}
        )
    assert differences == {
        # The profile's `defaultRevision: ""` keeps this webhook out of the chart; istioctl then creates the same
        # one itself (operator/pkg/webhook WebhooksToDeploy, istioctl/pkg/tag/generate.go "istiod-default-validator").
        "istio-base": [("ValidatingWebhookConfiguration", "istiod-default-validator")],
        # istiod's record of the values it was installed with (templates/configmap-values.yaml); the proxies'
        # template with their seccomp profile, and istiod with its own and a memory limit (the hardening).
        "istiod": [("ConfigMap", "istio-sidecar-injector"), ("ConfigMap", "values"), ("Deployment", "istiod")],
    }


def test_the_guides_crds_are_installed_from_the_reference_copies(byo):
    crds = {
        r.inputs["metadata"]["name"]
        for r in byo.by_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
        if not r.rendered_by
    }
    assert crds == {
        "gatewayclasses.gateway.networking.k8s.io",
        "gateways.gateway.networking.k8s.io",
        "grpcroutes.gateway.networking.k8s.io",
        "httproutes.gateway.networking.k8s.io",
        "referencegrants.gateway.networking.k8s.io",
        "backendtlspolicies.gateway.networking.k8s.io",
        "inferencepools.inference.networking.k8s.io",
        "inferencepools.inference.networking.x-k8s.io",
        "inferenceobjectives.inference.networking.x-k8s.io",
    }
    rows = upstream.by_path()
    for file in istio_facts.CRD_FILES:
        folder, name = file.split("/")
        row = rows[f"crds/{file}"]
        tag = folder.rsplit("-", 1)[1]
        assert f"/{tag}/config/crd/" in row.url and row.url.endswith(name), file
        vendored = (istio_facts.CRDS / file).read_bytes()
        if row.mark == "as-vendored":  # the blob of the tag's tree, `git ls-tree v1.4.0 config/crd/standard/`
            assert git_blob(vendored) == GATEWAY_API_V1_4_0_BLOBS[name], file


# kubernetes-sigs/gateway-api v1.4.0 `config/crd/kustomization.yaml` lists six standard CRDs; two had no copy at
# hand when components/UPSTREAM.txt was made, so they are also checked against the git blob ids of the tag's tree.
GATEWAY_API_V1_4_0_BLOBS = {
    "gateway.networking.k8s.io_grpcroutes.yaml": "6cb625fb1b60651ec0099a95e081e977daa0eefe",
    "gateway.networking.k8s.io_backendtlspolicies.yaml": "f90aba8bf31f502ab251d1bc97b701f3669f76e8",
}


def git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_nothing_of_istio_or_the_crds_when_the_cluster_has_them():
    plan = run("istio", overrides={"istio": {"install": False, "installCrds": False}})
    assert not plan.by_type("kubernetes:helm.sh/v4:Chart")
    assert not plan.by_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    namespaces = {r.inputs["metadata"]["name"] for r in plan.by_type("kubernetes:core/v1:Namespace")}
    assert namespaces == {"istio-ingress", "inference-model-server"}
    obj(plan, "Gateway", "gateway")  # the plane itself is all there


# ------------------------------------------------------------------------------------ order


def test_each_custom_resource_waits_for_its_crd_and_the_gateway_for_istiod(byo):
    crd = {
        r.inputs["metadata"]["name"]: r.urn for r in byo.registrations if r.type.endswith("CustomResourceDefinition")
    }
    charts = {r.name: r.urn for r in byo.by_type("kubernetes:helm.sh/v4:Chart")}
    gateway = obj(byo, "Gateway", "gateway")
    assert {crd["gateways.gateway.networking.k8s.io"], charts["istio-istiod"]} <= set(gateway.dependencies)
    assert charts["istio-istio-base"] in closure(byo, gateway.urn)
    route = obj(byo, "HTTPRoute", "httproute-for-inferencepool")
    assert crd["httproutes.gateway.networking.k8s.io"] in route.dependencies
    pool = obj(byo, "InferencePool", "inference-model-server-pool")
    assert crd["inferencepools.inference.networking.k8s.io"] in pool.dependencies
    # The DestinationRule's CRD comes with Istio's base chart: the rule waits for the chart.
    rule = obj(byo, "DestinationRule", "endpoint-picker-tls")
    assert charts["istio-istio-base"] in rule.dependencies
    assert charts["istio-istio-base"] in byo.one("kubernetes:helm.sh/v4:Chart", "istio-istiod").dependencies


def test_the_pickers_service_and_config_before_the_pool_and_the_pool_and_rbac_before_the_picker(byo):
    """The picker answers its health checks NOT_SERVING until it has read its pool (EPP v1.1.0), and Pulumi
    waits for a Deployment's pods to be ready: a pool that waited for the picker would never be created."""
    config_map = obj(byo, "ConfigMap", "plugins-config")
    epp = obj(byo, "Deployment", "inference-endpoint-picker")
    pool = obj(byo, "InferencePool", "inference-model-server-pool")
    service = obj(byo, "Service", "endpoint-picker-svc")
    binding = obj(byo, "RoleBinding", "epp-to-inference-model-reader")
    account = obj(byo, "ServiceAccount", "inference-endpoint-picker")
    assert {config_map.urn, pool.urn, binding.urn, account.urn} <= set(epp.dependencies)
    assert service.urn in pool.dependencies
    # Nothing the picker's pods must be ready for waits for them: not the pool, and not the Service, whose
    # await completes with no endpoint pending only while no picker pod exists.
    for reg in (pool, service, binding, config_map):
        assert epp.urn not in closure(byo, reg.urn), reg.name
    namespace = obj(byo, "Namespace", "inference-model-server")
    for reg in (config_map, epp, pool, service, account, obj(byo, "Role", "inference-model-reader")):
        assert namespace.urn in reg.dependencies, reg.name
    # ... and the time-to-serve model knows Istio programs its Gateway in seconds, not GKE's minutes.
    assert timing.step_of(obj(byo, "Gateway", "gateway")) == "istio-gateway"


def test_pulumi_owns_istiods_gateway_classes_declared_before_istiod_starts(byo):
    """istiod creates `istio` and `istio-remote` when missing; declared first, they are Pulumi's to delete."""
    crd = obj(byo, "CustomResourceDefinition", "gatewayclasses.gateway.networking.k8s.io")
    istiod = byo.one("kubernetes:helm.sh/v4:Chart", "istio-istiod")
    classes = {
        r.inputs["metadata"]["name"]: r for r in byo.by_type("kubernetes:gateway.networking.k8s.io/v1:GatewayClass")
    }
    assert {n: manifest(r)["spec"] for n, r in classes.items()} == {
        "istio": {"controllerName": "istio.io/gateway-controller", "description": "The default Istio GatewayClass"},
        "istio-remote": {
            "controllerName": "istio.io/unmanaged-gateway",
            "description": "Remote to this cluster. Does not deploy or affect configuration.",
        },
    }
    for reg in classes.values():
        assert crd.urn in reg.dependencies and reg.urn in istiod.dependencies, reg.name
    assert classes["istio"].urn in obj(byo, "Gateway", "gateway").dependencies
    # With Istio already on the cluster, its istiod already made them.
    plan = run("istio", overrides={"istio": {"install": False}})
    assert not plan.by_type("kubernetes:gateway.networking.k8s.io/v1:GatewayClass")


# ------------------------------------------------------------------------------------ GKE


def test_on_gke_the_plane_runs_in_the_config_cluster_without_gke_gateway_objects(gke, dev):
    provider = gke.by_urn()[obj(gke, "Gateway", "gateway").provider.rsplit("::", 1)[0]]
    assert provider.name == "cluster-us-east5-k8s"
    assert gke.outputs["kubeContext"] == "gke_tpu-inference-dev_us-east5-b_tpu-gke-dranet-dev-us-east5"
    # GKE manages the GA Gateway API and InferencePool CRDs, not the InferenceObjective CRD the picker watches
    # (EPP v1.1.0 always starts its reconciler): that one comes from the file the other modes install.
    (ours,) = [r for r in gke.registrations if r.type.endswith("CustomResourceDefinition") and not r.rendered_by]
    assert ours.inputs["metadata"]["name"] == "inferenceobjectives.inference.networking.x-k8s.io"
    assert manifest(ours)["spec"] == inference_pool.objective_crd("v1.1.0")["spec"]
    assert ours.urn in obj(gke, "Deployment", "inference-endpoint-picker").dependencies
    types = {r.type for r in gke.registrations}
    assert types.isdisjoint(
        {
            "inference:serving:ModelServer",
            "inference:serving:InferencePool",
            "inference:gateway:MultiClusterGateway",
            "gcp:gkehub/membership:Membership",
            "gcp:storage/bucket:Bucket",
        }
    )
    # The network, the clusters and their pools are the same as dev's.
    for kind in (
        "gcp:container/cluster:Cluster",
        "gcp:container/nodePool:NodePool",
        "gcp:compute/subnetwork:Subnetwork",
    ):
        assert sorted(map(repr, (r.inputs for r in gke.by_type(kind)))) == sorted(
            map(repr, (r.inputs for r in dev.by_type(kind)))
        ), kind
    system_pool = gke.one("gcp:container/nodePool:NodePool", "cluster-us-east5-system")
    # What runs pods waits for the nodes; the rest goes in as soon as the control plane answers.
    for name in ("inference-model-server-deployment", "inference-endpoint-picker"):
        assert system_pool.urn in obj(gke, "Deployment", name).dependencies
    assert system_pool.urn in gke.one("kubernetes:helm.sh/v4:Chart", "istio-istiod").dependencies
    assert system_pool.urn not in closure(gke, obj(gke, "Namespace", "inference-model-server").urn)


def test_on_gke_the_gateway_is_an_internal_load_balancer_unless_external_is_chosen(gke, byo):
    """istiod copies spec.infrastructure.annotations onto the Gateway's Service; GKE reads this one."""
    internal = {"annotations": {"networking.gke.io/load-balancer-type": "Internal"}}
    assert obj(gke, "Gateway", "gateway").inputs["spec"]["infrastructure"] == internal
    external = run("dev", overrides=ISTIO_ON_DEV | {"istio": {"loadBalancer": "external"}})
    assert "infrastructure" not in obj(external, "Gateway", "gateway").inputs["spec"]
    assert "infrastructure" not in obj(byo, "Gateway", "gateway").inputs["spec"]  # the guide's, on any cluster


def test_load_balancer_none_makes_the_gateways_service_cluster_ip_on_any_cluster(gke, byo):
    """istiod reads the Service type from the Gateway's own annotations (deploymentcontroller.go L516-518): kind,
    with no load-balancer implementation, needs ClusterIP for the Gateway to become Programmed."""
    cluster_ip = {"networking.istio.io/service-type": "ClusterIP"}
    assert obj(byo, "Gateway", "gateway").inputs["metadata"]["annotations"].items() >= cluster_ip.items()
    on_gke = run("dev", overrides=ISTIO_ON_DEV | {"istio": {"loadBalancer": "none"}})
    gateway = obj(on_gke, "Gateway", "gateway").inputs
    assert gateway["metadata"]["annotations"].items() >= cluster_ip.items() and "infrastructure" not in gateway["spec"]
    guide = run("istio", overrides={"istio": {"version": "1.29.6"}})  # the stack file's `none` dropped
    assert obj(guide, "Gateway", "gateway").inputs["metadata"]["annotations"] == {
        "pulumi.com/waitFor": "condition=Programmed"
    }
    assert "networking.istio.io/service-type" not in obj(gke, "Gateway", "gateway").inputs["metadata"]["annotations"]


@pytest.mark.parametrize("plan_name", ["byo", "gke"])
def test_no_gke_gateway_objects_in_istio_mode(plan_name, request):
    plan = request.getfixturevalue(plan_name)
    kubernetes = [r for r in plan.registrations if r.type.startswith("kubernetes:")]
    assert not [r.type for r in kubernetes if "networking.gke.io" in r.type or "autoscaling.gke.io" in r.type]
    assert not [r.type for r in kubernetes if r.type.endswith(("Patch", "InferencePoolImport"))]
    classes = [r.inputs["spec"]["gatewayClassName"] for r in kubernetes if r.type.endswith(":Gateway")]
    assert classes == ["istio"]
    annotations = [(r.inputs.get("metadata") or {}).get("annotations") or {} for r in kubernetes]
    assert not [a for a in annotations if "networking.gke.io/export" in a]


# ------------------------------------------------------------------------------------ schemas


@pytest.mark.parametrize("plan_name", ["byo", "gke"])
def test_rendered_objects_validate_against_upstream_schemas(plan_name, request):
    plan = request.getfixturevalue(plan_name)
    folders = {
        "Gateway": "gateway-api-v1.4.0",
        "HTTPRoute": "gateway-api-v1.4.0",
        "InferencePool": "gateway-api-inference-extension-v1.1.0",
        "GatewayClass": "gateway-api-v1.4.0",
    }
    # Istio's DestinationRule schema is its CRD as the vendored base chart renders it.
    destination_rule_crd = rendered(plan, "CustomResourceDefinition", "destinationrules.networking.istio.io")
    (v1,) = [v for v in destination_rule_crd.inputs["spec"]["versions"] if v["name"] == "v1"]
    schema = schemas._closed(copy.deepcopy(v1["schema"]["openAPIV3Schema"]))
    schema["properties"] |= {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
    }
    destination_rule = jsonschema.Draft7Validator(schema)
    checked = []
    for reg in plan.registrations:
        if not reg.type.startswith("kubernetes:") or not reg.custom or reg.rendered_by:
            continue
        o = manifest(reg)
        if o["kind"] in folders:
            schemas.validate_custom(o, folders[o["kind"]])
        elif o["kind"] == "DestinationRule":
            destination_rule.validate(o)
        elif o["kind"] != "CustomResourceDefinition":
            schemas.validate_core(o)
        checked.append(o["kind"])
    assert {"Gateway", "GatewayClass", "HTTPRoute", "InferencePool", "DestinationRule", "Deployment", "Service"} <= set(
        checked
    )


def test_every_istio_key_is_documented():
    for key in (
        "gateway.mode",
        "istio.version",
        "istio.install",
        "istio.installCrds",
        "istio.scorers",
        "istio.loadBalancer",
    ):
        assert f"`{key}`" in CONFIG_DOC, key
    for key in ("existingCluster.kubeContext", "kubeconfig"):
        assert f"`{key}`" in CONFIG_DOC, key
