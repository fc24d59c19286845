"""One model's serving in Istio mode's plane: its simulator Deployment, its endpoint picker and InferencePool
(inference/istio/picker.py), and the InferenceObjectives its picker schedules by."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from inference.istio.facts import NAMESPACE
from inference.istio.models import IstioModel, objective_spec, simulator_pod
from inference.istio.picker import CrdDependency, EndpointPicker


class ModelServing:
    """The model's objects, children of the plane `parent`; the first model's keep the guide's names and URNs."""

    def __init__(
        self,
        plane: str,
        parent: pulumi.Resource,
        model: IstioModel,
        *,
        namespace: pulumi.Resource,
        istio: Sequence[pulumi.Resource],
        crd: CrdDependency,
        nodes: Sequence[pulumi.Resource],
        scorers: Sequence[tuple[str, int]],
    ):
        names, name = model.names, model.names.resource(plane)
        self.model_server = k8s.apps.v1.Deployment(
            f"{name}-model-server",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=names.server, namespace=NAMESPACE, labels=names.server_labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=model.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=names.server_labels),
                template=simulator_pod(model),
            ),
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[namespace, *nodes]),
        )
        self.picker = EndpointPicker(
            name, parent, names=names, namespace=namespace, istio=istio, crd=crd, nodes=nodes, scorers=scorers
        )
        # On the pool they name, after the CRD: preview must know the kind before it exists.
        self.objectives = [
            k8s.apiextensions.CustomResource(
                f"{name}-objective-{objective}",
                api_version="inference.networking.x-k8s.io/v1alpha2",
                kind="InferenceObjective",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=objective, namespace=NAMESPACE),
                spec=objective_spec(names, priority),
                opts=pulumi.ResourceOptions(
                    parent=parent,
                    depends_on=[
                        namespace,
                        self.picker.pool,
                        *crd("inference.networking.x-k8s.io", "InferenceObjective"),
                    ],
                ),
            )
            for objective, priority in model.objectives.items()
        ]

    def routable(self) -> list[pulumi.Resource]:
        """What a route rule to this model waits for: its pool, its running picker and its objectives."""
        return [self.picker.pool, self.picker.deployment, *self.objectives]
