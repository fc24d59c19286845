"""Istio mode's plane built from small args: what it installs depends on what the cluster already has."""

from __future__ import annotations

from inference.istio.facts import CRD_FILES, OBJECTIVE_CRD_FILE
from inference.istio.plane import IstioInferenceGateway, IstioInferenceGatewayArgs
from tests.conftest import components

CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
CHART = "kubernetes:helm.sh/v4:Chart"
SCORERS = (("queue-scorer", 1), ("prefix-cache-scorer", 4))


def _plane(**changes):
    base = dict(istio_version="1.29.6", install_istio=True, install_crds=True, scorers=SCORERS)
    return components(lambda: IstioInferenceGateway("i", IstioInferenceGatewayArgs(**(base | changes))))


def test_a_bare_cluster_gets_every_crd_istio_and_owned_gateway_classes():
    plan = _plane()
    assert len(plan.by_type(CRD)) == len(CRD_FILES)
    assert {c.name for c in plan.by_type(CHART)} == {"i-istio-base", "i-istiod"}
    classes = plan.by_type("kubernetes:gateway.networking.k8s.io/v1:GatewayClass")
    assert {c.inputs["metadata"]["name"] for c in classes} == {"istio", "istio-remote"}
    config = plan.one("kubernetes:core/v1:ConfigMap", "i-plugins-config").inputs["data"]["default-plugins.yaml"]
    assert "pluginRef: prefix-cache-scorer\n    weight: 4" in config


def test_on_gke_only_the_objective_crd_and_an_internal_load_balancer():
    plan = _plane(install_crds=False, install_objective_crd=True, internal_load_balancer=True)
    (crd,) = plan.by_type(CRD)
    assert crd.inputs["metadata"]["name"] == "inferenceobjectives.inference.networking.x-k8s.io"
    assert OBJECTIVE_CRD_FILE in CRD_FILES
    gateway = plan.one("kubernetes:gateway.networking.k8s.io/v1:Gateway", "i-gateway")
    assert gateway.inputs["spec"]["infrastructure"] == {
        "annotations": {"networking.gke.io/load-balancer-type": "Internal"}
    }


def test_with_istio_installed_already_nothing_of_istio_is_made():
    plan = _plane(install_istio=False, install_crds=False)
    assert plan.by_type(CHART) == [] and plan.by_type(CRD) == []
    assert plan.by_type("kubernetes:gateway.networking.k8s.io/v1:GatewayClass") == []
    epp = plan.one("kubernetes:apps/v1:Deployment", "i-epp")
    pool = plan.one("kubernetes:inference.networking.k8s.io/v1:InferencePool", "i-pool")
    assert pool.urn in epp.dependencies  # the picker after the pool it serves
