"""ModelServer: the model servers of one cluster — vLLM on a TPU slice reading weights over GCS FUSE,
or the vLLM simulator on CPU — with their identity and their metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from inference.serving import pods


@dataclass(frozen=True)
class TpuServing:
    accelerator_label: str  # cloud.google.com/gke-tpu-accelerator
    topology: str
    chips: int
    tensor_parallel_size: int
    bucket: pulumi.Input[str]
    weights_dir: str  # `<model>/<revision>` in the bucket (inference/core/weights_download.py weights_dir)
    model_revision: str
    reader_gsa: pulumi.Input[str]  # email the serving KSA impersonates
    tpu_pool: pulumi.Resource
    weights: pulumi.Resource  # the download job: ready once its execution has filled the bucket
    memory_limit: str  # the vLLM container's, within what one node of the shape leaves it (serving/facts.py)
    # The bucket roles and Workload Identity member behind the serving identity: pods start after them.
    reader_grants: Sequence[pulumi.Resource] = ()
    compute_class: str | None = None  # a capacity ladder's ComputeClass (inference/capacity/); None: the TPU pool
    node_pool: str | None = None  # pinned to one TPU pool by name, when another pool has the same shape


@dataclass(frozen=True)
class LoraAdapter:
    """A LoRA adapter the servers load: clients send `name` as the model; on TPU its files are the download's
    `<source>/<revision>` in the bucket, and the servers wait for its marker like the base weights'."""

    name: str
    source: str
    revision: str


@dataclass(frozen=True)
class SharedObjects:
    """What the first model's servers of a cluster own and the other models' reuse: one object per namespace."""

    service_account: pulumi.Resource  # the serving identity (on TPU, the weights' reader)
    claim_template: pulumi.Resource | None  # the `all-netdev` claim template (TPU only)


@dataclass(frozen=True)
class ModelServerArgs:
    namespace: str
    create_namespace: bool
    name: str
    labels: Mapping[str, str]
    service_account: str
    serving_port: int
    replicas: int | None  # None: a HorizontalPodAutoscaler owns the count, so `pulumi up` leaves it alone
    model_id: str
    served_name: str
    max_model_len: int
    image: str
    load_timeout_minutes: int
    system_pool: str  # node pool name for CPU work (the simulator)
    # That pool: pods wait for its nodes on create and go before it on destroy.
    system_nodes: pulumi.Resource
    tpu: TpuServing | None  # None: the simulator backend
    adapters: Sequence[LoraAdapter] = ()  # LoRA adapters loaded into every server (--enable-lora when any)
    max_lora_rank: int = 16  # vLLM's --max-lora-rank (its default)
    shares: SharedObjects | None = None  # another model's identity and claim template; None: this one owns them


def _meta(args: ModelServerArgs, name: str, **extra) -> k8s.meta.v1.ObjectMetaArgs:
    return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=args.namespace, **extra)


_NETDEV_CLAIM_SPEC = k8s.resource.v1.ResourceClaimTemplateSpecArgs(
    spec=k8s.resource.v1.ResourceClaimSpecArgs(
        devices=k8s.resource.v1.DeviceClaimArgs(
            requests=[
                k8s.resource.v1.DeviceRequestArgs(
                    name="req-netdev",
                    exactly=k8s.resource.v1.ExactDeviceRequestArgs(
                        device_class_name="netdev.google.com", allocation_mode="All"
                    ),
                )
            ]
        )
    )
)


class ModelServer(pulumi.ComponentResource):
    """Every object the pool selects carries the same labels and port on both backends, so the
    routing plane above (InferencePool, Gateway, policies) is identical for vLLM and the simulator."""

    def __init__(self, name: str, args: ModelServerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("inference:serving:ModelServer", name, None, opts)
        self.namespace = args.namespace
        self.labels = dict(args.labels)
        self.namespace_resource: k8s.core.v1.Namespace | None = None
        if args.create_namespace:
            self.namespace_resource = k8s.core.v1.Namespace(
                f"{name}-namespace",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=args.namespace,
                    # The vLLM TPU image's user and capabilities are not documented: baseline, not restricted.
                    labels={"pod-security.kubernetes.io/enforce": "baseline"},
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        depends = [self.namespace_resource] if self.namespace_resource else []
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=depends)
        self.service_account = args.shares.service_account if args.shares else self._service_account(name, args, in_ns)
        self.deployment = self._deployment(name, args, depends, in_ns)
        self._around(name, args, in_ns)
        self.register_outputs({"deployment": self.deployment.metadata.name, "service": self.service.metadata.name})

    def _service_account(self, name: str, args: ModelServerArgs, in_ns: pulumi.ResourceOptions):
        """The pods' identity; on TPU it acts as the weights' reader, once that reader's grants exist."""
        tpu = args.tpu
        return k8s.core.v1.ServiceAccount(
            f"{name}-ksa",
            metadata=_meta(
                args,
                args.service_account,
                annotations={"iam.gke.io/gcp-service-account": tpu.reader_gsa} if tpu else None,
            ),
            opts=pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=list(tpu.reader_grants)))
            if tpu
            else in_ns,
        )

    def _deployment(self, name: str, args: ModelServerArgs, depends: list, in_ns: pulumi.ResourceOptions):
        tpu = args.tpu
        waits_for: list[pulumi.Resource] = []
        self.claim_template = args.shares.claim_template if args.shares else None
        if tpu:
            if self.claim_template is None:
                self.claim_template = k8s.resource.v1.ResourceClaimTemplate(
                    f"{name}-all-netdev", metadata=_meta(args, "all-netdev"), spec=_NETDEV_CLAIM_SPEC, opts=in_ns
                )
            # No model server starts before its bucket holds the weights, its network claim and its slice exist.
            waits_for = [tpu.weights, self.claim_template, tpu.tpu_pool]
        return k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=_meta(args, args.name, labels=self.labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=args.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=self.labels),
                # A TPU replica holds its slice: the old pod must go before the new one can start.
                strategy=k8s.apps.v1.DeploymentStrategyArgs(
                    type="RollingUpdate",
                    rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(max_surge=0, max_unavailable=1),
                )
                if tpu
                else None,
                template=pods.vllm_pod(args, tpu, self.labels) if tpu else pods.simulator_pod(args, self.labels),
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*depends, self.service_account, args.system_nodes, *waits_for],
                # Pulumi waits for the rollout; a cold 27B load on TPU takes many minutes.
                custom_timeouts=pulumi.CustomTimeouts(
                    create=f"{args.load_timeout_minutes}m", update=f"{args.load_timeout_minutes}m"
                ),
            ),
        )

    def _around(self, name: str, args: ModelServerArgs, in_ns: pulumi.ResourceOptions) -> None:
        """The Service, the disruption budget and the metrics scrape of the model servers."""
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=_meta(args, f"{args.name}-service", labels=self.labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=self.labels,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http", protocol="TCP", port=args.serving_port, target_port=args.serving_port
                    )
                ],
            ),
            opts=in_ns,
        )
        # Node upgrades and repairs evict one model server at a time; the other region carries traffic
        # meanwhile. A pod that never became ready can always be evicted, so it cannot block a drain.
        self.disruption_budget = k8s.policy.v1.PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=_meta(args, f"{args.name}-pdb", labels=self.labels),
            spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                max_unavailable=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=self.labels),
                unhealthy_pod_eviction_policy="AlwaysAllow",
            ),
            opts=in_ns,
        )
        self.pod_monitoring = k8s.apiextensions.CustomResource(
            f"{name}-monitoring",
            api_version="monitoring.googleapis.com/v1",
            kind="PodMonitoring",
            metadata=_meta(args, f"{args.name}-monitoring"),
            spec={
                "selector": {"matchLabels": self.labels},
                "endpoints": [{"port": args.serving_port, "interval": "15s", "path": "/metrics"}],
            },
            # Managed Prometheus's operator runs on the nodes and removes this object's finalizer.
            opts=pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=[args.system_nodes])),
        )
