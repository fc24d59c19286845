"""The migration's components built from small args: the alpha side's chart and models, and the gate."""

from __future__ import annotations

from inference.migration.gate import MigrationGate
from inference.migration.legacy_pool import LegacyInferencePool, LegacyInferencePoolArgs, LegacyModel
from tests.conftest import components


def test_the_legacy_pool_installs_the_alpha_crds_before_its_models():
    args = LegacyInferencePoolArgs(
        namespace="ns",
        pool_name="alpha",
        match_labels={"app": "srv"},
        serving_port=8000,
        models=[LegacyModel("a", "org/model", "Critical")],
    )
    plan = components(lambda: LegacyInferencePool("l", args))
    crds = {
        c.inputs["metadata"]["name"]: c
        for c in plan.by_type("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    }
    assert set(crds) == {
        "inferencepools.inference.networking.x-k8s.io",
        "inferencemodels.inference.networking.x-k8s.io",
    }
    (model,) = plan.by_type("kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceModel")
    assert model.inputs["spec"]["criticality"] == "Critical" and model.inputs["spec"]["poolRef"]["name"] == "alpha"
    assert crds["inferencemodels.inference.networking.x-k8s.io"].urn in model.dependencies
    (chart,) = plan.by_type("kubernetes:helm.sh/v4:Chart")
    assert chart.inputs["chart"] == "./components/charts/inferencepool-v0.5.1" and chart.inputs["name"] == "alpha"


def test_the_gate_records_the_step():
    plan = components(lambda: MigrationGate("gate", "split", "zero-downtime", 50, 50, True))
    (gate,) = plan.by_type("pulumi-python:dynamic/migration:Gate")
    assert {k: gate.inputs[k] for k in ("phase", "path", "alphaWeight", "v1Weight", "legacyManaged")} == {
        "phase": "split",
        "path": "zero-downtime",
        "alphaWeight": 50,
        "v1Weight": 50,
        "legacyManaged": True,
    }
