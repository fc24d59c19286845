"""The serving components built from small args: a model server on each backend, and an InferencePool with
and without what the multi-cluster Gateway needs of it."""

from __future__ import annotations

from inference.serving.inference_pool import EndpointPickerResources, InferencePool, InferencePoolArgs
from inference.serving.model_server import ModelServer, ModelServerArgs, TpuServing
from tests.conftest import PLACEHOLDER, components, placeholder

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def _server_args(**changes) -> ModelServerArgs:
    base = dict(
        namespace="ns",
        create_namespace=True,
        name="srv",
        labels={"app": "srv"},
        service_account="ksa",
        serving_port=8000,
        replicas=2,
        model_id="org/model",
        served_name="model",
        max_model_len=4096,
        image="ghcr.io/llm-d/llm-d-inference-sim:v0.7.1",
        load_timeout_minutes=10,
        system_pool="system",
        system_nodes=None,
        tpu=None,
    )
    return ModelServerArgs(**(base | changes))


def test_a_simulator_server_runs_on_the_system_pool_without_tpu_objects():
    plan = components(lambda: ModelServer("m", _server_args(system_nodes=placeholder("nodes"))))
    (deployment,) = plan.by_type(DEPLOYMENT)
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert (
        pod["nodeSelector"] == {"cloud.google.com/gke-nodepool": "system"}
        and deployment.inputs["spec"]["replicas"] == 2
    )
    assert plan.by_type("kubernetes:resource.k8s.io/v1:ResourceClaimTemplate") == []
    assert plan.one(PLACEHOLDER, "nodes").urn in deployment.dependencies
    names = {r.inputs["metadata"]["name"] for r in plan.registrations if r.type.startswith("kubernetes:")}
    assert {"ns", "ksa", "srv", "srv-service", "srv-pdb", "srv-monitoring"} <= names


def test_a_tpu_server_waits_for_its_weights_slice_and_grants():
    def build():
        tpu = TpuServing(
            accelerator_label="tpu-v6e-slice",
            topology="2x2",
            chips=4,
            tensor_parallel_size=4,
            bucket="b",
            weights_dir="org/model/main",
            model_revision="main",
            reader_gsa="r@p.iam.gserviceaccount.com",
            tpu_pool=placeholder("slice"),
            weights=placeholder("job"),
            memory_limit="192Gi",
            reader_grants=[placeholder("grant")],
        )
        ModelServer("m", _server_args(tpu=tpu, replicas=None, system_nodes=placeholder("nodes")))

    plan = components(build)
    deployment = plan.one(DEPLOYMENT, "m-deployment")
    assert "replicas" not in deployment.inputs["spec"]  # an HPA owns the count
    assert deployment.inputs["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    waits = {plan.one(PLACEHOLDER, n).urn for n in ("slice", "job")}
    assert waits <= set(deployment.dependencies)
    account = plan.one("kubernetes:core/v1:ServiceAccount", "m-ksa")
    assert plan.one(PLACEHOLDER, "grant").urn in account.dependencies
    (container,) = deployment.inputs["spec"]["template"]["spec"]["containers"]
    assert "--tensor-parallel-size=4" in container["args"] and container["resources"]["limits"]["google.com/tpu"] == "4"


def _pool_args(**changes) -> InferencePoolArgs:
    base = dict(
        namespace="ns",
        pool_name="pool",
        chart_version="v1.5.0",
        match_labels={"app": "srv"},
        serving_port=8000,
        objective_name="obj",
        priority=5,
        metric_export_name="kv",
        epp_monitoring=True,
        endpoint_picker=EndpointPickerResources("1", "2Gi", "4Gi"),
    )
    return InferencePoolArgs(**(base | changes))


def test_a_pool_for_the_multi_cluster_gateway_is_exported_after_the_fleet_features():
    def build():
        InferencePool("ip", _pool_args(fleet_features=[placeholder("mcs")]))

    plan = components(build)
    (export,) = plan.by_type("kubernetes:inference.networking.k8s.io/v1:InferencePoolPatch")
    assert export.inputs["metadata"]["annotations"] == {"networking.gke.io/export": "True"}
    assert plan.one(PLACEHOLDER, "mcs").urn in export.dependencies
    (metric,) = plan.by_type("kubernetes:autoscaling.gke.io/v1beta1:AutoscalingMetric")
    assert metric.inputs["spec"]["endpoints"][0]["metrics"][0]["exportName"] == "kv"
    (chart,) = plan.by_type("kubernetes:helm.sh/v4:Chart")
    assert chart.inputs["name"] == "pool" and chart.inputs["chart"] == "./components/charts/inferencepool-v1.5.0"
    resources = chart.inputs["values"]["inferenceExtension"]["resources"]
    assert resources == {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}}
    # The picker checks for the InferenceObjective CRD once, at start: its chart waits for the CRD.
    (crd,) = plan.by_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    assert crd.urn in chart.dependencies


def test_a_pool_behind_a_single_cluster_gateway_has_no_export_nor_metric_and_one_objective_per_model():
    args = _pool_args(
        export=False, kv_cache_metric=False, objectives={"a": 1, "b": 2}, chart_version="v1.1.0", endpoint_picker=None
    )
    plan = components(lambda: InferencePool("ip", args))
    assert plan.by_type("kubernetes:inference.networking.k8s.io/v1:InferencePoolPatch") == []
    assert plan.by_type("kubernetes:autoscaling.gke.io/v1beta1:AutoscalingMetric") == []
    objectives = plan.by_type("kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceObjective")
    assert {o.inputs["metadata"]["name"]: o.inputs["spec"]["priority"] for o in objectives} == {"a": 1, "b": 2}
    (chart,) = plan.by_type("kubernetes:helm.sh/v4:Chart")
    assert "resources" not in chart.inputs["values"]["inferenceExtension"]
